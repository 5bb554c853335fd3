/* mono — the monotonic clock, in one type.
 *
 * Every interval, deadline and timeout in the project is a mono_ns read from
 * CLOCK_MONOTONIC; wall-clock time is only for printing. */
#ifndef TB_MONO_H
#define TB_MONO_H

#include <stdint.h>
#include <time.h>

typedef int64_t mono_ns;

#define NS_PER_US  1000LL
#define NS_PER_MS  1000000LL
#define NS_PER_SEC 1000000000LL

static inline mono_ns mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (mono_ns)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static inline struct timespec mono_to_timespec(mono_ns t)
{
	struct timespec ts = { .tv_sec = t / NS_PER_SEC, .tv_nsec = t % NS_PER_SEC };
	return ts;
}

/* Wall clock in nanoseconds since the epoch: for timestamps in logs and
 * results only, never for intervals. */
static inline int64_t wall_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

#endif
