/* net — sockets, addresses, the TCP message stream and the process
 * plumbing (ready line, SIGTERM flag) shared by the agents.
 *
 * Addresses are "HOST:PORT" with an IPv4 or IPv6 literal; IPv6 is written
 * in brackets ("[::1]:7000").  No name resolution: the testbed hands out
 * literal addresses, and a resolver would be a hidden dependency. */
#ifndef TB_AGENTS_NET_H
#define TB_AGENTS_NET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "msg.h"

struct netaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* 0 or -EINVAL.  A missing port is an error unless default_port >= 0. */
int netaddr_parse(const char *s, int default_port, struct netaddr *a) __attribute__((warn_unused_result));
/* "1.2.3.4:5" or "[::1]:5" into buf (>= 64 bytes); returns buf. */
char *netaddr_fmt(const struct sockaddr *sa, char *buf, size_t cap);
int netaddr_port(const struct sockaddr *sa);
int netaddr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* Non-blocking, close-on-exec sockets; fd or -errno. */
int udp_bind(const struct netaddr *a, int bufbytes) __attribute__((warn_unused_result));
int tcp_listen(const struct netaddr *a) __attribute__((warn_unused_result));
/* Blocking connect, then non-blocking; fd or -errno. */
int tcp_connect(const struct netaddr *a) __attribute__((warn_unused_result));
/* Writes everything on a (possibly non-blocking) stream fd, waiting with
 * poll when full; 0 or -errno. */
int send_all(int fd, const void *buf, size_t len) __attribute__((warn_unused_result));

/* Outgoing datagrams batched into sendmmsg calls (one syscall for up to
 * cap datagrams): add copies, flush at the end of each loop iteration.
 * A full socket buffer is waited for briefly; what still fails is counted
 * in errors. */
struct sendbatch {
	int fd;
	unsigned n, cap;
	struct mmsghdr *mm;
	struct iovec *iov;
	struct sockaddr_storage *to;
	uint8_t *buf;
	uint64_t errors, sent;
};
#define SENDBATCH_DGRAM 512   /* our datagrams are < 100 bytes; REGISTER ~1 KB goes unbatched */
void sendbatch_init(struct sendbatch *b, int fd, unsigned cap);
void sendbatch_free(struct sendbatch *b);
/* 0, or the result of a direct sendto for a datagram too large to batch. */
int sendbatch_add(struct sendbatch *b, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf, size_t len);
void sendbatch_flush(struct sendbatch *b);

/* Input side of a TCP connection carrying msg.h messages. */
struct stream {
	int fd;
	uint8_t *buf;
	size_t len, cap, off;
};
void stream_init(struct stream *s, int fd);
void stream_free(struct stream *s);
/* Reads what is available: bytes read (>0), 0 at EOF, -EAGAIN, -errno. */
ssize_t stream_fill(struct stream *s);
/* Next whole message: 1 (m set, valid until the next fill), 0 need more,
 * or -errno for a stream that is not ours (the caller drops it). */
int stream_next(struct stream *s, struct msg *m);

/* Process plumbing: SIGTERM/SIGINT set *flag (handler only sets it). */
void agent_signals(volatile sig_atomic_t *flag);
/* Prints "ready KEY=VALUE..." on stdout and, if fd >= 0, writes the same
 * line to fd and closes it. */
void agent_ready(int fd, const char *line);

#endif
