/* units — see units.h.  Numbers are parsed as exact decimals (integer
 * mantissa and a count of fraction digits) so that "1.5s" is exactly
 * 1500000000 ns, with no floating point on the way. */
#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Parse [0-9]+(.[0-9]+)? at *s.  mant holds at most 18 digits; more
 * significant digits are -ERANGE, extra fraction digits beyond 18 are cut
 * only if they are zeros. */
static int parse_decimal(const char **s, uint64_t *mant, int *frac_digits)
{
	const char *p = *s;
	uint64_t m = 0;
	int digits = 0, frac = 0;

	if (*p == '-' || *p == '+')
		return *p == '-' ? -ERANGE : -EINVAL;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		if (digits >= 18)
			return -ERANGE;
		m = m * 10 + (uint64_t)(*p++ - '0');
		if (m)
			digits++;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (digits >= 18 || frac >= 18) {
				if (*p != '0')
					return -ERANGE;
				p++;
				continue;
			}
			m = m * 10 + (uint64_t)(*p++ - '0');
			frac++;
			if (m)
				digits++;
		}
	}
	*s = p;
	*mant = m;
	*frac_digits = frac;
	return 0;
}

static const uint64_t pow10_u64[19] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
};

/* value = mant * unit / 10^frac, rounded to nearest; -ERANGE on overflow. */
static int scale(uint64_t mant, int frac, uint64_t unit, uint64_t limit, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)mant * unit;
	uint64_t d = pow10_u64[frac];
	v = (v + d / 2) / d;
	if (v > limit)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

struct unit { const char *name; uint64_t mult; };

static int parse_with_units(const char *s, const struct unit *units, int unit_required,
			    uint64_t limit, uint64_t *out)
{
	const char *p = s;
	uint64_t mant;
	int frac, r;

	if (!s)
		return -EINVAL;
	r = parse_decimal(&p, &mant, &frac);
	if (r)
		return r;
	if (*p == '\0') {
		if (unit_required && mant != 0)
			return -EINVAL;
		return scale(mant, frac, units[0].mult, limit, out);
	}
	for (const struct unit *u = units; u->name; u++)
		if (strcmp(p, u->name) == 0)
			return scale(mant, frac, u->mult, limit, out);
	return -EINVAL;
}

static const struct unit duration_units[] = {
	{ "ns", 1 }, { "us", 1000ULL }, { "ms", 1000000ULL }, { "s", 1000000000ULL },
	{ "m", 60000000000ULL }, { "h", 3600000000000ULL }, { NULL, 0 },
};

int parse_duration(const char *s, int64_t *ns)
{
	uint64_t v;
	int r = parse_with_units(s, duration_units, 1, INT64_MAX, &v);
	if (!r)
		*ns = (int64_t)v;
	return r;
}

static const struct unit rate_units[] = {
	{ "bit", 1 }, { "kbit", 1000ULL }, { "mbit", 1000000ULL },
	{ "gbit", 1000000000ULL }, { "tbit", 1000000000000ULL },
	{ "bps", 8 }, { "kbps", 8000ULL }, { "mbps", 8000000ULL },
	{ "gbps", 8000000000ULL }, { "tbps", 8000000000000ULL }, { NULL, 0 },
};

int parse_rate(const char *s, uint64_t *bps)
{
	return parse_with_units(s, rate_units, 1, UINT64_MAX, bps);
}

static const struct unit size_units[] = {
	{ "B", 1 }, { "K", 1ULL << 10 }, { "M", 1ULL << 20 }, { "G", 1ULL << 30 },
	{ "T", 1ULL << 40 }, { "KB", 1ULL << 10 }, { "MB", 1ULL << 20 },
	{ "GB", 1ULL << 30 }, { "TB", 1ULL << 40 }, { NULL, 0 },
};

int parse_size(const char *s, uint64_t *bytes)
{
	return parse_with_units(s, size_units, 0, UINT64_MAX, bytes);
}

int parse_fraction(const char *s, double *fraction)
{
	const char *p = s;
	uint64_t mant;
	int frac, r;
	double v;

	if (!s)
		return -EINVAL;
	r = parse_decimal(&p, &mant, &frac);
	if (r)
		return r;
	v = (double)mant / (double)pow10_u64[frac];
	if (*p == '%') {
		p++;
		v /= 100.0;
	}
	if (*p)
		return -EINVAL;
	if (v > 1.0)
		return -ERANGE;
	*fraction = v;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (!s || !*s)
		return -EINVAL;
	if (*s == '-')
		return -ERANGE;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (x < min || x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

/* Print v/div, with the fraction's trailing zeros removed. */
static void fmt_scaled(char *buf, uint64_t v, uint64_t div, const char *unit)
{
	uint64_t whole = v / div, rest = v % div;
	int n = snprintf(buf, UNITS_BUFSZ, "%llu", (unsigned long long)whole);
	if (rest && n < UNITS_BUFSZ - 22) {
		buf[n++] = '.';
		for (uint64_t d = div / 10; d >= 1 && rest; d /= 10) {
			buf[n++] = (char)('0' + rest / d);
			rest %= d;
		}
		buf[n] = '\0';
	}
	snprintf(buf + n, UNITS_BUFSZ - n, "%s", unit);
}

/* Choose the largest unit in which the value has at most 3 decimals. */
static char *fmt_units(char *buf, uint64_t v, const struct unit *units, int n_units)
{
	if (v == 0) {
		snprintf(buf, UNITS_BUFSZ, "0");
		return buf;
	}
	for (int i = n_units - 1; i >= 0; i--) {
		if (v >= units[i].mult && (units[i].mult < 1000 || v % (units[i].mult / 1000) == 0)) {
			fmt_scaled(buf, v, units[i].mult, units[i].name);
			return buf;
		}
	}
	fmt_scaled(buf, v, units[0].mult, units[0].name);
	return buf;
}

char *fmt_duration(char buf[UNITS_BUFSZ], int64_t ns)
{
	/* minutes and hours only when whole: "90s" reads better than "1.5m" */
	if (ns < 0) {
		snprintf(buf, UNITS_BUFSZ, "-");
		return buf;
	}
	if (ns >= 60 * 1000000000LL && ns % (3600LL * 1000000000LL) == 0)
		fmt_scaled(buf, (uint64_t)ns, 3600ULL * 1000000000ULL, "h");
	else if (ns >= 60 * 1000000000LL && ns % (60LL * 1000000000LL) == 0)
		fmt_scaled(buf, (uint64_t)ns, 60ULL * 1000000000ULL, "m");
	else
		fmt_units(buf, (uint64_t)ns, duration_units, 4);
	return buf;
}

char *fmt_rate(char buf[UNITS_BUFSZ], uint64_t bps)
{
	return fmt_units(buf, bps, rate_units, 5);
}

char *fmt_size(char buf[UNITS_BUFSZ], uint64_t bytes)
{
	for (int i = 4; i >= 1; i--)
		if (bytes >= size_units[i].mult && bytes % size_units[i].mult == 0) {
			snprintf(buf, UNITS_BUFSZ, "%llu%s",
				 (unsigned long long)(bytes / size_units[i].mult), size_units[i].name);
			return buf;
		}
	snprintf(buf, UNITS_BUFSZ, "%llu", (unsigned long long)bytes);
	return buf;
}

char *fmt_fraction(char buf[UNITS_BUFSZ], double fraction)
{
	snprintf(buf, UNITS_BUFSZ, "%.6g%%", fraction * 100.0);
	return buf;
}
