/* rxstats — see rxstats.h. */
#include "rxstats.h"
#include "xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rxstats {
	uint8_t *seen;           /* one byte per sequence number: times received */
	uint64_t seen_cap;
	uint64_t max_seq_plus1;  /* highest sequence number seen + 1 */
	VEC(int64_t) delays;     /* of unique frames */
	uint64_t received, dups, reordered, bytes;
};

struct rxstats *rxstats_new(void)
{
	return xcalloc(1, sizeof(struct rxstats));
}

void rxstats_free(struct rxstats *s)
{
	if (!s)
		return;
	free(s->seen);
	VEC_FREE(s->delays);
	free(s);
}

int rxstats_add(struct rxstats *s, uint32_t seq, int64_t delay_ns, uint32_t len)
{
	s->received++;
	if (seq >= s->seen_cap) {
		uint64_t cap = s->seen_cap ? s->seen_cap : 4096;
		while (cap <= seq)
			cap *= 2;
		s->seen = xrealloc(s->seen, cap);
		memset(s->seen + s->seen_cap, 0, cap - s->seen_cap);
		s->seen_cap = cap;
	}
	if (s->seen[seq]) {
		s->dups++;
		if (s->seen[seq] < 255)
			s->seen[seq]++;
		return 0;
	}
	s->seen[seq] = 1;
	if ((uint64_t)seq + 1 < s->max_seq_plus1)
		s->reordered++;
	else
		s->max_seq_plus1 = (uint64_t)seq + 1;
	s->bytes += len;
	VEC_PUSH(s->delays, delay_ns);
	return 1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t rxstats_quantile(const int64_t *sorted, uint64_t n, double q)
{
	if (n == 0)
		return 0;
	/* nearest rank: the smallest value with at least q*n values <= it */
	uint64_t rank = (uint64_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

void rxstats_result(struct rxstats *s, uint64_t sent, int64_t expect_ns,
		    struct rxstats_result *r)
{
	memset(r, 0, sizeof(*r));
	uint64_t n = s->delays.n;
	r->received = s->received;
	r->unique = n;
	r->dups = s->dups;
	r->reordered = s->reordered;
	r->bytes = s->bytes;
	r->sent = sent ? sent : s->max_seq_plus1;
	if (r->sent < s->max_seq_plus1)      /* a sender that undercounted */
		r->sent = s->max_seq_plus1;
	r->lost = r->sent - n;
	r->loss = r->sent ? (double)r->lost / (double)r->sent : 0;

	/* loss bursts: runs of missing sequence numbers in [0, sent) */
	int in_burst = 0;
	for (uint64_t q = 0; q < r->sent; q++) {
		int have = q < s->seen_cap && s->seen[q];
		if (!have && !in_burst)
			r->bursts++;
		in_burst = !have;
	}
	r->mean_burst = r->bursts ? (double)r->lost / (double)r->bursts : 0;

	if (n == 0)
		return;
	int64_t *d = s->delays.v;
	double sum = 0;
	for (uint64_t i = 0; i < n; i++)
		sum += (double)d[i];
	r->d_mean = sum / (double)n;
	if (expect_ns >= 0) {
		int64_t *e = xmalloc(n * sizeof(*e));
		for (uint64_t i = 0; i < n; i++)
			e[i] = llabs(d[i] - expect_ns);
		qsort(e, n, sizeof(*e), cmp_i64);
		r->e_p50 = rxstats_quantile(e, n, 0.50);
		r->e_p99 = rxstats_quantile(e, n, 0.99);
		r->e_p999 = rxstats_quantile(e, n, 0.999);
		r->e_max = e[n - 1];
		free(e);
	}
	qsort(d, n, sizeof(*d), cmp_i64);
	r->d_min = d[0];
	r->d_p50 = rxstats_quantile(d, n, 0.50);
	r->d_p90 = rxstats_quantile(d, n, 0.90);
	r->d_p99 = rxstats_quantile(d, n, 0.99);
	r->d_p999 = rxstats_quantile(d, n, 0.999);
	r->d_max = d[n - 1];
}
