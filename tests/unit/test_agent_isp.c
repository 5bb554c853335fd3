/* Unit tests of the ISP server's bookkeeping (agents/isp) against real
 * appliance groups (agents/appl), in memory with simulated time: a round
 * retrieves every awake appliance; wrong keys end as auth failures for
 * exactly those devices; a replayed RESPONSE, DATA or CHALLENGE is rejected
 * and counted; a device that never wakes is "no answer", one whose DATA is
 * lost is "lost"; garbage is counted; memory per device stays in bytes. */
#include "tests/check.h"
#include "agents/appl.h"
#include "agents/isp.h"
#include "agents/msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "xalloc.h"

struct pkt { int to_isp; size_t len; uint8_t b[256]; };
static VEC(struct pkt) q;
static struct sockaddr_in isp_addr, app_addr;
static int drop_data;                 /* drop every DATA */
static struct pkt last_response, last_data, last_challenge;

static int to_isp_cb(void *ctx, const struct sockaddr *to, socklen_t tl, const uint8_t *b, size_t n)
{
	struct pkt p = { .to_isp = 1, .len = n };
	memcpy(p.b, b, n);
	if (n > 3 && b[3] == MSG_RESPONSE)
		last_response = p;
	if (n > 3 && b[3] == MSG_DATA) {
		last_data = p;
		if (drop_data)
			return 0;
	}
	VEC_PUSH(q, p);
	return 0;
}

static int to_app_cb(void *ctx, const struct sockaddr *to, socklen_t tl, const uint8_t *b, size_t n)
{
	struct pkt p = { .to_isp = 0, .len = n };
	memcpy(p.b, b, n);
	if (n > 3 && b[3] == MSG_CHALLENGE)
		last_challenge = p;
	VEC_PUSH(q, p);
	return 0;
}

static void deliver(struct isp *s, struct appl_group *g, mono_ns now)
{
	for (size_t i = 0; i < q.n; i++) {   /* handlers may append: index loop */
		struct pkt p = q.v[i];
		if (p.to_isp)
			(void)isp_on_datagram(s, p.b, p.len, (struct sockaddr *)&app_addr, sizeof(app_addr), now);
		else
			appl_group_on_datagram(g, p.b, p.len, (struct sockaddr *)&isp_addr, sizeof(isp_addr), now);
	}
	q.n = 0;
}

#define NDEV 50

static struct key_list make_keys(void)
{
	struct key_list kl = { 0 };
	srand(11);
	for (uint32_t id = 100; id < 100 + NDEV; id++) {
		struct key_entry e = { .id = id };
		for (int i = 0; i < KEY_LEN; i++) {
			e.k.ks[i] = (uint8_t)rand();
			e.k.ko[i] = (uint8_t)rand();
		}
		VEC_PUSH(kl, e);
	}
	return kl;
}

struct world { struct isp *s; struct appl_group *g; mono_ns now; };

static struct world setup(const struct duty *d, const uint32_t *wrong, int nwrong)
{
	struct world w = { .now = 1000 * NS_PER_SEC };
	isp_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(0x0a000001) };
	app_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(2), .sin_addr.s_addr = htonl(0x0a000002) };
	struct key_list ik = make_keys(), ak = make_keys();
	for (int k = 0; k < nwrong; k++)
		ak.v[wrong[k] - 100].k.ko[0] ^= 0x5a;
	struct appl_params ap = { .duty = *d, .register_retry_ns = 100 * NS_PER_MS, .send = to_isp_cb };
	memcpy(&ap.isp.ss, &isp_addr, sizeof(isp_addr));
	ap.isp.len = sizeof(isp_addr);
	w.g = appl_group_new(&ap, ak.v, ak.n, w.now);
	keys_free(&ak);
	struct isp_params ip = { .poll_ns = 100 * NS_PER_MS, .retry_ns = 50 * NS_PER_MS, .send = to_app_cb };
	w.s = isp_new(&ip, &ik, w.now);
	return w;
}

static void order(struct world *w, uint32_t round, int64_t window, int extra_unknown)
{
	uint32_t ids[NDEV + 1];
	uint8_t b[1024];
	struct msg m;
	for (uint32_t i = 0; i < NDEV; i++)
		ids[i] = 100 + i;
	ids[NDEV] = 7;   /* no key for it */
	size_t n = msg_put_order(b, sizeof(b), round, (uint64_t)window, ids, NDEV + (extra_unknown ? 1 : 0));
	CHECK_EQ_INT(msg_parse(b, n, &m), 0);
	isp_start_round(w->s, &m, w->now);
}

/* Runs until the round ends; returns its results (caller frees). */
static size_t run_round(struct world *w, struct result_rec **r)
{
	for (int step = 0; step < 100000; step++) {
		w->now += NS_PER_MS;
		appl_group_tick(w->g, w->now);
		isp_tick(w->s, w->now);
		deliver(w->s, w->g, w->now);
		if (isp_round_finished(w->s))
			return isp_results(w->s, r);
	}
	*r = NULL;
	return 0;
}

static void teardown(struct world *w)
{
	isp_free(w->s);
	appl_group_free(w->g);
	VEC_FREE(q);
}

static const struct duty SHORT = { 200 * NS_PER_MS, 300 * NS_PER_MS, 600 * NS_PER_MS, 5 };

TEST(round_retrieves_all_and_counts_unknown)
{
	struct world w = setup(&SHORT, NULL, 0);
	struct result_rec *r;
	/* registration first */
	for (int i = 0; i < 10; i++) {
		w.now += NS_PER_MS;
		appl_group_tick(w.g, w.now);
		deliver(w.s, w.g, w.now);
	}
	CHECK_EQ_INT(isp_n_registered(w.s), NDEV);
	CHECK(appl_group_registered(w.g));
	order(&w, 1, 2 * NS_PER_SEC, 1);
	size_t n = run_round(&w, &r);
	CHECK_EQ_INT(n, NDEV + 1);
	int ok = 0, unknown = 0;
	for (size_t i = 0; i < n; i++) {
		ok += r[i].status == ST_OK;
		unknown += r[i].status == ST_UNKNOWN && r[i].device == 7;
		if (r[i].status == ST_OK)
			CHECK(r[i].reading >= 15000 && r[i].reading <= 35000 && r[i].attempts >= 1);
	}
	CHECK_EQ_INT(ok, NDEV);
	CHECK_EQ_INT(unknown, 1);
	CHECK_EQ_U64(isp_counters(w.s)[IC_AUTH_FAILED], 0);
	free(r);
	/* a second round works the same */
	order(&w, 2, 2 * NS_PER_SEC, 0);
	n = run_round(&w, &r);
	ok = 0;
	for (size_t i = 0; i < n; i++)
		ok += r[i].status == ST_OK;
	CHECK_EQ_INT(ok, NDEV);
	free(r);
	teardown(&w);
}

TEST(wrong_keys_fail_exactly_those)
{
	const uint32_t wrong[3] = { 103, 120, 149 };
	struct world w = setup(&SHORT, wrong, 3);
	struct result_rec *r;
	order(&w, 1, 2 * NS_PER_SEC, 0);
	size_t n = run_round(&w, &r);
	int ok = 0;
	for (size_t i = 0; i < n; i++) {
		bool is_wrong = r[i].device == 103 || r[i].device == 120 || r[i].device == 149;
		CHECK_EQ_INT(r[i].status, is_wrong ? ST_AUTH : ST_OK);
		ok += r[i].status == ST_OK;
	}
	CHECK_EQ_INT(ok, NDEV - 3);
	CHECK_EQ_U64(isp_counters(w.s)[IC_AUTH_FAILED], 3);
	free(r);
	teardown(&w);
}

TEST(replays_rejected)
{
	struct world w = setup(&SHORT, NULL, 0);
	struct result_rec *r;
	order(&w, 1, 2 * NS_PER_SEC, 0);
	size_t n = run_round(&w, &r);
	free(r);
	CHECK_EQ_INT(n, NDEV);
	struct pkt resp = last_response, data = last_data, chal = last_challenge;
	uint64_t rep0 = isp_counters(w.s)[IC_REPLAYED], dup0 = isp_counters(w.s)[IC_DUPLICATE];
	/* round over: an old DATA or RESPONSE is not for a round in progress */
	(void)isp_on_datagram(w.s, data.b, data.len, (struct sockaddr *)&app_addr, sizeof(app_addr), w.now);
	(void)isp_on_datagram(w.s, resp.b, resp.len, (struct sockaddr *)&app_addr, sizeof(app_addr), w.now);
	CHECK_EQ_U64(isp_counters(w.s)[IC_REPLAYED], rep0 + 2);
	/* next round: the old RESPONSE carries an old nonce */
	order(&w, 2, 2 * NS_PER_SEC, 0);
	for (int i = 0; i < 200; i++) {   /* let challenges go out */
		w.now += NS_PER_MS;
		isp_tick(w.s, w.now);
		q.n = 0;
	}
	resp.b[19] = 2;   /* even relabelled for round 2 */
	(void)isp_on_datagram(w.s, resp.b, resp.len, (struct sockaddr *)&app_addr, sizeof(app_addr), w.now);
	CHECK_EQ_U64(isp_counters(w.s)[IC_REPLAYED], rep0 + 3);
	CHECK_EQ_U64(isp_counters(w.s)[IC_AUTH_FAILED], 0);
	(void)dup0;
	/* the appliance: a repeated challenge is a retransmission, answered
	 * identically (same Na); a PROOF for another Na is a replay */
	uint64_t arep = appl_group_counters(w.g)[AC_REPLAYED];
	for (int k = 0; k < 2000 && !appl_awake(w.g, 0, NULL); k++) {
		w.now += NS_PER_MS;
		appl_group_tick(w.g, w.now);
	}
	CHECK(appl_awake(w.g, 0, NULL));
	uint8_t ch[64];
	uint8_t ni[NONCE_LEN] = { 9, 9, 9 };
	size_t cl = msg_put_challenge(ch, sizeof(ch), 0, 100, 2, ni);
	q.n = 0;
	appl_group_on_datagram(w.g, ch, cl, (struct sockaddr *)&isp_addr, sizeof(isp_addr), w.now);
	appl_group_on_datagram(w.g, ch, cl, (struct sockaddr *)&isp_addr, sizeof(isp_addr), w.now);
	CHECK_EQ_INT(q.n, 2);
	CHECK(q.n == 2 && q.v[0].len == q.v[1].len && memcmp(q.v[0].b, q.v[1].b, q.v[0].len) == 0);
	CHECK_EQ_U64(appl_group_counters(w.g)[AC_RETRANSMITS], 1);
	uint8_t pr[80], na[NONCE_LEN] = { 1 }, auth[AUTH_MAX_LEN] = { 0 };
	size_t pl = msg_put_proof(pr, sizeof(pr), 0, 100, 2, na, auth);
	appl_group_on_datagram(w.g, pr, pl, (struct sockaddr *)&isp_addr, sizeof(isp_addr), w.now);
	CHECK_EQ_INT(q.n, 2);   /* no DATA for it */
	CHECK_EQ_U64(appl_group_counters(w.g)[AC_REPLAYED], arep + 1);
	(void)chal;
	teardown(&w);
}

TEST(no_answer_and_lost)
{
	/* sleeping far longer than the window: nobody answers */
	const struct duty sleepy = { 10 * NS_PER_MS, 100 * NS_PER_SEC, 100 * NS_PER_SEC, 5 };
	struct world w = setup(&sleepy, NULL, 0);
	struct result_rec *r;
	order(&w, 1, 500 * NS_PER_MS, 0);
	size_t n = run_round(&w, &r);
	int na = 0;
	for (size_t i = 0; i < n; i++)
		na += r[i].status == ST_NO_ANSWER;
	free(r);
	teardown(&w);
	/* all start awake for long, but every DATA is lost: lost, not no-answer */
	const struct duty awake = { 100 * NS_PER_SEC, 1 * NS_PER_SEC, 1 * NS_PER_SEC, 5 };
	struct world w2 = setup(&awake, NULL, 0);
	drop_data = 1;
	order(&w2, 1, 500 * NS_PER_MS, 0);
	n = run_round(&w2, &r);
	drop_data = 0;
	int lost = 0, answered = 0;
	for (size_t i = 0; i < n; i++) {
		lost += r[i].status == ST_LOST;
		answered += r[i].status != ST_NO_ANSWER;
	}
	/* (the ones that started asleep may not wake in 0.5 s) */
	CHECK(na >= NDEV - 2);
	CHECK(answered > 0);
	CHECK_EQ_INT(lost, answered);
	CHECK(r[0].attempts > 1);   /* it retried within the window */
	free(r);
	teardown(&w2);
}

TEST(garbage_counted_and_memory_in_bytes)
{
	struct world w = setup(&SHORT, NULL, 0);
	uint8_t junk[40] = "garbage garbage garbage";
	CHECK(isp_on_datagram(w.s, junk, sizeof(junk), (struct sockaddr *)&app_addr, sizeof(app_addr), w.now) < 0);
	CHECK(isp_on_datagram(w.s, junk, 0, (struct sockaddr *)&app_addr, sizeof(app_addr), w.now) < 0);
	CHECK_EQ_U64(isp_counters(w.s)[IC_MALFORMED], 2);
	appl_group_on_datagram(w.g, junk, 5, (struct sockaddr *)&isp_addr, sizeof(isp_addr), w.now);
	CHECK_EQ_U64(appl_group_counters(w.g)[AC_MALFORMED], 1);
	CHECK(isp_bytes_per_device() <= 128);
	CHECK(appl_bytes_per_device() <= 128);
	teardown(&w);
}

int main(void) { return run_tests(); }
