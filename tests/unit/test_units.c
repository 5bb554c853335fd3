/* Unit tests of lib/units: exact values, strictness, ranges, printing. */
#include "tests/check.h"
#include "units.h"

#include <errno.h>

TEST(duration_exact_values)
{
	int64_t ns;
	CHECK_EQ_INT(parse_duration("250us", &ns), 0); CHECK_EQ_INT(ns, 250000);
	CHECK_EQ_INT(parse_duration("10ms", &ns), 0);  CHECK_EQ_INT(ns, 10000000);
	CHECK_EQ_INT(parse_duration("1.5s", &ns), 0);  CHECK_EQ_INT(ns, 1500000000);
	CHECK_EQ_INT(parse_duration("2m", &ns), 0);    CHECK_EQ_INT(ns, 120000000000LL);
	CHECK_EQ_INT(parse_duration("0", &ns), 0);     CHECK_EQ_INT(ns, 0);
	CHECK_EQ_INT(parse_duration("0.001ms", &ns), 0); CHECK_EQ_INT(ns, 1000);
	CHECK_EQ_INT(parse_duration("7ns", &ns), 0);   CHECK_EQ_INT(ns, 7);
}

TEST(duration_rejects)
{
	int64_t ns = 42;
	CHECK_EQ_INT(parse_duration("", &ns), -EINVAL);
	CHECK_EQ_INT(parse_duration("10", &ns), -EINVAL);     /* unit required */
	CHECK_EQ_INT(parse_duration("10 ms", &ns), -EINVAL);
	CHECK_EQ_INT(parse_duration("10msx", &ns), -EINVAL);
	CHECK_EQ_INT(parse_duration("1e3ms", &ns), -EINVAL);
	CHECK_EQ_INT(parse_duration(".5s", &ns), -EINVAL);
	CHECK_EQ_INT(parse_duration("5.s", &ns), -EINVAL);
	CHECK_EQ_INT(parse_duration("-1ms", &ns), -ERANGE);
	CHECK_EQ_INT(parse_duration("+1ms", &ns), -EINVAL);
	CHECK_EQ_INT(parse_duration("99999999999h", &ns), -ERANGE);
	CHECK_EQ_INT(parse_duration("10MS", &ns), -EINVAL);
	CHECK_EQ_INT(ns, 42);                                   /* untouched */
}

TEST(rate_values)
{
	uint64_t r;
	CHECK_EQ_INT(parse_rate("64kbit", &r), 0);  CHECK_EQ_U64(r, 64000);
	CHECK_EQ_INT(parse_rate("10mbit", &r), 0);  CHECK_EQ_U64(r, 10000000);
	CHECK_EQ_INT(parse_rate("1gbit", &r), 0);   CHECK_EQ_U64(r, 1000000000);
	CHECK_EQ_INT(parse_rate("1.5mbit", &r), 0); CHECK_EQ_U64(r, 1500000);
	CHECK_EQ_INT(parse_rate("1kbps", &r), 0);   CHECK_EQ_U64(r, 8000);
	CHECK_EQ_INT(parse_rate("10", &r), -EINVAL);
	CHECK_EQ_INT(parse_rate("10mb", &r), -EINVAL);
	CHECK_EQ_INT(parse_rate("-1mbit", &r), -ERANGE);
}

TEST(size_values)
{
	uint64_t b;
	CHECK_EQ_INT(parse_size("512", &b), 0);  CHECK_EQ_U64(b, 512);
	CHECK_EQ_INT(parse_size("512K", &b), 0); CHECK_EQ_U64(b, 524288);
	CHECK_EQ_INT(parse_size("32M", &b), 0);  CHECK_EQ_U64(b, 33554432);
	CHECK_EQ_INT(parse_size("1G", &b), 0);   CHECK_EQ_U64(b, 1073741824);
	CHECK_EQ_INT(parse_size("32Q", &b), -EINVAL);
	CHECK_EQ_INT(parse_size("M", &b), -EINVAL);
}

TEST(fraction_values)
{
	double f;
	CHECK_EQ_INT(parse_fraction("1%", &f), 0);     CHECK_NEAR(f, 0.01, 1e-15);
	CHECK_EQ_INT(parse_fraction("0.25%", &f), 0);  CHECK_NEAR(f, 0.0025, 1e-15);
	CHECK_EQ_INT(parse_fraction("0.01", &f), 0);   CHECK_NEAR(f, 0.01, 1e-15);
	CHECK_EQ_INT(parse_fraction("100%", &f), 0);   CHECK_NEAR(f, 1.0, 0);
	CHECK_EQ_INT(parse_fraction("150%", &f), -ERANGE);
	CHECK_EQ_INT(parse_fraction("1.5", &f), -ERANGE);
	CHECK_EQ_INT(parse_fraction("-1%", &f), -ERANGE);
	CHECK_EQ_INT(parse_fraction("1%%", &f), -EINVAL);
	CHECK_EQ_INT(parse_fraction("nan", &f), -EINVAL);
}

TEST(u64_values)
{
	uint64_t v;
	CHECK_EQ_INT(parse_u64("100", 0, 1000, &v), 0); CHECK_EQ_U64(v, 100);
	CHECK_EQ_INT(parse_u64("1001", 0, 1000, &v), -ERANGE);
	CHECK_EQ_INT(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ_INT(parse_u64("12a", 0, 1000, &v), -EINVAL);
	CHECK_EQ_INT(parse_u64("", 0, 1000, &v), -EINVAL);
}

TEST(printers_round_trip)
{
	char buf[UNITS_BUFSZ];
	CHECK_EQ_STR(fmt_duration(buf, 10000000), "10ms");
	CHECK_EQ_STR(fmt_duration(buf, 1500000000), "1.5s");
	CHECK_EQ_STR(fmt_duration(buf, 250000), "250us");
	CHECK_EQ_STR(fmt_duration(buf, 120000000000LL), "2m");
	CHECK_EQ_STR(fmt_duration(buf, 0), "0");
	CHECK_EQ_STR(fmt_rate(buf, 10000000), "10mbit");
	CHECK_EQ_STR(fmt_rate(buf, 64000), "64kbit");
	CHECK_EQ_STR(fmt_size(buf, 33554432), "32M");
	CHECK_EQ_STR(fmt_fraction(buf, 0.0025), "0.25%");
	/* every printed duration parses back to the same value */
	int64_t samples[] = { 1, 999, 1000, 1234567, 10000000, 1500000000, 3600000000000LL };
	for (unsigned i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		int64_t back;
		CHECK_EQ_INT(parse_duration(fmt_duration(buf, samples[i]), &back), 0);
		CHECK_EQ_INT(back, samples[i]);
	}
}

int main(void) { return run_tests(); }
