/* shmring — two processes pass Ethernet frames through shared memory: a
 * single-producer, single-consumer ring per direction, and a doorbell (a
 * FIFO) that the writer rings only when the reader has found its ring
 * empty and may be asleep in poll().  A busy link then costs no system
 * call per frame, only a copy in and a copy out.
 *
 * The doorbell is level-triggered as a datagram socket is: its FIFO holds
 * a byte whenever the reader's ring may hold frames, so a caller that
 * polls the FIFO and reads one frame per wake-up (wirefilter does) is
 * woken again while frames remain.  The byte is taken only when the
 * reader finds the ring empty; then it arms the bell and looks again, so
 * a frame pushed in between is not missed (shmring_recv). */
#ifndef TB_SHMRING_H
#define TB_SHMRING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHMRING_SLOTS 1024u             /* frames per direction */
#define SHMRING_SLOT_BYTES 2048u        /* one slot: length + frame */
#define SHMRING_MTU (SHMRING_SLOT_BYTES - 8u)   /* longest frame */

/* One direction.  Free-running counters: wr - rd frames are waiting. */
struct shmring;

/* One process's end of a ring, in its own memory: what it last saw of the
 * other end's counter.  Reading the other's counter takes its cache line
 * from the other CPU, so it is read once per batch, not once per frame:
 * the reader only when it has used up the frames it knew of, the writer
 * only when the ring looked full. */
struct shmring_end {
	struct shmring *ring;
	int bell_fd;            /* the reader's FIFO (see shmring_send/recv) */
	uint32_t seen;          /* the other end's counter, as last read */
};

/* Bytes of shared memory one ring takes (page-aligned sizes are the
 * caller's business). */
size_t shmring_bytes(void);

/* Make an empty ring at MEM (shmring_bytes() bytes, zeroed or not) with
 * its bell armed: the first frame rings it. */
void shmring_init(void *mem);

/* E becomes an end of the ring at MEM (already made), with BELL_FD. */
void shmring_end_init(struct shmring_end *e, void *mem, int bell_fd);

/* Push one frame; E's bell is the write side of the reader's FIFO.  MORE:
 * more frames follow at once, so leave the bell to the last of them (as
 * MSG_MORE corks a socket): one wake-up per batch, not per frame.  A
 * refused push rings for the frames before it.
 * 0, -EMSGSIZE (longer than SHMRING_MTU), -EAGAIN (ring full). */
int shmring_send(struct shmring_end *e, const void *buf, size_t len, int more)
	__attribute__((warn_unused_result));

/* Pop one frame into BUF (at most CAP bytes; a longer frame is cut to
 * CAP, as recv() cuts a datagram).  E's bell is the reader's own FIFO,
 * opened O_RDWR and non-blocking.  The frame's length, or -EAGAIN when the ring is
 * empty (the bell is then armed and the FIFO drained). */
ssize_t shmring_recv(struct shmring_end *e, void *buf, size_t cap)
	__attribute__((warn_unused_result));

/* Frames waiting now (for tests and counters). */
uint32_t shmring_count(const struct shmring *r);

#endif
