/* auth — see auth.h. */
#include "auth.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static void hmac(const uint8_t *key, size_t klen, char tag, uint32_t dev,
		 const uint8_t a[NONCE_LEN], const uint8_t b[NONCE_LEN], uint8_t out[AUTH_HMAC_LEN])
{
	uint8_t in[5 + 4 + 2 * NONCE_LEN];
	unsigned olen = AUTH_HMAC_LEN;
	memcpy(in, "TBA1", 4);
	in[4] = (uint8_t)tag;
	in[5] = dev >> 24; in[6] = (uint8_t)(dev >> 16); in[7] = (uint8_t)(dev >> 8); in[8] = (uint8_t)dev;
	memcpy(in + 9, a, NONCE_LEN);
	memcpy(in + 9 + NONCE_LEN, b, NONCE_LEN);
	HMAC(EVP_sha256(), key, (int)klen, in, sizeof(in), out, &olen);
}

void auth_appliance_proof(uint8_t flags, const struct dev_keys *k, uint32_t dev,
			  const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN], uint8_t *out)
{
	if (flags & MSG_F_HMAC) {
		uint8_t key[2 * KEY_LEN];
		memcpy(key, k->ko, KEY_LEN);
		memcpy(key + KEY_LEN, k->ks, KEY_LEN);
		hmac(key, sizeof(key), 'R', dev, ni, na, out);
		return;
	}
	for (int i = 0; i < AUTH_XOR_LEN; i++)
		out[i] = ni[i] ^ k->ks[i] ^ k->ko[i];
}

void auth_isp_proof(uint8_t flags, const struct dev_keys *k, uint32_t dev,
		    const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN], uint8_t *out)
{
	if (flags & MSG_F_HMAC) {
		hmac(k->ks, KEY_LEN, 'P', dev, na, ni, out);
		return;
	}
	for (int i = 0; i < AUTH_XOR_LEN; i++)
		out[i] = na[i] ^ k->ks[i];
}

bool auth_check_appliance(uint8_t flags, const struct dev_keys *k, uint32_t dev,
			  const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN], const uint8_t *got)
{
	uint8_t want[AUTH_MAX_LEN];
	auth_appliance_proof(flags, k, dev, ni, na, want);
	return CRYPTO_memcmp(want, got, auth_len_of(flags)) == 0;
}

bool auth_check_isp(uint8_t flags, const struct dev_keys *k, uint32_t dev,
		    const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN], const uint8_t *got)
{
	uint8_t want[AUTH_MAX_LEN];
	auth_isp_proof(flags, k, dev, ni, na, want);
	return CRYPTO_memcmp(want, got, auth_len_of(flags)) == 0;
}

int auth_nonce(uint8_t out[NONCE_LEN])
{
	return RAND_bytes(out, NONCE_LEN) == 1 ? 0 : -EIO;
}
