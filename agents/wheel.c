/* wheel — see wheel.h. */
#include "wheel.h"

#include <stdlib.h>

#include "xalloc.h"

#define NIL UINT32_MAX

struct wentry {
	uint32_t prev, next;   /* NIL-terminated list of a slot; prev==next==self-less when unarmed */
	uint64_t due;          /* tick */
};

struct wheel {
	int64_t tick_ns;
	mono_ns origin;
	uint64_t cur;          /* every tick < cur has been processed */
	uint32_t mask, count, n;
	int in_expire;         /* adds during expire land after the tick being processed */
	uint32_t *head;        /* per slot */
	struct wentry *e;
	uint8_t *armed;
};

struct wheel *wheel_new(uint32_t n, int64_t tick_ns, uint32_t slots, mono_ns now)
{
	struct wheel *w = xcalloc(1, sizeof(*w));
	uint32_t s = 1;
	while (s < slots)
		s <<= 1;
	w->tick_ns = tick_ns > 0 ? tick_ns : 1;
	w->origin = now;
	w->mask = s - 1;
	w->n = n;
	w->head = xmalloc(s * sizeof(*w->head));
	for (uint32_t i = 0; i < s; i++)
		w->head[i] = NIL;
	w->e = xcalloc(n ? n : 1, sizeof(*w->e));
	w->armed = xcalloc(n ? n : 1, 1);
	return w;
}

void wheel_free(struct wheel *w)
{
	if (!w)
		return;
	free(w->head);
	free(w->e);
	free(w->armed);
	free(w);
}

static uint64_t tick_of(const struct wheel *w, mono_ns t)
{
	return t <= w->origin ? 0 : (uint64_t)((t - w->origin) / w->tick_ns);
}

bool wheel_armed(const struct wheel *w, uint32_t i) { return w->armed[i]; }
uint32_t wheel_count(const struct wheel *w) { return w->count; }

void wheel_del(struct wheel *w, uint32_t i)
{
	struct wentry *e = &w->e[i];
	if (!w->armed[i])
		return;
	if (e->prev != NIL)
		w->e[e->prev].next = e->next;
	else
		w->head[e->due & w->mask] = e->next;
	if (e->next != NIL)
		w->e[e->next].prev = e->prev;
	w->armed[i] = 0;
	w->count--;
}

void wheel_add(struct wheel *w, uint32_t i, mono_ns t)
{
	uint64_t due = tick_of(w, t);
	wheel_del(w, i);
	if (w->in_expire && due <= w->cur)
		due = w->cur + 1;   /* never fire twice in one pass */
	else if (due < w->cur)
		due = w->cur;       /* in the past: fire at the next expire */
	struct wentry *e = &w->e[i];
	uint32_t *h = &w->head[due & w->mask];
	e->due = due;
	e->prev = NIL;
	e->next = *h;
	if (*h != NIL)
		w->e[*h].prev = i;
	*h = i;
	w->armed[i] = 1;
	w->count++;
}

uint32_t wheel_expire(struct wheel *w, mono_ns now, void (*fn)(void *, uint32_t, mono_ns), void *arg)
{
	uint64_t target = tick_of(w, now);
	uint32_t fired = 0;
	/* After a long pause, one sweep over all slots is enough: a slot holds
	 * everything due in any tick congruent to it. */
	if (target >= w->cur + w->mask + 1)
		w->cur = target - w->mask;
	w->in_expire = 1;
	for (; w->cur <= target; w->cur++) {
		uint32_t *h = &w->head[w->cur & w->mask];
		uint32_t i = *h;
		while (i != NIL) {
			uint32_t next = w->e[i].next;
			if (w->e[i].due <= target) {
				wheel_del(w, i);
				fired++;
				fn(arg, i, now);
				/* fn may have re-armed or deleted anything, including
				 * next: restart the slot when next was touched */
				if (next != NIL && (!w->armed[next] || (w->e[next].due & w->mask) != (w->cur & w->mask))) {
					i = *h;
					continue;
				}
			}
			i = next;
		}
		if (w->cur == target)
			break;
	}
	w->in_expire = 0;
	/* leave cur at target: ticks equal to target may still get entries
	 * added for "now", which the next call must see */
	return fired;
}

/* The earliest due tick: the first slot from cur holding an entry due in
 * this turn, else the smallest due seen (entries a turn or more away).
 * O(slots) at worst, which matters only for sparse wheels, where it is
 * what lets a thread sleep instead of waking every tick. */
static uint64_t next_due(const struct wheel *w)
{
	uint64_t best = UINT64_MAX;
	for (uint64_t s = 0; s <= w->mask; s++) {
		uint64_t tick = w->cur + s;
		for (uint32_t i = w->head[tick & w->mask]; i != NIL; i = w->e[i].next) {
			if (w->e[i].due <= tick)
				return w->e[i].due;
			if (w->e[i].due < best)
				best = w->e[i].due;
		}
	}
	return best;
}

int wheel_timeout_ms(const struct wheel *w, mono_ns now)
{
	if (!w->count)
		return -1;
	uint64_t due = next_due(w);
	mono_ns at = w->origin + (mono_ns)due * w->tick_ns;
	if (at <= now)
		return 0;
	int64_t ms = (at - now + NS_PER_MS - 1) / NS_PER_MS;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}
