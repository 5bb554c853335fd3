/* duty — the appliances' duty cycle (paper 004: awake 5 s, then asleep a
 * random 30-60 s drawn per appliance and cycle).
 *
 * Every draw is a pure function of (seed, device, cycle), a splitmix64 hash,
 * so a run is reproducible whatever the thread scheduling, and an appliance
 * needs no PRNG state of its own (memory per appliance stays small). */
#ifndef TB_AGENTS_DUTY_H
#define TB_AGENTS_DUTY_H

#include <stdbool.h>
#include <stdint.h>

struct duty {
	int64_t awake_ns;
	int64_t sleep_min_ns, sleep_max_ns;
	uint64_t seed;
};

uint64_t duty_hash(uint64_t seed, uint32_t dev, uint32_t cycle, uint32_t salt);
/* Sleep after the awake period of cycle: uniform in [sleep_min, sleep_max]. */
int64_t duty_sleep(const struct duty *d, uint32_t dev, uint32_t cycle);
/* Phase at start, spread uniformly over cycle 0 (awake + its sleep): whether
 * the device starts awake and how long until its next transition. */
void duty_start(const struct duty *d, uint32_t dev, bool *awake, int64_t *remaining_ns);
/* The sensor reading reported in a cycle, in milli-degrees (15.000-35.000). */
int32_t duty_reading(const struct duty *d, uint32_t dev, uint32_t cycle);
/* "30s-60s" or "45s": 0 or -EINVAL/-ERANGE; min <= max. */
int duty_parse_range(const char *s, int64_t *min_ns, int64_t *max_ns) __attribute__((warn_unused_result));

#endif
