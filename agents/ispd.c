/* ispd — the ISP server of paper 004: takes collection orders from centerd
 * over TCP, reaches each of its appliances over UDP while they are awake
 * (polling, since it cannot know when), authenticates mutually, collects
 * the readings and reports every device's outcome to the center.  One
 * thread, epoll, the bookkeeping of isp.c: ~90 bytes per appliance. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "agents/isp.h"
#include "agents/keys.h"
#include "agents/net.h"
#include "log.h"
#include "mono.h"
#include "units.h"
#include "xalloc.h"

static volatile sig_atomic_t stop;

static int udp_send(void *ctx, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf, size_t len)
{
	return sendbatch_add(ctx, to, tolen, buf, len);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ispd --keys FILE --isp-id K --listen ADDR:PORT --center ADDR:PORT [options]\n"
		"  --keys FILE          isp-K.keys from agents-keygen\n"
		"  --isp-id K           this server's number in registry.csv\n"
		"  --listen ADDR:PORT   UDP address for the appliances (IPv6 as [addr]:port)\n"
		"  --center ADDR:PORT   centerd's TCP address\n"
		"  --poll DUR           challenge interval until an appliance answers (default 1s)\n"
		"  --retry DUR          wait for DATA after PROOF, then re-challenge (default 300ms)\n"
		"  --auth xor|hmac      authentication (default xor)\n"
		"  --connect-timeout DUR  keep trying to reach the center this long (default 30s)\n"
		"  --ready-fd FD        write the ready line to FD too\n"
		"  --log FILE           log to FILE instead of stderr\n");
}

static int send_round(int cfd, struct isp *s, uint32_t isp_id, const uint64_t *base, uint64_t send_errors)
{
	struct result_rec *r;
	size_t n = isp_results(s, &r), chunk = 65536;
	uint8_t *buf = xmalloc(msg_result_len((uint32_t)chunk));
	int rc = 0;
	uint32_t round = isp_round_number(s);
	for (size_t k = 0; k < n && !rc; k += chunk) {
		uint32_t m = (uint32_t)(n - k < chunk ? n - k : chunk);
		size_t len = msg_put_result(buf, msg_result_len(m), isp_id, round, r + k, m);
		rc = send_all(cfd, buf, len);
	}
	if (!rc) {
		uint64_t d[IC_N];
		const uint64_t *c = isp_counters(s);
		for (int i = 0; i < IC_N; i++)
			d[i] = c[i] - base[i];
		d[IC_SEND_ERRORS] += send_errors;   /* found when batches were flushed */
		size_t len = msg_put_round_end(buf, msg_result_len((uint32_t)chunk), isp_id, round, d);
		rc = send_all(cfd, buf, len);
	}
	size_t ok = 0;
	for (size_t k = 0; k < n; k++)
		ok += r[k].status == ST_OK;
	log_info("round=%u ordered=%zu retrieved=%zu", round, n, ok);
	free(buf);
	free(r);
	return rc;
}

int main(int argc, char **argv)
{
	enum { O_KEYS = 256, O_ID, O_LISTEN, O_CENTER, O_POLL, O_RETRY, O_AUTH, O_CTMO, O_READY, O_LOG,
	       O_VERBOSE, O_HELP };
	static const struct option opts[] = {
		{ "keys", 1, 0, O_KEYS }, { "isp-id", 1, 0, O_ID }, { "listen", 1, 0, O_LISTEN },
		{ "center", 1, 0, O_CENTER }, { "poll", 1, 0, O_POLL }, { "retry", 1, 0, O_RETRY },
		{ "auth", 1, 0, O_AUTH }, { "connect-timeout", 1, 0, O_CTMO }, { "ready-fd", 1, 0, O_READY },
		{ "log", 1, 0, O_LOG }, { "verbose", 0, 0, O_VERBOSE }, { "help", 0, 0, O_HELP }, { 0, 0, 0, 0 },
	};
	const char *keys_path = NULL, *listen_s = NULL, *center_s = NULL, *log_path = NULL;
	uint64_t isp_id = UINT64_MAX, ready_fd = UINT64_MAX;
	int64_t ctmo = 30 * NS_PER_SEC;
	int udp_fd = -1;
	struct sendbatch sb;
	struct isp_params p = { .poll_ns = NS_PER_SEC, .retry_ns = 300 * NS_PER_MS, .send = udp_send, .ctx = &sb };
	int c;

	log_init("ispd");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_KEYS: keys_path = optarg; break;
		case O_ID: if (parse_u64(optarg, 0, UINT32_MAX, &isp_id)) die("--isp-id: expected a number, got '%s'", optarg); break;
		case O_LISTEN: listen_s = optarg; break;
		case O_CENTER: center_s = optarg; break;
		case O_POLL:
			if (parse_duration(optarg, &p.poll_ns) || p.poll_ns < NS_PER_MS)
				die("--poll: expected %s (>= 1ms), got '%s'", UNITS_EXPECT_DURATION, optarg);
			break;
		case O_RETRY:
			if (parse_duration(optarg, &p.retry_ns) || p.retry_ns < NS_PER_MS)
				die("--retry: expected %s (>= 1ms), got '%s'", UNITS_EXPECT_DURATION, optarg);
			break;
		case O_AUTH:
			if (strcmp(optarg, "xor") == 0) p.flags = 0;
			else if (strcmp(optarg, "hmac") == 0) p.flags = MSG_F_HMAC;
			else die("--auth: expected xor or hmac, got '%s'", optarg);
			break;
		case O_CTMO:
			if (parse_duration(optarg, &ctmo)) die("--connect-timeout: expected %s, got '%s'", UNITS_EXPECT_DURATION, optarg);
			break;
		case O_READY: if (parse_u64(optarg, 0, INT32_MAX, &ready_fd)) die("--ready-fd: expected a descriptor, got '%s'", optarg); break;
		case O_LOG: log_path = optarg; break;
		case O_VERBOSE: log_set_level(LOG_DEBUG); break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !keys_path || isp_id == UINT64_MAX || !listen_s || !center_s) {
		usage(stderr);
		return 2;
	}
	if (log_path) {
		int rc = log_to_file(log_path);
		if (rc)
			die("cannot open log file %s: %s", log_path, strerror(-rc));
	}
	struct netaddr la, ca;
	char abuf[80];
	if (netaddr_parse(listen_s, -1, &la))
		die("--listen: expected ADDR:PORT (IPv6 as [addr]:port), got '%s'", listen_s);
	if (netaddr_parse(center_s, -1, &ca))
		die("--center: expected ADDR:PORT (IPv6 as [addr]:port), got '%s'", center_s);

	struct key_list keys;
	keys_load_or_die(keys_path, &keys);

	agent_signals(&stop);
	/* large buffers: a poll burst to 200,000 appliances must not overflow */
	udp_fd = udp_bind(&la, 32 << 20);
	if (udp_fd < 0)
		die("cannot bind UDP %s: %s", listen_s, strerror(-udp_fd));
	sendbatch_init(&sb, udp_fd, 256);
	int cfd = -1;
	mono_ns give_up = mono_now() + ctmo;
	while ((cfd = tcp_connect(&ca)) < 0 && !stop) {
		if (mono_now() > give_up)
			die("cannot connect to the center at %s: %s", center_s, strerror(-cfd));
		struct timespec ts = { 0, 100 * NS_PER_MS };
		nanosleep(&ts, NULL);
	}
	if (stop)
		return 0;
	mono_ns now = mono_now();
	struct isp *s = isp_new(&p, &keys, now);
	uint8_t hb[64];
	int rc;
	if ((rc = send_all(cfd, hb, msg_put_hello(hb, sizeof(hb), (uint32_t)isp_id, (uint32_t)isp_n_keys(s)))))
		die("cannot talk to the center at %s: %s", center_s, strerror(-rc));

	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = udp_fd };
	epoll_ctl(ep, EPOLL_CTL_ADD, udp_fd, &ev);
	ev.data.fd = cfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);

	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(udp_fd, (struct sockaddr *)&ss, &sl);
	char line[1024];
	snprintf(line, sizeof(line), "isp=%llu keys=%zu listen=%s auth=%s bytes_per_device=%zu",
		 (unsigned long long)isp_id, isp_n_keys(s), netaddr_fmt((struct sockaddr *)&ss, abuf, sizeof(abuf)),
		 p.flags ? "hmac" : "xor", isp_bytes_per_device());
	log_info("%s", line);
	agent_ready(ready_fd == UINT64_MAX ? -1 : (int)ready_fd, line);

	enum { B = 64, DG = 2048 };
	static uint8_t bufs[B][DG];
	struct mmsghdr mm[B];
	struct iovec iov[B];
	struct sockaddr_storage from[B];
	struct stream cs;
	stream_init(&cs, cfd);
	size_t reported = SIZE_MAX;
	mono_ns next_status = 0;
	uint64_t base[IC_N] = { 0 }, err_base = 0;
	int exit_code = 0;

	while (!stop) {
		now = mono_now();
		isp_tick(s, now);
		sendbatch_flush(&sb);
		if (isp_round_finished(s)) {
			if ((rc = send_round(cfd, s, (uint32_t)isp_id, base, sb.errors - err_base))) {
				log_err("cannot send the results of round %u to the center: %s", isp_round_number(s), strerror(-rc));
				exit_code = 1;
				break;
			}
			memcpy(base, isp_counters(s), sizeof(base));
			err_base = sb.errors;
		}
		/* registration progress, at most every 100 ms */
		if (isp_n_registered(s) != reported && now >= next_status) {
			reported = isp_n_registered(s);
			if ((rc = send_all(cfd, hb, msg_put_status(hb, sizeof(hb), (uint32_t)isp_id, (uint32_t)reported)))) {
				log_err("cannot talk to the center: %s", strerror(-rc));
				exit_code = 1;
				break;
			}
			next_status = now + 100 * NS_PER_MS;
		}
		int t = isp_timeout_ms(s, now);
		if (t < 0 || t > 100)
			t = 100;
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, t);
		for (int e = 0; e < n; e++) {
			if (evs[e].data.fd == udp_fd) {
				/* drain the socket before the next polls: an answer left queued
				 * would be challenged again, and under load those re-sends
				 * are what overflows the buffers (bounded, so timers still run) */
				for (int burst = 0; burst < 1024; burst++) {
					for (int i = 0; i < B; i++) {
						iov[i] = (struct iovec){ bufs[i], DG };
						mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
										 .msg_iov = &iov[i], .msg_iovlen = 1 };
					}
					int got = recvmmsg(udp_fd, mm, B, MSG_DONTWAIT, NULL);
					if (got <= 0)
						break;
					now = mono_now();
					for (int i = 0; i < got; i++)
						(void)isp_on_datagram(s, bufs[i],
								      (mm[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : mm[i].msg_len,
								      (struct sockaddr *)&from[i], mm[i].msg_hdr.msg_namelen, now);
					sendbatch_flush(&sb);
					if (got < B)
						break;
				}
				continue;
			}
			ssize_t r = stream_fill(&cs);
			if (r == 0) {
				log_info("the center closed the connection: stopping");
				stop = 1;
				break;
			}
			if (r < 0 && r != -EAGAIN) {
				log_err("connection to the center failed: %s", strerror((int)-r));
				exit_code = 1;
				stop = 1;
				break;
			}
			struct msg m;
			while ((rc = stream_next(&cs, &m)) != 0) {
				if (rc < 0 || m.type != MSG_ORDER) {
					log_err("the center sent a message that is not an order (%s): stopping",
						rc < 0 ? strerror(-rc) : "wrong type");
					exit_code = 1;
					stop = 1;
					break;
				}
				log_info("round=%u order devices=%u window_ms=%llu", m.seq, m.count,
					 (unsigned long long)(m.window_ns / NS_PER_MS));
				isp_start_round(s, &m, mono_now());
			}
		}
	}
	const uint64_t *cn = isp_counters(s);
	sendbatch_flush(&sb);
	int off = snprintf(line, sizeof(line), "stats isp=%llu keys=%zu registered=%zu batch_send_errors=%llu",
			   (unsigned long long)isp_id, isp_n_keys(s), isp_n_registered(s), (unsigned long long)sb.errors);
	for (int k = 0; k < IC_N && off < (int)sizeof(line); k++)
		off += snprintf(line + off, sizeof(line) - off, " %s=%llu", isp_counter_names[k], (unsigned long long)cn[k]);
	log_info("%s", line);
	stream_free(&cs);
	sendbatch_free(&sb);
	isp_free(s);
	close(ep);
	close(cfd);
	close(udp_fd);
	return exit_code;
}
