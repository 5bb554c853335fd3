/* Unit tests for lib/hostcfg (the per-host description) and lib/frame
 * (the control-line protocol). */
#include "tests/check.h"
#include "frame.h"
#include "hostcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *good =
	"# a router\n"
	"host r1\n"
	"kind netns\n"
	"mem 64M\n"
	"forward yes\n"
	"nic eth0 /run/testbed/x/core.ctl\n"
	"nic eth1 /run/testbed/x/access.ctl\n"
	"addr eth0 10.0.0.1/24\n"
	"addr eth0 fd00::1/64\n"
	"route default 10.0.0.254\n"
	"route fd01::/64 fd00::2\n"
	"run sh -c 'echo hi; sleep 5'\n";

TEST(hostcfg_parses_every_key)
{
	struct hostcfg c;
	char *err = NULL;
	CHECK_EQ_INT(hostcfg_parse(good, &c, &err), 0);
	CHECK_EQ_STR(c.name, "r1");
	CHECK_EQ_STR(c.kind, "netns");
	CHECK_EQ_U64(c.mem, 64u << 20);
	CHECK_EQ_INT(c.forward, 1);
	CHECK_EQ_INT(c.nics.n, 2);
	CHECK_EQ_STR(c.nics.v[1].sw, "/run/testbed/x/access.ctl");
	CHECK_EQ_INT(c.addrs.n, 2);
	CHECK_EQ_STR(c.addrs.v[1].cidr, "fd00::1/64");
	CHECK_EQ_INT(c.routes.n, 2);
	CHECK_EQ_STR(c.routes.v[0].dest, "default");
	CHECK_EQ_INT(c.runs.n, 1);
	char **argv = NULL;
	CHECK_EQ_INT(hostcfg_split_argv(c.runs.v[0], &argv), 0);
	CHECK_EQ_STR(argv[0], "sh");
	CHECK_EQ_STR(argv[2], "echo hi; sleep 5");
	CHECK(argv[3] == NULL);
	hostcfg_free_argv(argv);
	hostcfg_free(&c);
}

TEST(hostcfg_round_trips)
{
	struct hostcfg c, d;
	char *err = NULL, *buf = NULL;
	size_t len = 0;
	CHECK_EQ_INT(hostcfg_parse(good, &c, &err), 0);
	FILE *f = open_memstream(&buf, &len);
	CHECK_EQ_INT(hostcfg_write(f, &c), 0);
	fclose(f);
	CHECK_EQ_INT(hostcfg_parse(buf, &d, &err), 0);
	CHECK_EQ_STR(d.name, c.name);
	CHECK_EQ_U64(d.mem, c.mem);
	CHECK_EQ_INT(d.routes.n, c.routes.n);
	CHECK_EQ_STR(d.runs.v[0], c.runs.v[0]);
	hostcfg_free(&c);
	hostcfg_free(&d);
	free(buf);
}

static void expect_error(const char *text, const char *want_in_msg)
{
	struct hostcfg c;
	char *err = NULL;
	CHECK_EQ_INT(hostcfg_parse(text, &c, &err), -EINVAL);
	CHECK(err && strstr(err, want_in_msg));
	if (err && !strstr(err, want_in_msg))
		printf("  message was: %s\n", err);
	free(err);
}

TEST(hostcfg_rejects_bad_input)
{
	expect_error("kind uml\n", "no 'host NAME'");
	expect_error("host Bad\n", "bad host name");
	expect_error("host a\nhost b\n", "line 2: host given twice");
	expect_error("host a\nkind vmware\n", "unknown kind");
	expect_error("host a\nmem 1K\n", "bad mem");
	expect_error("host a\nmem 32MX\n", "bad mem");
	expect_error("host a\nnic wlan0 /x\n", "bad interface");
	expect_error("host a\nnic eth0 /x\naddr eth0 10.0.0.1\n", "bad address");
	expect_error("host a\nnic eth0 /x\naddr eth0 10.0.0.300/24\n", "bad address");
	expect_error("host a\nnic eth0 /x\naddr eth0 10.0.0.1/33\n", "bad address");
	expect_error("host a\naddr eth1 10.0.0.1/24\n", "no 'nic' line");
	expect_error("host a\nroute 10.0.0.0/8 fd00::1\n", "bad route");
	expect_error("host a\nrun sh -c 'unclosed\n", "quotes");
	expect_error("host a\nforward maybe\n", "forward is yes or no");
	expect_error("host a\ncolour blue\n", "unknown key");
	expect_error("host a\nkind uml extra\n", "one value");
}

TEST(frame_round_trip_over_a_socket)
{
	int sv[2];
	struct frame_reader r = { 0 };
	struct frame f;
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ_INT(frame_write(sv[0], 'C', 7, "echo\0hi\0", 8), 0);
	CHECK_EQ_INT(frame_write_str(sv[0], 'X', 7, "exit 3"), 0);
	CHECK_EQ_INT(frame_write(sv[0], 'P', 0, NULL, 0), 0);
	int got = 0;
	while (got < 3 && frame_read_fd(&r, sv[1]) > 0)
		while (frame_next(&r, &f) == 1) {
			if (got == 0) {
				CHECK_EQ_INT(f.type, 'C');
				CHECK_EQ_INT(f.id, 7);
				CHECK_EQ_INT(f.len, 8);
				CHECK(memcmp(f.data, "echo\0hi\0", 8) == 0);
			} else if (got == 1) {
				CHECK_EQ_STR(f.data, "exit 3");
			} else {
				CHECK_EQ_INT(f.type, 'P');
				CHECK_EQ_INT(f.len, 0);
			}
			got++;
		}
	CHECK_EQ_INT(got, 3);
	frame_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

TEST(frame_resyncs_after_noise_and_waits_for_partial_frames)
{
	struct frame_reader r = { 0 };
	struct frame f;
	const char *in = "garbage@@% 1 2\n@R 0 5\nhello@M 3 2\nh";
	frame_feed(&r, in, strlen(in));
	CHECK_EQ_INT(frame_next(&r, &f), 1);
	CHECK_EQ_INT(f.type, 'R');
	CHECK_EQ_STR(f.data, "hello");
	CHECK(r.skipped >= 8);
	CHECK_EQ_INT(frame_next(&r, &f), 0);        /* "@M 3 2\nh": one byte missing */
	frame_feed(&r, "i", 1);
	CHECK_EQ_INT(frame_next(&r, &f), 1);
	CHECK_EQ_INT(f.id, 3);
	CHECK_EQ_STR(f.data, "hi");
	/* a header split anywhere waits for the rest */
	frame_feed(&r, "@O 12", 5);
	CHECK_EQ_INT(frame_next(&r, &f), 0);
	frame_feed(&r, " 1\nz", 4);
	CHECK_EQ_INT(frame_next(&r, &f), 1);
	CHECK_EQ_INT(f.id, 12);
	CHECK_EQ_STR(f.data, "z");
	/* an absurd length is noise, not a 4 GB allocation */
	frame_feed(&r, "@O 1 99999999999\n@X 1 1\n0", 26);
	CHECK_EQ_INT(frame_next(&r, &f), 1);
	CHECK_EQ_INT(f.type, 'X');
	frame_reader_free(&r);
}

int main(void) { return run_tests(); }
