/* sockdeep: another process's Unix datagram and seqpacket sockets get the
 * send buffer asked for; its stream sockets, and children of another
 * name, are left alone. */
#include "tests/check.h"
#include "sockdeep.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define WANT (1 << 20)

/* a child named NAME holding fds 10 (seqpacket), 11 (datagram) and 12
 * (stream) until killed */
static pid_t holder(const char *name)
{
	int go[2];
	if (pipe(go) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int sp[2], st[2];
		prctl(PR_SET_NAME, name);
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
		dup2(sp[0], 10);
		dup2(socket(AF_UNIX, SOCK_DGRAM, 0), 11);
		socketpair(AF_UNIX, SOCK_STREAM, 0, st);
		dup2(st[0], 12);
		if (write(go[1], "x", 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	close(go[1]);
	if (read(go[0], &c, 1) != 1)
		pid = -1;
	close(go[0]);
	return pid;
}

static int sndbuf_of(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), v = -1;
	int mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	socklen_t l = sizeof(v);
	getsockopt(mine, SOL_SOCKET, SO_SNDBUF, &v, &l);
	close(mine);
	close(pidfd);
	return v;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

TEST(deepens_dgram_and_seqpacket_only)
{
	pid_t p = holder("tbsdkid");
	CHECK(p > 0);
	/* the seqpacket pair's other end is open too, in the same child */
	CHECK(sockdeep_process(p, WANT) >= 2);
	CHECK(sndbuf_of(p, 10) >= WANT);
	CHECK(sndbuf_of(p, 11) >= WANT);
	CHECK(sndbuf_of(p, 12) < WANT);      /* stream: left alone */
	CHECK_EQ_INT(sockdeep_process(p, WANT), 0);   /* nothing left to do */
	reap(p);
}

TEST(children_by_name)
{
	pid_t a = holder("tbsdkid"), b = holder("tbsdother");
	CHECK(a > 0 && b > 0);
	CHECK(sockdeep_process_and_children(getpid(), "tbsdkid", WANT) >= 2);
	CHECK(sndbuf_of(a, 11) >= WANT);
	CHECK(sndbuf_of(b, 11) < WANT);      /* another name: left alone */
	reap(a);
	reap(b);
}

TEST(gone_process)
{
	pid_t p = holder("tbsdkid");
	reap(p);
	CHECK(sockdeep_process(p, WANT) < 0);
}

int main(void)
{
	return run_tests();
}
