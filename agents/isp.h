/* isp — the ISP server's bookkeeping, without sockets: which appliance is
 * where, one collection round's state per device, the polling schedule,
 * the authentication exchange and the outcome of each device.  ispd.c
 * feeds it datagrams and time and sends what it asks for.
 *
 * Memory is a flat array of struct isp_dev (68 bytes) in device-id order
 * plus 17 bytes of timer and 4 of order list per device: about 90 bytes
 * per appliance, no allocation per device or per packet.
 *
 * Polling (the ISP cannot know when an appliance is awake): during a round
 * every pending device gets a CHALLENGE every poll interval, first polls
 * spread over one interval; the nonce is fresh per device and round and
 * re-sent unchanged (a retransmission, so a late answer still counts);
 * once it has answered, a lost PROOF or DATA is retried after the
 * (shorter) retry interval by re-sending the challenge.  At the
 * end of the window a pending device is "lost" if it ever answered in the
 * round, else "no answer"; a wrong proof ends it as "auth failed". */
#ifndef TB_AGENTS_ISP_H
#define TB_AGENTS_ISP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "keys.h"
#include "mono.h"
#include "msg.h"

struct isp;

struct isp_params {
	uint8_t flags;              /* MSG_F_HMAC or 0 */
	int64_t poll_ns;            /* challenge interval while no answer */
	int64_t retry_ns;           /* after an answer, wait this long for DATA */
	/* Sends one datagram; 0 or -errno (counted as a send error). */
	int (*send)(void *ctx, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf, size_t len);
	void *ctx;
};

/* Takes ownership of keys. */
struct isp *isp_new(const struct isp_params *p, struct key_list *keys, mono_ns now);
void isp_free(struct isp *s);

/* One datagram from an appliance.  Returns 0, or -EBADMSG for a malformed
 * or unexpected one (already counted). */
int isp_on_datagram(struct isp *s, const uint8_t *buf, size_t len,
		    const struct sockaddr *from, socklen_t fromlen, mono_ns now);
/* Starts round `round` over the n ids of an ORDER (ids read through m). */
void isp_start_round(struct isp *s, const struct msg *order, mono_ns now);
/* Fires due polls and ends the round at its deadline. */
void isp_tick(struct isp *s, mono_ns now);
/* Upper bound for the next epoll_wait, -1 if nothing is scheduled. */
int isp_timeout_ms(const struct isp *s, mono_ns now);

bool isp_round_active(const struct isp *s);
/* True once, when the active round has just finished (all decided or
 * deadline); then isp_results gives the outcome of every device ordered. */
bool isp_round_finished(struct isp *s);
uint32_t isp_round_number(const struct isp *s);
size_t isp_results(const struct isp *s, struct result_rec **out);   /* caller frees */

size_t isp_n_keys(const struct isp *s);
size_t isp_n_registered(const struct isp *s);
const uint64_t *isp_counters(const struct isp *s);      /* IC_N, cumulative */
size_t isp_bytes_per_device(void);

#endif
