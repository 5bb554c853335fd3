/* rng — see rng.h.  xoshiro256** (Blackman & Vigna 2018), seeded through
 * splitmix64 as its authors recommend. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t rng_derive(uint64_t seed, const char *name, int dir)
{
	uint64_t h = 0xcbf29ce484222325ULL;          /* FNV-1a of the name */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	uint64_t x = seed ^ h ^ ((uint64_t)dir << 63);
	return splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
	s[2] ^= t; s[3] = rotl(s[3], 45);
	return result;
}

double rng_double(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Box-Muller with one output per call: the pair's second value is not
 * kept, so a draw depends only on the generator state (repeatable even
 * when the distribution of a lane is changed mid-run). */
double rng_normal(struct rng *r)
{
	double u1 = 1.0 - rng_double(r);     /* (0, 1] so log() is finite */
	double u2 = rng_double(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double pareto_unit(struct rng *r)
{
	double u = 1.0 - rng_double(r);      /* (0, 1] */
	return (pow(u, -1.0 / 3.0) - 1.5) * (4.0 / 3.0);
}

static double clip4(double x) { return x > 4.0 ? 4.0 : x < -4.0 ? -4.0 : x; }

double rng_dist(struct rng *r, enum impair_dist dist)
{
	switch (dist) {
	case DIST_NORMAL:
		return rng_normal(r);
	case DIST_PARETO:
		return clip4(pareto_unit(r));
	case DIST_PARETONORMAL: {
		double n = rng_normal(r);
		return clip4(0.25 * n + 0.75 * pareto_unit(r));
	}
	case DIST_UNIFORM:
	default:
		return 2.0 * rng_double(r) - 1.0;
	}
}

int64_t rng_delay(struct rng *r, int64_t mu, int64_t sigma, enum impair_dist dist)
{
	if (sigma <= 0)
		return mu < 0 ? 0 : mu;
	double d = (double)mu + (double)sigma * rng_dist(r, dist);
	return d < 0 ? 0 : (int64_t)llround(d);
}
