/* impair — the impairment model shared by the topology parser and the
 * emulator: what one direction of a wire does to frames, and the strict
 * parser of its `key=value` attributes (topology-format.md, "Impairments").
 *
 * Model and names follow Linux netem (sch_netem.c, after NIST Net):
 * delay + jitter drawn from a distribution, Bernoulli or Gilbert-Elliott
 * loss, rate with per-frame overhead and a tail-drop queue, reorder,
 * duplicate, corrupt, and up/down. */
#ifndef TB_IMPAIR_H
#define TB_IMPAIR_H

#include <stdbool.h>
#include <stdint.h>

enum impair_dist { DIST_UNIFORM, DIST_NORMAL, DIST_PARETO, DIST_PARETONORMAL };
enum impair_loss { LOSS_NONE, LOSS_BERNOULLI, LOSS_GILBERT };

/* Which attributes were given (so defaults can be told from settings and
 * a partial change touches only what it names). */
enum impair_field {
	IMP_DELAY = 1u << 0, IMP_JITTER = 1u << 1, IMP_DIST = 1u << 2,
	IMP_LOSS = 1u << 3, IMP_RATE = 1u << 4, IMP_QUEUE = 1u << 5,
	IMP_QUEUE_BYTES = 1u << 6, IMP_OVERHEAD = 1u << 7, IMP_REORDER = 1u << 8,
	IMP_DUPLICATE = 1u << 9, IMP_CORRUPT = 1u << 10, IMP_UP = 1u << 11,
	IMP_JITTER_REORDER = 1u << 12,
};

struct impair_dir {
	uint32_t set;                /* IMP_* bits of the fields given */
	int64_t delay_ns;
	int64_t jitter_ns;
	enum impair_dist dist;       /* default uniform, as netem without a table */
	bool jitter_reorder;         /* may jitter reorder frames? default no */
	enum impair_loss loss_model;
	double loss;                 /* Bernoulli probability */
	/* Gilbert-Elliott, classic names: p = P(good->bad), r = P(bad->good),
	 * h = P(delivered | bad) (default 0), k = P(delivered | good) (default 1).
	 * netem's "gemodel p r 1-h 1-k" takes the same four, as 1-h and 1-k. */
	double ge_p, ge_r, ge_h, ge_k;
	uint64_t rate_bps;           /* 0: unlimited */
	uint32_t overhead;           /* bytes added to each frame for the rate */
	uint32_t queue_frames;       /* 0: emulator default */
	uint64_t queue_bytes;        /* 0: no byte limit */
	double reorder, duplicate, corrupt;
	bool up;                     /* default yes */
};

enum { IMPAIR_A2B = 0, IMPAIR_B2A = 1 };
struct impair { struct impair_dir dir[2]; };

void impair_dir_init(struct impair_dir *d);
void impair_init(struct impair *im);

/* Set one attribute (no direction prefix) on one direction.
 * Returns 0, -ENOENT (no such attribute), -EINVAL (value not of the form)
 * or -ERANGE (out of range).  *expect is set to a phrase saying what the
 * value should be, for the caller's error message. */
int impair_dir_set(struct impair_dir *d, const char *key, const char *value,
		   const char **expect) __attribute__((warn_unused_result));

/* Set an attribute that may carry a direction prefix, as on a link
 * ("a2b.delay", prefixes "a2b"/"b2a") or an interface ("out.loss", prefixes
 * "out"/"in"); without a prefix both directions are set.  prefix[0] names
 * dir[0], prefix[1] dir[1].  Same return values as impair_dir_set. */
int impair_set(struct impair *im, const char *key, const char *value,
	       const char *const prefix[2], const char **expect)
	__attribute__((warn_unused_result));

/* Is KEY (possibly direction-prefixed) an impairment attribute? */
bool impair_is_key(const char *key, const char *const prefix[2]);

/* Copy into DST the fields set in SRC (a run-time change of some fields). */
void impair_dir_merge(struct impair_dir *dst, const struct impair_dir *src);

/* Check the combination (e.g. jitter without delay is allowed, jitter
 * larger than delay is allowed as in netem; gilbert needs p>0, r>0).
 * Returns NULL or a sentence saying what is wrong. */
const char *impair_dir_check(const struct impair_dir *d);

/* "delay=10ms jitter=2ms loss=1%" (only the fields set); "" if none. */
char *impair_dir_format(const struct impair_dir *d, char *buf, int size);

extern const char *const impair_dist_names[];   /* by enum impair_dist */

#endif
