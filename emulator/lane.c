/* lane — see lane.h. */
#include "lane.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

const char *const drop_names[DROP__N] = {
	"loss", "queue_full", "link_down", "no_rule", "malformed", "no_buffer", "tx_error",
};

const char *const hist_labels[EMU_HIST_N] = {
	"<1us", "<2us", "<4us", "<8us", "<16us", "<32us", "<64us", "<128us", "<256us",
	"<512us", "<1ms", "<2ms", "<4ms", "<8ms", "<16ms", "<32ms", "<65ms", "<131ms",
	"<262ms", "<524ms", "<1s", "<2s", "<4s", ">=4s",
};

#define POOL_CHUNK 256

void pool_init(struct frame_pool *p, size_t max_frames)
{
	memset(p, 0, sizeof(*p));
	p->max = max_frames;
}

struct frame *pool_get(struct frame_pool *p)
{
	if (!p->free) {
		size_t n = POOL_CHUNK;
		if (p->total >= p->max)
			return NULL;
		if (p->total + n > p->max)
			n = p->max - p->total;
		struct frame *chunk = malloc(n * sizeof(*chunk));
		if (!chunk)
			return NULL;
		p->chunks = xrealloc(p->chunks, (p->nchunks + 1) * sizeof(*p->chunks));
		p->chunks[p->nchunks++] = chunk;
		for (size_t i = 0; i < n; i++)
			pool_put(p, &chunk[i]);
		p->total += n;
	}
	struct frame *f = p->free;
	p->free = f->next;
	p->nfree--;
	f->next = f->prev = NULL;
	f->arrived = 0;
	return f;
}

void pool_destroy(struct frame_pool *p)
{
	for (size_t i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	memset(p, 0, sizeof(*p));
}

void stats_late(struct dir_stats *st, mono_ns late)
{
	uint64_t *hist = late < 0 ? st->hist_early : st->hist;
	uint64_t us = (uint64_t)(late < 0 ? -late : late) / 1000;
	int b = 0;
	while (us && b < EMU_HIST_N - 1) {
		us >>= 1;
		b++;
	}
	hist[b]++;
}

void lane_init(struct lane *l, const struct impair_dir *cfg, struct rng *rng, struct dir_stats *st)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	l->rng = rng;
	l->st = st;
	l->heap_idx = -1;
	l->heap_key = INT64_MAX;
}

void lane_configure(struct lane *l, const struct impair_dir *cfg)
{
	if (cfg->loss_model != l->cfg.loss_model)
		l->ge_bad = 0;
	l->cfg = *cfg;
}

int64_t lane_tx_time(const struct impair_dir *cfg, uint32_t len)
{
	if (!cfg->rate_bps)
		return 0;
	unsigned __int128 bits = (unsigned __int128)(len + cfg->overhead) * 8u * NS_PER_SEC;
	return (int64_t)((bits + cfg->rate_bps - 1) / cfg->rate_bps);
}

/* netem loss_gilbert_elliot(): transition first, then lose with the
 * probability of the state the frame was drawn in (1-k good, 1-h bad). */
int lane_lose(struct lane *l)
{
	const struct impair_dir *c = &l->cfg;
	switch (c->loss_model) {
	case LOSS_BERNOULLI:
		return rng_chance(l->rng, c->loss);
	case LOSS_GILBERT:
		if (!l->ge_bad) {
			if (rng_double(l->rng) < c->ge_p)
				l->ge_bad = 1;
			return rng_chance(l->rng, 1.0 - c->ge_k);
		}
		if (rng_double(l->rng) < c->ge_r)
			l->ge_bad = 0;
		return rng_chance(l->rng, 1.0 - c->ge_h);
	case LOSS_NONE:
	default:
		return 0;
	}
}

static void drop(struct lane *l, struct frame *f, enum drop_cause why, const struct lane_io *io)
{
	l->st->drops[why]++;
	pool_put(io->pool, f);
}

static void held(struct lane *l)
{
	if (++l->st->qdepth > l->st->qdepth_max)
		l->st->qdepth_max = l->st->qdepth;
}

/* Insert into the delay line, sorted on deadline; equal deadlines keep
 * arrival order.  Walks from the tail, so in-order deadlines cost O(1). */
static void dl_insert(struct lane *l, struct frame *f)
{
	struct frame *p = l->dl_tail;
	while (p && p->t > f->t)
		p = p->prev;
	f->prev = p;
	f->next = p ? p->next : l->dl_head;
	if (f->next)
		f->next->prev = f;
	else
		l->dl_tail = f;
	if (p)
		p->next = f;
	else
		l->dl_head = f;
	l->dl_frames++;
}

/* A frame leaves the shaper (or arrives without one) at T: give it its
 * deadline and put it in the delay line. */
static void to_delay(struct lane *l, struct frame *f, mono_ns t)
{
	const struct impair_dir *c = &l->cfg;
	mono_ns d = t + rng_delay(l->rng, c->delay_ns, c->jitter_ns, c->dist);
	if (!c->jitter_reorder && d < l->last_deadline)
		d = l->last_deadline;
	if (d > l->last_deadline)
		l->last_deadline = d;
	f->t = d;
	dl_insert(l, f);
}

/* F->t stays the intended send time: the output records the lateness
 * when the frame is really written (after any wait in its backlog). */
/* Frames whose transmission ended by T have left the shaper: into the
 * delay line.  Run before a new frame is queued too, so the queue limit
 * counts the frames still waiting at its arrival even when the loop got
 * round to the lane late (else a late loop would look like a full queue). */
static void shaper_advance(struct lane *l, mono_ns t)
{
	while (l->sh_head && l->sh_head->t <= t) {
		struct frame *f = l->sh_head;
		l->sh_head = f->next;
		if (l->sh_head)
			l->sh_head->prev = NULL;
		else
			l->sh_tail = NULL;
		l->sh_frames--;
		l->sh_bytes -= f->len;
		to_delay(l, f, f->t);
	}
}

static void send_one(struct lane *l, struct frame *f, mono_ns now, const struct lane_io *io)
{
	if (!io->send(io->ctx, f))
		pool_put(io->pool, f);
}

static void enqueue_one(struct lane *l, struct frame *f, mono_ns now, const struct lane_io *io)
{
	const struct impair_dir *c = &l->cfg;
	/* the emulated link starts at arrival; a frame read late has already
	 * spent part of its delay waiting in the socket */
	mono_ns t0 = f->arrived && f->arrived < now ? f->arrived : now;

	if (c->reorder > 0 && rng_chance(l->rng, c->reorder)) {
		/* netem: time_to_send = now, queued at the head */
		l->st->reorders++;
		f->t = now;
		held(l);
		dl_insert(l, f);
		return;
	}
	if (c->rate_bps) {
		shaper_advance(l, t0);
		uint32_t qmax = c->queue_frames ? c->queue_frames : EMU_QUEUE_DEFAULT;
		if (l->sh_frames >= qmax || (c->queue_bytes && l->sh_bytes + f->len > c->queue_bytes)) {
			drop(l, f, DROP_QUEUE, io);
			return;
		}
		mono_ns start = l->busy_until > t0 ? l->busy_until : t0;
		l->busy_until = start + lane_tx_time(c, f->len);
		f->t = l->busy_until;
		f->next = NULL;
		f->prev = l->sh_tail;
		if (l->sh_tail)
			l->sh_tail->next = f;
		else
			l->sh_head = f;
		l->sh_tail = f;
		l->sh_frames++;
		l->sh_bytes += f->len;
		held(l);
		return;
	}
	if (!c->delay_ns && !c->jitter_ns && !l->dl_head) {
		/* nothing to wait for and nobody to overtake: out at once,
		 * rather than after the rest of the receive batch */
		f->t = t0;
		send_one(l, f, now, io);
		return;
	}
	held(l);
	to_delay(l, f, t0);
}

void lane_enqueue(struct lane *l, struct frame *f, mono_ns now, const struct lane_io *io)
{
	const struct impair_dir *c = &l->cfg;
	int count = 1;

	l->st->in_frames++;
	l->st->in_bytes += f->len;
	if (!c->up) {
		drop(l, f, DROP_DOWN, io);
		return;
	}
	if (c->duplicate > 0 && rng_chance(l->rng, c->duplicate))
		count++;
	if (lane_lose(l))
		count--;
	if (count == 0) {
		drop(l, f, DROP_LOSS, io);
		return;
	}
	if (c->corrupt > 0 && rng_chance(l->rng, c->corrupt)) {
		uint64_t bit = rng_u64(l->rng) % ((uint64_t)f->len * 8);
		f->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		l->st->corrupted++;
	}
	if (count > 1) {
		struct frame *d = pool_get(io->pool);
		if (d) {
			/* netem duplicates before corrupting the original only; the
			 * copy here carries the same bits, which is what a receiver
			 * of a duplicated frame sees on a real link */
			d->len = f->len;
			d->arrived = f->arrived;
			memcpy(d->data, f->data, f->len);
			l->st->duplicates++;
			enqueue_one(l, d, now, io);
		} else {
			l->st->drops[DROP_NOBUF]++;
		}
	}
	enqueue_one(l, f, now, io);
}

mono_ns lane_next(const struct lane *l)
{
	mono_ns t = INT64_MAX;
	if (l->sh_head)
		t = l->sh_head->t;
	if (l->dl_head && l->dl_head->t < t)
		t = l->dl_head->t;
	return t;
}

mono_ns lane_run(struct lane *l, mono_ns now, const struct lane_io *io)
{
	shaper_advance(l, now);
	while (l->dl_head && l->dl_head->t <= now) {
		struct frame *f = l->dl_head;
		l->dl_head = f->next;
		if (l->dl_head)
			l->dl_head->prev = NULL;
		else
			l->dl_tail = NULL;
		l->dl_frames--;
		l->st->qdepth--;
		send_one(l, f, now, io);
	}
	return lane_next(l);
}

void lane_flush(struct lane *l, struct frame_pool *pool)
{
	struct frame *lists[2] = { l->sh_head, l->dl_head };
	for (int i = 0; i < 2; i++)
		for (struct frame *f = lists[i], *n; f; f = n) {
			n = f->next;
			pool_put(pool, f);
			l->st->qdepth--;
		}
	l->sh_head = l->sh_tail = l->dl_head = l->dl_tail = NULL;
	l->sh_frames = l->dl_frames = 0;
	l->sh_bytes = 0;
}
