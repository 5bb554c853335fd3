/* units — strict parsers and printers for the units of the topology format
 * and the emulator's control commands.
 *
 * Durations are int64 nanoseconds, rates uint64 bit/s, sizes uint64 bytes,
 * fractions a double in [0, 1].  Every parser takes the whole string: a
 * trailing character, an empty string, a sign, an exponent, "inf" or "nan"
 * are errors.  Return value: 0, -EINVAL (not of the form) or -ERANGE (of the
 * form but out of range, e.g. "-1ms", "150%", a value that overflows). */
#ifndef TB_UNITS_H
#define TB_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "250us" "10ms" "1.5s" "2m" "1h" "100ns"; "0" needs no unit. */
int parse_duration(const char *s, int64_t *ns) __attribute__((warn_unused_result));
/* "64kbit" "10mbit" "1gbit" "9600bit"; "kbps" = kilobytes/s as in tc. SI. */
int parse_rate(const char *s, uint64_t *bit_per_s) __attribute__((warn_unused_result));
/* "512" "512K" "32M" "1G" (binary multiples; an optional trailing "B"). */
int parse_size(const char *s, uint64_t *bytes) __attribute__((warn_unused_result));
/* "1%" "0.25%" "0.01" "1"; at most 100%. */
int parse_fraction(const char *s, double *fraction) __attribute__((warn_unused_result));
/* A decimal integer in [min, max], no sign, no blanks. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v) __attribute__((warn_unused_result));

/* What each parser expects, for error messages. */
#define UNITS_EXPECT_DURATION "a duration such as 250us, 10ms, 1.5s or 2m"
#define UNITS_EXPECT_RATE     "a rate such as 64kbit, 10mbit or 1gbit"
#define UNITS_EXPECT_SIZE     "a size such as 512K, 32M or 1G"
#define UNITS_EXPECT_FRACTION "a fraction such as 1%, 0.25% or 0.01"

/* Printers: shortest exact form in the same units; return buf. */
#define UNITS_BUFSZ 32
char *fmt_duration(char buf[UNITS_BUFSZ], int64_t ns);
char *fmt_rate(char buf[UNITS_BUFSZ], uint64_t bit_per_s);
char *fmt_size(char buf[UNITS_BUFSZ], uint64_t bytes);
char *fmt_fraction(char buf[UNITS_BUFSZ], double fraction);

#endif
