/* frame — the framed byte protocol of guest control lines.
 *
 * A guest's control line (UML serial line, QEMU serial port, a socketpair
 * for netns hosts) and a guest monitor's unix socket both carry frames:
 *
 *   "@" TYPE " " ID " " LEN "\n" PAYLOAD(LEN bytes)
 *
 * TYPE is one letter, ID and LEN decimal.  The leading '@' lets a reader
 * resynchronise after line noise (a serial line may carry stray bytes
 * before tbinit has set it to raw mode): bytes before an '@' that starts a
 * valid header are skipped and counted.  Frame types are listed in
 * docs/guests.md. */
#ifndef TB_FRAME_H
#define TB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX_PAYLOAD (1u << 20)

struct frame {
	char type;
	uint32_t id;
	size_t len;
	char *data;       /* the reader's copy, valid until the next call; NUL-terminated */
};

struct frame_reader {
	char *buf;
	size_t len, cap, off;
	char *payload;     /* the current frame's payload */
	size_t pcap;
	uint64_t skipped;  /* noise bytes dropped while resynchronising */
};

/* Write one frame to a blocking or non-blocking fd (waits with poll on
 * EAGAIN); 0 or -errno. */
int frame_write(int fd, char type, uint32_t id, const void *payload, size_t len)
	__attribute__((warn_unused_result));
static inline int frame_write_str(int fd, char type, uint32_t id, const char *s);

/* Append bytes read from the line. */
void frame_feed(struct frame_reader *r, const void *data, size_t n);
/* Read once from FD into the reader: bytes read, 0 at EOF, -errno. */
long frame_read_fd(struct frame_reader *r, int fd);
/* Next complete frame: 1 (F filled), 0 (need more bytes). */
int frame_next(struct frame_reader *r, struct frame *f);
void frame_reader_free(struct frame_reader *r);

#include <string.h>
static inline int frame_write_str(int fd, char type, uint32_t id, const char *s)
{
	return frame_write(fd, type, id, s, strlen(s));
}

#endif
