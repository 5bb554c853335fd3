/* Unit tests of lib/spawn: a child is held until released, fds are mapped,
 * an exec failure comes back as -errno. */
#include "tests/check.h"
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(spawn_maps_fds_and_holds_until_release)
{
	int p[2];
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	/* the child writes to ITS fd 5, which is our pipe */
	const char *argv[] = { "sh", "-c", "echo hello >&5", NULL };
	struct spawn_fd fds[] = { { p[1], 5 } };
	struct spawn_opts o = { .fds = fds, .n_fds = 1, .netns_fd = -1, .new_pgrp = 1 };
	struct spawn_child c;
	CHECK_EQ_INT(spawn_start(argv, &o, &c), 0);
	close(p[1]);
	/* held: nothing written yet */
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	CHECK_EQ_INT(poll(&pf, 1, 200), 0);
	CHECK_EQ_INT(spawn_release(&c), 0);
	char buf[16] = { 0 };
	CHECK_EQ_INT(read(p[0], buf, sizeof(buf) - 1), 6);
	CHECK_EQ_STR(buf, "hello\n");
	int st;
	CHECK_EQ_INT(waitpid(c.pid, &st, 0), c.pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
}

TEST(spawn_reports_exec_failure)
{
	const char *argv[] = { "/no/such/program", NULL };
	struct spawn_opts o = { .netns_fd = -1 };
	struct spawn_child c;
	CHECK_EQ_INT(spawn_start(argv, &o, &c), 0);
	CHECK_EQ_INT(spawn_release(&c), -ENOENT);
}

TEST(spawn_abort_kills_a_held_child)
{
	const char *argv[] = { "true", NULL };
	struct spawn_opts o = { .netns_fd = -1 };
	struct spawn_child c;
	CHECK_EQ_INT(spawn_start(argv, &o, &c), 0);
	pid_t pid = c.pid;
	spawn_abort(&c);
	CHECK(kill(pid, 0) < 0 && errno == ESRCH);
}

int main(void) { return run_tests(); }
