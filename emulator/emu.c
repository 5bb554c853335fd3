/* emu — see emu.h. */
#include "emu.h"
#include "lane.h"
#include "log.h"
#include "mono.h"
#include "rng.h"
#include "rule.h"
#include "sockdeep.h"
#include "units.h"
#include "xalloc.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

enum tag_kind { TAG_DATA, TAG_CTL, TAG_TIMER, TAG_WAKE };
struct tag { enum tag_kind kind; void *obj; };

struct wire;
struct worker;

struct port {
	struct wire *w;
	int idx;                    /* 0: port a, 1: port b */
	char *url;
	VDECONN *conn;
	int fd, ctlfd;
	int up;
	mono_ns retry_at;
	int64_t backoff;
	uint64_t downs, reconnects;
	pcap_t *pc;
	pcap_dumper_t *dump;
	struct tag tdata, tctl;
	/* frames the output refused for now (EAGAIN), sent when it is
	 * writable again, in order: a slow switch delays frames, never drops
	 * them, up to TXQ_MAX */
	struct frame *txq_head, *txq_tail;
	size_t txq_n;
	int want_out;
	/* vde:// and ptp:// ports are datagram sockets whose datagrams are the
	 * frames (libvdeplug's vde and ptp plugins recv() and send() them as
	 * they are), so a batch is read with one recvmmsg() and, once the
	 * socket is connected (vde always, ptp after libvdeplug's first send),
	 * written with one sendmmsg(): what vde_recv/vde_send do, per batch. */
	int batch_rx;
	int batch_tx;
	int cork;                   /* tbshm: sends wait for the end of the
				     * round, all but the last with MSG_MORE,
				     * so the peer is woken once per round */
	int tx_probe;               /* ptp: see whether the first send connected it */
	int ts_rx;                  /* the kernel stamps each frame's arrival */
	int paused;                 /* not read: the other port's backlog is deep */
	int dirty;                  /* in the worker's list of backlogs to send */
	int blocked;                /* corked port whose peer's ring was full:
				     * in the worker's list, sent again at
				     * tx_retry_at (a FIFO never says when
				     * there is room, as EPOLLOUT would) */
	mono_ns tx_retry_at;
	mono_ns tx_backoff;         /* ... TX_RETRY, doubling while nothing goes */
	uint32_t events;            /* what epoll watches on fd now */
};

/* A port's backlog: frames due but not yet written (the batch being
 * built, or frames the output refused with EAGAIN).  Beyond TXQ_PAUSE the
 * port feeding it is not read until it drains to TXQ_RESUME, so a slow
 * output pushes back on its input as a blocking write would (frames then
 * wait, or are dropped, upstream, as with wirefilter); TXQ_MAX bounds what
 * delayed frames falling due can still add (beyond it: tx_error). */
#define TXQ_MAX 4096
#define TXQ_PAUSE 512
#define TXQ_RESUME 128

struct pipe_ {
	char *name;
	struct wire *w;
	struct impair cfg;
	struct lane lane[2];
	struct pipe_ *next;
};

struct wrule {
	struct rule r;
	struct pipe_ *p;
};

struct txctx { struct wire *w; int dir; };

struct wire {
	char *name;
	struct worker *wk;
	struct port port[2];
	uint64_t seed[2];
	struct rng rng[2];
	struct dir_stats st[2];
	struct pipe_ *pipes;        /* the first is the wire's own, "default" */
	struct wrule *rules;
	size_t nrules;
	int policy;                 /* 0 pass (to default pipe), 1 drop */
	struct txctx txc[2];
	struct lane_io io[2];
	char *capdir;
	uint64_t malformed_logged;
};

struct req {
	void (*fn)(struct worker *wk, void *arg);
	void *arg;
	sem_t done;
	struct req *next;
};

struct worker {
	struct emu *emu;
	int id;
	pthread_t th;
	int epfd, tfd, efd;
	struct tag ttimer, twake;
	struct frame_pool pool;
	struct lane **heap;
	size_t hn, hcap;
	VEC(struct port *) down;    /* ports waiting to reconnect */
	VEC(struct port *) dirty;   /* ports with a backlog to send this round */
	VEC(struct port *) blocked; /* corked ports waiting for room */
	mono_ns armed;
	mono_ns wake_est;           /* how late timer wake-ups come, high end (--spin auto) */
	mono_ns wake_typ;           /* ... and typically (their median) */
	mono_ns win_start, spun;    /* busy-polling done in the current window */
	mono_ns spin_since;         /* polling since then, or 0 */
	int psi_fd;                 /* /proc/pressure/cpu, or -1 */
	uint64_t psi_total;         /* its "some" total (us) at psi_at */
	mono_ns psi_at;
	int64_t psi_ppm;            /* CPU pressure, running mean (parts per million) */
	int spin_yield;             /* others wait for the CPU: do not poll */
	int may_poll;               /* a fixed --spin, or auto in a real-time loop */
	mono_ns early;              /* not polling: frames due this soon leave at wake-up */
	pthread_mutex_t qmu;
	struct req *qhead, *qtail;
	int stop;
	int th_started;
	uint8_t scratch[VDE_ETHBUFSIZE];
};

struct emu {
	struct emu_opts o;
	struct worker *wk;
	int nwk;
	unsigned next_wk;
	VEC(struct wire *) wires;
};

/* ---- timer heap of lanes, keyed on their next event ------------------ */

static void heap_swap(struct worker *wk, size_t i, size_t j)
{
	struct lane *t = wk->heap[i];
	wk->heap[i] = wk->heap[j];
	wk->heap[j] = t;
	wk->heap[i]->heap_idx = (long)i;
	wk->heap[j]->heap_idx = (long)j;
}

static void heap_up(struct worker *wk, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (wk->heap[p]->heap_key <= wk->heap[i]->heap_key)
			break;
		heap_swap(wk, i, p);
		i = p;
	}
}

static void heap_down(struct worker *wk, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < wk->hn && wk->heap[l]->heap_key < wk->heap[m]->heap_key) m = l;
		if (r < wk->hn && wk->heap[r]->heap_key < wk->heap[m]->heap_key) m = r;
		if (m == i)
			break;
		heap_swap(wk, i, m);
		i = m;
	}
}

static void heap_remove(struct worker *wk, struct lane *l)
{
	if (l->heap_idx < 0)
		return;
	size_t i = (size_t)l->heap_idx;
	wk->hn--;
	if (i != wk->hn) {
		wk->heap[i] = wk->heap[wk->hn];
		wk->heap[i]->heap_idx = (long)i;
		heap_down(wk, i);
		heap_up(wk, i);
	}
	l->heap_idx = -1;
	l->heap_key = INT64_MAX;
}

/* Put L at its next event time (or take it out when it holds nothing). */
static void heap_update(struct worker *wk, struct lane *l)
{
	mono_ns key = lane_next(l);
	if (key == INT64_MAX) {
		heap_remove(wk, l);
		return;
	}
	if (l->heap_idx < 0) {
		if (wk->hn == wk->hcap) {
			wk->hcap = wk->hcap ? wk->hcap * 2 : 64;
			wk->heap = xrealloc(wk->heap, wk->hcap * sizeof(*wk->heap));
		}
		l->heap_key = key;
		l->heap_idx = (long)wk->hn;
		wk->heap[wk->hn++] = l;
		heap_up(wk, (size_t)l->heap_idx);
	} else if (key != l->heap_key) {
		mono_ns old = l->heap_key;
		l->heap_key = key;
		if (key < old)
			heap_up(wk, (size_t)l->heap_idx);
		else
			heap_down(wk, (size_t)l->heap_idx);
	}
}

/* ---- worker requests ------------------------------------------------- */

/* Run FN(ARG) on the worker's thread and wait for it. */
static void worker_call(struct worker *wk, void (*fn)(struct worker *, void *), void *arg)
{
	struct req r = { .fn = fn, .arg = arg };
	uint64_t one = 1;
	sem_init(&r.done, 0, 0);
	pthread_mutex_lock(&wk->qmu);
	if (wk->qtail)
		wk->qtail->next = &r;
	else
		wk->qhead = &r;
	wk->qtail = &r;
	pthread_mutex_unlock(&wk->qmu);
	if (write(wk->efd, &one, sizeof(one)) != sizeof(one))
		log_warn("cannot wake worker %d: %s", wk->id, strerror(errno));
	while (sem_wait(&r.done) && errno == EINTR)
		;
	sem_destroy(&r.done);
}

static void worker_drain_requests(struct worker *wk)
{
	uint64_t v;
	if (read(wk->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("worker %d: eventfd read: %s", wk->id, strerror(errno));
	for (;;) {
		pthread_mutex_lock(&wk->qmu);
		struct req *r = wk->qhead;
		if (r) {
			wk->qhead = r->next;
			if (!wk->qhead)
				wk->qtail = NULL;
		}
		pthread_mutex_unlock(&wk->qmu);
		if (!r)
			break;
		r->fn(wk, r->arg);
		sem_post(&r->done);
	}
}

/* ---- ports ----------------------------------------------------------- */

static const char *const side_name[2] = { "a", "b" };

static int fd_connected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	return getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

/* A Unix datagram socket may have only sndbuf bytes of frames sent but not
 * yet read by the peer (each 64-byte frame costs ~700 bytes of truesize:
 * the default 208 KiB is ~300 frames, 30 ms at 10,000 frames/s).  A
 * receiver that is not scheduled for that long would make every frame
 * after it wait in our backlog and leave late; with a deep send buffer it
 * is handed over on time, with the kernel's stamp of that moment, and
 * waits in the receiver's queue instead: datagram ports get SOCKDEEP_BYTES
 * (lib/sockdeep). */
static int port_open(struct port *p)
{
	p->conn = vde_open(p->url, "testbed-emu", NULL);
	if (!p->conn)
		return errno ? -errno : -EIO;
	p->fd = vde_datafd(p->conn);
	p->ctlfd = vde_ctlfd(p->conn);
	if (p->fd < 0) {
		vde_close(p->conn);
		p->conn = NULL;
		return -EBADF;
	}
	int fl = fcntl(p->fd, F_GETFL);
	if (fl < 0 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int rc = -errno;
		vde_close(p->conn);
		p->conn = NULL;
		return rc;
	}
	p->batch_rx = !strncmp(p->url, "vde://", 6) || !strncmp(p->url, "ptp://", 6);
	if (p->batch_rx)
		sockdeep_fd(p->fd, SOCKDEEP_BYTES);
	p->batch_tx = p->batch_rx && fd_connected(p->fd);
	p->tx_probe = p->batch_rx && !p->batch_tx;
	p->cork = !strncmp(p->url, "tbshm://", 8);
	/* the kernel's receive timestamp is when the frame reached us: the
	 * delay counts from there, not from when the loop got round to it */
	int one = 1;
	p->ts_rx = p->batch_rx && !setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	p->up = 1;
	return 0;
}

static void port_watch(struct worker *wk, struct port *p)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->tdata };
	p->want_out = 0;
	p->paused = 0;
	p->events = EPOLLIN;
	p->tdata = (struct tag){ TAG_DATA, p };
	p->tctl = (struct tag){ TAG_CTL, p };
	if (epoll_ctl(wk->epfd, EPOLL_CTL_ADD, p->fd, &ev))
		log_err("wire %s port %s: epoll: %s", p->w->name, side_name[p->idx], strerror(errno));
	if (p->ctlfd >= 0 && p->ctlfd != p->fd) {
		ev.data.ptr = &p->tctl;
		if (epoll_ctl(wk->epfd, EPOLL_CTL_ADD, p->ctlfd, &ev))
			log_err("wire %s port %s: epoll: %s", p->w->name, side_name[p->idx], strerror(errno));
	}
}

static void port_unwatch(struct worker *wk, struct port *p)
{
	if (!p->conn)
		return;
	epoll_ctl(wk->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	if (p->ctlfd >= 0 && p->ctlfd != p->fd)
		epoll_ctl(wk->epfd, EPOLL_CTL_DEL, p->ctlfd, NULL);
}

/* Frames waiting for a port that went away: dropped as link_down. */
static void txq_drop(struct worker *wk, struct port *p)
{
	struct dir_stats *st = &p->w->st[1 - p->idx];
	for (struct frame *f = p->txq_head, *n; f; f = n) {
		n = f->next;
		st->drops[DROP_DOWN]++;
		st->qdepth--;
		pool_put(&wk->pool, f);
	}
	p->txq_head = p->txq_tail = NULL;
	p->txq_n = 0;
}

/* Watch what P needs now: input unless paused, output while a backlog
 * waits for room. */
static void port_events(struct worker *wk, struct port *p)
{
	uint32_t want = (p->paused ? 0 : EPOLLIN) | (p->want_out ? EPOLLOUT : 0);
	struct epoll_event ev = { .events = want, .data.ptr = &p->tdata };
	if (!p->up || want == p->events)
		return;
	if (epoll_ctl(wk->epfd, EPOLL_CTL_MOD, p->fd, &ev))
		log_err("wire %s port %s: epoll: %s", p->w->name, side_name[p->idx], strerror(errno));
	p->events = want;
}

static void want_out(struct worker *wk, struct port *p, int on)
{
	p->want_out = on;
	port_events(wk, p);
}

/* A corked port's peer had no room: try again shortly.  Its ring drains
 * in microseconds when the peer is alive and reading (1,024 frames). */
#define TX_RETRY (20 * NS_PER_US)
#define TX_RETRY_MAX (10 * NS_PER_MS)

static void port_block(struct worker *wk, struct port *op, int on, mono_ns now)
{
	if (on)
		op->tx_retry_at = now + op->tx_backoff;
	if (on == op->blocked)
		return;
	op->blocked = on;
	if (on) {
		VEC_PUSH(wk->blocked, op);
		return;
	}
	for (size_t i = 0; i < wk->blocked.n; i++)
		if (wk->blocked.v[i] == op) {
			wk->blocked.v[i] = wk->blocked.v[--wk->blocked.n];
			break;
		}
}

/* Pause or resume reading the port whose frames fill OP's backlog. */
static void backpressure(struct worker *wk, struct port *op)
{
	struct port *ip = &op->w->port[1 - op->idx];
	int pause = ip->paused ? op->txq_n > TXQ_RESUME : op->txq_n >= TXQ_PAUSE;
	if (!op->up)
		pause = 0;
	if (pause != ip->paused) {
		ip->paused = pause;
		port_events(wk, ip);
	}
}

#define BACKOFF_MIN (100 * NS_PER_MS)
#define BACKOFF_MAX (2 * NS_PER_SEC)

static void port_down(struct worker *wk, struct port *p, const char *why)
{
	if (!p->up)
		return;
	log_warn("wire %s port %s (%s) is down: %s; reconnecting", p->w->name,
		 side_name[p->idx], p->url, why);
	port_unwatch(wk, p);
	txq_drop(wk, p);
	port_block(wk, p, 0, 0);
	p->up = 0;
	backpressure(wk, p);         /* nothing waits for this port now */
	vde_close(p->conn);
	p->conn = NULL;
	p->fd = p->ctlfd = -1;
	p->up = 0;
	p->downs++;
	p->backoff = BACKOFF_MIN;
	p->retry_at = mono_now() + p->backoff;
	VEC_PUSH(wk->down, p);
}

static void ports_retry(struct worker *wk, mono_ns now)
{
	for (size_t i = 0; i < wk->down.n;) {
		struct port *p = wk->down.v[i];
		if (p->retry_at > now) {
			i++;
			continue;
		}
		if (port_open(p) == 0) {
			p->reconnects++;
			port_watch(wk, p);
			log_info("wire %s port %s (%s) is up again", p->w->name, side_name[p->idx], p->url);
			wk->down.v[i] = wk->down.v[--wk->down.n];
			continue;
		}
		p->backoff = p->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : p->backoff * 2;
		p->retry_at = now + p->backoff;
		i++;
	}
}

static void forget_down(struct worker *wk, struct port *p)
{
	for (size_t i = 0; i < wk->down.n; i++)
		if (wk->down.v[i] == p) {
			wk->down.v[i] = wk->down.v[--wk->down.n];
			return;
		}
}

/* ---- the data path --------------------------------------------------- */

/* Does ERR from a port's socket or device mean the port is gone (switch
 * dead, device deleted) rather than one frame failing (a TAP that is down
 * answers EIO, a full buffer EAGAIN)? */
static int port_gone(int err)
{
	return err == ECONNREFUSED || err == ENOTCONN || err == EPIPE || err == ECONNRESET ||
	       err == EBADF || err == EBADFD || err == ENODEV || err == ENXIO;
}

static void capture(struct port *p, const struct frame *f)
{
	struct pcap_pkthdr h;
	int64_t t = wall_now_ns();
	h.ts.tv_sec = t / NS_PER_SEC;
	h.ts.tv_usec = (t % NS_PER_SEC) / 1000;
	h.caplen = h.len = f->len;
	pcap_dump((u_char *)p->dump, &h, f->data);
}

/* One send at about NOW.  0 sent, 1 try later, -1 failed (counted; the
 * port may be down). */
static int tx_one(struct port *op, struct dir_stats *st, struct frame *f, int flags, mono_ns now)
{
	if (vde_send(op->conn, f->data, f->len, flags) >= 0) {
		stats_late(st, now - f->t);
		st->out_frames++;
		st->out_bytes += f->len;
		if (op->dump)
			capture(op, f);
		if (op->tx_probe) {
			op->tx_probe = 0;
			op->batch_tx = fd_connected(op->fd);
		}
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)
		return 1;
	st->drops[DROP_TXERR]++;
	if (port_gone(errno))
		port_down(op->w->wk, op, strerror(errno));
	return -1;
}

static void txq_pop(struct worker *wk, struct port *op, struct dir_stats *st)
{
	struct frame *f = op->txq_head;
	op->txq_head = f->next;
	if (!op->txq_head)
		op->txq_tail = NULL;
	op->txq_n--;
	st->qdepth--;
	pool_put(&wk->pool, f);
}

#define TX_BATCH 64

/* Send the head of OP's backlog with one sendmmsg().  Frames sent (> 0),
 * 0 when the output is full, -1 when the head frame failed (counted and
 * dropped; the port may be down). */
static int tx_batch(struct worker *wk, struct port *op, struct dir_stats *st)
{
	struct mmsghdr msg[TX_BATCH];
	struct iovec iov[TX_BATCH];
	int k = 0;
	for (struct frame *f = op->txq_head; f && k < TX_BATCH; f = f->next, k++) {
		iov[k] = (struct iovec){ f->data, f->len };
		memset(&msg[k], 0, sizeof(msg[k]));
		msg[k].msg_hdr.msg_iov = &iov[k];
		msg[k].msg_hdr.msg_iovlen = 1;
	}
	int n = sendmmsg(op->fd, msg, (unsigned)k, MSG_DONTWAIT);
	if (n < 0) {
		int err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR)
			return 0;
		st->drops[DROP_TXERR]++;
		txq_pop(wk, op, st);
		if (port_gone(err))
			port_down(wk, op, strerror(err));
		return -1;
	}
	mono_ns now = mono_now();
	for (int i = 0; i < n; i++) {
		struct frame *f = op->txq_head;
		stats_late(st, now - f->t);
		st->out_frames++;
		st->out_bytes += f->len;
		if (op->dump)
			capture(op, f);
		txq_pop(wk, op, st);
	}
	return n;
}

/* Send OP's backlog in order, until it is empty or the output is full
 * (then wait for EPOLLOUT). */
static void txq_flush(struct worker *wk, struct port *op)
{
	struct dir_stats *st = &op->w->st[1 - op->idx];
	/* one clock read per flush: a send to a ring takes nanoseconds */
	mono_ns now = op->batch_tx ? 0 : mono_now();
	int sent = 0;
	while (op->txq_head && op->up) {
		if (op->batch_tx) {
			if (tx_batch(wk, op, st) == 0)
				break;
			continue;
		}
		int more = op->cork && op->txq_head->next ? MSG_MORE : 0;
		if (tx_one(op, st, op->txq_head, more, now) == 1)
			break;
		if (!op->up)
			return;     /* gone: port_down dropped the rest */
		txq_pop(wk, op, st);
		sent++;
	}
	if (op->up && op->cork) {
		/* a peer that takes nothing (gone without a word, or not yet
		 * there) is asked less and less often; op->blocked is still
		 * what the last flush left */
		if (op->txq_head)
			op->tx_backoff = sent || !op->blocked ? TX_RETRY
					 : op->tx_backoff * 2 < TX_RETRY_MAX ? op->tx_backoff * 2 : TX_RETRY_MAX;
		port_block(wk, op, op->txq_head != NULL, now);
	} else if (op->up) {
		want_out(wk, op, op->txq_head != NULL);
	}
	backpressure(wk, op);
}

/* Send every backlog built during this round (one sendmmsg per port and
 * up to TX_BATCH frames rather than one send per frame; on a corked port,
 * one wake-up of its peer). */
static void flush_dirty(struct worker *wk)
{
	for (size_t i = 0; i < wk->dirty.n; i++) {
		struct port *op = wk->dirty.v[i];
		op->dirty = 0;
		if (op->up && !op->want_out && !op->blocked)
			txq_flush(wk, op);
	}
	wk->dirty.n = 0;
}

/* Corked ports whose retry time has come: send again.  txq_flush takes a
 * port that got its frames out off the list (the next one moves into its
 * place) and gives one still full a later time, so the loop ends. */
static void ports_unblock(struct worker *wk, mono_ns now)
{
	for (size_t i = 0; i < wk->blocked.n;) {
		struct port *p = wk->blocked.v[i];
		if (p->tx_retry_at > now) {
			i++;
			continue;
		}
		txq_flush(wk, p);
	}
}

static void forget_dirty(struct worker *wk, struct port *p)
{
	if (!p->dirty)
		return;
	for (size_t i = 0; i < wk->dirty.n; i++)
		if (wk->dirty.v[i] == p) {
			wk->dirty.v[i] = wk->dirty.v[--wk->dirty.n];
			break;
		}
	p->dirty = 0;
}

static int tx(void *ctx, struct frame *f)
{
	struct txctx *c = ctx;
	struct wire *w = c->w;
	struct port *op = &w->port[1 - c->dir];
	struct dir_stats *st = &w->st[c->dir];

	if (!op->up) {
		st->drops[DROP_DOWN]++;
		return 0;
	}
	if (!op->txq_head && !op->batch_tx && !op->cork && tx_one(op, st, f, 0, mono_now()) != 1)
		return 0;
	if (op->txq_n >= TXQ_MAX) {
		st->drops[DROP_TXERR]++;
		return 0;
	}
	f->next = NULL;
	if (op->txq_tail)
		op->txq_tail->next = f;
	else
		op->txq_head = f;
	op->txq_tail = f;
	op->txq_n++;
	if (++st->qdepth > st->qdepth_max)
		st->qdepth_max = st->qdepth;
	if (op->want_out || op->blocked) {
		/* waiting for room already */
	} else if (op->batch_tx || op->cork) {
		if (!op->dirty) {
			op->dirty = 1;
			VEC_PUSH(w->wk->dirty, op);
		}
	} else {
		want_out(w->wk, op, 1);
	}
	if (op->txq_n >= TXQ_PAUSE)
		backpressure(w->wk, op);
	return 1;
}

static struct lane *classify(struct wire *w, int dir, const struct frame *f)
{
	if (w->nrules) {
		struct frame_info fi;
		frame_classify(f->data, f->len, &fi);
		for (size_t i = 0; i < w->nrules; i++)
			if (rule_match(&w->rules[i].r, dir, &fi))
				return &w->rules[i].p->lane[dir];
	}
	return w->policy ? NULL : &w->pipes->lane[dir];
}

/* One frame of N bytes read from P (TRUNC: it was longer than the buffer). */
static void rx_frame(struct worker *wk, struct port *p, struct frame *f, ssize_t n, int trunc, mono_ns now)
{
	struct wire *w = p->w;
	int dir = p->idx;
	struct dir_stats *st = &w->st[dir];

	if (trunc || n < EMU_FRAME_MIN || n > EMU_FRAME_MAX) {
		st->in_frames++;
		st->in_bytes += (uint64_t)n;
		st->drops[DROP_MALFORMED]++;
		/* log the 1st, 2nd, 4th, 8th ... so a flood does not flood the log */
		uint64_t m = st->drops[DROP_MALFORMED];
		if ((m & (m - 1)) == 0)
			log_warn("wire %s port %s: dropped a frame of %zd%s bytes (frames are %d to %d bytes); %llu so far",
				 w->name, side_name[dir], n,
				 trunc || n == (ssize_t)sizeof(f->data) ? " or more" : "",
				 EMU_FRAME_MIN, EMU_FRAME_MAX, (unsigned long long)m);
		pool_put(&wk->pool, f);
		return;
	}
	f->len = (uint32_t)n;
	struct lane *l = classify(w, dir, f);
	if (!l) {
		st->in_frames++;
		st->in_bytes += (uint64_t)n;
		st->drops[DROP_NORULE]++;
		pool_put(&wk->pool, f);
		return;
	}
	lane_enqueue(l, f, now, &w->io[dir]);
	heap_update(wk, l);
}

#define RX_BATCH 32

/* vde:// ports are a connected datagram socket whose datagrams are the
 * frames (libvdeplug_vde.c recv()s and send()s them as they are), so a
 * batch is read with one recvmmsg(). */
/* The arrival time of a received datagram on the monotonic clock, from
 * its SCM_TIMESTAMPNS (CLOCK_REALTIME; OFF is realtime - monotonic now),
 * or 0 when it has none or it is not plausible (the clock was stepped). */
static mono_ns rx_stamp(struct msghdr *mh, int64_t off, mono_ns now)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		struct timespec ts;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		mono_ns t = (mono_ns)ts.tv_sec * NS_PER_SEC + ts.tv_nsec - off;
		return t <= now && t > now - NS_PER_SEC ? t : 0;
	}
	return 0;
}

static int rx_batch(struct worker *wk, struct port *p)
{
	struct mmsghdr msg[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct frame *f[RX_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} cm[RX_BATCH];
	int k = 0, n;

	while (k < RX_BATCH && (f[k] = pool_get(&wk->pool)) != NULL) {
		iov[k] = (struct iovec){ f[k]->data, sizeof(f[k]->data) };
		memset(&msg[k], 0, sizeof(msg[k]));
		msg[k].msg_hdr.msg_iov = &iov[k];
		msg[k].msg_hdr.msg_iovlen = 1;
		if (p->ts_rx) {
			msg[k].msg_hdr.msg_control = cm[k].buf;
			msg[k].msg_hdr.msg_controllen = sizeof(cm[k].buf);
		}
		k++;
	}
	if (k == 0)
		return -ENOBUFS;
	n = recvmmsg(p->fd, msg, (unsigned)k, MSG_DONTWAIT, NULL);
	int err = n < 0 ? errno : 0;
	for (int i = n < 0 ? 0 : n; i < k; i++)
		pool_put(&wk->pool, f[i]);
	if (n < 0)
		return -err;
	/* one clock read per batch: its frames were read together */
	mono_ns now = mono_now();
	int64_t off = p->ts_rx ? wall_now_ns() - now : 0;
	for (int i = 0; i < n; i++) {
		if (p->ts_rx)
			f[i]->arrived = rx_stamp(&msg[i].msg_hdr, off, now);
		rx_frame(wk, p, f[i], (ssize_t)msg[i].msg_len, !!(msg[i].msg_hdr.msg_flags & MSG_TRUNC), now);
	}
	return n;
}

static void port_rx(struct worker *wk, struct port *p)
{
	struct dir_stats *st = &p->w->st[p->idx];
	/* one clock read per batch: the frames of a batch arrived together */
	mono_ns now = mono_now();

	while (p->up && !p->paused) {
		struct frame *f = NULL;
		ssize_t n;
		if (p->batch_rx) {
			n = rx_batch(wk, p);
			if (n > 0) {
				flush_dirty(wk);
				/* a short batch emptied the socket: asking again
				 * would only return EAGAIN (a syscall per wake-up);
				 * epoll is level-triggered and reports what comes */
				if (n < RX_BATCH)
					break;
				continue;
			}
			if (n == 0)
				break;
			if (n != -ENOBUFS) {
				if (port_gone((int)-n))
					port_down(wk, p, strerror((int)-n));
				break;
			}
		} else {
			f = pool_get(&wk->pool);
		}
		if (!f) {
			n = vde_recv(p->conn, wk->scratch, sizeof(wk->scratch), 0);
			if (n <= 0)
				break;
			st->in_frames++;
			st->in_bytes += (uint64_t)n;
			st->drops[DROP_NOBUF]++;
			continue;
		}
		n = vde_recv(p->conn, f->data, sizeof(f->data), 0);
		if (n < 0) {
			int err = errno;
			pool_put(&wk->pool, f);
			if (port_gone(err))
				port_down(wk, p, strerror(err));
			break;
		}
		rx_frame(wk, p, f, n, 0, now);
	}
}

static struct wire *lane_wire(struct lane *l) { return ((struct pipe_ *)l->owner)->w; }

static void run_due(struct worker *wk, mono_ns now)
{
	while (wk->hn && wk->heap[0]->heap_key <= now) {
		struct lane *l = wk->heap[0];
		lane_run(l, now, &lane_wire(l)->io[l->dir]);
		heap_update(wk, l);
	}
}

/* --spin auto: a timer wake-up came OV late.  The estimate rises quickly
 * and decays slowly, so it follows the high end of recent wake-up delays
 * (measured on this 2-vCPU VM: ~100 us at p50, even at SCHED_FIFO) rather
 * than their mean.  The typical delay is their median, tracked in fixed
 * steps: a running mean jumped by 100+ us with each wake-up that came
 * milliseconds late (preempted), and frames sent that much early. */
#define WAKE_TYP_STEP NS_PER_US
static void learn_wake(struct worker *wk, mono_ns ov)
{
	if (ov < 0)
		ov = 0;
	if (ov > wk->wake_est)
		wk->wake_est += (ov - wk->wake_est) / 4;
	else
		wk->wake_est -= (wk->wake_est - ov) / 64;
	if (ov > wk->wake_typ)
		wk->wake_typ += WAKE_TYP_STEP;
	else if (wk->wake_typ >= WAKE_TYP_STEP)
		wk->wake_typ -= WAKE_TYP_STEP;
}

/* How long before a deadline to wake: fixed (--spin DURATION) or the
 * learned wake-up delay with a margin (FULL), or only its typical value
 * (once the full lead has used its share of the window), at most the
 * --spin cap. */
static mono_ns spin_lead(struct worker *wk, int full)
{
	const struct emu_opts *o = &wk->emu->o;
	if (!o->spin_auto)
		return o->spin_ns;
	mono_ns lead = full ? wk->wake_est + wk->wake_est / 2 + 5 * NS_PER_US : wk->wake_typ;
	return lead < o->spin_ns ? lead : o->spin_ns;
}

/* Arm the timer for the next event, SPIN early (the rest is busy-polled:
 * timer wake-ups on a loaded or virtual machine are late by tens of us).
 * With --spin auto and no polling allowed now, the timer is armed the
 * typical wake-up delay early and frames due within that lead leave at
 * the wake-up (wk->early): the send times then scatter around the
 * deadlines instead of all coming a wake-up delay late.
 * Returns 1 when the next event is so close that the loop should poll. */
/* Busy-polling is held to a share of each SPIN_WINDOW: when deadlines
 * come faster than timer wake-ups (10,000 frames/s with ~100 us wake-up
 * delays) the loop would otherwise poll without end, and a SCHED_FIFO
 * thread that never sleeps starves the ordinary tasks of its CPU until the
 * kernel's fair server runs them anyway (up to 50 ms of every second, in
 * one piece), which is far worse for timing than sleeping now and then.
 * The full lead may poll SPIN_FULL_PCT of the window; after that the loop
 * wakes only the typical wake-up delay early (so a wake-up lands near the
 * deadline instead of ~50 us after it), up to SPIN_MAX_PCT in all. */
#define SPIN_WINDOW (20 * NS_PER_MS)
#define SPIN_FULL_PCT 75
#define SPIN_MAX_PCT 90

/* Busy-polling also yields to the rest of the machine: when other tasks
 * wait for a CPU (the kernel's pressure stall information, /proc/pressure/
 * cpu "some"), polling would take the CPU from the switches and plugs on
 * the very path of the frames (a 10,000 frames/s scene through two
 * switches then queued for 100+ ms in front of the link).  Measured once
 * per window, smoothed, with hysteresis. */
#define PSI_STOP_PPM 100000     /* 10% of the time some task waited */
#define PSI_GO_PPM 40000

static void psi_update(struct worker *wk, mono_ns now)
{
	char buf[160];
	if (wk->psi_fd < 0)
		return;
	ssize_t n = pread(wk->psi_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = 0;
	const char *t = strstr(buf, "total=");
	if (!t)
		return;
	uint64_t total = strtoull(t + 6, NULL, 10);
	if (wk->psi_at && now > wk->psi_at) {
		int64_t ppm = (int64_t)((total - wk->psi_total) * 1000 * 1000000 / (uint64_t)(now - wk->psi_at));
		wk->psi_ppm += (ppm - wk->psi_ppm) / 4;
		if (wk->psi_ppm > PSI_STOP_PPM)
			wk->spin_yield = 1;
		else if (wk->psi_ppm < PSI_GO_PPM)
			wk->spin_yield = 0;
	}
	wk->psi_total = total;
	wk->psi_at = now;
}

/* The lead allowed now: full, typical or none. */
static mono_ns spin_budget(struct worker *wk, mono_ns now)
{
	if (wk->spin_since) {
		wk->spun += now - wk->spin_since;
		wk->spin_since = 0;
	}
	if (now - wk->win_start >= SPIN_WINDOW) {
		wk->win_start = now;
		wk->spun = 0;
		psi_update(wk, now);
	}
	if (wk->spin_yield || !wk->may_poll)
		return 0;
	if (wk->spun < SPIN_WINDOW * SPIN_FULL_PCT / 100)
		return spin_lead(wk, 1);
	if (wk->spun < SPIN_WINDOW * SPIN_MAX_PCT / 100)
		return spin_lead(wk, 0);
	return 0;
}

/* An ordinary (not real-time) worker runs SCHED_BATCH: a thread woken by
 * a frame then does not preempt the switch or plug that sent it, but runs
 * when that one sleeps or its slice ends, and finds more frames waiting.
 * Woken eagerly, on a machine whose CPUs the switches, plugs and guests
 * share, it preempted them for every few frames (scene N's TCP: 38,000
 * wake-ups against wirefilter's 6,000, and 25% less goodput).  It ran
 * SCHED_OTHER while a frame waited for its time, so that its timer
 * wake-up would preempt; on the AMD EPYC host (2026-11-25) that made every
 * arriving frame preempt too (26,000-61,000 wake-ups per TCP run at
 * delay=10ms against 8,400-10,000) and cost scene N's delayed TCP a
 * quarter of its goodput, while staying SCHED_BATCH kept the 10,000
 * frames/s probe's p99 at 74-90 us (docs/benchmarks.md).  --realtime is
 * for timing that must not wait for anyone. */
static void sched_batch(struct worker *wk)
{
	if (wk->emu->o.rt_prio > 0)
		return;
	struct sched_param sp = { .sched_priority = 0 };
	int rc = pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	if (rc)
		log_warn("worker %d: SCHED_BATCH refused: %s; its policy stays as it is", wk->id, strerror(rc));
}

static int arm_timer(struct worker *wk, mono_ns now)
{
	mono_ns next = wk->hn ? wk->heap[0]->heap_key : INT64_MAX;
	mono_ns spin = spin_budget(wk, now);
	wk->early = 0;
	for (size_t i = 0; i < wk->down.n; i++)
		if (wk->down.v[i]->retry_at < next)
			next = wk->down.v[i]->retry_at;
	for (size_t i = 0; i < wk->blocked.n; i++)
		if (wk->blocked.v[i]->tx_retry_at < next)
			next = wk->blocked.v[i]->tx_retry_at;
	if (next != INT64_MAX && spin > 0) {
		if (next - now <= spin) {
			wk->spin_since = now;
			return 1;
		}
		next -= spin;
	} else if (next != INT64_MAX && wk->emu->o.spin_auto) {
		wk->early = wk->wake_typ < wk->emu->o.spin_ns ? wk->wake_typ : wk->emu->o.spin_ns;
		next -= wk->early;
	}
	if (next == wk->armed)
		return 0;
	struct itimerspec its = { 0 };
	if (next != INT64_MAX)
		its.it_value = mono_to_timespec(next > 0 ? next : 1);
	if (timerfd_settime(wk->tfd, TFD_TIMER_ABSTIME, &its, NULL))
		log_err("worker %d: timerfd: %s", wk->id, strerror(errno));
	wk->armed = next;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct epoll_event ev[64];
	int poll_only = 0;

	/* default timer slack (50 us) would blur every deadline */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (wk->emu->o.rt_prio > 0) {
		struct sched_param sp = { .sched_priority = wk->emu->o.rt_prio };
		int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		if (rc)
			log_warn("worker %d: SCHED_FIFO %d refused: %s; running without", wk->id,
				 wk->emu->o.rt_prio, strerror(rc));
	}
	sched_batch(wk);
	while (!wk->stop) {
		int n = epoll_wait(wk->epfd, ev, 64, poll_only ? 0 : -1);
		if (n < 0 && errno != EINTR) {
			log_err("worker %d: epoll_wait: %s", wk->id, strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct tag *t = ev[i].data.ptr;
			switch (t->kind) {
			case TAG_TIMER: {
				uint64_t v;
				if (read(wk->tfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					log_warn("worker %d: timerfd read: %s", wk->id, strerror(errno));
				else if (wk->armed != INT64_MAX && wk->armed != INT64_MIN)
					learn_wake(wk, mono_now() - wk->armed);
				wk->armed = INT64_MIN;     /* fired: re-arm whatever comes next */
				break;
			}
			case TAG_WAKE:
				worker_drain_requests(wk);
				/* a request may have removed a port reported below */
				n = 0;
				break;
			case TAG_DATA:
				if (ev[i].events & EPOLLOUT)
					txq_flush(wk, t->obj);
				if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
					port_rx(wk, t->obj);
				break;
			case TAG_CTL: {
				struct port *p = t->obj;
				char buf[256];
				/* the switch speaks on this socket only to hang up */
				ssize_t r = read(p->ctlfd, buf, sizeof(buf));
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
					port_down(wk, p, "its switch closed the connection");
				break;
			}
			}
			if (t->kind == TAG_WAKE)
				break;
		}
		mono_ns now = mono_now();
		run_due(wk, now + wk->early);
		flush_dirty(wk);
		if (wk->down.n)
			ports_retry(wk, now);
		if (wk->blocked.n)
			ports_unblock(wk, now);
		poll_only = arm_timer(wk, now);
	}
	return NULL;
}

/* ---- wires ----------------------------------------------------------- */

static struct pipe_ *pipe_new(struct wire *w, const char *name, const struct impair *cfg)
{
	struct pipe_ *p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(name);
	p->w = w;
	p->cfg = *cfg;
	for (int d = 0; d < 2; d++) {
		lane_init(&p->lane[d], &cfg->dir[d], &w->rng[d], &w->st[d]);
		p->lane[d].owner = p;
		p->lane[d].dir = d;
	}
	return p;
}

static void pipe_free(struct pipe_ *p)
{
	free(p->name);
	free(p);
}

static struct wire *find_wire(struct emu *e, const char *name, size_t *idx)
{
	for (size_t i = 0; i < e->wires.n; i++)
		if (!strcmp(e->wires.v[i]->name, name)) {
			if (idx)
				*idx = i;
			return e->wires.v[i];
		}
	return NULL;
}

static struct pipe_ *find_pipe(struct wire *w, const char *name)
{
	for (struct pipe_ *p = w->pipes; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static void dumps_close(pcap_t *pc[2], pcap_dumper_t *d[2])
{
	for (int i = 0; i < 2; i++) {
		if (d[i]) {
			pcap_dump_flush(d[i]);
			pcap_dump_close(d[i]);
		}
		if (pc[i])
			pcap_close(pc[i]);
	}
}

/* Open DIR/WIRE-a.pcap and -b.pcap.  0 or -errno, ERR says why. */
static int dumps_open(const char *dir, const char *wire, pcap_t *pc[2], pcap_dumper_t *d[2],
		      char *err, size_t errsz)
{
	pc[0] = pc[1] = NULL;
	d[0] = d[1] = NULL;
	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("%s/%s-%s.pcap", dir, wire, side_name[i]);
		pc[i] = pcap_open_dead(DLT_EN10MB, 65535);
		d[i] = pc[i] ? pcap_dump_open(pc[i], path) : NULL;
		if (!d[i]) {
			snprintf(err, errsz, "cannot write %s: %s", path,
				 pc[i] ? pcap_geterr(pc[i]) : "pcap_open_dead failed");
			free(path);
			dumps_close(pc, d);
			return -EIO;
		}
		free(path);
	}
	return 0;
}

static void wire_attach(struct worker *wk, void *arg)
{
	struct wire *w = arg;
	for (int i = 0; i < 2; i++)
		port_watch(wk, &w->port[i]);
}

static void wire_detach(struct worker *wk, void *arg)
{
	struct wire *w = arg;
	for (int i = 0; i < 2; i++) {
		port_unwatch(wk, &w->port[i]);
		forget_down(wk, &w->port[i]);
		forget_dirty(wk, &w->port[i]);
		port_block(wk, &w->port[i], 0, 0);
		txq_drop(wk, &w->port[i]);
	}
	for (struct pipe_ *p = w->pipes; p; p = p->next)
		for (int d = 0; d < 2; d++) {
			heap_remove(wk, &p->lane[d]);
			lane_flush(&p->lane[d], &wk->pool);
		}
}

static void wire_free(struct wire *w)
{
	for (int i = 0; i < 2; i++) {
		struct port *p = &w->port[i];
		if (p->conn)
			vde_close(p->conn);
		pcap_t *pc[2] = { p->pc, NULL };
		pcap_dumper_t *d[2] = { p->dump, NULL };
		dumps_close(pc, d);
		free(p->url);
	}
	for (struct pipe_ *p = w->pipes, *n; p; p = n) {
		n = p->next;
		pipe_free(p);
	}
	for (size_t i = 0; i < w->nrules; i++)
		rule_free(&w->rules[i].r);
	free(w->rules);
	free(w->capdir);
	free(w->name);
	free(w);
}

static int err_reply(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int err_reply(FILE *out, const char *fmt, ...)
{
	va_list ap;
	fputs("error: ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return -1;
}

/* Merge the attributes given in GIVEN into BASE and check the result. */
static int merge_check(struct impair *res, const struct impair *base, const struct impair *given,
		       const char **why)
{
	*res = *base;
	for (int d = 0; d < 2; d++) {
		impair_dir_merge(&res->dir[d], &given->dir[d]);
		if ((*why = impair_dir_check(&res->dir[d])))
			return -EINVAL;
	}
	return 0;
}

static int cmd_wire_add(struct emu *e, const struct ctl_cmd *c, FILE *out)
{
	struct impair base, cfg;
	const char *why;
	char err[512];

	if (find_wire(e, c->wire, NULL))
		return err_reply(out, "wire %s exists", c->wire);
	impair_init(&base);
	if (merge_check(&cfg, &base, &c->imp, &why))
		return err_reply(out, "%s", why);

	struct wire *w = xcalloc(1, sizeof(*w));
	w->name = xstrdup(c->wire);
	w->policy = c->policy > 0;
	for (int i = 0; i < 2; i++) {
		struct port *p = &w->port[i];
		p->w = w;
		p->idx = i;
		p->fd = p->ctlfd = -1;
		p->url = xstrdup(c->port[i]);
	}
	for (int i = 0; i < 2; i++) {
		int rc = port_open(&w->port[i]);
		if (rc) {
			err_reply(out, "cannot open port %s %s: %s", side_name[i], c->port[i], strerror(-rc));
			wire_free(w);
			return -1;
		}
	}
	for (int d = 0; d < 2; d++) {
		w->seed[d] = rng_derive(e->o.seed, w->name, d);
		rng_seed(&w->rng[d], w->seed[d]);
		w->txc[d] = (struct txctx){ w, d };
		w->io[d] = (struct lane_io){ tx, &w->txc[d], NULL };
	}
	w->pipes = pipe_new(w, "default", &cfg);
	if (e->o.pcap_dir) {
		pcap_t *pc[2];
		pcap_dumper_t *d[2];
		if (dumps_open(e->o.pcap_dir, w->name, pc, d, err, sizeof(err))) {
			err_reply(out, "%s", err);
			wire_free(w);
			return -1;
		}
		for (int i = 0; i < 2; i++) {
			w->port[i].pc = pc[i];
			w->port[i].dump = d[i];
		}
		w->capdir = xstrdup(e->o.pcap_dir);
	}
	w->wk = &e->wk[e->next_wk++ % (unsigned)e->nwk];
	for (int d = 0; d < 2; d++)
		w->io[d].pool = &w->wk->pool;
	VEC_PUSH(e->wires, w);
	worker_call(w->wk, wire_attach, w);

	char a[512], b[512];
	log_info("wire %s: a=%s b=%s thread %d; a2b %s; b2a %s; prng seeds a2b=%llu b2a=%llu",
		 w->name, w->port[0].url, w->port[1].url, w->wk->id,
		 impair_dir_format(&cfg.dir[0], a, sizeof(a)), impair_dir_format(&cfg.dir[1], b, sizeof(b)),
		 (unsigned long long)w->seed[0], (unsigned long long)w->seed[1]);
	fputs("ok\n", out);
	return 0;
}

static int cmd_wire_del(struct emu *e, const struct ctl_cmd *c, FILE *out)
{
	size_t idx;
	struct wire *w = find_wire(e, c->wire, &idx);
	if (!w)
		return err_reply(out, "no wire %s", c->wire);
	worker_call(w->wk, wire_detach, w);
	e->wires.v[idx] = e->wires.v[--e->wires.n];
	log_info("wire %s removed", w->name);
	wire_free(w);
	fputs("ok\n", out);
	return 0;
}

struct set_req { struct pipe_ *p; struct impair cfg; int policy; };

static void pipe_apply(struct worker *wk, void *arg)
{
	struct set_req *r = arg;
	r->p->cfg = r->cfg;
	for (int d = 0; d < 2; d++)
		lane_configure(&r->p->lane[d], &r->cfg.dir[d]);
	if (r->policy >= 0)
		r->p->w->policy = r->policy;
}

static int cmd_pipe_set(struct emu *e, struct wire *w, struct pipe_ *p, const struct ctl_cmd *c, FILE *out)
{
	struct set_req r = { .p = p, .policy = c->policy };
	const char *why;
	char a[512], b[512];
	if (merge_check(&r.cfg, &p->cfg, &c->imp, &why))
		return err_reply(out, "%s", why);
	worker_call(w->wk, pipe_apply, &r);
	log_info("wire %s pipe %s set: a2b %s; b2a %s", w->name, p->name,
		 impair_dir_format(&r.cfg.dir[0], a, sizeof(a)), impair_dir_format(&r.cfg.dir[1], b, sizeof(b)));
	fputs("ok\n", out);
	return 0;
}

struct pipe_req { struct wire *w; struct pipe_ *p; };

static void pipe_link(struct worker *wk, void *arg)
{
	struct pipe_req *r = arg;
	struct pipe_ *q = r->w->pipes;
	while (q->next)
		q = q->next;
	q->next = r->p;
}

static void pipe_unlink(struct worker *wk, void *arg)
{
	struct pipe_req *r = arg;
	for (struct pipe_ **pp = &r->w->pipes; *pp; pp = &(*pp)->next)
		if (*pp == r->p) {
			*pp = r->p->next;
			break;
		}
	/* what the pipe still holds leaves now rather than being lost */
	for (int d = 0; d < 2; d++) {
		struct lane *l = &r->p->lane[d];
		heap_remove(wk, l);
		lane_run(l, INT64_MAX, &r->w->io[d]);
	}
}

struct rules_req { struct wire *w; struct wrule *rules; size_t n; };

static void rules_swap(struct worker *wk, void *arg)
{
	struct rules_req *r = arg;
	struct wrule *old = r->w->rules;
	size_t oldn = r->w->nrules;
	r->w->rules = r->rules;
	r->w->nrules = r->n;
	r->rules = old;
	r->n = oldn;
}

static int cmd_rule(struct emu *e, struct wire *w, const struct ctl_cmd *c, FILE *out)
{
	struct rules_req r = { .w = w };
	char buf[512];

	if (c->op == CTL_RULE_ADD) {
		struct pipe_ *p = find_pipe(w, c->rule.pipe);
		size_t at = c->at < 0 || (size_t)c->at > w->nrules ? w->nrules : (size_t)c->at;
		if (!p)
			return err_reply(out, "wire %s has no pipe %s (pipe add first)", w->name, c->rule.pipe);
		r.n = w->nrules + 1;
		r.rules = xcalloc(r.n, sizeof(*r.rules));
		memcpy(r.rules, w->rules, at * sizeof(*r.rules));
		memcpy(r.rules + at + 1, w->rules + at, (w->nrules - at) * sizeof(*r.rules));
		r.rules[at].r = c->rule;
		r.rules[at].r.pipe = xstrdup(c->rule.pipe);
		r.rules[at].p = p;
		worker_call(w->wk, rules_swap, &r);
		log_info("wire %s rule %zu: %s", w->name, at, rule_format(&c->rule, buf, sizeof(buf)));
		free(r.rules);           /* the old array; its rules live on in the new */
		fprintf(out, "ok\n%zu\n", at);
		return 0;
	}
	if ((size_t)c->index >= w->nrules)
		return err_reply(out, "wire %s has %zu rules (0 to %zu)", w->name, w->nrules,
				 w->nrules ? w->nrules - 1 : 0);
	size_t at = (size_t)c->index;
	r.n = w->nrules - 1;
	r.rules = xcalloc(r.n ? r.n : 1, sizeof(*r.rules));
	memcpy(r.rules, w->rules, at * sizeof(*r.rules));
	memcpy(r.rules + at, w->rules + at + 1, (w->nrules - at - 1) * sizeof(*r.rules));
	struct rule gone = w->rules[at].r;
	worker_call(w->wk, rules_swap, &r);
	log_info("wire %s rule %zu removed", w->name, at);
	rule_free(&gone);
	free(r.rules);
	fputs("ok\n", out);
	return 0;
}

static int cmd_pipe(struct emu *e, struct wire *w, const struct ctl_cmd *c, FILE *out)
{
	struct pipe_ *p = find_pipe(w, c->pipe);
	if (c->op == CTL_PIPE_SET) {
		if (!p)
			return err_reply(out, "wire %s has no pipe %s", w->name, c->pipe);
		return cmd_pipe_set(e, w, p, c, out);
	}
	if (c->op == CTL_PIPE_ADD) {
		struct impair base, cfg;
		const char *why;
		if (p)
			return err_reply(out, "wire %s already has a pipe %s", w->name, c->pipe);
		impair_init(&base);
		if (merge_check(&cfg, &base, &c->imp, &why))
			return err_reply(out, "%s", why);
		struct pipe_req r = { w, pipe_new(w, c->pipe, &cfg) };
		worker_call(w->wk, pipe_link, &r);
		log_info("wire %s pipe %s added", w->name, c->pipe);
		fputs("ok\n", out);
		return 0;
	}
	if (!p)
		return err_reply(out, "wire %s has no pipe %s", w->name, c->pipe);
	if (p == w->pipes)
		return err_reply(out, "the default pipe is the wire's own; wire del removes it");
	for (size_t i = 0; i < w->nrules; i++)
		if (w->rules[i].p == p)
			return err_reply(out, "rule %zu sends to pipe %s; rule del it first", i, p->name);
	struct pipe_req r = { w, p };
	worker_call(w->wk, pipe_unlink, &r);
	pipe_free(p);
	log_info("wire %s pipe %s removed", w->name, c->pipe);
	fputs("ok\n", out);
	return 0;
}

struct cap_req { struct wire *w; pcap_t *pc[2]; pcap_dumper_t *d[2]; };

static void capture_swap(struct worker *wk, void *arg)
{
	struct cap_req *r = arg;
	for (int i = 0; i < 2; i++) {
		pcap_t *pc = r->w->port[i].pc;
		pcap_dumper_t *d = r->w->port[i].dump;
		r->w->port[i].pc = r->pc[i];
		r->w->port[i].dump = r->d[i];
		r->pc[i] = pc;
		r->d[i] = d;
	}
}

static int cmd_capture(struct emu *e, struct wire *w, const struct ctl_cmd *c, FILE *out)
{
	struct cap_req r = { .w = w };
	char err[512];
	if (c->capture_on && dumps_open(c->dir, w->name, r.pc, r.d, err, sizeof(err)))
		return err_reply(out, "%s", err);
	worker_call(w->wk, capture_swap, &r);
	dumps_close(r.pc, r.d);
	free(w->capdir);
	w->capdir = c->capture_on ? xstrdup(c->dir) : NULL;
	log_info("wire %s capture %s%s", w->name, c->capture_on ? "to " : "off",
		 c->capture_on ? c->dir : "");
	fputs("ok\n", out);
	return 0;
}

/* ---- stats and list -------------------------------------------------- */

struct snap {
	struct wire *w;
	struct dir_stats st[2];
	int up[2];
	uint64_t downs[2], reconnects[2];
};

static void snap_take(struct worker *wk, void *arg)
{
	struct snap *s = arg;
	struct wire *w = s->w;
	for (int i = 0; i < 2; i++) {
		s->st[i] = w->st[i];
		s->up[i] = w->port[i].up;
		s->downs[i] = w->port[i].downs;
		s->reconnects[i] = w->port[i].reconnects;
		if (w->port[i].dump)
			pcap_dump_flush(w->port[i].dump);
	}
}

static const char *const dir_name[2] = { "a2b", "b2a" };

static void hist_text(FILE *out, const char *wire, const char *dir, const char *what,
		      const uint64_t *hist)
{
	fprintf(out, "%s %s %s", wire, dir, what);
	for (int k = 0; k < EMU_HIST_N; k++)
		if (hist[k])
			fprintf(out, " %s=%llu", hist_labels[k], (unsigned long long)hist[k]);
	fputc('\n', out);
}

static void stats_text(FILE *out, const struct wire *w, const struct snap *s)
{
	for (int i = 0; i < 2; i++)
		fprintf(out, "%s port %s up=%d downs=%llu reconnects=%llu url=%s\n", w->name, side_name[i],
			s->up[i], (unsigned long long)s->downs[i], (unsigned long long)s->reconnects[i],
			w->port[i].url);
	for (int d = 0; d < 2; d++) {
		const struct dir_stats *st = &s->st[d];
		fprintf(out, "%s %s in_frames=%llu in_bytes=%llu out_frames=%llu out_bytes=%llu", w->name,
			dir_name[d], (unsigned long long)st->in_frames, (unsigned long long)st->in_bytes,
			(unsigned long long)st->out_frames, (unsigned long long)st->out_bytes);
		for (int k = 0; k < DROP__N; k++)
			fprintf(out, " %s=%llu", drop_names[k], (unsigned long long)st->drops[k]);
		fprintf(out, " duplicates=%llu reorders=%llu corrupted=%llu qdepth=%llu qdepth_max=%llu\n",
			(unsigned long long)st->duplicates, (unsigned long long)st->reorders,
			(unsigned long long)st->corrupted, (unsigned long long)st->qdepth,
			(unsigned long long)st->qdepth_max);
		hist_text(out, w->name, dir_name[d], "late", st->hist);
		hist_text(out, w->name, dir_name[d], "early", st->hist_early);
	}
}

static void hist_json(struct json *j, const char *key, const uint64_t *hist)
{
	json_key(j, key);
	json_obj_begin(j);
	for (int k = 0; k < EMU_HIST_N; k++)
		json_kv_uint(j, hist_labels[k], hist[k]);
	json_obj_end(j);
}

static void stats_json(struct json *j, const struct wire *w, const struct snap *s)
{
	json_obj_begin(j);
	json_kv_str(j, "name", w->name);
	for (int i = 0; i < 2; i++) {
		json_key(j, side_name[i]);
		json_obj_begin(j);
		json_kv_str(j, "url", w->port[i].url);
		json_kv_bool(j, "up", s->up[i]);
		json_kv_uint(j, "downs", s->downs[i]);
		json_kv_uint(j, "reconnects", s->reconnects[i]);
		json_obj_end(j);
	}
	for (int d = 0; d < 2; d++) {
		const struct dir_stats *st = &s->st[d];
		json_key(j, dir_name[d]);
		json_obj_begin(j);
		json_kv_uint(j, "in_frames", st->in_frames);
		json_kv_uint(j, "in_bytes", st->in_bytes);
		json_kv_uint(j, "out_frames", st->out_frames);
		json_kv_uint(j, "out_bytes", st->out_bytes);
		json_key(j, "drops");
		json_obj_begin(j);
		for (int k = 0; k < DROP__N; k++)
			json_kv_uint(j, drop_names[k], st->drops[k]);
		json_obj_end(j);
		json_kv_uint(j, "duplicates", st->duplicates);
		json_kv_uint(j, "reorders", st->reorders);
		json_kv_uint(j, "corrupted", st->corrupted);
		json_kv_uint(j, "qdepth", st->qdepth);
		json_kv_uint(j, "qdepth_max", st->qdepth_max);
		hist_json(j, "late_hist", st->hist);
		hist_json(j, "early_hist", st->hist_early);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static int cmd_stats(struct emu *e, const struct ctl_cmd *c, FILE *out)
{
	struct wire *only = NULL;
	struct json j;
	if (c->wire && !(only = find_wire(e, c->wire, NULL)))
		return err_reply(out, "no wire %s", c->wire);
	fputs("ok\n", out);
	if (c->json) {
		json_init(&j, out, 0);
		json_obj_begin(&j);
		json_key(&j, "wires");
		json_arr_begin(&j);
	}
	for (size_t i = 0; i < e->wires.n; i++) {
		struct wire *w = e->wires.v[i];
		struct snap sn = { .w = w };
		if (only && w != only)
			continue;
		worker_call(w->wk, snap_take, &sn);
		if (c->json)
			stats_json(&j, w, &sn);
		else
			stats_text(out, w, &sn);
	}
	if (c->json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_finish(&j);
	}
	return 0;
}

static int cmd_list(struct emu *e, const struct ctl_cmd *c, FILE *out)
{
	char a[512], b[512], r[512];
	struct json j;
	fputs("ok\n", out);
	if (c->json) {
		json_init(&j, out, 0);
		json_obj_begin(&j);
		json_key(&j, "wires");
		json_arr_begin(&j);
	}
	for (size_t i = 0; i < e->wires.n; i++) {
		struct wire *w = e->wires.v[i];
		if (c->json) {
			json_obj_begin(&j);
			json_kv_str(&j, "name", w->name);
			json_kv_str(&j, "a", w->port[0].url);
			json_kv_str(&j, "b", w->port[1].url);
			json_kv_int(&j, "thread", w->wk->id);
			json_kv_str(&j, "policy", w->policy ? "drop" : "pass");
			if (w->capdir)
				json_kv_str(&j, "capture", w->capdir);
			json_key(&j, "pipes");
			json_arr_begin(&j);
			for (struct pipe_ *p = w->pipes; p; p = p->next) {
				json_obj_begin(&j);
				json_kv_str(&j, "name", p->name);
				json_kv_str(&j, "a2b", impair_dir_format(&p->cfg.dir[0], a, sizeof(a)));
				json_kv_str(&j, "b2a", impair_dir_format(&p->cfg.dir[1], b, sizeof(b)));
				json_obj_end(&j);
			}
			json_arr_end(&j);
			json_key(&j, "rules");
			json_arr_begin(&j);
			for (size_t k = 0; k < w->nrules; k++)
				json_str(&j, rule_format(&w->rules[k].r, r, sizeof(r)));
			json_arr_end(&j);
			json_obj_end(&j);
			continue;
		}
		fprintf(out, "wire %s a=%s b=%s thread=%d policy=%s capture=%s\n", w->name, w->port[0].url,
			w->port[1].url, w->wk->id, w->policy ? "drop" : "pass", w->capdir ? w->capdir : "off");
		for (struct pipe_ *p = w->pipes; p; p = p->next)
			fprintf(out, "  pipe %s a2b: %s | b2a: %s\n", p->name,
				impair_dir_format(&p->cfg.dir[0], a, sizeof(a)),
				impair_dir_format(&p->cfg.dir[1], b, sizeof(b)));
		for (size_t k = 0; k < w->nrules; k++)
			fprintf(out, "  rule %zu %s\n", k, rule_format(&w->rules[k].r, r, sizeof(r)));
	}
	if (c->json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_finish(&j);
	}
	return 0;
}

int emu_exec(struct emu *e, const struct ctl_cmd *c, FILE *out)
{
	struct wire *w = NULL;
	switch (c->op) {
	case CTL_WIRE_ADD: return cmd_wire_add(e, c, out);
	case CTL_WIRE_DEL: return cmd_wire_del(e, c, out);
	case CTL_STATS: return cmd_stats(e, c, out);
	case CTL_LIST: return cmd_list(e, c, out);
	default: break;
	}
	if (!(w = find_wire(e, c->wire, NULL)))
		return err_reply(out, "no wire %s", c->wire);
	switch (c->op) {
	case CTL_WIRE_SET: return cmd_pipe_set(e, w, w->pipes, c, out);
	case CTL_RULE_ADD:
	case CTL_RULE_DEL: return cmd_rule(e, w, c, out);
	case CTL_PIPE_ADD:
	case CTL_PIPE_SET:
	case CTL_PIPE_DEL: return cmd_pipe(e, w, c, out);
	case CTL_CAPTURE: return cmd_capture(e, w, c, out);
	default: return err_reply(out, "command not handled");
	}
}

/* ---- life cycle ------------------------------------------------------ */

int emu_create(const struct emu_opts *o, struct emu **out)
{
	struct emu *e = xcalloc(1, sizeof(*e));
	sigset_t all, old;
	int rc = 0;

	e->o = *o;
	e->nwk = o->threads > 0 ? o->threads : 1;
	e->wk = xcalloc((size_t)e->nwk, sizeof(*e->wk));
	/* workers take no signals: main handles them */
	for (int i = 0; i < e->nwk; i++)
		e->wk[i].epfd = e->wk[i].tfd = e->wk[i].efd = e->wk[i].psi_fd = -1;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < e->nwk; i++) {
		struct worker *wk = &e->wk[i];
		wk->emu = e;
		wk->id = i;
		wk->armed = INT64_MAX;
		wk->wake_est = 50 * NS_PER_US;
		wk->wake_typ = 50 * NS_PER_US;
		/* --spin auto polls only in a real-time loop: an ordinary one is
		 * preempted while polling, and takes the CPU from the guests and
		 * switches it shares the machine with */
		wk->may_poll = !o->spin_auto || o->rt_prio > 0;
		wk->psi_fd = o->spin_auto && wk->may_poll ? open("/proc/pressure/cpu", O_RDONLY | O_CLOEXEC) : -1;
		pool_init(&wk->pool, o->pool_frames);
		pthread_mutex_init(&wk->qmu, NULL);
		wk->epfd = epoll_create1(EPOLL_CLOEXEC);
		wk->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		wk->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (wk->epfd < 0 || wk->tfd < 0 || wk->efd < 0) {
			rc = -errno;
			break;
		}
		wk->ttimer = (struct tag){ TAG_TIMER, wk };
		wk->twake = (struct tag){ TAG_WAKE, wk };
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &wk->ttimer };
		epoll_ctl(wk->epfd, EPOLL_CTL_ADD, wk->tfd, &ev);
		ev.data.ptr = &wk->twake;
		epoll_ctl(wk->epfd, EPOLL_CTL_ADD, wk->efd, &ev);
		if ((rc = -pthread_create(&wk->th, NULL, worker_main, wk)))
			break;
		wk->th_started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		emu_destroy(e);
		return rc;
	}
	*out = e;
	return 0;
}

static void worker_stop(struct worker *wk, void *arg) { wk->stop = 1; }

void emu_destroy(struct emu *e)
{
	while (e->wires.n) {
		struct wire *w = e->wires.v[--e->wires.n];
		worker_call(w->wk, wire_detach, w);
		wire_free(w);
	}
	VEC_FREE(e->wires);
	for (int i = 0; i < e->nwk; i++) {
		struct worker *wk = &e->wk[i];
		if (wk->th_started) {
			worker_call(wk, worker_stop, NULL);
			pthread_join(wk->th, NULL);
		}
		if (wk->epfd >= 0) close(wk->epfd);
		if (wk->tfd >= 0) close(wk->tfd);
		if (wk->efd >= 0) close(wk->efd);
		if (wk->psi_fd >= 0) close(wk->psi_fd);
		pthread_mutex_destroy(&wk->qmu);
		pool_destroy(&wk->pool);
		free(wk->heap);
		VEC_FREE(wk->down);
		VEC_FREE(wk->blocked);
		VEC_FREE(wk->dirty);
	}
	free(e->wk);
	free(e);
}
