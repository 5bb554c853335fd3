/* test_tbshm — the tbshm:// vdeplug plugin through its ops table, as
 * libvdeplug calls it (linked in, not dlopen()ed, so that the sanitizers
 * see it): two sides of one path, a third refused, frames both ways, a
 * blocking reader woken by a frame, ENOTCONN from a full ring nobody
 * reads, a closed side taken again, and the files gone after the last
 * close. */
#include "tests/check.h"

#include <errno.h>
#include <fcntl.h>
#include <libvdeplug_mod.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdeplug/shmring.h"

extern struct vdeplug_module vdeplug_ops;

static char dir[64], path[96];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/dev/shm/test_tbshm.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/r", dir);
}

static VDECONN *plug(void)
{
	struct vde_open_args a = { .mode = 0600 };
	return vdeplug_ops.vde_open_real(path, "test", 1, &a);
}

static int exists(const char *suffix)
{
	char p[128];
	struct stat st;
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0;
}

static void nonblock(VDECONN *c)
{
	int fd = vdeplug_ops.vde_datafd(c);
	CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
}

TEST(two_sides_frames_both_ways_third_refused)
{
	setup();
	VDECONN *a = plug(), *b = plug();
	CHECK(a && b);
	CHECK(exists("") && exists(".bell0") && exists(".bell1"));
	errno = 0;
	CHECK(plug() == NULL);
	CHECK_EQ_INT(errno, EADDRINUSE);
	char buf[64];
	CHECK_EQ_INT(vdeplug_ops.vde_send(a, "ping", 4, 0), 4);
	CHECK_EQ_INT(vdeplug_ops.vde_recv(b, buf, sizeof(buf), 0), 4);
	CHECK(!memcmp(buf, "ping", 4));
	CHECK_EQ_INT(vdeplug_ops.vde_send(b, "pong!", 5, 0), 5);
	CHECK_EQ_INT(vdeplug_ops.vde_recv(a, buf, sizeof(buf), 0), 5);
	CHECK(!memcmp(buf, "pong!", 5));
	/* nothing more: a non-blocking reader hears EAGAIN */
	nonblock(b);
	errno = 0;
	CHECK_EQ_INT(vdeplug_ops.vde_recv(b, buf, sizeof(buf), 0), -1);
	CHECK_EQ_INT(errno, EAGAIN);
	vdeplug_ops.vde_close(a);
	CHECK(exists(""));          /* b still holds its side */
	vdeplug_ops.vde_close(b);
	CHECK(!exists("") && !exists(".bell0") && !exists(".bell1"));
	check_rm_tree(dir);
}

struct later {
	VDECONN *c;
	int sent;
};

static void *send_later(void *p)
{
	struct later *l = p;
	usleep(50000);
	l->sent = vdeplug_ops.vde_send(l->c, "late", 4, 0) == 4;
	return NULL;
}

TEST(blocking_reader_woken_by_a_frame)
{
	setup();
	VDECONN *a = plug(), *b = plug();
	CHECK(a && b);
	struct later l = { a, 0 };
	pthread_t t;
	CHECK(pthread_create(&t, NULL, send_later, &l) == 0);
	char buf[16];
	/* b's data fd is blocking: recv waits in poll() for the bell */
	CHECK_EQ_INT(vdeplug_ops.vde_recv(b, buf, sizeof(buf), 0), 4);
	pthread_join(t, NULL);
	CHECK(l.sent);
	CHECK(!memcmp(buf, "late", 4));
	vdeplug_ops.vde_close(a);
	vdeplug_ops.vde_close(b);
	check_rm_tree(dir);
}

TEST(corked_frames_wake_the_reader_once)
{
	setup();
	VDECONN *a = plug(), *b = plug();
	CHECK(a && b);
	struct pollfd p = { .fd = vdeplug_ops.vde_datafd(b), .events = POLLIN };
	CHECK_EQ_INT(vdeplug_ops.vde_send(a, "1", 1, MSG_MORE), 1);
	CHECK_EQ_INT(vdeplug_ops.vde_send(a, "2", 1, MSG_MORE), 1);
	CHECK_EQ_INT(poll(&p, 1, 0), 0);
	CHECK_EQ_INT(vdeplug_ops.vde_send(a, "3", 1, 0), 1);
	CHECK_EQ_INT(poll(&p, 1, 0), 1);
	vdeplug_ops.vde_close(a);
	vdeplug_ops.vde_close(b);
	check_rm_tree(dir);
}

TEST(full_ring_without_reader_says_enotconn)
{
	setup();
	VDECONN *a = plug(), *b = plug();
	CHECK(a && b);
	nonblock(a);
	unsigned i = 0;
	while (i < 2 * SHMRING_SLOTS && vdeplug_ops.vde_send(a, &i, sizeof(i), 0) == sizeof(i))
		i++;
	/* b alive: the full ring is EAGAIN, try later */
	CHECK_EQ_INT(i, SHMRING_SLOTS);
	CHECK_EQ_INT(errno, EAGAIN);
	vdeplug_ops.vde_close(b);
	errno = 0;
	CHECK_EQ_INT(vdeplug_ops.vde_send(a, &i, sizeof(i), 0), -1);
	CHECK_EQ_INT(errno, ENOTCONN);
	/* the closed side is taken again, and the frames left are there */
	VDECONN *c = plug();
	CHECK(c != NULL);
	unsigned v = 99;
	CHECK_EQ_INT(vdeplug_ops.vde_recv(c, &v, sizeof(v), 0), sizeof(v));
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(vdeplug_ops.vde_send(a, &i, sizeof(i), 0), sizeof(i));
	vdeplug_ops.vde_close(a);
	vdeplug_ops.vde_close(c);
	check_rm_tree(dir);
}

TEST(frames_too_long_refused)
{
	setup();
	VDECONN *a = plug(), *b = plug();
	CHECK(a && b);
	static char big[SHMRING_MTU + 1];
	errno = 0;
	CHECK_EQ_INT(vdeplug_ops.vde_send(a, big, sizeof(big), 0), -1);
	CHECK_EQ_INT(errno, EMSGSIZE);
	CHECK_EQ_INT(vdeplug_ops.vde_send(a, big, SHMRING_MTU, 0), SHMRING_MTU);
	vdeplug_ops.vde_close(a);
	vdeplug_ops.vde_close(b);
	check_rm_tree(dir);
}

int main(void) { return run_tests(); }
