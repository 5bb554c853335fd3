/* msg — see msg.h. */
#include "msg.h"

#include <errno.h>
#include <string.h>

const char *const isp_counter_names[IC_N] = {
	"sent", "received", "malformed", "auth_failed", "replayed",
	"unknown_device", "duplicate", "send_errors",
};

const char *dev_status_name(int st)
{
	switch (st) {
	case ST_OK: return "ok";
	case ST_NO_ANSWER: return "no_answer";
	case ST_AUTH: return "auth_failed";
	case ST_LOST: return "lost";
	case ST_UNKNOWN: return "unknown";
	case ST_PENDING: return "pending";
	}
	return "invalid";
}

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }
static inline void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }

int64_t msg_peek_length(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (len < MSG_HDR_LEN)
		return -EAGAIN;
	if (get16(p) != MSG_MAGIC || p[5] || p[6] || p[7])
		return -EBADMSG;
	if (p[2] != MSG_VERSION)
		return -EPROTONOSUPPORT;
	uint32_t l = get32(p + 8);
	if (l < MSG_HDR_LEN || l > MSG_MAX_LEN)
		return -EBADMSG;
	return l;
}

int msg_parse(const void *buf, size_t len, struct msg *m)
{
	const uint8_t *p = buf;
	int64_t l = msg_peek_length(buf, len);
	if (l == -EAGAIN)
		return -EBADMSG;
	if (l < 0)
		return (int)l;
	if ((uint64_t)l > len)
		return -EMSGSIZE;
	/* trailing bytes after the declared length are garbage in a datagram */
	if ((uint64_t)l != len)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->type = p[3];
	m->flags = p[4];
	m->length = (uint32_t)l;
	m->device = get32(p + 12);
	m->seq = get32(p + 16);
	if (m->flags & ~MSG_F_ALL)
		return -EBADMSG;
	const uint8_t *b = p + MSG_HDR_LEN;
	size_t bl = len - MSG_HDR_LEN;
	unsigned alen = auth_len_of(m->flags);

	switch (m->type) {
	case MSG_REGISTER:
	case MSG_ORDER: {
		size_t fixed = m->type == MSG_ORDER ? 12 : 4;
		if (bl < fixed)
			return -EBADMSG;
		if (m->type == MSG_ORDER) {
			m->window_ns = get64(b);
			b += 8;
		}
		m->count = get32(b);
		if ((uint64_t)m->count * 4 != bl - fixed)
			return -EBADMSG;
		m->items = b + 4;
		return 0;
	}
	case MSG_RESULT:
		if (bl < 4)
			return -EBADMSG;
		m->count = get32(b);
		if ((uint64_t)m->count * RESULT_REC_LEN != bl - 4)
			return -EBADMSG;
		m->items = b + 4;
		for (uint32_t i = 0; i < m->count; i++)
			if (m->items[i * RESULT_REC_LEN + 4] > ST_WIRE_MAX)
				return -EBADMSG;
		return 0;
	case MSG_REG_ACK:
	case MSG_HELLO:
	case MSG_STATUS:
		if (bl != 4)
			return -EBADMSG;
		m->count = get32(b);
		return 0;
	case MSG_CHALLENGE:
		if (bl != NONCE_LEN)
			return -EBADMSG;
		m->ni = b;
		return 0;
	case MSG_RESPONSE:
		if (bl != 2 * NONCE_LEN + alen)
			return -EBADMSG;
		m->ni = b;
		m->na = b + NONCE_LEN;
		m->auth = b + 2 * NONCE_LEN;
		m->auth_len = alen;
		return 0;
	case MSG_PROOF:
		if (bl != NONCE_LEN + alen)
			return -EBADMSG;
		m->na = b;
		m->auth = b + NONCE_LEN;
		m->auth_len = alen;
		return 0;
	case MSG_DATA:
		if (bl != NONCE_LEN + 4)
			return -EBADMSG;
		m->ni = b;
		m->reading = (int32_t)get32(b + NONCE_LEN);
		return 0;
	case MSG_ROUND_END:
		if (bl != IC_N * 8)
			return -EBADMSG;
		for (int i = 0; i < IC_N; i++)
			m->counters[i] = get64(b + 8 * i);
		return 0;
	}
	return -EBADMSG;
}

uint32_t msg_id_at(const struct msg *m, uint32_t i) { return get32(m->items + 4 * (size_t)i); }

void msg_rec_at(const struct msg *m, uint32_t i, struct result_rec *r)
{
	const uint8_t *p = m->items + (size_t)i * RESULT_REC_LEN;
	r->device = get32(p);
	r->status = p[4];
	r->attempts = p[5];
	r->reading = (int32_t)get32(p + 8);
	r->latency_us = get32(p + 12);
}

static uint8_t *hdr(uint8_t *b, uint8_t type, uint8_t flags, size_t len, uint32_t dev, uint32_t seq)
{
	put16(b, MSG_MAGIC);
	b[2] = MSG_VERSION;
	b[3] = type;
	b[4] = flags;
	b[5] = b[6] = b[7] = 0;
	put32(b + 8, (uint32_t)len);
	put32(b + 12, dev);
	put32(b + 16, seq);
	return b + MSG_HDR_LEN;
}

size_t msg_put_register(uint8_t *b, size_t cap, uint32_t seq, const uint32_t *ids, uint32_t n)
{
	size_t len = MSG_HDR_LEN + 4 + 4 * (size_t)n;
	if (len > cap)
		return 0;
	uint8_t *p = hdr(b, MSG_REGISTER, 0, len, 0, seq);
	put32(p, n);
	for (uint32_t i = 0; i < n; i++)
		put32(p + 4 + 4 * i, ids[i]);
	return len;
}

static size_t put_u32_msg(uint8_t *b, size_t cap, uint8_t type, uint32_t dev, uint32_t seq, uint32_t v)
{
	size_t len = MSG_HDR_LEN + 4;
	if (len > cap)
		return 0;
	put32(hdr(b, type, 0, len, dev, seq), v);
	return len;
}

size_t msg_put_reg_ack(uint8_t *b, size_t cap, uint32_t seq, uint32_t n)
{
	return put_u32_msg(b, cap, MSG_REG_ACK, 0, seq, n);
}
size_t msg_put_hello(uint8_t *b, size_t cap, uint32_t isp, uint32_t nkeys)
{
	return put_u32_msg(b, cap, MSG_HELLO, isp, 0, nkeys);
}
size_t msg_put_status(uint8_t *b, size_t cap, uint32_t isp, uint32_t registered)
{
	return put_u32_msg(b, cap, MSG_STATUS, isp, 0, registered);
}

size_t msg_put_challenge(uint8_t *b, size_t cap, uint8_t flags, uint32_t dev, uint32_t seq,
			 const uint8_t ni[NONCE_LEN])
{
	size_t len = MSG_HDR_LEN + NONCE_LEN;
	if (len > cap)
		return 0;
	memcpy(hdr(b, MSG_CHALLENGE, flags, len, dev, seq), ni, NONCE_LEN);
	return len;
}

size_t msg_put_response(uint8_t *b, size_t cap, uint8_t flags, uint32_t dev, uint32_t seq,
			const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN],
			const uint8_t *auth)
{
	unsigned alen = auth_len_of(flags);
	size_t len = MSG_HDR_LEN + 2 * NONCE_LEN + alen;
	if (len > cap)
		return 0;
	uint8_t *p = hdr(b, MSG_RESPONSE, flags, len, dev, seq);
	memcpy(p, ni, NONCE_LEN);
	memcpy(p + NONCE_LEN, na, NONCE_LEN);
	memcpy(p + 2 * NONCE_LEN, auth, alen);
	return len;
}

size_t msg_put_proof(uint8_t *b, size_t cap, uint8_t flags, uint32_t dev, uint32_t seq,
		     const uint8_t na[NONCE_LEN], const uint8_t *auth)
{
	unsigned alen = auth_len_of(flags);
	size_t len = MSG_HDR_LEN + NONCE_LEN + alen;
	if (len > cap)
		return 0;
	uint8_t *p = hdr(b, MSG_PROOF, flags, len, dev, seq);
	memcpy(p, na, NONCE_LEN);
	memcpy(p + NONCE_LEN, auth, alen);
	return len;
}

size_t msg_put_data(uint8_t *b, size_t cap, uint8_t flags, uint32_t dev, uint32_t seq,
		    const uint8_t ni[NONCE_LEN], int32_t reading)
{
	size_t len = MSG_HDR_LEN + NONCE_LEN + 4;
	if (len > cap)
		return 0;
	uint8_t *p = hdr(b, MSG_DATA, flags, len, dev, seq);
	memcpy(p, ni, NONCE_LEN);
	put32(p + NONCE_LEN, (uint32_t)reading);
	return len;
}

size_t msg_order_len(uint32_t n) { return MSG_HDR_LEN + 12 + 4 * (size_t)n; }

size_t msg_put_order(uint8_t *b, size_t cap, uint32_t round, uint64_t window_ns,
		     const uint32_t *ids, uint32_t n)
{
	size_t len = msg_order_len(n);
	if (len > cap || len > MSG_MAX_LEN)
		return 0;
	uint8_t *p = hdr(b, MSG_ORDER, 0, len, 0, round);
	put64(p, window_ns);
	put32(p + 8, n);
	for (uint32_t i = 0; i < n; i++)
		put32(p + 12 + 4 * i, ids[i]);
	return len;
}

size_t msg_result_len(uint32_t n) { return MSG_HDR_LEN + 4 + RESULT_REC_LEN * (size_t)n; }

size_t msg_put_result(uint8_t *b, size_t cap, uint32_t isp, uint32_t round,
		      const struct result_rec *recs, uint32_t n)
{
	size_t len = msg_result_len(n);
	if (len > cap || len > MSG_MAX_LEN)
		return 0;
	uint8_t *p = hdr(b, MSG_RESULT, 0, len, isp, round);
	put32(p, n);
	p += 4;
	for (uint32_t i = 0; i < n; i++, p += RESULT_REC_LEN) {
		put32(p, recs[i].device);
		p[4] = recs[i].status;
		p[5] = recs[i].attempts;
		p[6] = p[7] = 0;
		put32(p + 8, (uint32_t)recs[i].reading);
		put32(p + 12, recs[i].latency_us);
	}
	return len;
}

size_t msg_put_round_end(uint8_t *b, size_t cap, uint32_t isp, uint32_t round,
			 const uint64_t counters[IC_N])
{
	size_t len = MSG_HDR_LEN + IC_N * 8;
	if (len > cap)
		return 0;
	uint8_t *p = hdr(b, MSG_ROUND_END, 0, len, isp, round);
	for (int i = 0; i < IC_N; i++)
		put64(p + 8 * i, counters[i]);
	return len;
}
