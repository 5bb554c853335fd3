/* frame — see frame.h. */
#include "frame.h"
#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				if (poll(&pfd, 1, 10000) <= 0)
					return -ETIMEDOUT;
				continue;
			}
			return -errno;
		}
		p += w;
		n -= w;
	}
	return 0;
}

int frame_write(int fd, char type, uint32_t id, const void *payload, size_t len)
{
	char hdr[48];
	int n, rc;

	if (len > FRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	n = snprintf(hdr, sizeof(hdr), "@%c %u %zu\n", type, id, len);
	/* one buffer, one write: frames of two writers never interleave on
	 * a socket, and a serial line sees fewer, larger writes */
	char *buf = xmalloc(n + len);
	memcpy(buf, hdr, n);
	if (len)
		memcpy(buf + n, payload, len);
	rc = write_all(fd, buf, n + len);
	free(buf);
	return rc;
}

void frame_feed(struct frame_reader *r, const void *data, size_t n)
{
	if (r->off && r->off == r->len)
		r->off = r->len = 0;
	if (r->len + n + 1 > r->cap) {
		if (r->off) {
			memmove(r->buf, r->buf + r->off, r->len - r->off);
			r->len -= r->off;
			r->off = 0;
		}
		if (r->len + n + 1 > r->cap) {
			size_t c = r->cap ? r->cap : 4096;
			while (c < r->len + n + 1)
				c *= 2;
			r->buf = xrealloc(r->buf, c);
			r->cap = c;
		}
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
}

long frame_read_fd(struct frame_reader *r, int fd)
{
	char chunk[16384];
	ssize_t n;
	do
		n = read(fd, chunk, sizeof(chunk));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EIO ? 0 : -errno;   /* a hung-up tty reads EIO */
	frame_feed(r, chunk, n);
	return n;
}

/* Parse a decimal field ending in END; returns pointer after END or NULL. */
static const char *dec(const char *p, const char *lim, char end, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	const char *s = p;
	while (p < lim && *p >= '0' && *p <= '9') {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > max || p - s > 10)
			return NULL;
		p++;
	}
	if (p == s || p >= lim)
		return p >= lim && p != s ? (const char *)-1 : NULL;
	if (*p != end)
		return NULL;
	*v = x;
	return p + 1;
}

int frame_next(struct frame_reader *r, struct frame *f)
{
	for (;;) {
		const char *base = r->buf + r->off, *lim = r->buf + r->len;
		if (base >= lim)
			return 0;
		if (*base != '@') {
			const char *at = memchr(base, '@', lim - base);
			size_t skip = at ? (size_t)(at - base) : (size_t)(lim - base);
			r->skipped += skip;
			r->off += skip;
			continue;
		}
		/* header: @T ID LEN\n */
		if (lim - base < 3)
			return 0;
		const char *p = base + 1;
		char type = *p++;
		uint64_t id, len;
		int bad = !((type >= 'A' && type <= 'Z') || (type >= 'a' && type <= 'z'));
		if (!bad && *p != ' ')
			bad = 1;
		const char *q = bad ? NULL : dec(p + 1, lim, ' ', UINT32_MAX, &id);
		if (q == (const char *)-1)
			return 0;
		const char *d = q ? dec(q, lim, '\n', FRAME_MAX_PAYLOAD, &len) : NULL;
		if (d == (const char *)-1)
			return 0;
		if (!q || !d) {
			r->skipped++;
			r->off++;
			continue;
		}
		if ((size_t)(lim - d) < len)
			return 0;
		f->type = type;
		f->id = (uint32_t)id;
		f->len = len;
		/* a private copy, NUL-terminated so text payloads are C strings */
		if (len + 1 > r->pcap) {
			r->pcap = len + 1;
			r->payload = xrealloc(r->payload, r->pcap);
		}
		memcpy(r->payload, d, len);
		r->payload[len] = 0;
		f->data = r->payload;
		r->off = (d - r->buf) + len;
		return 1;
	}
}

void frame_reader_free(struct frame_reader *r)
{
	free(r->buf);
	free(r->payload);
	memset(r, 0, sizeof(*r));
}
