/* isp — see isp.h. */
#include "isp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "net.h"
#include "wheel.h"
#include "xalloc.h"

#define NO_PEER UINT32_MAX

enum dev_state { DS_IDLE, DS_WAIT_RESP, DS_WAIT_DATA, DS_DONE };
enum dev_flag {
	DF_ANSWERED = 1,   /* answered a challenge in this round */
	DF_HAS_NI = 2,     /* ni is this round's nonce */
	DF_PROVED = 4,     /* we sent PROOF for ni: DATA with ni is acceptable */
};

struct isp_dev {
	uint32_t id;
	uint32_t peer;          /* index into peers, NO_PEER until registered */
	struct dev_keys k;
	uint8_t ni[NONCE_LEN];  /* the one outstanding challenge */
	uint8_t state, status, attempts, flags;   /* DF_* */
	int32_t reading;
	uint32_t latency_us;
};

struct isp {
	struct isp_params p;
	struct isp_dev *dev;
	size_t n;
	struct wheel *wheel;
	VEC(struct netaddr) peers;
	uint32_t *peer_hash;    /* open addressing: peer index + 1, 0 empty */
	size_t peer_hcap;
	size_t registered;
	/* round */
	bool active, finished;
	uint32_t round;
	mono_ns start, deadline;
	size_t pending;
	VEC(uint32_t) order;     /* device indices in this round */
	VEC(uint32_t) unknown;   /* ordered ids we hold no key for */
	uint64_t c[IC_N];
	uint8_t out[256];
};

size_t isp_bytes_per_device(void) { return sizeof(struct isp_dev) + 16 + 1 + 4; }

struct isp *isp_new(const struct isp_params *p, struct key_list *keys, mono_ns now)
{
	struct isp *s = xcalloc(1, sizeof(*s));
	s->p = *p;
	s->n = keys->n;
	s->dev = xcalloc(s->n ? s->n : 1, sizeof(*s->dev));
	for (size_t i = 0; i < s->n; i++) {
		s->dev[i].id = keys->v[i].id;
		s->dev[i].k = keys->v[i].k;
		s->dev[i].peer = NO_PEER;
	}
	keys_free(keys);
	/* 1 ms ticks, 8 s per turn: polls are seconds apart */
	s->wheel = wheel_new((uint32_t)s->n, NS_PER_MS, 8192, now);
	s->peer_hcap = 64;
	s->peer_hash = xcalloc(s->peer_hcap, sizeof(*s->peer_hash));
	return s;
}

void isp_free(struct isp *s)
{
	if (!s)
		return;
	memset(s->dev, 0, s->n * sizeof(*s->dev));
	free(s->dev);
	wheel_free(s->wheel);
	VEC_FREE(s->peers);
	VEC_FREE(s->order);
	VEC_FREE(s->unknown);
	free(s->peer_hash);
	free(s);
}

static long find_dev(const struct isp *s, uint32_t id)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->dev[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->dev[lo].id == id ? (long)lo : -1;
}

static uint64_t addr_hash(const struct sockaddr *sa)
{
	const uint8_t *p = (const uint8_t *)sa;
	size_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static uint32_t peer_index(struct isp *s, const struct sockaddr *from, socklen_t fromlen)
{
	size_t mask = s->peer_hcap - 1, j = addr_hash(from) & mask;
	for (; s->peer_hash[j]; j = (j + 1) & mask)
		if (netaddr_equal((const struct sockaddr *)&s->peers.v[s->peer_hash[j] - 1].ss, from))
			return s->peer_hash[j] - 1;
	struct netaddr a = { .len = fromlen };
	memcpy(&a.ss, from, fromlen < sizeof(a.ss) ? fromlen : sizeof(a.ss));
	VEC_PUSH(s->peers, a);
	s->peer_hash[j] = (uint32_t)s->peers.n;
	if (s->peers.n * 2 > s->peer_hcap) {   /* grow and rehash */
		free(s->peer_hash);
		s->peer_hcap *= 2;
		s->peer_hash = xcalloc(s->peer_hcap, sizeof(*s->peer_hash));
		mask = s->peer_hcap - 1;
		for (size_t i = 0; i < s->peers.n; i++) {
			size_t k = addr_hash((const struct sockaddr *)&s->peers.v[i].ss) & mask;
			while (s->peer_hash[k])
				k = (k + 1) & mask;
			s->peer_hash[k] = (uint32_t)i + 1;
		}
	}
	return (uint32_t)s->peers.n - 1;
}

static void send_to(struct isp *s, uint32_t peer, size_t len)
{
	const struct netaddr *a = &s->peers.v[peer];
	int rc = s->p.send(s->p.ctx, (const struct sockaddr *)&a->ss, a->len, s->out, len);
	s->c[rc ? IC_SEND_ERRORS : IC_SENT]++;
}

static void finish_dev(struct isp *s, uint32_t i, uint8_t status, mono_ns now)
{
	struct isp_dev *d = &s->dev[i];
	d->state = DS_DONE;
	d->status = status;
	if (status == ST_OK)
		d->latency_us = (uint32_t)((now - s->start) / NS_PER_US);
	wheel_del(s->wheel, i);
	s->pending--;
	if (!s->pending)
		s->finished = true;
}

/* Poll timer: (re)send the challenge.  The nonce is drawn once per device
 * and round and re-sent unchanged, as a retransmission: an answer that
 * arrives after the next poll still counts, which matters when queues make
 * the round trip longer than the poll interval. */
static void on_timer(void *arg, uint32_t i, mono_ns now)
{
	struct isp *s = arg;
	struct isp_dev *d = &s->dev[i];
	if (!s->active || d->state == DS_DONE || d->state == DS_IDLE)
		return;
	wheel_add(s->wheel, i, now + s->p.poll_ns);
	if (d->peer == NO_PEER)
		return;   /* not registered (yet): nowhere to send */
	if (!(d->flags & DF_HAS_NI)) {
		if (auth_nonce(d->ni)) {
			s->c[IC_SEND_ERRORS]++;
			return;
		}
		d->flags |= DF_HAS_NI;
	}
	d->state = DS_WAIT_RESP;
	if (d->attempts < UINT8_MAX)
		d->attempts++;
	send_to(s, d->peer, msg_put_challenge(s->out, sizeof(s->out), s->p.flags, d->id, s->round, d->ni));
}

void isp_start_round(struct isp *s, const struct msg *m, mono_ns now)
{
	/* a new order replaces an unfinished one: its devices are simply reset */
	for (size_t k = 0; k < s->order.n; k++) {
		wheel_del(s->wheel, s->order.v[k]);
		s->dev[s->order.v[k]].state = DS_IDLE;
	}
	s->order.n = 0;
	s->unknown.n = 0;
	s->active = true;
	s->finished = false;
	s->round = m->seq;
	s->start = now;
	s->deadline = now + (int64_t)(m->window_ns > INT64_MAX / 2 ? INT64_MAX / 2 : m->window_ns);
	s->pending = 0;
	for (uint32_t k = 0; k < m->count; k++) {
		uint32_t id = msg_id_at(m, k);
		long i = find_dev(s, id);
		if (i < 0) {
			VEC_PUSH(s->unknown, id);
			continue;
		}
		struct isp_dev *d = &s->dev[i];
		if (d->state != DS_IDLE)
			continue;   /* listed twice */
		d->state = DS_WAIT_RESP;
		d->status = ST_PENDING;
		d->attempts = 0;
		d->flags = 0;
		d->reading = 0;
		d->latency_us = 0;
		VEC_PUSH(s->order, (uint32_t)i);
		s->pending++;
	}
	/* first challenges spread over one poll interval: no burst of n packets */
	for (size_t k = 0; k < s->order.n; k++)
		wheel_add(s->wheel, s->order.v[k],
			  now + (int64_t)((double)s->p.poll_ns * (double)k / (double)s->order.n));
	if (!s->pending)
		s->finished = true;
}

void isp_tick(struct isp *s, mono_ns now)
{
	if (!s->active)
		return;
	if (now >= s->deadline) {
		for (size_t k = 0; k < s->order.n; k++) {
			uint32_t i = s->order.v[k];
			if (s->dev[i].state != DS_DONE)
				finish_dev(s, i, (s->dev[i].flags & DF_ANSWERED) ? ST_LOST : ST_NO_ANSWER, now);
		}
		s->finished = true;
		return;
	}
	wheel_expire(s->wheel, now, on_timer, s);
}

int isp_timeout_ms(const struct isp *s, mono_ns now)
{
	if (!s->active)
		return -1;
	int t = wheel_timeout_ms(s->wheel, now);
	int64_t dl = (s->deadline - now + NS_PER_MS - 1) / NS_PER_MS;
	if (dl < 0)
		dl = 0;
	return t < 0 || dl < t ? (int)dl : t;
}

static int on_register(struct isp *s, const struct msg *m, const struct sockaddr *from, socklen_t fromlen)
{
	uint32_t peer = peer_index(s, from, fromlen), ok = 0;
	for (uint32_t k = 0; k < m->count; k++) {
		long i = find_dev(s, msg_id_at(m, k));
		if (i < 0) {
			s->c[IC_UNKNOWN_DEVICE]++;
			continue;
		}
		if (s->dev[i].peer == NO_PEER)
			s->registered++;
		s->dev[i].peer = peer;   /* a re-registration moves the device */
		ok++;
	}
	send_to(s, peer, msg_put_reg_ack(s->out, sizeof(s->out), m->seq, ok));
	return 0;
}

int isp_on_datagram(struct isp *s, const uint8_t *buf, size_t len,
		    const struct sockaddr *from, socklen_t fromlen, mono_ns now)
{
	struct msg m;
	s->c[IC_RECEIVED]++;
	if (msg_parse(buf, len, &m))
		goto bad;
	if (m.type == MSG_REGISTER)
		return on_register(s, &m, from, fromlen);
	if (m.type != MSG_RESPONSE && m.type != MSG_DATA)
		goto bad;
	if (m.flags != s->p.flags)
		goto bad;   /* the other auth mode: not a message of this run */
	long i = find_dev(s, m.device);
	if (i < 0) {
		s->c[IC_UNKNOWN_DEVICE]++;
		return 0;
	}
	struct isp_dev *d = &s->dev[i];
	if (!s->active || d->state == DS_IDLE || m.seq != s->round) {
		s->c[IC_REPLAYED]++;   /* not for the round in progress */
		return 0;
	}
	if (d->state == DS_DONE) {
		s->c[d->status == ST_OK && m.type == MSG_DATA ? IC_DUPLICATE : IC_REPLAYED]++;
		return 0;
	}
	if (memcmp(m.ni, d->ni, NONCE_LEN) != 0) {
		s->c[IC_REPLAYED]++;   /* an old nonce: a replay, or a late answer */
		return 0;
	}
	if (m.type == MSG_RESPONSE) {
		if (d->state != DS_WAIT_RESP) {
			s->c[IC_DUPLICATE]++;   /* answered already: waiting for DATA */
			return 0;
		}
		d->flags |= DF_ANSWERED;
		if (!auth_check_appliance(s->p.flags, &d->k, d->id, m.ni, m.na, m.auth)) {
			s->c[IC_AUTH_FAILED]++;
			finish_dev(s, (uint32_t)i, ST_AUTH, now);
			return 0;
		}
		uint8_t proof[AUTH_MAX_LEN];
		auth_isp_proof(s->p.flags, &d->k, d->id, m.ni, m.na, proof);
		d->state = DS_WAIT_DATA;
		d->flags |= DF_PROVED;
		wheel_add(s->wheel, (uint32_t)i, now + s->p.retry_ns);
		if (d->peer == NO_PEER || !netaddr_equal((const struct sockaddr *)&s->peers.v[d->peer].ss, from))
			d->peer = peer_index(s, from, fromlen);   /* it answers from where it is */
		send_to(s, d->peer, msg_put_proof(s->out, sizeof(s->out), s->p.flags, d->id, s->round, m.na, proof));
		return 0;
	}
	/* DATA: valid once we have proved ourselves for this nonce (it may
	 * arrive after a retry timeout sent us back to WAIT_RESP) */
	if (!(d->flags & DF_PROVED)) {
		s->c[IC_REPLAYED]++;
		return 0;
	}
	d->reading = m.reading;
	finish_dev(s, (uint32_t)i, ST_OK, now);
	return 0;
bad:
	s->c[IC_MALFORMED]++;
	return -EBADMSG;
}

bool isp_round_active(const struct isp *s) { return s->active; }
uint32_t isp_round_number(const struct isp *s) { return s->round; }

bool isp_round_finished(struct isp *s)
{
	if (!s->active || !s->finished)
		return false;
	s->active = false;
	return true;
}

size_t isp_results(const struct isp *s, struct result_rec **out)
{
	size_t n = s->order.n + s->unknown.n, k = 0;
	struct result_rec *r = xcalloc(n ? n : 1, sizeof(*r));
	for (size_t j = 0; j < s->order.n; j++, k++) {
		const struct isp_dev *d = &s->dev[s->order.v[j]];
		r[k] = (struct result_rec){ .device = d->id,
					    .status = d->status == ST_PENDING ? ST_NO_ANSWER : d->status,
					    .attempts = d->attempts, .reading = d->reading,
					    .latency_us = d->latency_us };
	}
	for (size_t j = 0; j < s->unknown.n; j++, k++)
		r[k] = (struct result_rec){ .device = s->unknown.v[j], .status = ST_UNKNOWN };
	*out = r;
	return n;
}

size_t isp_n_keys(const struct isp *s) { return s->n; }
size_t isp_n_registered(const struct isp *s) { return s->registered; }
const uint64_t *isp_counters(const struct isp *s) { return s->c; }
