/* Unit tests of lib/impair: attributes, prefixes, ranges, merge, format. */
#include "tests/check.h"
#include "impair.h"

#include <errno.h>

static const char *const link_pfx[2] = { "a2b", "b2a" };
static const char *const if_pfx[2] = { "out", "in" };

TEST(set_both_directions_and_prefixed)
{
	struct impair im;
	const char *expect;
	impair_init(&im);
	CHECK_EQ_INT(impair_set(&im, "delay", "10ms", link_pfx, &expect), 0);
	CHECK_EQ_INT(impair_set(&im, "b2a.delay", "30ms", link_pfx, &expect), 0);
	CHECK_EQ_INT(im.dir[0].delay_ns, 10000000);
	CHECK_EQ_INT(im.dir[1].delay_ns, 30000000);
	CHECK_EQ_INT(impair_set(&im, "in.loss", "2%", if_pfx, &expect), 0);
	CHECK_NEAR(im.dir[1].loss, 0.02, 1e-12);
	CHECK_EQ_INT(im.dir[1].loss_model, LOSS_BERNOULLI);
	CHECK_EQ_INT(im.dir[0].loss_model, LOSS_NONE);
	CHECK_EQ_INT(impair_set(&im, "a2b.loss", "1%", if_pfx, &expect), -ENOENT);
	CHECK_EQ_INT(impair_set(&im, "bogus", "1", link_pfx, &expect), -ENOENT);
}

TEST(values_checked)
{
	struct impair_dir d;
	const char *expect = NULL;
	impair_dir_init(&d);
	CHECK_EQ_INT(impair_dir_set(&d, "loss", "150%", &expect), -ERANGE);
	CHECK(expect != NULL);
	CHECK_EQ_INT(impair_dir_set(&d, "delay", "-1ms", &expect), -ERANGE);
	CHECK_EQ_INT(impair_dir_set(&d, "dist", "gauss", &expect), -EINVAL);
	CHECK_EQ_INT(impair_dir_set(&d, "up", "maybe", &expect), -EINVAL);
	CHECK_EQ_INT(impair_dir_set(&d, "queue", "0", &expect), -ERANGE);
	CHECK_EQ_INT(d.set, 0);
}

TEST(gilbert_parameters)
{
	struct impair_dir d;
	impair_dir_init(&d);
	CHECK_EQ_INT(impair_dir_set(&d, "loss", "gilbert:p=1%,r=30%", NULL), 0);
	CHECK_EQ_INT(d.loss_model, LOSS_GILBERT);
	CHECK_NEAR(d.ge_p, 0.01, 1e-12);
	CHECK_NEAR(d.ge_r, 0.30, 1e-12);
	CHECK_NEAR(d.ge_h, 0.0, 0);
	CHECK_NEAR(d.ge_k, 1.0, 0);
	CHECK_EQ_INT(impair_dir_set(&d, "loss", "gilbert:p=1%,r=30%,h=10%,k=99%", NULL), 0);
	CHECK_NEAR(d.ge_h, 0.10, 1e-12);
	CHECK_NEAR(d.ge_k, 0.99, 1e-12);
	CHECK_EQ_INT(impair_dir_set(&d, "loss", "gilbert:p=1%", NULL), -EINVAL);
	CHECK_EQ_INT(impair_dir_set(&d, "loss", "gilbert:p=0,r=5%", NULL), -ERANGE);
	CHECK_EQ_INT(impair_dir_set(&d, "loss", "gilbert:p=1%,x=5%", NULL), -EINVAL);
}

TEST(merge_changes_only_named_fields)
{
	struct impair_dir cur, change;
	impair_dir_init(&cur);
	impair_dir_init(&change);
	CHECK_EQ_INT(impair_dir_set(&cur, "delay", "10ms", NULL), 0);
	CHECK_EQ_INT(impair_dir_set(&cur, "loss", "1%", NULL), 0);
	CHECK_EQ_INT(impair_dir_set(&change, "up", "no", NULL), 0);
	impair_dir_merge(&cur, &change);
	CHECK_EQ_INT(cur.delay_ns, 10000000);
	CHECK_NEAR(cur.loss, 0.01, 1e-12);
	CHECK(!cur.up);
}

TEST(check_and_format)
{
	struct impair_dir d;
	char buf[256];
	impair_dir_init(&d);
	CHECK_EQ_INT(impair_dir_set(&d, "queue", "100", NULL), 0);
	CHECK(impair_dir_check(&d) != NULL);            /* queue without rate */
	CHECK_EQ_INT(impair_dir_set(&d, "rate", "10mbit", NULL), 0);
	CHECK(impair_dir_check(&d) == NULL);
	CHECK_EQ_INT(impair_dir_set(&d, "delay", "10ms", NULL), 0);
	CHECK_EQ_STR(impair_dir_format(&d, buf, sizeof(buf)), "delay=10ms rate=10mbit queue=100");
	CHECK(impair_is_key("a2b.jitter", link_pfx));
	CHECK(!impair_is_key("x2y.jitter", link_pfx));
	CHECK(!impair_is_key("route", link_pfx));
}

int main(void) { return run_tests(); }
