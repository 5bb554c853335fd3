/* rxstats — what a traffic sink learns from the frames it receives: counts,
 * duplicates, reordering, loss and loss bursts (from sequence numbers), and
 * one-way delay percentiles (from the sender's CLOCK_MONOTONIC stamp, which
 * every namespace of one machine shares, so the delay is exact).
 *
 * Owns the per-run record of sequence numbers and delays; no I/O.  Used by
 * tbgen's sink; kept apart so its arithmetic is unit-tested. */
#ifndef TB_RXSTATS_H
#define TB_RXSTATS_H

#include <stdint.h>

struct rxstats;

struct rxstats *rxstats_new(void);
void rxstats_free(struct rxstats *s);

/* One received frame: sequence number, one-way delay in ns, frame length in
 * bytes (as counted on the Ethernet wire, without FCS).  Returns 1 if this
 * sequence number is new, 0 for a duplicate. */
int rxstats_add(struct rxstats *s, uint32_t seq, int64_t delay_ns, uint32_t len);

/* Results.  SENT is how many frames the sender sent (0: unknown, then the
 * highest sequence number seen + 1 is used).  EXPECT_NS is the intended
 * one-way delay for the |actual - intended| percentiles (ignored if < 0). */
struct rxstats_result {
	uint64_t received;       /* every frame, duplicates included */
	uint64_t unique;
	uint64_t dups;
	uint64_t reordered;      /* arrived after a higher sequence number */
	uint64_t sent;           /* as given or inferred */
	uint64_t lost;           /* sent - unique */
	double loss;             /* lost / sent */
	uint64_t bursts;         /* runs of consecutive missing sequence numbers */
	double mean_burst;       /* lost / bursts (0 if none) */
	uint64_t bytes;          /* of unique frames */
	/* delay percentiles (ns) over unique frames */
	int64_t d_min, d_p50, d_p90, d_p99, d_p999, d_max;
	double d_mean;
	/* |delay - expect| percentiles (ns); only if expect_ns >= 0 */
	int64_t e_p50, e_p99, e_p999, e_max;
};

/* Fills R; sorts internal arrays (call once, at the end). */
void rxstats_result(struct rxstats *s, uint64_t sent, int64_t expect_ns,
		    struct rxstats_result *r);

/* The Q-quantile (0..1) of N sorted values, nearest rank. */
int64_t rxstats_quantile(const int64_t *sorted, uint64_t n, double q);

#endif
