/* appl — see appl.h. */
#include "appl.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "msg.h"
#include "wheel.h"
#include "xalloc.h"

const char *const appl_counter_names[AC_N] = {
	"received", "sent", "malformed", "asleep_dropped", "replayed", "auth_failed",
	"served", "unknown_device", "send_errors", "retransmits",
};

enum sess { SESS_NONE, SESS_RESPONDED, SESS_DONE };

#define REG_CHUNK 256   /* ids per REGISTER: 1 KB, one datagram on any link */

struct appl {
	uint32_t id;
	uint32_t cycle;
	struct dev_keys k;
	uint8_t ni[NONCE_LEN];   /* last challenge answered (replay check) */
	uint8_t na[NONCE_LEN];   /* our nonce of the exchange in progress */
	uint8_t awake, sess;
};

struct appl_group {
	struct appl_params p;
	struct appl *a;
	size_t n;
	struct wheel *wheel;
	/* registration: chunk c covers a[c*REG_CHUNK ...]; acked[c] once the ISP said so */
	size_t n_chunks, n_acked;
	uint8_t *acked;
	mono_ns next_register;
	uint64_t c[AC_N];
	uint8_t out[256];
};

size_t appl_bytes_per_device(void) { return sizeof(struct appl) + 16 + 1; }

struct appl_group *appl_group_new(const struct appl_params *p, const struct key_entry *keys,
				  size_t n, mono_ns now)
{
	struct appl_group *g = xcalloc(1, sizeof(*g));
	g->p = *p;
	g->n = n;
	g->a = xcalloc(n ? n : 1, sizeof(*g->a));
	/* 1 ms ticks, 4096 slots: a 4 s turn; longer sleeps wait a turn or more.
	 * A group of one (thread-per-appliance) needs no more than a few slots. */
	g->wheel = wheel_new((uint32_t)n, NS_PER_MS, n < 64 ? 16 : 4096, now);   /* small groups: a small wheel */
	for (size_t i = 0; i < n; i++) {
		bool awake;
		int64_t rem;
		g->a[i].id = keys[i].id;
		g->a[i].k = keys[i].k;
		duty_start(&p->duty, keys[i].id, &awake, &rem);
		g->a[i].awake = awake;
		wheel_add(g->wheel, (uint32_t)i, now + rem);
	}
	g->n_chunks = (n + REG_CHUNK - 1) / REG_CHUNK;
	g->acked = xcalloc(g->n_chunks ? g->n_chunks : 1, 1);
	g->next_register = now;
	return g;
}

void appl_group_free(struct appl_group *g)
{
	if (!g)
		return;
	memset(g->a, 0, g->n * sizeof(*g->a));
	free(g->a);
	free(g->acked);
	wheel_free(g->wheel);
	free(g);
}

static void send_to(struct appl_group *g, const struct sockaddr *to, socklen_t tolen, size_t len)
{
	int rc = g->p.send(g->p.ctx, to, tolen, g->out, len);
	g->c[rc ? AC_SEND_ERRORS : AC_SENT]++;
}

static void on_transition(void *arg, uint32_t i, mono_ns now)
{
	struct appl_group *g = arg;
	struct appl *a = &g->a[i];
	if (a->awake) {
		a->awake = 0;
		a->sess = SESS_NONE;
		wheel_add(g->wheel, i, now + duty_sleep(&g->p.duty, a->id, a->cycle));
	} else {
		a->awake = 1;
		a->cycle++;
		wheel_add(g->wheel, i, now + g->p.duty.awake_ns);
	}
}

static void do_register(struct appl_group *g, mono_ns now)
{
	uint32_t ids[REG_CHUNK];
	if (g->n_acked == g->n_chunks || now < g->next_register)
		return;
	for (size_t c = 0; c < g->n_chunks; c++) {
		if (g->acked[c])
			continue;
		size_t first = c * REG_CHUNK, cnt = g->n - first < REG_CHUNK ? g->n - first : REG_CHUNK;
		for (size_t k = 0; k < cnt; k++)
			ids[k] = g->a[first + k].id;
		uint8_t buf[MSG_HDR_LEN + 4 + 4 * REG_CHUNK];
		size_t len = msg_put_register(buf, sizeof(buf), (uint32_t)c, ids, (uint32_t)cnt);
		int rc = g->p.send(g->p.ctx, (const struct sockaddr *)&g->p.isp.ss, g->p.isp.len, buf, len);
		g->c[rc ? AC_SEND_ERRORS : AC_SENT]++;
	}
	g->next_register = now + g->p.register_retry_ns;
}

void appl_group_tick(struct appl_group *g, mono_ns now)
{
	do_register(g, now);
	wheel_expire(g->wheel, now, on_transition, g);
}

int appl_group_timeout_ms(const struct appl_group *g, mono_ns now)
{
	int t = wheel_timeout_ms(g->wheel, now);
	if (g->n_acked < g->n_chunks) {
		int64_t r = (g->next_register - now + NS_PER_MS - 1) / NS_PER_MS;
		if (r < 0)
			r = 0;
		if (t < 0 || r < t)
			t = (int)r;
	}
	return t;
}

static long find(const struct appl_group *g, uint32_t id)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->a[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->n && g->a[lo].id == id ? (long)lo : -1;
}

void appl_group_on_datagram(struct appl_group *g, const uint8_t *buf, size_t len,
			    const struct sockaddr *from, socklen_t fromlen, mono_ns now)
{
	struct msg m;
	g->c[AC_RECEIVED]++;
	if (msg_parse(buf, len, &m)) {
		g->c[AC_MALFORMED]++;
		return;
	}
	if (m.type == MSG_REG_ACK) {
		if (m.seq < g->n_chunks && !g->acked[m.seq]) {
			g->acked[m.seq] = 1;
			g->n_acked++;
		}
		return;
	}
	if ((m.type != MSG_CHALLENGE && m.type != MSG_PROOF) || m.flags != g->p.flags) {
		g->c[AC_MALFORMED]++;
		return;
	}
	long i = find(g, m.device);
	if (i < 0) {
		g->c[AC_UNKNOWN_DEVICE]++;
		return;
	}
	struct appl *a = &g->a[i];
	if (!a->awake) {
		g->c[AC_ASLEEP]++;   /* the radio is off: as if never received */
		return;
	}
	if (m.type == MSG_CHALLENGE) {
		uint8_t proof[AUTH_MAX_LEN];
		if (a->sess != SESS_NONE && memcmp(a->ni, m.ni, NONCE_LEN) == 0) {
			/* the ISP re-sent its challenge: our answer (or what followed)
			 * was lost; answer the same, with the same Na */
			g->c[AC_RETRANSMITS]++;
		} else {
			if (auth_nonce(a->na)) {
				g->c[AC_SEND_ERRORS]++;
				return;
			}
			memcpy(a->ni, m.ni, NONCE_LEN);
		}
		a->sess = SESS_RESPONDED;
		auth_appliance_proof(g->p.flags, &a->k, a->id, a->ni, a->na, proof);
		send_to(g, from, fromlen,
			msg_put_response(g->out, sizeof(g->out), g->p.flags, a->id, m.seq, a->ni, a->na, proof));
		return;
	}
	/* PROOF: only for the nonce we sent last (a PROOF of an earlier
	 * exchange, or one arriving after we slept, is a replay) */
	if (a->sess == SESS_NONE || memcmp(a->na, m.na, NONCE_LEN) != 0) {
		g->c[AC_REPLAYED]++;
		return;
	}
	if (!auth_check_isp(g->p.flags, &a->k, a->id, a->ni, a->na, m.auth)) {
		g->c[AC_AUTH_FAILED]++;
		a->sess = SESS_NONE;
		return;
	}
	a->sess = SESS_DONE;
	g->c[AC_SERVED]++;
	send_to(g, from, fromlen,
		msg_put_data(g->out, sizeof(g->out), g->p.flags, a->id, m.seq, a->ni,
			     duty_reading(&g->p.duty, a->id, a->cycle)));
	(void)now;
}

bool appl_group_registered(const struct appl_group *g) { return g->n_acked == g->n_chunks; }
const uint64_t *appl_group_counters(const struct appl_group *g) { return g->c; }

bool appl_awake(const struct appl_group *g, size_t i, uint32_t *cycle)
{
	if (cycle)
		*cycle = g->a[i].cycle;
	return g->a[i].awake;
}
