/* tbgen — the benchmark's traffic generator and sink.
 *
 *   tbgen send URL [--count N] [--size BYTES] [--rate FPS] [--batch N]
 *   tbgen recv URL [--count N] [--idle DUR] [--timeout DUR] [--expect DUR]
 *                  [--ready-fd N]
 *
 * URL is udp://HOST:PORT (UDP over the kernel's stack; the sink binds it) or
 * any libvdeplug URL (vde:///switch/dir, ptp:///path, tap://name, ...), where
 * raw Ethernet frames are sent and received directly, so that an emulator's
 * own ceiling can be measured without TAPs or switches in the way.
 *
 * Every frame carries a sequence number and the CLOCK_MONOTONIC time it was
 * sent; every namespace of one machine shares that clock, so the sink's
 * one-way delay is exact.  The sink takes the arrival time from the
 * kernel's receive timestamp (SO_TIMESTAMPNS: when the frame reached its
 * socket, i.e. left the link) where the socket gives one, so the sink's own
 * wake-up is not counted as the link's; the delay to the moment the sink
 * read the frame is reported beside it (read_*).  --size is the Ethernet frame size with FCS, as
 * frame sizes are usually quoted (64 = the minimum frame).  After the data
 * the sender sends a few END frames that tell the sink how many were sent.
 *
 * Each side prints one JSON line on stdout when done.  The sender uses
 * sendmmsg (UDP) so that it is not the bottleneck; paced sending sleeps to
 * absolute deadlines on the monotonic clock. */
#include "json.h"
#include "log.h"
#include "mono.h"
#include "rxstats.h"
#include "units.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* The 16 bytes at the start of every UDP payload and after every Ethernet
 * header: small enough for a 64-byte frame. */
struct tbhdr {
	uint32_t magic;
	uint32_t seq;            /* END frames: number of data frames sent */
	int64_t ts;              /* mono_ns when sent */
} __attribute__((packed));

#define MAGIC_DATA 0x54424731u   /* "TBG1" */
#define MAGIC_END  0x54424745u   /* "TBGE" */
#define ETHERTYPE_TB 0x88b5      /* IEEE local experimental ethertype */
#define ETH_HLEN_ 14
#define FCS_LEN 4
#define UDP_OVERHEAD (ETH_HLEN_ + 20 + 8)   /* Ethernet + IPv4 + UDP headers */
#define END_COPIES 5

/* ---- ports: one ops table per kind ------------------------------------ */

struct port {
	const struct port_ops *ops;
	int fd;
	VDECONN *vde;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint32_t hdr_off;        /* where struct tbhdr starts in a frame */
	uint32_t wire_extra;     /* bytes the wire adds to what we hand over */
	bool dgram;              /* vde://, ptp://: the data fd carries the frames */
	bool stamps;             /* SO_TIMESTAMPNS is on */
};

struct port_ops {
	const char *name;
	/* open for sending (to=true) or receiving; 0 or -errno */
	int (*open)(struct port *p, const char *url, bool to);
	/* send N frames of LEN bytes; 0 or -errno */
	int (*send)(struct port *p, uint8_t **frames, unsigned n, size_t len);
	/* receive up to N frames without blocking; number received or -errno;
	 * AT[i] is frame i's kernel arrival time (mono_ns) or 0 */
	int (*recv)(struct port *p, uint8_t **bufs, size_t *lens, mono_ns *at, unsigned n, size_t cap);
	void (*close)(struct port *p);
};

static int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *port;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, e - s - 1);
		host[e - s - 1] = 0;
		port = e + 2;
	} else {
		const char *c = strrchr(s, ':');
		if (!c || (size_t)(c - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, c - s);
		host[c - s] = 0;
		port = c + 1;
	}
	uint64_t pn;
	if (parse_u64(port, 1, 65535, &pn) < 0)
		return -EINVAL;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_DGRAM }, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Kernel receive timestamps on FD (0 or -errno). */
static int stamps_on(struct port *p)
{
	int one = 1;
	if (setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		return -errno;
	p->stamps = true;
	return 0;
}

typedef union {
	char buf[CMSG_SPACE(sizeof(struct timespec))];
	struct cmsghdr align;
} stamp_cmsg;

/* recvmmsg of up to N datagrams with their arrival times on the monotonic
 * clock (the stamp is CLOCK_REALTIME: converted with the offset read now). */
static int mmsg_recv(struct port *p, uint8_t **bufs, size_t *lens, mono_ns *at, unsigned n, size_t cap)
{
	struct mmsghdr msgs[n];
	struct iovec iov[n];
	stamp_cmsg cm[n];
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){ bufs[i], cap };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (p->stamps) {
			msgs[i].msg_hdr.msg_control = cm[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(cm[i].buf);
		}
	}
	int r = recvmmsg(p->fd, msgs, n, MSG_DONTWAIT, NULL);
	if (r < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
	mono_ns now = mono_now();
	int64_t off = wall_now_ns() - now;
	for (int i = 0; i < r; i++) {
		lens[i] = msgs[i].msg_len;
		at[i] = 0;
		struct msghdr *mh = &msgs[i].msg_hdr;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); p->stamps && c; c = CMSG_NXTHDR(mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
				continue;
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			mono_ns t = (mono_ns)ts.tv_sec * NS_PER_SEC + ts.tv_nsec - off;
			at[i] = t <= now ? t : now;
		}
	}
	return r;
}

static int udp_open(struct port *p, const char *url, bool to)
{
	int err = parse_hostport(url + strlen("udp://"), &p->peer, &p->peer_len);
	if (err < 0)
		return err;
	p->fd = socket(p->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	/* big buffers so bursts are not lost in our own sockets; FORCE works
	 * as root beyond rmem_max, plain is the fallback */
	int sz = 16 << 20;
	int opt = to ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
	if (setsockopt(p->fd, SOL_SOCKET, opt, &sz, sizeof(sz)) < 0)
		(void)setsockopt(p->fd, SOL_SOCKET, to ? SO_SNDBUF : SO_RCVBUF, &sz, sizeof(sz));
	if (to)
		err = connect(p->fd, (struct sockaddr *)&p->peer, p->peer_len);
	else
		err = bind(p->fd, (struct sockaddr *)&p->peer, p->peer_len);
	if (err < 0) {
		err = -errno;
		close(p->fd);
		return err;
	}
	if (!to && (fcntl(p->fd, F_SETFL, O_NONBLOCK) < 0 || stamps_on(p) < 0)) {
		err = -errno;
		close(p->fd);
		return err;
	}
	p->hdr_off = 0;
	p->wire_extra = UDP_OVERHEAD;
	return 0;
}

static int udp_send(struct port *p, uint8_t **frames, unsigned n, size_t len)
{
	struct mmsghdr msgs[n];
	struct iovec iov[n];
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){ frames[i], len };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	unsigned done = 0;
	while (done < n) {
		int r = sendmmsg(p->fd, msgs + done, n - done, 0);
		if (r < 0) {
			/* a full device queue: wait a little and retry, so the
			 * sender never silently drops its own frames */
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				sched_yield();
				continue;
			}
			/* nobody listening yet (ICMP port unreachable): the
			 * frame is gone, as on a real wire */
			if (errno == ECONNREFUSED) {
				done++;
				continue;
			}
			return -errno;
		}
		done += r;
	}
	return 0;
}

static int udp_recv(struct port *p, uint8_t **bufs, size_t *lens, mono_ns *at, unsigned n, size_t cap)
{
	return mmsg_recv(p, bufs, lens, at, n, cap);
}

static void udp_close(struct port *p)
{
	close(p->fd);
}

static int vde_open_port(struct port *p, const char *url, bool to)
{
	struct vde_open_args args = { .port = 0, .group = NULL, .mode = 0700 };
	p->vde = vde_open((char *)url, "tbgen", &args);
	if (!p->vde)
		return errno ? -errno : -EIO;
	p->fd = vde_datafd(p->vde);
	/* libvdeplug's vde and ptp plugins recv() and send() the frames as
	 * datagrams on this fd, so it may be read in batches, with stamps */
	p->dgram = !strncmp(url, "vde://", 6) || !strncmp(url, "ptp://", 6);
	if (!to) {
		int fl = fcntl(p->fd, F_GETFL);
		if (fl < 0 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
		    (p->dgram && stamps_on(p) < 0)) {
			int err = -errno;
			vde_close(p->vde);
			return err;
		}
	}
	p->hdr_off = ETH_HLEN_;
	p->wire_extra = 0;
	return 0;
}

static bool fd_connected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	return getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

static int vde_send_frames(struct port *p, uint8_t **frames, unsigned n, size_t len)
{
	/* a connected datagram socket (vde always; ptp once libvdeplug's
	 * first send connected it): one sendmmsg, as udp_send */
	if (p->dgram && fd_connected(p->fd))
		return udp_send(p, frames, n, len);
	for (unsigned i = 0; i < n; i++) {
		while (vde_send(p->vde, frames[i], len, 0) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				sched_yield();
				continue;
			}
			return -errno;
		}
	}
	return 0;
}

static int vde_recv_frames(struct port *p, uint8_t **bufs, size_t *lens, mono_ns *at, unsigned n, size_t cap)
{
	unsigned got = 0;
	if (p->dgram)
		return mmsg_recv(p, bufs, lens, at, n, cap);
	while (got < n) {
		ssize_t r = vde_recv(p->vde, bufs[got], cap, 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		if (r == 0)      /* the peer closed (switch gone) */
			return got ? (int)got : -EPIPE;
		at[got] = 0;
		lens[got++] = (size_t)r;
	}
	return (int)got;
}

static void vde_close_port(struct port *p)
{
	vde_close(p->vde);
}

static const struct port_ops udp_ops = {
	.name = "udp", .open = udp_open, .send = udp_send,
	.recv = udp_recv, .close = udp_close,
};
static const struct port_ops vde_ops = {
	.name = "vde", .open = vde_open_port, .send = vde_send_frames,
	.recv = vde_recv_frames, .close = vde_close_port,
};

static const struct port_ops *ops_for(const char *url)
{
	return strncmp(url, "udp://", 6) == 0 ? &udp_ops : &vde_ops;
}

/* ---- options ----------------------------------------------------------- */

struct opts {
	uint64_t count, size, rate, batch;
	int64_t idle_ns, timeout_ns, expect_ns;
	int ready_fd;
	bool count_set;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: tbgen send URL [--count N] [--size BYTES] [--rate FPS] [--batch N]\n"
		"       tbgen recv URL [--count N] [--idle DUR] [--timeout DUR] [--expect DUR] [--ready-fd N]\n"
		"URL: udp://HOST:PORT or a libvdeplug URL (vde:///dir, ptp:///path, tap://name)\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .count = 10000, .size = 64, .rate = 0, .batch = 32,
			    .idle_ns = NS_PER_SEC, .timeout_ns = 60 * NS_PER_SEC,
			    .expect_ns = -1, .ready_fd = -1 };
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int err = 0;
		if (!v) {
			log_err("option %s needs a value", k);
			return -EINVAL;
		}
		if (!strcmp(k, "--count")) {
			err = parse_u64(v, 1, UINT32_MAX, &o->count);
			o->count_set = true;
		} else if (!strcmp(k, "--size"))
			err = parse_u64(v, 64, VDE_ETHBUFSIZE, &o->size);
		else if (!strcmp(k, "--rate"))
			err = parse_u64(v, 0, 100000000, &o->rate);
		else if (!strcmp(k, "--batch"))
			err = parse_u64(v, 1, 1024, &o->batch);
		else if (!strcmp(k, "--idle"))
			err = parse_duration(v, &o->idle_ns);
		else if (!strcmp(k, "--timeout"))
			err = parse_duration(v, &o->timeout_ns);
		else if (!strcmp(k, "--expect"))
			err = parse_duration(v, &o->expect_ns);
		else if (!strcmp(k, "--ready-fd")) {
			uint64_t fd;
			err = parse_u64(v, 0, INT32_MAX, &fd);
			o->ready_fd = (int)fd;
		} else {
			log_err("unknown option '%s'", k);
			return -EINVAL;
		}
		if (err < 0) {
			log_err("bad value '%s' for %s", v, k);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = 1; }

/* ---- sender ------------------------------------------------------------ */

static void sleep_until(mono_ns t)
{
	struct timespec ts = mono_to_timespec(t);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

static int run_send(const char *url, const struct opts *o)
{
	struct port p = { .ops = ops_for(url) };
	int err = p.ops->open(&p, url, true);
	if (err < 0) {
		log_err("cannot open %s for sending: %s", url, strerror(-err));
		return 1;
	}
	/* what we hand to the port: the frame without FCS, minus the headers
	 * the kernel adds for UDP */
	size_t len = o->size - FCS_LEN - p.wire_extra;
	if (len < p.hdr_off + sizeof(struct tbhdr)) {
		log_err("--size %llu is too small for the %zu-byte header",
			(unsigned long long)o->size, p.hdr_off + sizeof(struct tbhdr));
		p.ops->close(&p);
		return 1;
	}
	unsigned batch = (unsigned)o->batch;
	uint8_t **frames = xcalloc(batch, sizeof(*frames));
	for (unsigned i = 0; i < batch; i++) {
		frames[i] = xcalloc(1, len);
		if (p.hdr_off) {     /* broadcast from a local address, our ethertype */
			memset(frames[i], 0xff, 6);
			memcpy(frames[i] + 6, "\x02\x74\x62\x67\x65\x6e", 6);
			frames[i][12] = ETHERTYPE_TB >> 8;
			frames[i][13] = ETHERTYPE_TB & 0xff;
		}
	}
	/* pacing needs timer slack of ~0 to hit 100 us gaps */
	prctl(PR_SET_TIMERSLACK, 1UL);
	mono_ns interval = o->rate ? NS_PER_SEC / (mono_ns)o->rate : 0;
	mono_ns start = mono_now();
	uint64_t sent = 0;
	while (sent < o->count && !stop) {
		uint64_t k = o->count - sent;
		if (k > batch)
			k = batch;
		if (interval) {
			mono_ns due = start + (mono_ns)sent * interval;
			mono_ns now = mono_now();
			if (now < due) {
				sleep_until(due);
				now = mono_now();
			}
			/* frames due by now, at most a batch: a late wake-up
			 * catches up instead of drifting */
			uint64_t due_n = (uint64_t)((now - start) / interval) + 1 - sent;
			if (due_n < k)
				k = due_n;
		}
		mono_ns ts = mono_now();
		for (unsigned i = 0; i < k; i++) {
			struct tbhdr h = { MAGIC_DATA, (uint32_t)(sent + i), ts };
			memcpy(frames[i] + p.hdr_off, &h, sizeof(h));
		}
		err = p.ops->send(&p, frames, (unsigned)k, len);
		if (err < 0) {
			log_err("send on %s failed after %llu frames: %s", url,
				(unsigned long long)sent, strerror(-err));
			break;
		}
		sent += k;
	}
	mono_ns end = mono_now();
	/* END frames, a few copies a millisecond apart so loss rarely eats all */
	for (int c = 0; c < END_COPIES && err >= 0; c++) {
		struct tbhdr h = { MAGIC_END, (uint32_t)sent, mono_now() };
		memcpy(frames[0] + p.hdr_off, &h, sizeof(h));
		err = p.ops->send(&p, frames, 1, len);
		sleep_until(mono_now() + NS_PER_MS);
	}
	double secs = (double)(end - start) / 1e9;
	struct json j;
	json_init(&j, stdout, 0);
	json_obj_begin(&j);
	json_kv_str(&j, "role", "send");
	json_kv_str(&j, "port", p.ops->name);
	json_kv_uint(&j, "sent", sent);
	json_kv_uint(&j, "size", o->size);
	json_kv_uint(&j, "rate", o->rate);
	json_kv_double(&j, "duration_s", secs);
	json_kv_double(&j, "fps", secs > 0 ? (double)sent / secs : 0);
	json_obj_end(&j);
	json_finish(&j);
	fflush(stdout);
	for (unsigned i = 0; i < batch; i++)
		free(frames[i]);
	free(frames);
	p.ops->close(&p);
	return err < 0 ? 1 : 0;
}

/* ---- sink -------------------------------------------------------------- */

static int run_recv(const char *url, const struct opts *o)
{
	struct port p = { .ops = ops_for(url) };
	int err = p.ops->open(&p, url, false);
	if (err < 0) {
		log_err("cannot open %s for receiving: %s", url, strerror(-err));
		return 1;
	}
	if (o->ready_fd >= 0) {
		if (write(o->ready_fd, "ready\n", 6) != 6)
			log_warn("cannot write to --ready-fd %d: %s", o->ready_fd, strerror(errno));
		close(o->ready_fd);
	}
	enum { BATCH = 64 };
	size_t cap = VDE_ETHBUFSIZE;
	uint8_t *bufs[BATCH];
	size_t lens[BATCH];
	mono_ns at[BATCH];
	for (int i = 0; i < BATCH; i++)
		bufs[i] = xmalloc(cap);
	struct rxstats *st = rxstats_new();
	struct rxstats *rd = rxstats_new();     /* delays to when we read */
	uint64_t stamped = 0, stamp_bad = 0;
	uint64_t end_count = 0, foreign = 0;
	bool end_seen = false;
	mono_ns start = mono_now(), first = 0, last = 0;
	uint64_t unique_target = o->count_set ? o->count : 0, unique = 0;
	const mono_ns linger = o->idle_ns < 100 * NS_PER_MS ? o->idle_ns : 100 * NS_PER_MS;
	const char *why = "timeout";
	while (!stop) {
		mono_ns now = mono_now();
		mono_ns deadline = start + o->timeout_ns;
		if (first) {
			mono_ns idle_dl = last + (end_seen ? linger : o->idle_ns);
			if (idle_dl < deadline)
				deadline = idle_dl;
		}
		if (now >= deadline) {
			why = !first ? "timeout" : end_seen ? "end" : "idle";
			break;
		}
		struct pollfd pfd = { .fd = p.fd, .events = POLLIN };
		struct timespec tmo = mono_to_timespec(deadline - now);
		int pr = ppoll(&pfd, 1, &tmo, NULL);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll on %s: %s", url, strerror(errno));
			break;
		}
		if (pr == 0)
			continue;
		int n = p.ops->recv(&p, bufs, lens, at, BATCH, cap);
		if (n < 0) {
			log_err("receive on %s failed: %s", url, strerror(-n));
			err = n;
			break;
		}
		now = mono_now();
		for (int i = 0; i < n; i++) {
			struct tbhdr h;
			if (lens[i] < p.hdr_off + sizeof(h) ||
			    (p.hdr_off && (bufs[i][12] != (ETHERTYPE_TB >> 8) ||
					   bufs[i][13] != (ETHERTYPE_TB & 0xff)))) {
				foreign++;
				continue;
			}
			memcpy(&h, bufs[i] + p.hdr_off, sizeof(h));
			if (h.magic == MAGIC_END) {
				end_seen = true;
				end_count = h.seq;
				last = now;
				if (!first)
					first = now;
				continue;
			}
			if (h.magic != MAGIC_DATA) {
				foreign++;
				continue;
			}
			if (!first)
				first = now;
			last = now;
			/* a stamp before the send time cannot be: the kernel's
			 * and the vDSO's clock reads disagree now and then on
			 * this VM (kvm-clock; seen up to ~200 us): such a frame
			 * is timed at its read instead, and counted */
			if (at[i] && at[i] < h.ts) {
				at[i] = 0;
				stamp_bad++;
			}
			stamped += at[i] != 0;
			unique += rxstats_add(st, h.seq, (at[i] ? at[i] : now) - h.ts,
					      (uint32_t)(lens[i] + p.wire_extra));
			rxstats_add(rd, h.seq, now - h.ts, (uint32_t)(lens[i] + p.wire_extra));
		}
		if (unique_target && unique >= unique_target) {
			why = "count";
			break;
		}
	}
	struct rxstats_result r, rr;
	uint64_t sent = end_count ? end_count : (o->count_set ? o->count : 0);
	rxstats_result(st, sent, o->expect_ns, &r);
	rxstats_result(rd, sent, o->expect_ns, &rr);
	/* the receive rate over the span between first and last data frame */
	double span = last > first ? (double)(last - first) / 1e9 : 0;
	struct json j;
	json_init(&j, stdout, 0);
	json_obj_begin(&j);
	json_kv_str(&j, "role", "recv");
	json_kv_str(&j, "port", p.ops->name);
	json_kv_str(&j, "stopped", why);
	json_kv_bool(&j, "end_seen", end_seen);
	json_kv_uint(&j, "sent", r.sent);
	json_kv_uint(&j, "received", r.received);
	json_kv_uint(&j, "unique", r.unique);
	json_kv_uint(&j, "dups", r.dups);
	json_kv_uint(&j, "reordered", r.reordered);
	json_kv_uint(&j, "lost", r.lost);
	json_kv_double(&j, "loss", r.loss);
	json_kv_uint(&j, "bursts", r.bursts);
	json_kv_double(&j, "mean_burst", r.mean_burst);
	json_kv_uint(&j, "foreign", foreign);
	json_kv_double(&j, "span_s", span);
	json_kv_double(&j, "fps", span > 0 && r.unique > 1 ? (double)(r.unique - 1) / span : 0);
	/* bits on the Ethernet wire, without FCS, of the frames received */
	json_kv_double(&j, "l2_bps", span > 0 && r.unique > 1 ?
		       (double)r.bytes * 8.0 * (double)(r.unique - 1) / (double)r.unique / span : 0);
	json_kv_double(&j, "delay_min_us", (double)r.d_min / 1e3);
	json_kv_double(&j, "delay_mean_us", r.d_mean / 1e3);
	json_kv_double(&j, "delay_p50_us", (double)r.d_p50 / 1e3);
	json_kv_double(&j, "delay_p90_us", (double)r.d_p90 / 1e3);
	json_kv_double(&j, "delay_p99_us", (double)r.d_p99 / 1e3);
	json_kv_double(&j, "delay_p999_us", (double)r.d_p999 / 1e3);
	json_kv_double(&j, "delay_max_us", (double)r.d_max / 1e3);
	/* how many frames had a kernel arrival stamp (the delays above use
	 * it; the rest, and read_*, the time the sink read them) */
	json_kv_uint(&j, "kernel_stamped", stamped);
	json_kv_uint(&j, "kernel_stamp_before_send", stamp_bad);
	json_kv_double(&j, "read_delay_p50_us", (double)rr.d_p50 / 1e3);
	json_kv_double(&j, "read_delay_p99_us", (double)rr.d_p99 / 1e3);
	if (o->expect_ns >= 0) {
		json_kv_double(&j, "expect_us", (double)o->expect_ns / 1e3);
		json_kv_double(&j, "err_p50_us", (double)r.e_p50 / 1e3);
		json_kv_double(&j, "err_p99_us", (double)r.e_p99 / 1e3);
		json_kv_double(&j, "err_p999_us", (double)r.e_p999 / 1e3);
		json_kv_double(&j, "err_max_us", (double)r.e_max / 1e3);
		json_kv_double(&j, "read_err_p50_us", (double)rr.e_p50 / 1e3);
		json_kv_double(&j, "read_err_p99_us", (double)rr.e_p99 / 1e3);
	}
	json_obj_end(&j);
	json_finish(&j);
	fflush(stdout);
	rxstats_free(st);
	rxstats_free(rd);
	for (int i = 0; i < BATCH; i++)
		free(bufs[i]);
	p.ops->close(&p);
	return err < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	log_init("tbgen");
	if (argc < 3) {
		usage();
		return 2;
	}
	struct opts o;
	if (parse_opts(argc - 3, argv + 3, &o) < 0) {
		usage();
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "send"))
		return run_send(argv[2], &o);
	if (!strcmp(argv[1], "recv"))
		return run_recv(argv[2], &o);
	usage();
	return 2;
}
