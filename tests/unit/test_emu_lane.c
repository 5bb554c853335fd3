/* Unit tests of emulator/lane: the shaper (exact departure times at
 * rate=10mbit, with overhead; tail drop by frames and by bytes), the delay
 * line's ordering (constant delay, jitter that may or may not reorder,
 * reorder=), duplicate, corrupt, up=no, and a change of configuration while
 * frames are queued. */
#include "../check.h"
#include "emulator/lane.h"

#include <stdlib.h>

struct sent { mono_ns t; uint32_t len; uint8_t first; uint32_t tag; };
static struct sent out[4096];
static int nout;
static mono_ns clock_now;

static int rec(void *ctx, struct frame *f)
{
	if (nout < 4096) {
		uint32_t tag;
		memcpy(&tag, f->data + 14, sizeof(tag));
		out[nout++] = (struct sent){ clock_now, f->len, f->data[0], tag };
	}
	return 0;
}

static struct frame_pool pool;
static struct lane_io io = { rec, NULL, &pool };

static struct lane mk(struct dir_stats *st, struct rng *r, const char *const *attrs)
{
	struct impair_dir d;
	struct lane l;
	impair_dir_init(&d);
	for (int i = 0; attrs[i]; i += 2)
		CHECK_EQ_INT(impair_dir_set(&d, attrs[i], attrs[i + 1], NULL), 0);
	rng_seed(r, 1234);
	lane_init(&l, &d, r, st);
	memset(st, 0, sizeof(*st));
	nout = 0;
	return l;
}

static struct frame *fr(uint32_t len, uint32_t tag)
{
	struct frame *f = pool_get(&pool);
	f->len = len;
	memset(f->data, 0, len);
	memcpy(f->data + 14, &tag, sizeof(tag));
	return f;
}

/* advance time event by event until nothing is queued */
static void drain(struct lane *l)
{
	mono_ns t;
	while ((t = lane_next(l)) != INT64_MAX) {
		clock_now = t;
		lane_run(l, t, &io);
	}
}

TEST(shaper_departures_exact)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "rate", "10mbit", NULL };
	struct lane l = mk(&st, &r, a);
	/* five 1000-byte frames at t=0: 800 us each at 10 Mbit/s */
	for (uint32_t i = 0; i < 5; i++)
		lane_enqueue(&l, fr(1000, i), 0, &io);
	/* one 500-byte frame long after the queue emptied: starts at arrival */
	drain(&l);
	clock_now = 10 * NS_PER_MS;
	lane_enqueue(&l, fr(500, 5), 10 * NS_PER_MS, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 6);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ_INT(out[i].t, (i + 1) * 800 * NS_PER_US);
		CHECK_EQ_INT(out[i].tag, i);
	}
	CHECK_EQ_INT(out[5].t, 10 * NS_PER_MS + 400 * NS_PER_US);
	CHECK_EQ_U64(st.qdepth, 0);
	CHECK_EQ_U64(st.qdepth_max, 5);
}

/* A frame read after it reached the socket: the delay counts from its
 * arrival stamp, and F->t (what the output measures lateness against) is
 * the intended departure, so an undelayed frame read 30 us late is known to
 * be 30 us late. */
struct seen { mono_ns t, intended; };
static struct seen seen[8];
static int nseen;
static int rec_t(void *ctx, struct frame *f)
{
	if (nseen < 8)
		seen[nseen++] = (struct seen){ clock_now, f->t };
	return 0;
}

TEST(delay_counts_from_arrival)
{
	struct dir_stats st;
	struct rng r;
	struct lane_io tio = { rec_t, NULL, &pool };
	const char *a[] = { "delay", "10ms", NULL };
	struct lane l = mk(&st, &r, a);
	nseen = 0;
	struct frame *f = fr(100, 0);
	f->arrived = 1 * NS_PER_MS;                 /* read at 1.5 ms */
	clock_now = 1500 * NS_PER_US;
	lane_enqueue(&l, f, clock_now, &tio);
	f = fr(100, 1);                              /* no stamp: read time */
	lane_enqueue(&l, f, clock_now, &tio);
	f = fr(100, 2);                              /* a stamp "after" now is not believed */
	f->arrived = 2 * NS_PER_MS;
	lane_enqueue(&l, f, clock_now, &tio);
	mono_ns t;
	while ((t = lane_next(&l)) != INT64_MAX) {
		clock_now = t;
		lane_run(&l, t, &tio);
	}
	CHECK_EQ_INT(nseen, 3);
	CHECK_EQ_INT(seen[0].t, 11 * NS_PER_MS);
	CHECK_EQ_INT(seen[0].intended, 11 * NS_PER_MS);
	CHECK_EQ_INT(seen[1].t, 11500 * NS_PER_US);
	CHECK_EQ_INT(seen[2].t, 11500 * NS_PER_US);

	/* undelayed: leaves at once, intended time = arrival */
	const char *b[] = { NULL };
	l = mk(&st, &r, b);
	nseen = 0;
	f = fr(100, 3);
	f->arrived = 2 * NS_PER_MS;
	clock_now = 2030 * NS_PER_US;
	lane_enqueue(&l, f, clock_now, &tio);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].t, 2030 * NS_PER_US);
	CHECK_EQ_INT(seen[0].intended, 2 * NS_PER_MS);
	CHECK_EQ_INT(seen[0].t - seen[0].intended, 30 * NS_PER_US);
}

/* The queue limit counts frames still waiting at a frame's arrival, not
 * frames whose transmission ended but which the loop has not run yet. */
TEST(shaper_queue_limit_ignores_a_late_loop)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "rate", "10mbit", "queue", "4", NULL };
	struct lane l = mk(&st, &r, a);
	for (uint32_t i = 0; i < 4; i++)             /* 800 us each */
		lane_enqueue(&l, fr(1000, i), 0, &io);
	/* at 1.7 ms two have left the shaper; nobody called lane_run */
	lane_enqueue(&l, fr(1000, 4), 1700 * NS_PER_US, &io);
	lane_enqueue(&l, fr(1000, 5), 1700 * NS_PER_US, &io);
	lane_enqueue(&l, fr(1000, 6), 1700 * NS_PER_US, &io);   /* 5th waiting: dropped */
	CHECK_EQ_U64(st.drops[DROP_QUEUE], 1);
	drain(&l);
	CHECK_EQ_INT(nout, 6);
	for (int i = 0; i < 6; i++) {
		CHECK_EQ_INT(out[i].tag, i);
		CHECK_EQ_INT(out[i].t, (i + 1) * 800 * NS_PER_US);
	}
}

TEST(shaper_overhead_and_delay)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "rate", "10mbit", "overhead", "24", "delay", "5ms", NULL };
	struct lane l = mk(&st, &r, a);
	lane_enqueue(&l, fr(1000, 0), 0, &io);
	lane_enqueue(&l, fr(1000, 1), 0, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 2);
	/* (1000 + 24) * 8 bit / 10 Mbit/s = 819.2 us, then 5 ms of delay */
	CHECK_EQ_INT(out[0].t, 819200 + 5 * NS_PER_MS);
	CHECK_EQ_INT(out[1].t, 2 * 819200 + 5 * NS_PER_MS);
}

TEST(shaper_tail_drop_frames_and_bytes)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "rate", "10mbit", "queue", "3", NULL };
	struct lane l = mk(&st, &r, a);
	for (uint32_t i = 0; i < 5; i++)
		lane_enqueue(&l, fr(1000, i), 0, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 3);
	CHECK_EQ_U64(st.drops[DROP_QUEUE], 2);
	CHECK_EQ_INT(out[2].tag, 2);        /* the tail is dropped, not the head */

	const char *b[] = { "rate", "10mbit", "queue_bytes", "2500", NULL };
	l = mk(&st, &r, b);
	for (uint32_t i = 0; i < 4; i++)
		lane_enqueue(&l, fr(1000, i), 0, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 2);
	CHECK_EQ_U64(st.drops[DROP_QUEUE], 2);
	/* once the queue drained, there is room again */
	clock_now = 5 * NS_PER_MS;
	lane_enqueue(&l, fr(1000, 9), 5 * NS_PER_MS, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 3);
}

static int in_order(void)
{
	for (int i = 1; i < nout; i++)
		if (out[i].tag < out[i - 1].tag || out[i].t < out[i - 1].t)
			return 0;
	return 1;
}

TEST(delay_line_constant_keeps_order)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "delay", "10ms", NULL };
	struct lane l = mk(&st, &r, a);
	for (uint32_t i = 0; i < 100; i++)
		lane_enqueue(&l, fr(64, i), i * 1000, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 100);
	CHECK(in_order());
	CHECK_EQ_INT(out[0].t, 10 * NS_PER_MS);
	CHECK_EQ_INT(out[99].t, 10 * NS_PER_MS + 99000);
}

TEST(jitter_without_reorder_keeps_order)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "delay", "10ms", "jitter", "5ms", "dist", "normal", NULL };
	struct lane l = mk(&st, &r, a);
	for (uint32_t i = 0; i < 1000; i++)
		lane_enqueue(&l, fr(64, i), i * 10000, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 1000);
	CHECK(in_order());
	CHECK_EQ_U64(st.reorders, 0);
}

TEST(jitter_with_reorder_reorders)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "delay", "10ms", "jitter", "5ms", "jitter_reorder", "yes", NULL };
	struct lane l = mk(&st, &r, a);
	for (uint32_t i = 0; i < 1000; i++)
		lane_enqueue(&l, fr(64, i), i * 10000, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 1000);
	CHECK(!in_order());
	/* but sent in deadline order: times never go backwards */
	int mono = 1;
	for (int i = 1; i < nout; i++)
		mono &= out[i].t >= out[i - 1].t;
	CHECK(mono);
}

TEST(reorder_overtakes)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "delay", "10ms", "reorder", "25%", NULL };
	struct lane l = mk(&st, &r, a);
	for (uint32_t i = 0; i < 400; i++) {
		clock_now = i * 1000;
		lane_enqueue(&l, fr(64, i), i * 1000, &io);
		lane_run(&l, i * 1000, &io);
	}
	int now_sent = nout;
	drain(&l);
	CHECK_EQ_INT(nout, 400);
	CHECK_EQ_INT(now_sent, (int)st.reorders);
	/* 99% binomial interval of 400 x 25% */
	CHECK(st.reorders >= 78 && st.reorders <= 122);
	CHECK(!in_order());
}

TEST(duplicate_corrupt_down)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "duplicate", "100%", NULL };
	struct lane l = mk(&st, &r, a);
	for (uint32_t i = 0; i < 10; i++)
		lane_enqueue(&l, fr(64, i), 0, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 20);
	CHECK_EQ_U64(st.duplicates, 10);

	const char *b[] = { "corrupt", "100%", NULL };
	l = mk(&st, &r, b);
	int one_bit = 1;
	for (uint32_t i = 0; i < 50; i++) {
		struct frame *f = fr(64, 0);
		lane_enqueue(&l, f, 0, &io);
		/* zeros in, so the frame that left has exactly one bit set: read
		 * it back from the pool where lane_run returned it */
		drain(&l);
		int bits = 0;
		for (int k = 0; k < 64; k++)
			bits += __builtin_popcount(f->data[k]);
		one_bit &= bits == 1;
	}
	CHECK(one_bit);
	CHECK_EQ_U64(st.corrupted, 50);

	const char *c[] = { "up", "no", NULL };
	l = mk(&st, &r, c);
	lane_enqueue(&l, fr(64, 0), 0, &io);
	drain(&l);
	CHECK_EQ_INT(nout, 0);
	CHECK_EQ_U64(st.drops[DROP_DOWN], 1);
}

TEST(change_while_queued_loses_nothing)
{
	struct dir_stats st;
	struct rng r;
	const char *a[] = { "delay", "10ms", "rate", "10mbit", NULL };
	struct lane l = mk(&st, &r, a);
	for (uint32_t i = 0; i < 10; i++)
		lane_enqueue(&l, fr(1000, i), 0, &io);
	struct impair_dir d = l.cfg;
	CHECK_EQ_INT(impair_dir_set(&d, "delay", "1ms", NULL), 0);
	CHECK_EQ_INT(impair_dir_set(&d, "rate", "100mbit", NULL), 0);
	lane_configure(&l, &d);
	drain(&l);
	CHECK_EQ_INT(nout, 10);
	CHECK(in_order());
	/* frames already in the shaper keep their 10 Mbit/s departure; the
	 * delay in force when they leave it applies */
	CHECK_EQ_INT(out[0].t, 800 * NS_PER_US + NS_PER_MS);
	CHECK_EQ_U64(st.qdepth, 0);
}

TEST(pool_bounded_and_reused)
{
	struct frame_pool p;
	struct frame *f[10];
	pool_init(&p, 10);
	for (int i = 0; i < 10; i++)
		CHECK((f[i] = pool_get(&p)) != NULL);
	CHECK(pool_get(&p) == NULL);
	pool_put(&p, f[3]);
	CHECK(pool_get(&p) == f[3]);
	pool_destroy(&p);
}

TEST(histogram_buckets)
{
	struct dir_stats st = { 0 };
	stats_late(&st, 0);
	stats_late(&st, 999);
	stats_late(&st, 1500);
	stats_late(&st, 50 * NS_PER_US);
	stats_late(&st, 100 * NS_PER_SEC);
	CHECK_EQ_U64(st.hist[0], 2);
	CHECK_EQ_U64(st.hist[1], 1);       /* [1, 2) us */
	CHECK_EQ_U64(st.hist[6], 1);       /* [32, 64) us */
	CHECK_EQ_U64(st.hist[EMU_HIST_N - 1], 1);
	/* frames sent before their time go to the earliness histogram */
	stats_late(&st, -1);
	stats_late(&st, -40 * NS_PER_US);
	CHECK_EQ_U64(st.hist_early[0], 1);
	CHECK_EQ_U64(st.hist_early[6], 1);   /* [32, 64) us early */
	CHECK_EQ_U64(st.hist[0], 2);
}

int main(void)
{
	pool_init(&pool, 100000);
	int rc = run_tests();
	pool_destroy(&pool);
	return rc;
}
