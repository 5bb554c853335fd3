/* Unit tests of agents/auth: for XOR and HMAC, the right keys are accepted,
 * a wrong shared or own key is rejected on each side, a proof made for one
 * nonce does not verify for another (what replay rejection rests on), and
 * the XOR scheme leaks its keys to a passive observer as docs/agents.md says. */
#include "tests/check.h"
#include "agents/auth.h"

static struct dev_keys K = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
			     { 0xf0, 0xe0, 0xd0, 0xc0, 0xb0, 0xa0, 0x90, 0x80, 7, 6, 5, 4, 3, 2, 1, 0 } };

static void run(uint8_t fl)
{
	uint8_t ni[NONCE_LEN], na[NONCE_LEN], ni2[NONCE_LEN], a[AUTH_MAX_LEN], p[AUTH_MAX_LEN];
	CHECK_EQ_INT(auth_nonce(ni), 0);
	CHECK_EQ_INT(auth_nonce(na), 0);
	CHECK_EQ_INT(auth_nonce(ni2), 0);
	CHECK(memcmp(ni, na, NONCE_LEN) != 0);   /* fresh */
	auth_appliance_proof(fl, &K, 7, ni, na, a);
	auth_isp_proof(fl, &K, 7, ni, na, p);
	CHECK(auth_check_appliance(fl, &K, 7, ni, na, a));
	CHECK(auth_check_isp(fl, &K, 7, ni, na, p));
	/* wrong own key, wrong shared key */
	struct dev_keys w = K;
	w.ko[3] ^= 0x40;
	CHECK(!auth_check_appliance(fl, &w, 7, ni, na, a));
	w = K;
	w.ks[0] ^= 1;
	CHECK(!auth_check_appliance(fl, &w, 7, ni, na, a));
	CHECK(!auth_check_isp(fl, &w, 7, ni, na, p));
	/* replay: the old answer against a new challenge */
	CHECK(!auth_check_appliance(fl, &K, 7, ni2, na, a));
	/* a proof is not the other side's proof */
	CHECK(!auth_check_appliance(fl, &K, 7, ni, na, p) || fl == 0);
}

TEST(xor_accepts_right_rejects_wrong_and_replay) { run(0); }
TEST(hmac_accepts_right_rejects_wrong_and_replay)
{
	run(MSG_F_HMAC);
	/* HMAC binds the device id too */
	uint8_t ni[NONCE_LEN] = { 0 }, na[NONCE_LEN] = { 1 }, a[AUTH_MAX_LEN];
	auth_appliance_proof(MSG_F_HMAC, &K, 7, ni, na, a);
	CHECK(!auth_check_appliance(MSG_F_HMAC, &K, 8, ni, na, a));
}

TEST(xor_leaks_keys_to_an_observer)
{
	/* one observed exchange: Ni, A = Ni^Ks^Ko, Na, P = Na^Ks */
	uint8_t ni[NONCE_LEN], na[NONCE_LEN], a[AUTH_MAX_LEN], p[AUTH_MAX_LEN], ks[KEY_LEN], kso[KEY_LEN];
	CHECK_EQ_INT(auth_nonce(ni), 0);
	CHECK_EQ_INT(auth_nonce(na), 0);
	auth_appliance_proof(0, &K, 7, ni, na, a);
	auth_isp_proof(0, &K, 7, ni, na, p);
	for (int i = 0; i < KEY_LEN; i++) {
		ks[i] = na[i] ^ p[i];
		kso[i] = ni[i] ^ a[i];
	}
	CHECK(memcmp(ks, K.ks, KEY_LEN) == 0);
	/* with them the observer answers any new challenge */
	uint8_t ni2[NONCE_LEN], forged[AUTH_XOR_LEN];
	CHECK_EQ_INT(auth_nonce(ni2), 0);
	for (int i = 0; i < KEY_LEN; i++)
		forged[i] = ni2[i] ^ kso[i];
	CHECK(auth_check_appliance(0, &K, 7, ni2, na, forged));
	CHECK(!auth_check_appliance(MSG_F_HMAC, &K, 7, ni2, na, forged));
}

int main(void) { return run_tests(); }
