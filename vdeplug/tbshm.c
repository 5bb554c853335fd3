/* libvdeplug_tbshm.so — a vdeplug4 plugin: tbshm://PATH joins two
 * processes through shared memory, as ptp://PATH joins them through a
 * Unix datagram socket, but with no system call per frame while frames
 * flow (vdeplug/shmring.h).  For links on one machine whose cost per
 * frame should be the programs', not the kernel's: scene D of
 * `make bench-emu` feeds testbed-emu and wirefilter through it.
 *
 * Any vdeplug4 program loads it by URL once VDEPLUGIN_PATH names its
 * directory (and vdeplug4's own, for the other URLs):
 *   VDEPLUGIN_PATH=build/lib:/usr/lib/x86_64-linux-gnu/vdeplug
 *
 * PATH is the shared region; PATH.bell0 and PATH.bell1 are the FIFOs of
 * the two sides.  The first to open PATH makes all three (side 0); the
 * second takes side 1; a side that closes, or whose process died, may be
 * taken again; the last to close removes them (after a crash they stay,
 * and are used again as they are).  A full ring with no reader (it
 * closed, died or never came) says ENOTCONN.  PATH should be on tmpfs
 * (/dev/shm): elsewhere the kernel writes the ring back to disk.  A
 * frame longer than 2,040 bytes is refused (EMSGSIZE).  A full ring:
 * EAGAIN on a non-blocking data fd, else the sender waits for room.
 * vde_send(..., MSG_MORE) says more frames follow at once: the peer is
 * woken by the last of them. */
#include "shmring.h"

#include <errno.h>
#include <fcntl.h>
#include <libvdeplug_mod.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TBSHM_MAGIC 0x7462736du         /* "tbsm" */
#define TBSHM_VERSION 3u
#define TBSHM_RING_OFF 4096u            /* rings start one page in */

struct region {
	_Atomic uint32_t magic;         /* set last by the maker */
	uint32_t version;
	uint32_t ring_bytes;
};

struct tbshm_conn {
	void *handle;                   /* vdeplug4's: its struct vdeconn */
	struct vdeplug_module *module;
	int side;
	int rx_fd;                      /* our FIFO: the data fd, blocking
					 * unless the caller says otherwise */
	int bell_fd;                    /* our FIFO again, non-blocking: the
					 * ring drains and rings it */
	int tx_fd;                      /* the peer's FIFO, to ring it */
	int reg_fd;                     /* PATH, holding the lock of our side */
	struct region *reg;
	size_t map_bytes;
	struct shmring_end rx, tx;
	char path[];
};

static size_t map_size(void) { return TBSHM_RING_OFF + 2 * shmring_bytes(); }

static struct shmring *ring_of(struct region *reg, int i)
{
	return (struct shmring *)((char *)reg + TBSHM_RING_OFF + (size_t)i * shmring_bytes());
}

static int bell_path(char *out, size_t cap, const char *path, int side)
{
	int n = snprintf(out, cap, "%s.bell%d", path, side);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static void unlink_all(const char *path)
{
	char b[PATH_MAX];
	for (int s = 0; s < 2; s++)
		if (bell_path(b, sizeof(b), path, s) == 0)
			unlink(b);
	unlink(path);
}

/* The maker: FIFOs first, then the region, then the magic that tells the
 * other side it is ready. */
static int region_make(int fd, const char *path, mode_t mode)
{
	char b[PATH_MAX];
	for (int s = 0; s < 2; s++) {
		int rc = bell_path(b, sizeof(b), path, s);
		if (rc)
			return rc;
		unlink(b);
		if (mkfifo(b, mode) < 0)
			return -errno;
	}
	if (ftruncate(fd, (off_t)map_size()) < 0)
		return -errno;
	return 0;
}

static int region_wait(struct region *reg)
{
	/* the maker is between open() and its last store: a few ms at most */
	for (int i = 0; i < 1000; i++) {
		if (atomic_load(&reg->magic) == TBSHM_MAGIC)
			return reg->version == TBSHM_VERSION && reg->ring_bytes == shmring_bytes() ? 0 : -EPROTO;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* Who holds a side: an open file description locks byte SIDE of PATH
 * (an OFD lock).  The lock goes with the last descriptor of it, so a side
 * is free again once its holder closed or died, and a daemon that forks
 * after opening (wirefilter --daemon) keeps it in the child. */
static int side_lock(int fd, int side, int cmd, struct flock *fl)
{
	*fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = side, .l_len = 1 };
	return fcntl(fd, cmd, fl);
}

/* Take a free side: 0 or 1, or -EADDRINUSE. */
static int side_take(int fd)
{
	struct flock fl;
	for (int s = 0; s < 2; s++)
		if (side_lock(fd, s, F_OFD_SETLK, &fl) == 0)
			return s;
	return errno == EAGAIN || errno == EACCES ? -EADDRINUSE : -errno;
}

/* Does anyone hold SIDE (other than this descriptor)? */
static int side_held(int fd, int side)
{
	struct flock fl;
	return side_lock(fd, side, F_OFD_GETLK, &fl) < 0 || fl.l_type != F_UNLCK;
}

static int fifo_open(const char *path, int side, int flags, int *fd)
{
	char b[PATH_MAX];
	int rc = bell_path(b, sizeof(b), path, side);
	if (rc)
		return rc;
	/* O_RDWR: open() of a FIFO does not wait for the other end */
	*fd = open(b, O_RDWR | O_CLOEXEC | flags);
	return *fd < 0 ? -errno : 0;
}

static VDECONN *tbshm_open(char *url, char *descr, int version, struct vde_open_args *args)
{
	(void)descr;
	(void)version;
	mode_t mode = args && args->mode ? (mode_t)args->mode : 0600;
	size_t plen = strlen(url);
	struct tbshm_conn *c = calloc(1, sizeof(*c) + plen + 1);
	int fd = -1, made = 0, rc;
	if (!c)
		return NULL;
	memcpy(c->path, url, plen + 1);
	c->rx_fd = c->bell_fd = c->tx_fd = c->reg_fd = -1;
	c->side = -1;
	if (plen + sizeof(".bell0") > PATH_MAX) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	fd = open(url, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd >= 0) {
		made = 1;
		if ((rc = region_make(fd, url, mode)) != 0)
			goto fail;
	} else if (errno == EEXIST) {
		fd = open(url, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			goto fail;
		}
		struct stat st;
		/* the maker may not have sized it yet */
		for (int i = 0; i < 1000 && fstat(fd, &st) == 0 && (size_t)st.st_size < map_size(); i++) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		if (fstat(fd, &st) < 0 || (size_t)st.st_size < map_size()) {
			rc = -EPROTO;
			goto fail;
		}
	} else {
		rc = -errno;
		goto fail;
	}
	c->map_bytes = map_size();
	void *m = mmap(NULL, c->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}
	c->reg = m;
	if (made) {
		c->reg->version = TBSHM_VERSION;
		c->reg->ring_bytes = (uint32_t)shmring_bytes();
		shmring_init(ring_of(c->reg, 0));
		shmring_init(ring_of(c->reg, 1));
		atomic_store(&c->reg->magic, TBSHM_MAGIC);
	} else if ((rc = region_wait(c->reg)) != 0) {
		goto fail;
	}
	if ((rc = side_take(fd)) < 0)
		goto fail;
	c->side = rc;
	c->reg_fd = fd;
	fd = -1;
	/* side s writes ring s and reads ring 1-s; bell k wakes ring k's reader */
	if ((rc = fifo_open(url, 1 - c->side, 0, &c->rx_fd)) != 0 ||
	    (rc = fifo_open(url, 1 - c->side, O_NONBLOCK, &c->bell_fd)) != 0 ||
	    (rc = fifo_open(url, c->side, O_NONBLOCK, &c->tx_fd)) != 0)
		goto fail;
	shmring_end_init(&c->tx, ring_of(c->reg, c->side), c->tx_fd);
	shmring_end_init(&c->rx, ring_of(c->reg, 1 - c->side), c->bell_fd);
	return (VDECONN *)c;
fail:
	if (c->reg_fd >= 0)
		close(c->reg_fd);
	if (c->rx_fd >= 0)
		close(c->rx_fd);
	if (c->bell_fd >= 0)
		close(c->bell_fd);
	if (c->tx_fd >= 0)
		close(c->tx_fd);
	if (c->reg)
		munmap(c->reg, c->map_bytes);
	if (fd >= 0)
		close(fd);
	if (made)
		unlink_all(url);
	free(c);
	errno = -rc;
	return NULL;
}

/* The caller's choice, as for a socket: O_NONBLOCK on the data fd. */
static int nonblocking(struct tbshm_conn *c)
{
	int fl = fcntl(c->rx_fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

static ssize_t tbshm_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct tbshm_conn *c = (struct tbshm_conn *)conn;
	(void)flags;
	for (;;) {
		ssize_t n = shmring_recv(&c->rx, buf, len);
		if (n >= 0)
			return n;
		if (nonblocking(c)) {
			errno = EAGAIN;
			return -1;
		}
		/* the bell is armed: the next frame makes the FIFO readable */
		struct pollfd p = { .fd = c->rx_fd, .events = POLLIN };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
}

static ssize_t tbshm_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct tbshm_conn *c = (struct tbshm_conn *)conn;
	unsigned tries = 0;
	for (;;) {
		int rc = shmring_send(&c->tx, buf, len, !!(flags & MSG_MORE));
		if (rc == 0)
			return (ssize_t)len;
		/* full, and no reader: it closed, died or never came.  Said
		 * as a socket with no peer says it, so that the caller can
		 * give up or reconnect */
		if (rc == -EAGAIN && !side_held(c->reg_fd, 1 - c->side)) {
			errno = ENOTCONN;
			return -1;
		}
		if (rc != -EAGAIN || nonblocking(c)) {
			errno = -rc;
			return -1;
		}
		/* full: the reader frees room without telling us.  Yield a
		 * few times, then sleep, so that a sender held back does not
		 * take a CPU from the reader it waits for */
		if (++tries < 16) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
	}
}

static int tbshm_datafd(VDECONN *conn) { return ((struct tbshm_conn *)conn)->rx_fd; }

static int tbshm_ctlfd(VDECONN *conn)
{
	(void)conn;
	return -1;
}

static int tbshm_close(VDECONN *conn)
{
	struct tbshm_conn *c = (struct tbshm_conn *)conn;
	/* our side first: of two closing at once, the later sees the other
	 * gone, and removes the files */
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = c->side, .l_len = 1 };
	fcntl(c->reg_fd, F_OFD_SETLK, &fl);
	int left = side_held(c->reg_fd, 1 - c->side);
	close(c->reg_fd);
	close(c->rx_fd);
	close(c->bell_fd);
	close(c->tx_fd);
	munmap(c->reg, c->map_bytes);
	if (!left)
		unlink_all(c->path);
	free(c);
	return 0;
}

struct vdeplug_module vdeplug_ops = {
	.vde_open_real = tbshm_open,
	.vde_recv = tbshm_recv,
	.vde_send = tbshm_send,
	.vde_datafd = tbshm_datafd,
	.vde_ctlfd = tbshm_ctlfd,
	.vde_close = tbshm_close,
};
