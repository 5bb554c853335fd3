/* Fuzz target: the agents' message parser, then the same bytes fed to the
 * state machines that take datagrams from the network (an ISP server in a
 * round, a group of awake appliances) and to the TCP stream splitter.
 * Nothing may crash, read out of bounds or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "agents/appl.h"
#include "agents/isp.h"
#include "agents/msg.h"
#include "agents/net.h"
#include "xalloc.h"

static int sink(void *ctx, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf, size_t len)
{
	struct msg m;
	(void)ctx; (void)to; (void)tolen;
	return msg_parse(buf, len, &m) ? -1 : 0;   /* what we send must parse */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m;
	if (msg_parse(data, size, &m) == 0) {
		if (m.type == MSG_REGISTER || m.type == MSG_ORDER)
			for (uint32_t i = 0; i < m.count; i++)
				(void)msg_id_at(&m, i);
		if (m.type == MSG_RESULT)
			for (uint32_t i = 0; i < m.count; i++) {
				struct result_rec r;
				msg_rec_at(&m, i, &r);
			}
	}
	(void)msg_peek_length(data, size);

	static struct isp *isp;
	static struct appl_group *g;
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(9) };
	if (!isp) {
		struct key_list kl = { 0 };
		for (uint32_t id = 0; id < 8; id++) {
			struct key_entry e = { .id = id };
			e.k.ks[0] = (uint8_t)id;
			VEC_PUSH(kl, e);
		}
		struct isp_params p = { .poll_ns = 1000000, .retry_ns = 1000000, .send = sink };
		struct appl_params ap = { .duty = { 1000LL * NS_PER_SEC, 1, 1, 1 }, .send = sink,
					  .register_retry_ns = NS_PER_SEC };
		ap.isp.len = sizeof(from);
		memcpy(&ap.isp.ss, &from, sizeof(from));
		g = appl_group_new(&ap, kl.v, kl.n, 0);
		isp = isp_new(&p, &kl, 0);
		uint8_t ob[256];
		uint32_t ids[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 99 };
		size_t n = msg_put_register(ob, sizeof(ob), 0, ids, 8);
		(void)isp_on_datagram(isp, ob, n, (struct sockaddr *)&from, sizeof(from), 0);
		n = msg_put_order(ob, sizeof(ob), 1, INT64_MAX, ids, 9);
		struct msg om;
		if (msg_parse(ob, n, &om) == 0)
			isp_start_round(isp, &om, 0);
		isp_tick(isp, 5000000);
	}
	(void)isp_on_datagram(isp, data, size, (struct sockaddr *)&from, sizeof(from), 6000000);
	appl_group_on_datagram(g, data, size, (struct sockaddr *)&from, sizeof(from), 6000000);

	/* the stream splitter over the same bytes */
	struct stream s;
	stream_init(&s, -1);
	s.buf = malloc(size ? size : 1);
	memcpy(s.buf, data, size);
	s.len = s.cap = size;
	while (stream_next(&s, &m) > 0)
		;
	stream_free(&s);
	return 0;
}
