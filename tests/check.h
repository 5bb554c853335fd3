/* check — the unit-test harness: one file, no dependencies.
 *
 *   TEST(name) { CHECK(x > 0); CHECK_EQ_INT(a, b); CHECK_EQ_STR(s, "x"); }
 *   int main(void) { return run_tests(); }
 *
 * Each test prints "ok NAME" or "FAIL NAME" (with the failed checks above
 * it); tests/run counts these lines.  Tests run in the order written. */
#ifndef TB_CHECK_H
#define TB_CHECK_H

#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
struct test_case { const char *name; test_fn fn; };

#define CHECK_MAX_TESTS 512
static struct test_case check_tests[CHECK_MAX_TESTS];
static int check_n_tests;
static int check_failed_now;

#define TEST(name)                                                         \
	static void test_##name(void);                                     \
	__attribute__((constructor)) static void register_##name(void)     \
	{                                                                  \
		if (check_n_tests < CHECK_MAX_TESTS)                       \
			check_tests[check_n_tests++] =                     \
				(struct test_case){ #name, test_##name };  \
	}                                                                  \
	static void test_##name(void)

#define CHECK_FAILED(...)                                                  \
	do {                                                               \
		fprintf(stdout, "  %s:%d: ", __FILE__, __LINE__);          \
		fprintf(stdout, __VA_ARGS__);                              \
		fputc('\n', stdout);                                       \
		check_failed_now = 1;                                      \
	} while (0)

#define CHECK(cond)                                                        \
	do { if (!(cond)) CHECK_FAILED("CHECK(%s) failed", #cond); } while (0)

#define CHECK_EQ_INT(a, b)                                                 \
	do {                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);        \
		if (a_ != b_)                                              \
			CHECK_FAILED("%s == %s: %lld != %lld", #a, #b, a_, b_); \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                 \
	do {                                                               \
		unsigned long long a_ = (a), b_ = (b);                     \
		if (a_ != b_)                                              \
			CHECK_FAILED("%s == %s: %llu != %llu", #a, #b, a_, b_); \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                 \
	do {                                                               \
		const char *a_ = (a), *b_ = (b);                           \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                     \
			CHECK_FAILED("%s == %s: \"%s\" != \"%s\"", #a, #b,  \
				     a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                              \
	do {                                                               \
		double a_ = (a), b_ = (b), t_ = (tol);                     \
		if (!(fabs(a_ - b_) <= t_))                                \
			CHECK_FAILED("%s ~ %s: %g vs %g (tolerance %g)",     \
				     #a, #b, a_, b_, t_);                  \
	} while (0)

/* Files for tests that work on a scratch directory: write LEN bytes of
 * DATA to PATH; read at most CAP bytes of PATH into BUF (0 if it cannot be
 * read); remove the tree at PATH (files and directories, depth first). */
static inline void check_put_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static inline size_t check_get_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap, f) : 0;
	if (f)
		fclose(f);
	return n;
}

static inline int check_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)type; (void)ftw;
	remove(path);   /* on: remove what can be removed */
	return 0;
}

static inline void check_rm_tree(const char *path)
{
	(void)nftw(path, check_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int run_tests(void)
{
	int failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < check_n_tests; i++) {
		check_failed_now = 0;
		check_tests[i].fn();
		printf("%s %s\n", check_failed_now ? "FAIL" : "ok", check_tests[i].name);
		failed += check_failed_now;
	}
	return failed ? 1 : 0;
}

#endif
