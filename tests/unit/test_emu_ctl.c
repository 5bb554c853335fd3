/* Unit tests of emulator/ctl: the control-command parser on good lines
 * (every command, attributes with direction prefixes, json) and bad ones
 * (each rejected with a message). */
#include "../check.h"
#include "emulator/ctl.h"

static char err[512];

TEST(wire_add_with_attrs)
{
	struct ctl_cmd c;
	CHECK_EQ_INT(ctl_parse("wire add w1 vde:///tmp/a.ctl tap://t0 delay=10ms a2b.loss=1% b2a.rate=10mbit "
			       "queue=50 policy=drop\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.op, CTL_WIRE_ADD);
	CHECK_EQ_STR(c.wire, "w1");
	CHECK_EQ_STR(c.port[0], "vde:///tmp/a.ctl");
	CHECK_EQ_STR(c.port[1], "tap://t0");
	CHECK_EQ_INT(c.imp.dir[0].delay_ns, 10000000);
	CHECK_EQ_INT(c.imp.dir[1].delay_ns, 10000000);
	CHECK_NEAR(c.imp.dir[0].loss, 0.01, 1e-12);
	CHECK(!(c.imp.dir[1].set & IMP_LOSS));
	CHECK_EQ_U64(c.imp.dir[1].rate_bps, 10000000);
	CHECK(!(c.imp.dir[0].set & IMP_RATE));
	CHECK_EQ_INT(c.imp.dir[0].queue_frames, 50);
	CHECK_EQ_INT(c.policy, 1);
	CHECK(!c.json);
	ctl_cmd_free(&c);
}

TEST(other_commands)
{
	struct ctl_cmd c;
	CHECK_EQ_INT(ctl_parse("json stats", &c, err, sizeof(err)), 0);
	CHECK(c.json);
	CHECK_EQ_INT(c.op, CTL_STATS);
	CHECK(c.wire == NULL);
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("stats w0", &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(c.wire, "w0");
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("rule add w0 at 2 dir a2b proto udp dport 7000 pipe lossy", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.op, CTL_RULE_ADD);
	CHECK_EQ_INT(c.at, 2);
	CHECK_EQ_INT(c.rule.dir, 0);
	CHECK_EQ_INT(c.rule.dport, 7000);
	CHECK_EQ_STR(c.rule.pipe, "lossy");
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("rule del w0 3", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.index, 3);
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("pipe add w0 lossy loss=gilbert:p=1%,r=30%", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.op, CTL_PIPE_ADD);
	CHECK_EQ_STR(c.pipe, "lossy");
	CHECK_EQ_INT(c.imp.dir[0].loss_model, LOSS_GILBERT);
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("pipe set w0 lossy up=no", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.op, CTL_PIPE_SET);
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("pipe del w0 lossy", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.op, CTL_PIPE_DEL);
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("capture w0 on /tmp/x", &c, err, sizeof(err)), 0);
	CHECK(c.capture_on);
	CHECK_EQ_STR(c.dir, "/tmp/x");
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("capture w0 off", &c, err, sizeof(err)), 0);
	CHECK(!c.capture_on);
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("  list \r\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.op, CTL_LIST);
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("wire set w0 a2b.up=no", &c, err, sizeof(err)), 0);
	CHECK(!c.imp.dir[0].up);
	CHECK(c.imp.dir[1].up);
	ctl_cmd_free(&c);
	CHECK_EQ_INT(ctl_parse("wire del w0", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.op, CTL_WIRE_DEL);
	ctl_cmd_free(&c);
}

TEST(bad_lines)
{
	static const char *const bad[] = {
		"", "   ", "json", "bogus", "wire", "wire add", "wire add w0 a", "wire add w0 a b delay",
		"wire add w0 a b delay=10", "wire add w0 a b delay=-1ms", "wire add w0 a b loss=150%",
		"wire add w0 a b c2d.delay=1ms", "wire add w0 a b colour=red", "wire add ../x a b",
		"wire add w0 delay=1ms b", "wire set w0", "wire set w0 policy=maybe", "wire del",
		"wire del a b", "wire frob w0", "rule add w0", "rule add w0 at x pipe p", "rule add w0 pipe",
		"rule del w0", "rule del w0 -1", "rule del w0 1x", "pipe add w0", "pipe add w0 a/b",
		"pipe set w0 p", "pipe del w0 p x", "pipe add w0 p policy=drop", "pipe frob w0 p",
		"stats a b", "list x", "capture w0", "capture w0 on", "capture w0 off x", "capture w0 maybe",
		"wire set w0 loss=gilbert:p=0,r=1%", "wire set w0 loss=gilbert:p=1%", "wire set w0 dist=cauchy",
		"wire set w0 queue=0", "wire add w0 a b =1",
		"wire set w0 delay=1ms\nwire del w0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ctl_cmd c;
		err[0] = '\0';
		int rc = ctl_parse(bad[i], &c, err, sizeof(err));
		if (rc == 0)
			CHECK_FAILED("'%s' was accepted", bad[i]);
		else if (!err[0])
			CHECK_FAILED("'%s' was rejected without a message", bad[i]);
		ctl_cmd_free(&c);
	}
}

TEST(error_names_the_attribute)
{
	struct ctl_cmd c;
	CHECK(ctl_parse("wire set w0 delay=soon", &c, err, sizeof(err)) != 0);
	CHECK(strstr(err, "delay=soon") != NULL);
	CHECK(strstr(err, "duration") != NULL);
	ctl_cmd_free(&c);
}

int main(void) { return run_tests(); }
