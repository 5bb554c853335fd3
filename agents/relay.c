/* agents-relay — a UDP relay between appliances and their ISP server for
 * the tests: forwards datagrams both ways, drops each with --drop-rate
 * (seeded), and with --replay-after DUR sends every forwarded datagram a
 * second time DUR later, as an attacker replaying what it saw would.  The appliances are given
 * the relay's address as their ISP; each appliance socket gets its own
 * upstream socket so that replies find their way back.  Not part of an
 * experiment: netem is not available here, the emulator may be. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/duty.h"
#include "mono.h"
#include "agents/net.h"
#include "log.h"
#include "units.h"
#include "xalloc.h"

static volatile sig_atomic_t stop;

struct later {               /* a copy to replay; FIFO since the delay is constant */
	mono_ns at;
	int fd;
	struct netaddr to;
	size_t len;
	uint8_t *data;
};

struct client {
	struct netaddr addr;     /* the appliance socket */
	int up;                  /* our socket towards the ISP */
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", 1, 0, 'l' }, { "to", 1, 0, 't' }, { "drop-rate", 1, 0, 'd' },
		{ "replay-after", 1, 0, 'r' }, { "seed", 1, 0, 's' }, { "ready-fd", 1, 0, 'R' }, { 0, 0, 0, 0 },
	};
	const char *ls = NULL, *ts = NULL;
	double drop = 0;
	bool replay = false;
	int64_t replay_ns = 0;
	uint64_t seed = 1, ready_fd = UINT64_MAX, rng_n = 0;
	int c;
	log_init("agents-relay");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': ls = optarg; break;
		case 't': ts = optarg; break;
		case 'd': if (parse_fraction(optarg, &drop)) die("--drop-rate: expected %s, got '%s'", UNITS_EXPECT_FRACTION, optarg); break;
		case 'r':
			if (parse_duration(optarg, &replay_ns)) die("--replay-after: expected %s, got '%s'", UNITS_EXPECT_DURATION, optarg);
			replay = true;
			break;
		case 's': if (parse_u64(optarg, 0, UINT64_MAX, &seed)) die("--seed: expected a number, got '%s'", optarg); break;
		case 'R': if (parse_u64(optarg, 0, INT32_MAX, &ready_fd)) die("--ready-fd: expected a descriptor, got '%s'", optarg); break;
		default: return 2;
		}
	}
	struct netaddr la, ta;
	if (optind != argc || !ls || !ts || netaddr_parse(ls, -1, &la) || netaddr_parse(ts, -1, &ta))
		die("usage: agents-relay --listen ADDR:PORT --to ADDR:PORT [--drop-rate F] [--replay-after DUR] [--seed N]");
	agent_signals(&stop);
	int lfd = udp_bind(&la, 8 << 20);
	if (lfd < 0)
		die("cannot bind %s: %s", ls, strerror(-lfd));
	struct netaddr any = { .len = ta.len };
	any.ss.ss_family = ta.ss.ss_family;
	VEC(struct client) cl = { 0 };
	VEC(struct pollfd) pf = { 0 };
	VEC(struct later) lq = { 0 };
	size_t lq_head = 0;
	uint64_t fwd = 0, dropped = 0, replayed = 0;
	static uint8_t buf[65536];
	char line[128];
	snprintf(line, sizeof(line), "listen=%s to=%s drop_rate=%g replay=%d", ls, ts, drop, (int)replay);
	agent_ready(ready_fd == UINT64_MAX ? -1 : (int)ready_fd, line);

	while (!stop) {
		pf.n = 0;
		VEC_PUSH(pf, ((struct pollfd){ .fd = lfd, .events = POLLIN }));
		for (size_t i = 0; i < cl.n; i++)
			VEC_PUSH(pf, ((struct pollfd){ .fd = cl.v[i].up, .events = POLLIN }));
		mono_ns now = mono_now();
		while (lq_head < lq.n && lq.v[lq_head].at <= now) {
			struct later *l = &lq.v[lq_head++];
			(void)sendto(l->fd, l->data, l->len, 0, (const struct sockaddr *)&l->to.ss, l->to.len);
			free(l->data);
			replayed++;
		}
		if (lq_head == lq.n)
			lq.n = lq_head = 0;
		int tmo = 100;
		if (lq_head < lq.n && (lq.v[lq_head].at - now) / NS_PER_MS + 1 < tmo)
			tmo = (int)((lq.v[lq_head].at - now) / NS_PER_MS + 1);
		if (poll(pf.v, pf.n, tmo) <= 0)
			continue;
		for (size_t i = 0; i < pf.n; i++) {
			if (!(pf.v[i].revents & POLLIN))
				continue;
			for (;;) {
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);
				ssize_t n = recvfrom(pf.v[i].fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
				if (n < 0)
					break;
				int out_fd;
				const struct netaddr *to;
				if (i == 0) {   /* from an appliance: up to the ISP */
					size_t k;
					for (k = 0; k < cl.n; k++)
						if (netaddr_equal((struct sockaddr *)&cl.v[k].addr.ss, (struct sockaddr *)&from))
							break;
					if (k == cl.n) {
						struct client nc = { .addr = { .len = fl } };
						memcpy(&nc.addr.ss, &from, fl);
						nc.up = udp_bind(&any, 8 << 20);
						if (nc.up < 0)
							die("cannot open an upstream socket: %s", strerror(-nc.up));
						VEC_PUSH(cl, nc);
					}
					out_fd = cl.v[k].up;
					to = &ta;
				} else {        /* from the ISP: back to that appliance */
					out_fd = lfd;
					to = &cl.v[i - 1].addr;
				}
				double u = (double)(duty_hash(seed, 0, 0, (uint32_t)rng_n) >> 11) / (double)(1ULL << 53);
				seed += rng_n++ == UINT32_MAX;
				if (u < drop) {
					dropped++;
					continue;
				}
				(void)sendto(out_fd, buf, (size_t)n, 0, (const struct sockaddr *)&to->ss, to->len);
				fwd++;
				if (replay) {
					struct later l = { mono_now() + replay_ns, out_fd, *to, (size_t)n, xmalloc((size_t)n) };
					memcpy(l.data, buf, (size_t)n);
					VEC_PUSH(lq, l);
				}
			}
		}
	}
	log_info("stats forwarded=%llu dropped=%llu replayed=%llu", (unsigned long long)fwd,
		 (unsigned long long)dropped, (unsigned long long)replayed);
	for (size_t i = lq_head; i < lq.n; i++)
		free(lq.v[i].data);
	VEC_FREE(lq);
	for (size_t i = 0; i < cl.n; i++)
		close(cl.v[i].up);
	VEC_FREE(cl);
	VEC_FREE(pf);
	close(lfd);
	return 0;
}
