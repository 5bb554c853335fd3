/* Unit tests of bench/rxstats: loss, bursts, duplicates, reordering and the
 * delay percentiles a sink reports. */
#include "tests/check.h"
#include "bench/rxstats.h"

TEST(all_in_order)
{
	struct rxstats *s = rxstats_new();
	for (uint32_t i = 0; i < 1000; i++)
		CHECK_EQ_INT(rxstats_add(s, i, 1000 + i, 60), 1);
	struct rxstats_result r;
	rxstats_result(s, 1000, -1, &r);
	CHECK_EQ_INT(r.unique, 1000);
	CHECK_EQ_INT(r.lost, 0);
	CHECK_EQ_INT(r.bursts, 0);
	CHECK_EQ_INT(r.reordered, 0);
	CHECK_EQ_INT(r.bytes, 60000);
	CHECK_EQ_INT(r.d_min, 1000);
	CHECK_EQ_INT(r.d_max, 1999);
	CHECK_EQ_INT(r.d_p50, 1499);     /* nearest rank: the 500th value */
	CHECK_EQ_INT(r.d_p99, 1989);     /* the 990th */
	CHECK(fabs(r.d_mean - 1499.5) < 1e-9);
	rxstats_free(s);
}

TEST(loss_bursts_and_tail)
{
	/* 0..99 sent; missing 10-12 (burst 3), 50 (burst 1), 98-99 (tail burst 2) */
	struct rxstats *s = rxstats_new();
	for (uint32_t i = 0; i < 98; i++)
		if (!(i >= 10 && i <= 12) && i != 50)
			rxstats_add(s, i, 5, 60);
	struct rxstats_result r;
	rxstats_result(s, 100, -1, &r);
	CHECK_EQ_INT(r.sent, 100);
	CHECK_EQ_INT(r.lost, 6);
	CHECK_EQ_INT(r.bursts, 3);
	CHECK(fabs(r.mean_burst - 2.0) < 1e-9);
	CHECK(fabs(r.loss - 0.06) < 1e-12);
	/* without a sent count the tail loss cannot be seen */
	rxstats_result(s, 0, -1, &r);
	CHECK_EQ_INT(r.sent, 98);
	CHECK_EQ_INT(r.lost, 4);
	rxstats_free(s);
}

TEST(dups_and_reorder)
{
	struct rxstats *s = rxstats_new();
	CHECK_EQ_INT(rxstats_add(s, 0, 1, 60), 1);
	CHECK_EQ_INT(rxstats_add(s, 2, 1, 60), 1);
	CHECK_EQ_INT(rxstats_add(s, 1, 1, 60), 1);   /* late: reordered */
	CHECK_EQ_INT(rxstats_add(s, 2, 1, 60), 0);   /* duplicate */
	CHECK_EQ_INT(rxstats_add(s, 70000, 1, 60), 1); /* grows the seen map */
	struct rxstats_result r;
	rxstats_result(s, 0, -1, &r);
	CHECK_EQ_INT(r.received, 5);
	CHECK_EQ_INT(r.unique, 4);
	CHECK_EQ_INT(r.dups, 1);
	CHECK_EQ_INT(r.reordered, 1);
	CHECK_EQ_INT(r.sent, 70001);
	CHECK_EQ_INT(r.bursts, 1);
	rxstats_free(s);
}

TEST(error_against_expected_delay)
{
	struct rxstats *s = rxstats_new();
	/* delays 10ms +- k us for k = 0..99: |err| is k */
	for (uint32_t i = 0; i < 100; i++)
		rxstats_add(s, i, 10000000 + ((i % 2) ? 1 : -1) * (int64_t)i * 1000, 60);
	struct rxstats_result r;
	rxstats_result(s, 100, 10000000, &r);
	CHECK_EQ_INT(r.e_p50, 49000);
	CHECK_EQ_INT(r.e_p99, 98000);
	CHECK_EQ_INT(r.e_max, 99000);
	rxstats_free(s);
}

TEST(quantile_edges)
{
	int64_t v[] = { 1, 2, 3, 4 };
	CHECK_EQ_INT(rxstats_quantile(v, 4, 0.0), 1);
	CHECK_EQ_INT(rxstats_quantile(v, 4, 0.5), 2);
	CHECK_EQ_INT(rxstats_quantile(v, 4, 0.51), 3);
	CHECK_EQ_INT(rxstats_quantile(v, 4, 1.0), 4);
	CHECK_EQ_INT(rxstats_quantile(v, 0, 0.5), 0);
}

int main(void) { return run_tests(); }
