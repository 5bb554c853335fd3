/* Unit tests of agents/msg: every message round-trips; truncated, padded,
 * wrong-version, wrong-magic and wrong-size messages are rejected; the
 * key file and registry parsers are strict. */
#include "tests/check.h"
#include "agents/keys.h"
#include "agents/msg.h"

#include <errno.h>

static const uint8_t NI[NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t NA[NONCE_LEN] = { 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };

TEST(challenge_round_trip)
{
	uint8_t b[128];
	struct msg m;
	size_t n = msg_put_challenge(b, sizeof(b), 0, 4242, 7, NI);
	CHECK_EQ_INT(n, MSG_HDR_LEN + NONCE_LEN);
	CHECK_EQ_INT(msg_parse(b, n, &m), 0);
	CHECK_EQ_INT(m.type, MSG_CHALLENGE);
	CHECK_EQ_INT(m.device, 4242);
	CHECK_EQ_INT(m.seq, 7);
	CHECK(memcmp(m.ni, NI, NONCE_LEN) == 0);
	CHECK_EQ_INT(msg_put_challenge(b, n - 1, 0, 1, 1, NI), 0);   /* does not fit */
}

TEST(response_proof_data_round_trip)
{
	uint8_t b[128], auth[AUTH_MAX_LEN];
	struct msg m;
	for (int i = 0; i < AUTH_MAX_LEN; i++)
		auth[i] = (uint8_t)(0xa0 + i);
	for (int hm = 0; hm < 2; hm++) {
		uint8_t fl = hm ? MSG_F_HMAC : 0;
		size_t n = msg_put_response(b, sizeof(b), fl, 9, 3, NI, NA, auth);
		CHECK_EQ_INT(n, MSG_HDR_LEN + 2 * NONCE_LEN + (hm ? 32 : 16));
		CHECK_EQ_INT(msg_parse(b, n, &m), 0);
		CHECK_EQ_INT(m.type, MSG_RESPONSE);
		CHECK_EQ_INT(m.flags, fl);
		CHECK_EQ_INT(m.auth_len, hm ? 32 : 16);
		CHECK(memcmp(m.na, NA, NONCE_LEN) == 0 && memcmp(m.auth, auth, m.auth_len) == 0);
		n = msg_put_proof(b, sizeof(b), fl, 9, 3, NA, auth);
		CHECK_EQ_INT(msg_parse(b, n, &m), 0);
		CHECK_EQ_INT(m.type, MSG_PROOF);
		CHECK(memcmp(m.na, NA, NONCE_LEN) == 0);
	}
	size_t n = msg_put_data(b, sizeof(b), 0, 9, 3, NI, -12345);
	CHECK_EQ_INT(msg_parse(b, n, &m), 0);
	CHECK_EQ_INT(m.type, MSG_DATA);
	CHECK_EQ_INT(m.reading, -12345);
}

TEST(order_result_round_end_round_trip)
{
	uint32_t ids[5] = { 1, 2, 3, 100000, 4000000000u };
	uint8_t b[512];
	struct msg m;
	size_t n = msg_put_order(b, sizeof(b), 12, 70000000000ULL, ids, 5);
	CHECK_EQ_INT(n, msg_order_len(5));
	CHECK_EQ_INT(msg_parse(b, n, &m), 0);
	CHECK_EQ_INT(m.count, 5);
	CHECK_EQ_U64(m.window_ns, 70000000000ULL);
	CHECK_EQ_U64(msg_id_at(&m, 4), 4000000000u);
	struct result_rec r[2] = { { 7, ST_OK, 3, -5, 1234 }, { 8, ST_AUTH, 1, 0, 0 } }, g;
	n = msg_put_result(b, sizeof(b), 2, 12, r, 2);
	CHECK_EQ_INT(msg_parse(b, n, &m), 0);
	msg_rec_at(&m, 0, &g);
	CHECK(g.device == 7 && g.status == ST_OK && g.attempts == 3 && g.reading == -5 && g.latency_us == 1234);
	msg_rec_at(&m, 1, &g);
	CHECK_EQ_INT(g.status, ST_AUTH);
	b[MSG_HDR_LEN + 4 + RESULT_REC_LEN + 4] = 99;   /* invalid status */
	CHECK_EQ_INT(msg_parse(b, n, &m), -EBADMSG);
	uint64_t c[IC_N];
	for (int i = 0; i < IC_N; i++)
		c[i] = 1000u * i + 1;
	n = msg_put_round_end(b, sizeof(b), 2, 12, c);
	CHECK_EQ_INT(msg_parse(b, n, &m), 0);
	CHECK_EQ_U64(m.counters[IC_N - 1], 1000u * (IC_N - 1) + 1);
	uint32_t reg[3] = { 5, 6, 7 };
	n = msg_put_register(b, sizeof(b), 4, reg, 3);
	CHECK_EQ_INT(msg_parse(b, n, &m), 0);
	CHECK(m.type == MSG_REGISTER && m.count == 3 && m.seq == 4 && msg_id_at(&m, 2) == 7);
}

TEST(rejects_truncated_padded_and_garbage)
{
	uint8_t b[128];
	struct msg m;
	size_t n = msg_put_challenge(b, sizeof(b), 0, 1, 1, NI);
	for (size_t k = 0; k < n; k++)
		CHECK(msg_parse(b, k, &m) < 0);                /* every truncation */
	CHECK_EQ_INT(msg_parse(b, n + 1, &m), -EBADMSG);   /* trailing byte */
	uint8_t c[128];
	memcpy(c, b, n);
	c[0] ^= 1;
	CHECK_EQ_INT(msg_parse(c, n, &m), -EBADMSG);       /* magic */
	memcpy(c, b, n);
	c[2] = 2;
	CHECK_EQ_INT(msg_parse(c, n, &m), -EPROTONOSUPPORT);
	memcpy(c, b, n);
	c[5] = 1;
	CHECK_EQ_INT(msg_parse(c, n, &m), -EBADMSG);       /* reserved */
	memcpy(c, b, n);
	c[4] = 0x80;
	CHECK_EQ_INT(msg_parse(c, n, &m), -EBADMSG);       /* unknown flag */
	memcpy(c, b, n);
	c[3] = 99;
	CHECK_EQ_INT(msg_parse(c, n, &m), -EBADMSG);       /* unknown type */
	memcpy(c, b, n);
	c[11] = (uint8_t)(n + 4);
	CHECK_EQ_INT(msg_parse(c, n, &m), -EMSGSIZE);      /* length beyond data */
	/* a challenge whose length says "response": wrong body size */
	memcpy(c, b, n);
	c[3] = MSG_RESPONSE;
	CHECK_EQ_INT(msg_parse(c, n, &m), -EBADMSG);
	/* an order whose count disagrees with its length */
	uint32_t ids[2] = { 1, 2 };
	n = msg_put_order(b, sizeof(b), 1, 1, ids, 2);
	b[MSG_HDR_LEN + 11] = 3;
	CHECK_EQ_INT(msg_parse(b, n, &m), -EBADMSG);
	b[MSG_HDR_LEN + 8] = 0x40;   /* huge count: no overflow, rejected */
	CHECK_EQ_INT(msg_parse(b, n, &m), -EBADMSG);
}

TEST(key_file_strict)
{
	const char *good = "# comment\n2 00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100\n"
			   "1 0123456789abcdef0123456789abcdef 00000000000000000000000000000000\n\n";
	struct key_list l;
	size_t line = 0;
	FILE *f = fmemopen((void *)good, strlen(good), "r");
	CHECK_EQ_INT(keys_parse(f, &l, &line), 0);
	fclose(f);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_INT(l.v[0].id, 1);   /* sorted */
	CHECK_EQ_INT(l.v[1].k.ks[1], 0x11);
	CHECK_EQ_INT(keys_find(&l, 2), 1);
	CHECK_EQ_INT(keys_find(&l, 3), -1);
	keys_free(&l);
	const char *bad[] = {
		"1 0011 ffee\n",                                                            /* short */
		"1 00112233445566778899AABBCCDDEEFF ffeeddccbbaa99887766554433221100\n",    /* upper case */
		"x 00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100\n",
		"1 00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100 extra\n",
		"1 00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100\n"
		"1 00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100\n",    /* duplicate */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fmemopen((void *)bad[i], strlen(bad[i]), "r");
		CHECK_EQ_INT(keys_parse(f, &l, &line), -EINVAL);
		fclose(f);
	}
}

TEST(registry_strict)
{
	const char *good = "device,isp\n1,0\n2,1\n";
	struct reg_list r;
	size_t line = 0;
	FILE *f = fmemopen((void *)good, strlen(good), "r");
	CHECK_EQ_INT(registry_parse(f, &r, &line), 0);
	fclose(f);
	CHECK(r.n == 2 && r.v[1].id == 2 && r.v[1].isp == 1);
	registry_free(&r);
	const char *bad = "device,isp\n1,0\n2;1\n";
	f = fmemopen((void *)bad, strlen(bad), "r");
	CHECK_EQ_INT(registry_parse(f, &r, &line), -EINVAL);
	CHECK_EQ_INT(line, 3);
	fclose(f);
}

int main(void) { return run_tests(); }
