/* appliance — emulates many duty-cycled home appliances in one process
 * (paper 004, section 5), each a timer-driven state machine (appl.c) on a
 * small pool of threads, one UDP socket per thread; or, with
 * --thread-per-appliance, one thread and one socket per appliance as in
 * the paper, for comparison.  See docs/agents.md. */
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agents/appl.h"
#include "agents/keys.h"
#include "agents/net.h"
#include "log.h"
#include "mono.h"
#include "units.h"
#include "xalloc.h"

static volatile sig_atomic_t stop;
static atomic_size_t n_registered_groups;

struct worker {
	pthread_t th;
	int fd;
	size_t batch;
	struct appl_group *g;
	struct sendbatch sb;
	bool registered;
};

static int udp_send(void *ctx, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf, size_t len)
{
	return sendbatch_add(ctx, to, tolen, buf, len);
}

#define DGRAM_MAX 2048

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	size_t b = w->batch;
	uint8_t *bufs = xmalloc(b * DGRAM_MAX);
	struct mmsghdr *mm = xcalloc(b, sizeof(*mm));
	struct iovec *iov = xcalloc(b, sizeof(*iov));
	struct sockaddr_storage *from = xcalloc(b, sizeof(*from));

	while (!stop) {
		mono_ns now = mono_now();
		appl_group_tick(w->g, now);
		sendbatch_flush(&w->sb);
		if (!w->registered && appl_group_registered(w->g)) {
			w->registered = true;
			atomic_fetch_add(&n_registered_groups, 1);
		}
		int t = appl_group_timeout_ms(w->g, now);
		if (t < 0 || t > 100)
			t = 100;   /* bounded, so that stop is seen */
		struct pollfd p = { .fd = w->fd, .events = POLLIN };
		if (poll(&p, 1, t) <= 0)
			continue;
		for (int round = 0; round < 256; round++) {   /* drain first, bounded: then timers */
			for (size_t i = 0; i < b; i++) {
				iov[i] = (struct iovec){ bufs + i * DGRAM_MAX, DGRAM_MAX };
				mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
								 .msg_iov = &iov[i], .msg_iovlen = 1 };
			}
			int n = recvmmsg(w->fd, mm, (unsigned)b, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			now = mono_now();
			for (int i = 0; i < n; i++) {
				if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
					/* too long to be ours: counted by the parser as malformed */
					appl_group_on_datagram(w->g, bufs, 0, (struct sockaddr *)&from[i],
							       mm[i].msg_hdr.msg_namelen, now);
					continue;
				}
				appl_group_on_datagram(w->g, bufs + i * DGRAM_MAX, mm[i].msg_len,
						       (struct sockaddr *)&from[i], mm[i].msg_hdr.msg_namelen, now);
			}
			sendbatch_flush(&w->sb);
			if ((size_t)n < b)
				break;
		}
	}
	sendbatch_flush(&w->sb);
	free(bufs);
	free(mm);
	free(iov);
	free(from);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: appliance --keys FILE --isp ADDR:PORT [options]\n"
		"  --keys FILE             appliances-K.keys from agents-keygen\n"
		"  --first N --count N     emulate only these entries of the key file (default all)\n"
		"  --slice K               with --count N: entries (K-1)*N to K*N-1, so that hosts\n"
		"                          a1..aH of a range take consecutive slices (--slice ${index})\n"
		"  --isp ADDR:PORT         the ISP server (IPv6 as [addr]:port)\n"
		"  --listen ADDR           local address (default 0.0.0.0 or [::] as the ISP's)\n"
		"  --port P                first local port; thread t uses P+t (default 0: any)\n"
		"  --threads N             pool threads (default: one per CPU)\n"
		"  --thread-per-appliance  one thread and socket per appliance (paper 004's model)\n"
		"  --awake DUR             awake period (default 5s)\n"
		"  --sleep MIN-MAX         sleep period, drawn per appliance and cycle (default 30s-60s)\n"
		"  --seed N                PRNG seed of the duty cycles and readings (default 1)\n"
		"  --auth xor|hmac         authentication (default xor, as in the paper)\n"
		"  --ready-fd FD           write the ready line to FD too\n"
		"  --log FILE              log to FILE instead of stderr\n"
		"  --verbose               debug logging\n");
}

int main(int argc, char **argv)
{
	enum { O_KEYS = 256, O_FIRST, O_COUNT, O_SLICE, O_ISP, O_LISTEN, O_PORT, O_THREADS, O_TPA, O_AWAKE,
	       O_SLEEP, O_SEED, O_AUTH, O_READY, O_LOG, O_VERBOSE, O_HELP };
	static const struct option opts[] = {
		{ "keys", 1, 0, O_KEYS }, { "first", 1, 0, O_FIRST }, { "count", 1, 0, O_COUNT },
		{ "slice", 1, 0, O_SLICE },
		{ "isp", 1, 0, O_ISP }, { "listen", 1, 0, O_LISTEN }, { "port", 1, 0, O_PORT },
		{ "threads", 1, 0, O_THREADS }, { "thread-per-appliance", 0, 0, O_TPA },
		{ "awake", 1, 0, O_AWAKE }, { "sleep", 1, 0, O_SLEEP }, { "seed", 1, 0, O_SEED },
		{ "auth", 1, 0, O_AUTH }, { "ready-fd", 1, 0, O_READY }, { "log", 1, 0, O_LOG },
		{ "verbose", 0, 0, O_VERBOSE }, { "help", 0, 0, O_HELP }, { 0, 0, 0, 0 },
	};
	const char *keys_path = NULL, *isp_s = NULL, *listen_s = NULL, *log_path = NULL;
	uint64_t first = 0, count = UINT64_MAX, slice = 0, port = 0, threads = 0, seed = 1, ready_fd = UINT64_MAX;
	bool tpa = false;
	struct appl_params p = { .duty = { .awake_ns = 5 * NS_PER_SEC, .sleep_min_ns = 30 * NS_PER_SEC,
					   .sleep_max_ns = 60 * NS_PER_SEC },
				 .register_retry_ns = 500 * NS_PER_MS, .send = udp_send };
	int c;

	log_init("appliance");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_KEYS: keys_path = optarg; break;
		case O_FIRST: if (parse_u64(optarg, 0, UINT32_MAX, &first)) die("--first: expected a number, got '%s'", optarg); break;
		case O_COUNT: if (parse_u64(optarg, 1, UINT32_MAX, &count)) die("--count: expected a number >= 1, got '%s'", optarg); break;
		case O_SLICE: if (parse_u64(optarg, 1, UINT32_MAX, &slice)) die("--slice: expected a number >= 1, got '%s'", optarg); break;
		case O_ISP: isp_s = optarg; break;
		case O_LISTEN: listen_s = optarg; break;
		case O_PORT: if (parse_u64(optarg, 0, 65535, &port)) die("--port: expected 0-65535, got '%s'", optarg); break;
		case O_THREADS: if (parse_u64(optarg, 1, 4096, &threads)) die("--threads: expected 1-4096, got '%s'", optarg); break;
		case O_TPA: tpa = true; break;
		case O_AWAKE:
			if (parse_duration(optarg, &p.duty.awake_ns) || p.duty.awake_ns <= 0)
				die("--awake: expected %s (> 0), got '%s'", UNITS_EXPECT_DURATION, optarg);
			break;
		case O_SLEEP:
			if (duty_parse_range(optarg, &p.duty.sleep_min_ns, &p.duty.sleep_max_ns))
				die("--sleep: expected MIN-MAX durations such as 30s-60s, got '%s'", optarg);
			break;
		case O_SEED: if (parse_u64(optarg, 0, UINT64_MAX, &seed)) die("--seed: expected a number, got '%s'", optarg); break;
		case O_AUTH:
			if (strcmp(optarg, "xor") == 0) p.flags = 0;
			else if (strcmp(optarg, "hmac") == 0) p.flags = MSG_F_HMAC;
			else die("--auth: expected xor or hmac, got '%s'", optarg);
			break;
		case O_READY: if (parse_u64(optarg, 0, INT32_MAX, &ready_fd)) die("--ready-fd: expected a descriptor, got '%s'", optarg); break;
		case O_LOG: log_path = optarg; break;
		case O_VERBOSE: log_set_level(LOG_DEBUG); break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !keys_path || !isp_s) {
		usage(stderr);
		return 2;
	}
	if (log_path) {
		int rc = log_to_file(log_path);
		if (rc)
			die("cannot open log file %s: %s", log_path, strerror(-rc));
	}
	if (slice) {
		if (count == UINT64_MAX)
			die("--slice needs --count (the slice's size)");
		if (first)
			die("--slice and --first exclude each other");
		if ((slice - 1) * count > UINT32_MAX)
			die("--slice %llu of %llu entries is beyond the 32-bit device ids",
			    (unsigned long long)slice, (unsigned long long)count);
		first = (slice - 1) * count;
	}
	p.duty.seed = seed;
	if (netaddr_parse(isp_s, -1, &p.isp))
		die("--isp: expected ADDR:PORT (IPv6 as [addr]:port), got '%s'", isp_s);

	struct key_list keys;
	keys_load_or_die(keys_path, &keys);
	if (first >= keys.n)
		die("--first %llu: the key file has only %zu entries", (unsigned long long)first, keys.n);
	size_t n = keys.n - first;
	if (count < n)
		n = count;

	struct netaddr local;
	char lbuf[80];
	if (!listen_s)
		listen_s = p.isp.ss.ss_family == AF_INET6 ? "[::]" : "0.0.0.0";
	if (netaddr_parse(listen_s, 0, &local) || local.ss.ss_family != p.isp.ss.ss_family)
		die("--listen: expected an address of the ISP's family, got '%s'", listen_s);

	size_t nw = tpa ? n : (threads ? threads : (size_t)sysconf(_SC_NPROCESSORS_ONLN));
	if (nw > n)
		nw = n;
	if (port && port + nw - 1 > 65535)
		die("--port %llu: not enough ports above it for %zu sockets", (unsigned long long)port, nw);
	/* a socket per worker: in thread-per-appliance mode that is thousands */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < nw + 64) {
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur < nw + 64)
			rl.rlim_cur = rl.rlim_max = nw + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			die("cannot raise the descriptor limit to %zu: %s", nw + 64, strerror(errno));
	}

	agent_signals(&stop);
	struct worker *w = xcalloc(nw, sizeof(*w));
	mono_ns now = mono_now();
	int first_port = -1;
	for (size_t t = 0; t < nw; t++) {
		struct netaddr a = local;
		size_t lo = first + n * t / nw, hi = first + n * (t + 1) / nw;
		if (port) {
			if (a.ss.ss_family == AF_INET)
				((struct sockaddr_in *)&a.ss)->sin_port = htons((uint16_t)(port + t));
			else
				((struct sockaddr_in6 *)&a.ss)->sin6_port = htons((uint16_t)(port + t));
		}
		/* large buffers: a thread may be off CPU for tens of ms while the ISP polls */
		w[t].fd = udp_bind(&a, tpa ? 0 : 32 << 20);
		if (w[t].fd < 0)
			die("cannot bind UDP %s: %s", netaddr_fmt((struct sockaddr *)&a.ss, lbuf, sizeof(lbuf)),
			    strerror(-w[t].fd));
		if (first_port < 0) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			getsockname(w[t].fd, (struct sockaddr *)&ss, &sl);
			first_port = netaddr_port((struct sockaddr *)&ss);
		}
		struct appl_params wp = p;
		sendbatch_init(&w[t].sb, w[t].fd, tpa ? 4 : 64);
		wp.ctx = &w[t].sb;
		w[t].g = appl_group_new(&wp, keys.v + lo, hi - lo, now);
		w[t].batch = tpa ? 1 : 64;
	}
	keys_free(&keys);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (tpa)   /* the paper's threads did little: a small stack lets thousands fit */
		pthread_attr_setstacksize(&attr, 64 * 1024);
	for (size_t t = 0; t < nw; t++) {
		int rc = pthread_create(&w[t].th, &attr, worker_main, &w[t]);
		if (rc)
			die("cannot start thread %zu of %zu: %s", t + 1, nw, strerror(rc));
	}
	pthread_attr_destroy(&attr);

	char line[1024];
	snprintf(line, sizeof(line), "appliances=%zu threads=%zu mode=%s port=%d isp=%s auth=%s seed=%llu",
		 n, nw, tpa ? "thread-per-appliance" : "pool", first_port,
		 netaddr_fmt((struct sockaddr *)&p.isp.ss, lbuf, sizeof(lbuf)),
		 p.flags ? "hmac" : "xor", (unsigned long long)seed);
	log_info("%s", line);
	agent_ready(ready_fd == UINT64_MAX ? -1 : (int)ready_fd, line);

	bool said = false;
	while (!stop) {
		struct timespec ts = { 0, 100 * NS_PER_MS };
		nanosleep(&ts, NULL);   /* the workers do the work; this only watches */
		if (!said && atomic_load(&n_registered_groups) == nw) {
			log_info("registered appliances=%zu", n);
			said = true;
		}
	}
	uint64_t tot[AC_N] = { 0 };
	for (size_t t = 0; t < nw; t++) {
		pthread_join(w[t].th, NULL);
		const uint64_t *cn = appl_group_counters(w[t].g);
		for (int k = 0; k < AC_N; k++)
			tot[k] += cn[k];
		tot[AC_SEND_ERRORS] += w[t].sb.errors;   /* found when batches were flushed */
		appl_group_free(w[t].g);
		sendbatch_free(&w[t].sb);
		close(w[t].fd);
	}
	free(w);
	int off = snprintf(line, sizeof(line), "stats appliances=%zu", n);
	for (int k = 0; k < AC_N && off < (int)sizeof(line); k++)
		off += snprintf(line + off, sizeof(line) - off, " %s=%llu", appl_counter_names[k],
				(unsigned long long)tot[k]);
	log_info("%s", line);
	return 0;
}
