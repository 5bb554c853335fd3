/* auth — the mutual challenge-response of appliance and ISP server
 * (docs/agents.md, "Authentication").
 *
 * Each appliance holds Ks, the key it shares with its ISP server, and Ko,
 * its own key (the ISP learnt it at enrolment).  The ISP sends a fresh
 * nonce Ni; the appliance answers with its own fresh nonce Na and
 *   A = Ni ^ Ks ^ Ko                          (xor, as in paper 004)
 *   A = HMAC-SHA256(Ko || Ks, "TBA1R" dev Ni Na)   (--auth hmac)
 * and the ISP proves itself with
 *   P = Na ^ Ks                               (xor)
 *   P = HMAC-SHA256(Ks, "TBA1P" dev Na Ni)        (hmac)
 * Freshness (replay rejection) is the callers' job: each side accepts a
 * proof only for the nonce it sent last.  XOR over static keys is NOT
 * secure: one observed exchange gives Ks ^ Ko and Ks (see docs). */
#ifndef TB_AGENTS_AUTH_H
#define TB_AGENTS_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"

struct dev_keys {
	uint8_t ks[KEY_LEN];   /* shared with the ISP server */
	uint8_t ko[KEY_LEN];   /* the appliance's own key */
};

/* out gets auth_len_of(flags) bytes. */
void auth_appliance_proof(uint8_t flags, const struct dev_keys *k, uint32_t dev,
			  const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN], uint8_t *out);
void auth_isp_proof(uint8_t flags, const struct dev_keys *k, uint32_t dev,
		    const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN], uint8_t *out);
/* Constant-time checks of a received proof. */
bool auth_check_appliance(uint8_t flags, const struct dev_keys *k, uint32_t dev,
			  const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN], const uint8_t *got);
bool auth_check_isp(uint8_t flags, const struct dev_keys *k, uint32_t dev,
		    const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN], const uint8_t *got);

/* A fresh nonce from OpenSSL's CSPRNG; 0 or -EIO. */
int auth_nonce(uint8_t out[NONCE_LEN]) __attribute__((warn_unused_result));

#endif
