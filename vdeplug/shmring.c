/* shmring — see shmring.h.  The writer owns wr, the reader owns rd; each
 * sits on its own cache line so the two processes do not bounce one line
 * per frame.  The bell handshake is Dekker's: the reader stores armed=1
 * and then loads wr; the writer stores wr and then loads armed.  With
 * sequentially consistent accesses at least one of them sees the other's
 * store, so a frame never waits behind a bell nobody rings. */
#include "shmring.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

struct slot {
	uint32_t len;
	uint32_t pad;
	uint8_t data[SHMRING_MTU];
};

struct shmring {
	_Alignas(64) _Atomic uint32_t wr;       /* next slot the writer fills */
	_Alignas(64) _Atomic uint32_t rd;       /* next slot the reader empties */
	_Alignas(64) _Atomic uint32_t armed;    /* 1: the next push rings the bell */
	_Alignas(64) struct slot slot[SHMRING_SLOTS];
};

_Static_assert(sizeof(struct slot) == SHMRING_SLOT_BYTES, "slot size");

size_t shmring_bytes(void) { return sizeof(struct shmring); }

void shmring_end_init(struct shmring_end *e, void *mem, int bell_fd)
{
	e->ring = mem;
	e->bell_fd = bell_fd;
	e->seen = 0;    /* re-read before it is trusted (shmring_send/recv) */
}

void shmring_init(void *mem)
{
	struct shmring *r = mem;
	atomic_init(&r->wr, 0);
	atomic_init(&r->rd, 0);
	atomic_init(&r->armed, 1);
	atomic_thread_fence(memory_order_seq_cst);
}

uint32_t shmring_count(const struct shmring *r)
{
	return atomic_load(&((struct shmring *)r)->wr) - atomic_load(&((struct shmring *)r)->rd);
}

static void ring_bell(int fd)
{
	static const char b = 1;
	/* a full FIFO already wakes the reader: nothing lost if this fails */
	if (write(fd, &b, 1) < 0) {
	}
}

/* After a store to wr (seq_cst: ordered before this load). */
static void bell_check(struct shmring *r, int bell_fd)
{
	if (atomic_load(&r->armed) && atomic_exchange(&r->armed, 0))
		ring_bell(bell_fd);
}

int shmring_send(struct shmring_end *e, const void *buf, size_t len, int more)
{
	struct shmring *r = e->ring;
	uint32_t wr = atomic_load_explicit(&r->wr, memory_order_relaxed);
	if (wr - e->seen >= SHMRING_SLOTS)
		e->seen = atomic_load_explicit(&r->rd, memory_order_acquire);
	if (len > SHMRING_MTU || wr - e->seen >= SHMRING_SLOTS) {
		/* frames corked before this one must not wait for a bell */
		atomic_thread_fence(memory_order_seq_cst);
		bell_check(r, e->bell_fd);
		return len > SHMRING_MTU ? -EMSGSIZE : -EAGAIN;
	}
	struct slot *s = &r->slot[wr % SHMRING_SLOTS];
	s->len = (uint32_t)len;
	memcpy(s->data, buf, len);
	atomic_store(&r->wr, wr + 1);
	if (!more)
		bell_check(r, e->bell_fd);
	return 0;
}

static void drain(int fd)
{
	char b[64];
	while (read(fd, b, sizeof(b)) == (ssize_t)sizeof(b)) {
	}
}

ssize_t shmring_recv(struct shmring_end *e, void *buf, size_t cap)
{
	struct shmring *r = e->ring;
	uint32_t rd = atomic_load_explicit(&r->rd, memory_order_relaxed);
	/* signed: a new end's seen (0) may be behind rd */
	if ((int32_t)(e->seen - rd) <= 0)
		e->seen = atomic_load_explicit(&r->wr, memory_order_acquire);
	if (e->seen == rd) {
		/* empty: take the byte that said otherwise, arm, look again */
		drain(e->bell_fd);
		atomic_store(&r->armed, 1);
		if ((e->seen = atomic_load(&r->wr)) == rd)
			return -EAGAIN;
		/* a frame came in between.  If its writer did not see the bell
		 * armed, disarm it and put the byte back ourselves: the caller
		 * may poll before reading again */
		if (atomic_exchange(&r->armed, 0))
			ring_bell(e->bell_fd);
	}
	const struct slot *s = &r->slot[rd % SHMRING_SLOTS];
	size_t n = s->len < cap ? s->len : cap;
	memcpy(buf, s->data, n);
	atomic_store_explicit(&r->rd, rd + 1, memory_order_release);
	return (ssize_t)n;
}
