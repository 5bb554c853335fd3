/* duty — see duty.h. */
#include "duty.h"

#include <errno.h>
#include <string.h>

#include "units.h"

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t duty_hash(uint64_t seed, uint32_t dev, uint32_t cycle, uint32_t salt)
{
	return splitmix64(splitmix64(splitmix64(seed ^ dev) ^ cycle) ^ ((uint64_t)salt << 32));
}

/* uniform in [lo, hi] without modulo bias worth mentioning (53-bit double) */
static int64_t uniform(uint64_t h, int64_t lo, int64_t hi)
{
	double u = (double)(h >> 11) / (double)(1ULL << 53);
	return lo + (int64_t)(u * (double)(hi - lo + 1 > 0 ? hi - lo + 1 : 0));
}

int64_t duty_sleep(const struct duty *d, uint32_t dev, uint32_t cycle)
{
	int64_t s = uniform(duty_hash(d->seed, dev, cycle, 1), d->sleep_min_ns, d->sleep_max_ns);
	return s > d->sleep_max_ns ? d->sleep_max_ns : s;
}

void duty_start(const struct duty *d, uint32_t dev, bool *awake, int64_t *remaining_ns)
{
	int64_t period = d->awake_ns + duty_sleep(d, dev, 0);
	int64_t off = uniform(duty_hash(d->seed, dev, 0, 2), 0, period - 1);
	if (off < d->awake_ns) {
		*awake = true;
		*remaining_ns = d->awake_ns - off;
	} else {
		*awake = false;
		*remaining_ns = period - off;
	}
}

int32_t duty_reading(const struct duty *d, uint32_t dev, uint32_t cycle)
{
	return 15000 + (int32_t)(duty_hash(d->seed, dev, cycle, 3) % 20001);
}

int duty_parse_range(const char *s, int64_t *min_ns, int64_t *max_ns)
{
	char buf[64];
	const char *dash = strchr(s, '-');
	int64_t a, b;
	int rc;
	if (!dash) {
		if ((rc = parse_duration(s, &a)))
			return rc;
		*min_ns = *max_ns = a;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, dash - s);
	buf[dash - s] = 0;
	if ((rc = parse_duration(buf, &a)) || (rc = parse_duration(dash + 1, &b)))
		return rc;
	if (a > b)
		return -ERANGE;
	*min_ns = a;
	*max_ns = b;
	return 0;
}
