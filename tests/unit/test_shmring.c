/* test_shmring — the shared-memory ring of the tbshm vdeplug plugin:
 * frames in order and whole, full and oversized frames refused, the
 * doorbell FIFO readable exactly while frames may wait, corked frames
 * woken once, and no wake-up
 * lost between a writer and a reader that sleeps in poll() (two threads,
 * the writer pausing often so that the reader keeps going to sleep). */
#include "tests/check.h"
#include "vdeplug/shmring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	struct shmring *r;
	struct shmring_end w, rd;       /* the writer's and the reader's ends */
	int bell;               /* the reader's FIFO, O_RDWR as the plugin has it */
	char dir[64];
};

static void setup(struct fixture *fx)
{
	void *m = mmap(NULL, shmring_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	fx->r = m;
	shmring_init(m);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_shmring.XXXXXX");
	CHECK(mkdtemp(fx->dir) != NULL);
	char p[96];
	snprintf(p, sizeof(p), "%s/bell", fx->dir);
	CHECK(mkfifo(p, 0600) == 0);
	fx->bell = open(p, O_RDWR | O_NONBLOCK);
	CHECK(fx->bell >= 0);
	shmring_end_init(&fx->w, m, fx->bell);
	shmring_end_init(&fx->rd, m, fx->bell);
}

static void teardown(struct fixture *fx)
{
	close(fx->bell);
	munmap(fx->r, shmring_bytes());
	check_rm_tree(fx->dir);
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

TEST(frames_in_order_and_whole)
{
	struct fixture fx;
	setup(&fx);
	char buf[SHMRING_MTU];
	CHECK_EQ_INT(shmring_send(&fx.w, "first", 5, 0), 0);
	CHECK_EQ_INT(shmring_send(&fx.w, "second", 6, 0), 0);
	CHECK_EQ_INT(shmring_send(&fx.w, "third!", 6, 0), 0);
	CHECK_EQ_INT(shmring_count(fx.r), 3);
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "first", 5));
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "second", 6));
	/* a short buffer gets the frame's head, as recv() gives a datagram's */
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, 3), 3);
	CHECK(!memcmp(buf, "thi", 3));
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, sizeof(buf)), -EAGAIN);
	teardown(&fx);
}

TEST(full_ring_and_long_frames_refused)
{
	struct fixture fx;
	setup(&fx);
	static char big[SHMRING_MTU + 1];
	char buf[SHMRING_MTU];
	for (uint32_t i = 0; i < SHMRING_SLOTS; i++)
		if (shmring_send(&fx.w, &i, sizeof(i), 0) != 0)
			CHECK_FAILED("push %u of %u refused", i, SHMRING_SLOTS);
	CHECK_EQ_INT(shmring_send(&fx.w, "x", 1, 0), -EAGAIN);
	CHECK_EQ_INT(shmring_count(fx.r), SHMRING_SLOTS);
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, sizeof(buf)), 4);
	CHECK_EQ_INT(shmring_send(&fx.w, big, sizeof(big), 0), -EMSGSIZE);
	CHECK_EQ_INT(shmring_send(&fx.w, big, SHMRING_MTU, 0), 0);
	/* the ring wrapped: the oldest frames come first, the long one last */
	uint32_t v = 0;
	for (uint32_t i = 1; i < SHMRING_SLOTS; i++) {
		CHECK_EQ_INT(shmring_recv(&fx.rd, &v, sizeof(v)), 4);
		if (v != i)
			CHECK_FAILED("frame %u came as %u", i, v);
	}
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, sizeof(buf)), SHMRING_MTU);
	teardown(&fx);
}

TEST(bell_readable_while_frames_wait)
{
	struct fixture fx;
	setup(&fx);
	char buf[64];
	CHECK(!readable(fx.bell));
	CHECK_EQ_INT(shmring_send(&fx.w, "a", 1, 0), 0);
	CHECK(readable(fx.bell));
	CHECK_EQ_INT(shmring_send(&fx.w, "b", 1, 0), 0);
	/* one frame read, one left: a poller must be woken again */
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, sizeof(buf)), 1);
	CHECK(readable(fx.bell));
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, sizeof(buf)), 1);
	/* empty, found so: the byte is taken and the bell armed */
	CHECK_EQ_INT(shmring_recv(&fx.rd, buf, sizeof(buf)), -EAGAIN);
	CHECK(!readable(fx.bell));
	CHECK_EQ_INT(shmring_send(&fx.w, "c", 1, 0), 0);
	CHECK(readable(fx.bell));
	/* a second frame while the bell is unarmed rings nothing more */
	CHECK_EQ_INT(shmring_send(&fx.w, "d", 1, 0), 0);
	char b[8];
	CHECK_EQ_INT(read(fx.bell, b, sizeof(b)), 1);
	teardown(&fx);
}

TEST(corked_frames_ring_once_at_the_end)
{
	struct fixture fx;
	setup(&fx);
	char b[8];
	CHECK_EQ_INT(shmring_send(&fx.w, "a", 1, 1), 0);
	CHECK_EQ_INT(shmring_send(&fx.w, "b", 1, 1), 0);
	CHECK(!readable(fx.bell));
	CHECK_EQ_INT(shmring_send(&fx.w, "c", 1, 0), 0);
	CHECK(readable(fx.bell));
	CHECK_EQ_INT(read(fx.bell, b, sizeof(b)), 1);
	teardown(&fx);
	/* a corked batch cut short by a full ring still wakes the reader */
	setup(&fx);
	for (uint32_t i = 0; i < SHMRING_SLOTS; i++)
		if (shmring_send(&fx.w, &i, sizeof(i), 1) != 0)
			CHECK_FAILED("push %u refused", i);
	CHECK(!readable(fx.bell));
	CHECK_EQ_INT(shmring_send(&fx.w, "x", 1, 1), -EAGAIN);
	CHECK(readable(fx.bell));
	teardown(&fx);
}

#define STRESS_FRAMES 300000u
#define LOCKSTEP_FRAMES 20000u

struct writer_arg {
	struct fixture *fx;
	int lockstep;           /* push the next frame once the last is read */
	uint32_t frames;
	_Atomic int done, abort;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	unsigned seed = 7;
	for (uint32_t i = 0; i < a->frames; i++) {
		/* pause now and then, so that the reader empties the ring and
		 * sleeps: the race between its arming and a push is what is
		 * under test.  Frames in a burst are often corked (MORE); the
		 * last before a pause never is */
		int pause = rand_r(&seed) % 64 == 0;
		int more = !a->lockstep && !pause && i + 1 < a->frames && rand_r(&seed) % 4 != 0;
		while (shmring_send(&a->fx->w, &i, sizeof(i), more) == -EAGAIN)
			sched_yield();
		/* lockstep: every push may meet the reader between finding the
		 * ring empty and arming the bell, and a lost wake-up stalls */
		while (a->lockstep && shmring_count(a->fx->r) && !a->abort)
			sched_yield();
		if (a->abort)
			break;
		if (pause && !a->lockstep) {
			struct timespec ts = { 0, (long)(rand_r(&seed) % 20000) };
			nanosleep(&ts, NULL);
		}
	}
	a->done = 1;
	return NULL;
}

/* READ_ONE: poll before every frame, as wirefilter does (one read per
 * wake-up), instead of reading until the ring is empty. */
static void stress(int read_one, int lockstep)
{
	struct fixture fx;
	setup(&fx);
	uint32_t frames = lockstep ? LOCKSTEP_FRAMES : STRESS_FRAMES;
	struct writer_arg a = { .fx = &fx, .lockstep = lockstep, .frames = frames };
	pthread_t t;
	CHECK(pthread_create(&t, NULL, writer, &a) == 0);
	uint32_t want = 0, v;
	int sleeps = 0;
	while (want < frames) {
		ssize_t n = read_one ? -EAGAIN : shmring_recv(&fx.rd, &v, sizeof(v));
		if (n == -EAGAIN) {
			struct pollfd p = { .fd = fx.bell, .events = POLLIN };
			if (!read_one)
				sleeps++;
			if (poll(&p, 1, 2000) == 0) {
				/* asleep with frames waiting: a lost wake-up */
				CHECK_FAILED("no bell for 2 s at frame %u with %u waiting", want, shmring_count(fx.r));
				a.abort = 1;
				break;
			}
			if (!read_one)
				continue;
			n = shmring_recv(&fx.rd, &v, sizeof(v));
			if (n == -EAGAIN) {
				sleeps++;
				continue;
			}
		}
		if (n != 4 || v != want) {
			CHECK_FAILED("frame %u: got %zd bytes, value %u", want, n, v);
			a.abort = 1;
			break;
		}
		want++;
	}
	/* after a failure: empty the ring until the writer is done, so that
	 * its thread can be joined */
	while (want < frames && !(a.done && shmring_count(fx.r) == 0))
		if (shmring_recv(&fx.rd, &v, sizeof(v)) < 0)
			sched_yield();
	pthread_join(t, NULL);
	CHECK_EQ_INT(want, frames);
	/* the reader found the ring empty many times: else nothing was tested */
	CHECK(sleeps > 100);
	teardown(&fx);
}

TEST(no_wake_up_lost_reading_until_empty) { stress(0, 0); }
TEST(no_wake_up_lost_reading_one_per_poll) { stress(1, 0); }
TEST(no_wake_up_lost_in_lockstep) { stress(0, 1); }

int main(void) { return run_tests(); }
