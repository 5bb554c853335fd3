/* wheel — a hashed timing wheel over a fixed set of entries 0..n-1 (the
 * appliances of a thread, the devices of an ISP server).
 *
 * Intrusive and allocation-free after wheel_new: each entry costs 16 bytes
 * (prev, next, due tick), so 200,000 timers cost 3.2 MB.  Add and delete
 * are O(1); an entry due beyond one turn of the wheel waits in its slot and
 * is skipped until its turn comes (as in Varghese & Lauck's scheme 6). */
#ifndef TB_AGENTS_WHEEL_H
#define TB_AGENTS_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#include "mono.h"

struct wheel;

/* tick_ns: resolution; slots: rounded up to a power of two. */
struct wheel *wheel_new(uint32_t n_entries, int64_t tick_ns, uint32_t slots, mono_ns now);
void wheel_free(struct wheel *w);
/* (Re)arm entry i to fire at time t (in the past: at the next expire). */
void wheel_add(struct wheel *w, uint32_t i, mono_ns t);
void wheel_del(struct wheel *w, uint32_t i);
bool wheel_armed(const struct wheel *w, uint32_t i);
uint32_t wheel_count(const struct wheel *w);
/* Calls fn(arg, i, now) for every entry due at or before now, each disarmed
 * before its call (fn may re-add it); returns how many fired. */
uint32_t wheel_expire(struct wheel *w, mono_ns now, void (*fn)(void *arg, uint32_t i, mono_ns now), void *arg);
/* Milliseconds until the earliest armed entry is due (0: now), -1 if none:
 * the timeout for epoll_wait. */
int wheel_timeout_ms(const struct wheel *w, mono_ns now);

#endif
