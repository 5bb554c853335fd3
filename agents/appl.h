/* appl — a group of emulated appliances served by one thread on one UDP
 * socket: their duty cycles (timer-driven, on a timing wheel), their side
 * of the authentication, their registration with the ISP server.  The
 * appliance program runs one group per pool thread, or in the paper's
 * model one group of one appliance per thread.  No sockets here: the
 * caller feeds datagrams and time and sends what the group asks for.
 *
 * Per appliance: struct appl (76 bytes) + 17 bytes of timer.  Datagrams
 * are demultiplexed by the device id of the header (binary search). */
#ifndef TB_AGENTS_APPL_H
#define TB_AGENTS_APPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "duty.h"
#include "keys.h"
#include "mono.h"
#include "net.h"

enum appl_counter {
	AC_RECEIVED, AC_SENT, AC_MALFORMED, AC_ASLEEP, AC_REPLAYED, AC_AUTH_FAILED,
	AC_SERVED, AC_UNKNOWN_DEVICE, AC_SEND_ERRORS, AC_RETRANSMITS, AC_N
};
extern const char *const appl_counter_names[AC_N];

struct appl_params {
	struct duty duty;
	uint8_t flags;                  /* MSG_F_HMAC or 0 */
	struct netaddr isp;             /* where REGISTER goes */
	int64_t register_retry_ns;
	int (*send)(void *ctx, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf, size_t len);
	void *ctx;
};

struct appl_group;

/* keys[0..n) sorted by id (a slice of a key_list); copied. */
struct appl_group *appl_group_new(const struct appl_params *p, const struct key_entry *keys,
				  size_t n, mono_ns now);
void appl_group_free(struct appl_group *g);
void appl_group_on_datagram(struct appl_group *g, const uint8_t *buf, size_t len,
			    const struct sockaddr *from, socklen_t fromlen, mono_ns now);
/* Duty-cycle transitions and registration retries due by now. */
void appl_group_tick(struct appl_group *g, mono_ns now);
int appl_group_timeout_ms(const struct appl_group *g, mono_ns now);
bool appl_group_registered(const struct appl_group *g);
const uint64_t *appl_group_counters(const struct appl_group *g);
/* For tests: is appliance number i (in key order) awake, in which cycle. */
bool appl_awake(const struct appl_group *g, size_t i, uint32_t *cycle);
size_t appl_bytes_per_device(void);

#endif
