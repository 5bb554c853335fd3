/* Unit tests of testbed/sweep (the Wilson interval, combinations and
 * overrides) and of plan_expand_data. */
#include "tests/check.h"
#include "testbed/plan_hostcfg.h"
#include "testbed/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reference values: Wilson score interval, z = 1.959964 (e.g. Newcombe 1998,
 * method 3: 0/10 -> 0-0.2775, 5/10 -> 0.2366-0.7634, 1/100 -> 0.0018-0.0545). */
TEST(wilson_reference_values)
{
	double lo, hi;
	sweep_wilson(0, 10, &lo, &hi);
	CHECK_NEAR(lo, 0.0, 1e-9);
	CHECK_NEAR(hi, 0.2775, 5e-4);
	sweep_wilson(5, 10, &lo, &hi);
	CHECK_NEAR(lo, 0.2366, 5e-4);
	CHECK_NEAR(hi, 0.7634, 5e-4);
	sweep_wilson(1, 100, &lo, &hi);
	CHECK_NEAR(lo, 0.0018, 5e-4);
	CHECK_NEAR(hi, 0.0545, 5e-4);
	sweep_wilson(10, 10, &lo, &hi);
	CHECK_NEAR(hi, 1.0, 1e-9);
	CHECK(lo > 0.69 && lo < 0.73);
}

static char *write_topo(const char *text)
{
	char *path = strdup("/tmp/tbsweepXXXXXX");
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return path;
}

TEST(combinations_last_varies_fastest)
{
	char *f = write_topo("testbed tbsweep\nparam hosts=1\nparam loss=0%\nsegment s subnet=10.0.0.0/24\n"
			     "host h[1-${hosts}] kind=netns eth0=s:auto\n");
	char *ov[] = { "hosts=1,2,4", "loss=0%,5%", "kind_unused" };
	struct sweep s;
	CHECK_EQ_INT(sweep_init(&s, f, ov, 2), 0);
	CHECK_EQ_INT((long long)s.n_swept, 2);
	CHECK_EQ_INT((long long)s.n_combos, 6);
	CHECK_EQ_INT(s.has_seed_param, 0);
	CHECK_EQ_STR(sweep_label(&s, 0), "hosts=1 loss=0%");
	CHECK_EQ_STR(sweep_label(&s, 1), "hosts=1 loss=5%");
	CHECK_EQ_STR(sweep_label(&s, 5), "hosts=4 loss=5%");
	size_t n;
	char **o = sweep_overrides(&s, 3, 2, &n);
	CHECK_EQ_INT((long long)n, 2);         /* no seed: the file has no `param seed` */
	CHECK_EQ_STR(o[0], "hosts=2");
	CHECK_EQ_STR(o[1], "loss=5%");
	CHECK(o[2] == NULL);
	sweep_free_overrides(&s, o);
	sweep_free(&s);
	unlink(f);
	free(f);
}

TEST(repeat_sets_declared_seed)
{
	char *f = write_topo("testbed tbsweep\nparam seed=1\nparam n=1\nsegment s subnet=10.0.0.0/24\n"
			     "host h[1-${n}] kind=netns eth0=s:auto\n");
	char *ov[] = { "n=1,2", "seed=9" };
	struct sweep s;
	CHECK_EQ_INT(sweep_init(&s, f, ov, 1), 0);
	CHECK_EQ_INT(s.has_seed_param, 1);
	size_t n;
	char **o = sweep_overrides(&s, 1, 3, &n);
	CHECK_EQ_INT((long long)n, 2);
	CHECK_EQ_STR(o[0], "n=2");
	CHECK_EQ_STR(o[1], "seed=3");
	sweep_free_overrides(&s, o);
	sweep_free(&s);
	unlink(f);
	free(f);
}

TEST(empty_value_in_list_rejected)
{
	char *ov[] = { "hosts=1,,4" };
	struct sweep s;
	CHECK_EQ_INT(sweep_init(&s, "/nonexistent.topo", ov, 1), -1);
	sweep_free(&s);
}

TEST(expand_data_every_occurrence)
{
	char *s = plan_expand_data("--keys ${data}/k --out ${data}", "/run/testbed/x/data");
	CHECK_EQ_STR(s, "--keys /run/testbed/x/data/k --out /run/testbed/x/data");
	free(s);
	s = plan_expand_data("${host} $data {data}", "/d");
	CHECK_EQ_STR(s, "${host} $data {data}");
	free(s);
}
int main(void) { return run_tests(); }
