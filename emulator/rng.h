/* rng — the emulator's seeded randomness: one xoshiro256** generator per
 * wire direction, seeded from the global seed and the wire's name, and the
 * draws the impairments need (uniform fraction, netem's jitter
 * distributions, computed by formula instead of netem's tables).
 *
 * Jitter distributions, with netem's meaning (delay = mu + sigma * X):
 *   uniform       X uniform on [-1, 1)           (netem without a table)
 *   normal        X ~ N(0, 1)
 *   pareto        X = (U^(-1/3) - 1.5) * 4/3, clipped to [-4, 4]: iproute2
 *                 netem/pareto.c (shape a=3, centred on its mean 1.5)
 *   paretonormal  X = 0.25 N + 0.75 P, clipped to [-4, 4]: iproute2
 *                 netem/paretonormal.c mixes the two the same way
 * The clip to +-4 sigma is the range of netem's tables (NETEM_DIST_MAX). */
#ifndef TB_EMU_RNG_H
#define TB_EMU_RNG_H

#include <stdint.h>
#include "impair.h"

struct rng { uint64_t s[4]; };

void rng_seed(struct rng *r, uint64_t seed);
/* A per-direction seed: mixes the global seed, the wire name and dir. */
uint64_t rng_derive(uint64_t seed, const char *name, int dir);
uint64_t rng_u64(struct rng *r);
/* uniform in [0, 1) with 53 bits */
double rng_double(struct rng *r);
/* true with probability p (p <= 0 never draws, so a zero setting does not
 * change the sequence of other draws... it does not consume a number) */
static inline int rng_chance(struct rng *r, double p)
{
	return p > 0 && rng_double(r) < p;
}
double rng_normal(struct rng *r);
/* The unit variate X of a jitter distribution (see above). */
double rng_dist(struct rng *r, enum impair_dist dist);
/* mu + sigma * X, in ns, never below 0 (netem clamps negative delays). */
int64_t rng_delay(struct rng *r, int64_t mu, int64_t sigma, enum impair_dist dist);

#endif
