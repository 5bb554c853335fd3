/* lane — the data path of one pipe in one direction: what a frame meets
 * between the port it came in on and the port it leaves by.
 *
 * Order of the stages follows netem (sch_netem.c netem_enqueue): link up?,
 * duplicate, loss (Bernoulli or Gilbert-Elliott), corrupt, then either
 * reorder (the frame skips the queue and the delay and leaves now) or the
 * shaper (rate + per-frame overhead, finite tail-drop queue counted in
 * frames and bytes) followed by the delay line (delay + jitter).
 *
 * The delay line is a list kept sorted on (deadline, arrival): appending is
 * O(1) while deadlines do not go backwards (constant delay, or jitter that
 * may not reorder, which clamps each deadline to the previous one), as in
 * the kernel's tfifo_enqueue.  The shaper is a FIFO whose departure times
 * only grow.  Frames come from a preallocated pool; the lane allocates
 * nothing per frame.  A lane is used by one thread only (its wire's). */
#ifndef TB_EMU_LANE_H
#define TB_EMU_LANE_H

#include <stddef.h>
#include <stdint.h>

#include "impair.h"
#include "mono.h"
#include "rng.h"

/* Frames from 14 bytes (an Ethernet header) to 1522 (1500 + header + one
 * 802.1Q tag + FCS room) are carried; others are "malformed". */
#define EMU_FRAME_MIN 14
#define EMU_FRAME_MAX 1522
/* default tail-drop queue of a rate-limited lane (netem's default limit) */
#define EMU_QUEUE_DEFAULT 1000

struct frame {
	struct frame *next, *prev;
	mono_ns t;              /* shaper: end of transmission; delay line: deadline */
	/* when the frame reached the emulator's socket (the kernel's receive
	 * timestamp), or 0: then the time the lane is given is used.  The
	 * delay counts from arrival, so a late read does not lengthen it. */
	mono_ns arrived;
	uint32_t len;
	uint8_t data[EMU_FRAME_MAX + 2];
};

/* A pool of frames, grown in chunks up to a maximum and never shrunk: the
 * steady state allocates nothing. */
struct frame_pool {
	struct frame *free;
	size_t nfree, total, max;
	void **chunks;
	size_t nchunks;
};
void pool_init(struct frame_pool *p, size_t max_frames);
struct frame *pool_get(struct frame_pool *p);      /* NULL when exhausted */
static inline void pool_put(struct frame_pool *p, struct frame *f)
{
	f->next = p->free;
	p->free = f;
	p->nfree++;
}
void pool_destroy(struct frame_pool *p);

enum drop_cause {
	DROP_LOSS, DROP_QUEUE, DROP_DOWN, DROP_NORULE, DROP_MALFORMED,
	DROP_NOBUF, DROP_TXERR, DROP__N
};
extern const char *const drop_names[DROP__N];

/* Histograms of lateness (actual - intended send time) and of earliness
 * (intended - actual, for frames sent before their time: --spin auto
 * without polling): bucket 0 is < 1 us, bucket i (1..N-2) is
 * [2^(i-1), 2^i) us, the last everything above. */
#define EMU_HIST_N 24
extern const char *const hist_labels[EMU_HIST_N];

struct dir_stats {
	uint64_t in_frames, in_bytes, out_frames, out_bytes;
	uint64_t drops[DROP__N];
	uint64_t duplicates, reorders, corrupted;
	uint64_t qdepth, qdepth_max;         /* frames held now, and the most */
	uint64_t hist[EMU_HIST_N];
	uint64_t hist_early[EMU_HIST_N];
};

/* How a lane hands a frame to its output port: SEND returns 1 if it kept
 * F (to send later and return to the pool itself), 0 if the lane may
 * return F to the pool now.  F->t is the time the frame was meant to
 * leave; the output records (actual - F->t) with stats_late when it
 * writes the frame. */
struct lane_io {
	int (*send)(void *ctx, struct frame *f);
	void *ctx;
	struct frame_pool *pool;
};

struct lane {
	struct impair_dir cfg;
	struct rng *rng;            /* the wire direction's generator */
	struct dir_stats *st;       /* the wire direction's counters */
	int ge_bad;                 /* Gilbert-Elliott state */
	struct frame *sh_head, *sh_tail;
	size_t sh_frames;
	uint64_t sh_bytes;
	mono_ns busy_until;         /* the shaper transmits until then */
	struct frame *dl_head, *dl_tail;
	size_t dl_frames;
	mono_ns last_deadline;
	/* owned by the scheduler (emu.c): position in its heap, or -1 */
	long heap_idx;
	mono_ns heap_key;
	void *owner;                /* the pipe this lane belongs to */
	int dir;                    /* 0 a2b, 1 b2a */
};

void lane_init(struct lane *l, const struct impair_dir *cfg, struct rng *rng,
	       struct dir_stats *st);
/* A new configuration, applied between two frames; queued frames keep
 * the times they were given. */
void lane_configure(struct lane *l, const struct impair_dir *cfg);
/* Take frame F, read at NOW (it arrived at F->arrived when that is set):
 * it is sent, queued or dropped (and returned to the pool).  Counts in_*
 * itself. */
void lane_enqueue(struct lane *l, struct frame *f, mono_ns now, const struct lane_io *io);
/* Send what is due at NOW.  Returns the time of the next event or INT64_MAX. */
mono_ns lane_run(struct lane *l, mono_ns now, const struct lane_io *io);
mono_ns lane_next(const struct lane *l);
/* Return every queued frame to the pool (wire removed). */
void lane_flush(struct lane *l, struct frame_pool *pool);
/* Is the Gilbert-Elliott / Bernoulli decision: is this frame lost? */
int lane_lose(struct lane *l);
/* Transmission time of LEN bytes at the lane's rate, with its overhead. */
int64_t lane_tx_time(const struct impair_dir *cfg, uint32_t len);
/* Record a send's lateness (negative: earliness) in its histogram. */
void stats_late(struct dir_stats *st, mono_ns late);

#endif
