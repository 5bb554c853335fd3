/* net — see net.h. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "units.h"
#include "xalloc.h"

int netaddr_parse(const char *s, int default_port, struct netaddr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL;
	size_t hl;
	uint64_t p;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end)
			return -EINVAL;
		hl = end - s - 1;
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -EINVAL;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return -EINVAL;   /* bare IPv6 needs brackets */
		hl = colon ? (size_t)(colon - s) : strlen(s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = 0;
		if (colon)
			port = colon + 1;
	}
	if (port) {
		if (parse_u64(port, 0, 65535, &p))
			return -EINVAL;
	} else if (default_port >= 0) {
		p = (uint64_t)default_port;
	} else {
		return -EINVAL;
	}
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	if (s[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		a->len = sizeof(*in4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		a->len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

char *netaddr_fmt(const struct sockaddr *sa, char *buf, size_t cap)
{
	char h[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, h, sizeof(h));
		snprintf(buf, cap, "%s:%u", h, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in = (const void *)sa;
		inet_ntop(AF_INET6, &in->sin6_addr, h, sizeof(h));
		snprintf(buf, cap, "[%s]:%u", h, ntohs(in->sin6_port));
	} else {
		snprintf(buf, cap, "?");
	}
	return buf;
}

int netaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return -1;
}

int netaddr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

int udp_bind(const struct netaddr *a, int bufbytes)
{
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bufbytes > 0) {
		/* FORCE variants work as root beyond rmem_max; fall back quietly */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufbytes, sizeof(bufbytes)))
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufbytes, sizeof(bufbytes));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufbytes, sizeof(bufbytes)))
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufbytes, sizeof(bufbytes));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int tcp_listen(const struct netaddr *a)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, 128)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int tcp_connect(const struct netaddr *a)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len)) {
		int e = -errno;
		close(fd);
		return e;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			if (poll(&pfd, 1, 10000) == 0)
				return -ETIMEDOUT;
			continue;
		}
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

void stream_init(struct stream *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
}

void stream_free(struct stream *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = s->off = 0;
}

ssize_t stream_fill(struct stream *s)
{
	if (s->off) {   /* drop what was consumed */
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->cap - s->len < 65536) {
		s->cap = s->cap ? s->cap * 2 : 131072;
		s->buf = xrealloc(s->buf, s->cap);
	}
	ssize_t n = recv(s->fd, s->buf + s->len, s->cap - s->len, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	s->len += (size_t)n;
	return n;
}

int stream_next(struct stream *s, struct msg *m)
{
	size_t avail = s->len - s->off;
	int64_t l = msg_peek_length(s->buf + s->off, avail);
	if (l == -EAGAIN)
		return 0;
	if (l < 0)
		return (int)l;
	if ((uint64_t)l > avail)
		return 0;
	int rc = msg_parse(s->buf + s->off, (size_t)l, m);
	s->off += (size_t)l;
	return rc ? rc : 1;
}

static volatile sig_atomic_t *stop_flag;
static void on_signal(int sig) { (void)sig; if (stop_flag) *stop_flag = 1; }

void agent_signals(volatile sig_atomic_t *flag)
{
	struct sigaction sa = { .sa_handler = on_signal };
	stop_flag = flag;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void agent_ready(int fd, const char *line)
{
	printf("ready %s\n", line);
	fflush(stdout);
	if (fd >= 0) {
		dprintf(fd, "ready %s\n", line);
		close(fd);
	}
}

void sendbatch_init(struct sendbatch *b, int fd, unsigned cap)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->cap = cap ? cap : 1;
	b->mm = xcalloc(b->cap, sizeof(*b->mm));
	b->iov = xcalloc(b->cap, sizeof(*b->iov));
	b->to = xcalloc(b->cap, sizeof(*b->to));
	b->buf = xmalloc((size_t)b->cap * SENDBATCH_DGRAM);
}

void sendbatch_free(struct sendbatch *b)
{
	free(b->mm);
	free(b->iov);
	free(b->to);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

static int send_one(int fd, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf, size_t len)
{
	for (int tries = 0; tries < 5; tries++) {
		if (sendto(fd, buf, len, 0, to, tolen) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			return -errno;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		poll(&p, 1, 2);
	}
	return -EAGAIN;
}

int sendbatch_add(struct sendbatch *b, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf, size_t len)
{
	if (len > SENDBATCH_DGRAM || tolen > sizeof(b->to[0])) {
		int rc = send_one(b->fd, to, tolen, buf, len);
		b->errors += rc != 0;
		b->sent += rc == 0;
		return rc;
	}
	if (b->n == b->cap)
		sendbatch_flush(b);
	unsigned i = b->n++;
	memcpy(b->buf + (size_t)i * SENDBATCH_DGRAM, buf, len);
	memcpy(&b->to[i], to, tolen);
	b->iov[i] = (struct iovec){ b->buf + (size_t)i * SENDBATCH_DGRAM, len };
	b->mm[i].msg_hdr = (struct msghdr){ .msg_name = &b->to[i], .msg_namelen = tolen,
					    .msg_iov = &b->iov[i], .msg_iovlen = 1 };
	return 0;
}

void sendbatch_flush(struct sendbatch *b)
{
	unsigned done = 0;
	int waits = 0;
	while (done < b->n) {
		int r = sendmmsg(b->fd, b->mm + done, b->n - done, 0);
		if (r > 0) {
			done += (unsigned)r;
			b->sent += (unsigned)r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) && waits++ < 5) {
			struct pollfd p = { .fd = b->fd, .events = POLLOUT };
			poll(&p, 1, 2);   /* socket buffer full: give the kernel a moment */
			continue;
		}
		/* this datagram cannot go (e.g. no route): count it, go on */
		b->errors++;
		done++;
	}
	b->n = 0;
}
