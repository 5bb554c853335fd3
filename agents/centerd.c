/* centerd — the center server of paper 004: holds the registry (device id
 * -> ISP server), waits for the ISP servers and their appliances'
 * registration, runs collection rounds, gathers each device's outcome and
 * writes per round: asked, retrieved, failed by cause, time to finish, and
 * the largest number retrieved (results.csv, rounds.csv, summary.json in
 * --out; one key=value log line per round for scripts). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents/keys.h"
#include "agents/msg.h"
#include "agents/net.h"
#include "json.h"
#include "log.h"
#include "mono.h"
#include "units.h"
#include "xalloc.h"

static volatile sig_atomic_t stop;

struct ispc {                /* one ISP server as the center sees it */
	VEC(uint32_t) ids;       /* registry entries: indices into reg */
	int fd;                  /* -1 until it said HELLO */
	struct stream st;
	uint32_t registered, nkeys;
	bool ended;              /* ROUND_END of the current round received */
};

struct conn {                /* an accepted connection before/after HELLO */
	int fd;
	struct stream st;
	long isp;                /* -1 until HELLO */
};

struct round_stat {
	uint32_t round;
	uint64_t asked, retrieved, by[ST_WIRE_MAX + 1], missing;
	int64_t time_ns;
	uint64_t counters[IC_N];
};

struct center {
	struct reg_list reg;     /* sorted by id */
	struct ispc *isp;
	size_t n_isp;
	VEC(struct conn *) conns;
	int ep, lfd;
	uint64_t malformed;
	/* current round: per registry entry */
	uint8_t *status;
	uint8_t *attempts;
	int32_t *reading;
	uint32_t *latency_us;
	uint32_t round;
	size_t ended;
};

static int cmp_reg(const void *a, const void *b)
{
	uint32_t x = ((const struct reg_entry *)a)->id, y = ((const struct reg_entry *)b)->id;
	return x < y ? -1 : x > y;
}

static long reg_find(const struct center *c, uint32_t id)
{
	size_t lo = 0, hi = c->reg.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->reg.v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->reg.n && c->reg.v[lo].id == id ? (long)lo : -1;
}

static void conn_close(struct center *c, struct conn *k, const char *why)
{
	if (k->isp >= 0) {
		if (why)
			log_warn("ISP %ld disconnected: %s", k->isp, why);
		c->isp[k->isp].fd = -1;
	} else if (why) {
		log_warn("dropped a connection: %s", why);
	}
	epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	stream_free(&k->st);
	for (size_t i = 0; i < c->conns.n; i++)
		if (c->conns.v[i] == k) {
			c->conns.v[i] = c->conns.v[--c->conns.n];
			break;
		}
	free(k);
}

/* 1 if k was closed */
static int on_msg(struct center *c, struct conn *k, const struct msg *m)
{
	if (k->isp < 0) {
		if (m->type != MSG_HELLO || m->device >= c->n_isp || c->isp[m->device].fd >= 0) {
			c->malformed++;
			conn_close(c, k, "not a HELLO of an expected ISP server");
			return 1;
		}
		k->isp = m->device;
		c->isp[k->isp].fd = k->fd;
		c->isp[k->isp].nkeys = m->count;
		log_info("isp=%ld connected keys=%u registry=%zu", k->isp, m->count, c->isp[k->isp].ids.n);
		return 0;
	}
	struct ispc *ic = &c->isp[k->isp];
	switch (m->type) {
	case MSG_STATUS:
		ic->registered = m->count;
		return 0;
	case MSG_RESULT:
		if (m->seq != c->round)
			return 0;   /* late results of an abandoned round */
		for (uint32_t i = 0; i < m->count; i++) {
			struct result_rec r;
			msg_rec_at(m, i, &r);
			long j = reg_find(c, r.device);
			if (j < 0 || c->reg.v[j].isp != (uint32_t)k->isp) {
				c->malformed++;
				continue;
			}
			c->status[j] = r.status;
			c->attempts[j] = r.attempts;
			c->reading[j] = r.reading;
			c->latency_us[j] = r.latency_us;
		}
		return 0;
	case MSG_ROUND_END:
		if (m->seq == c->round && !ic->ended) {
			ic->ended = true;
			c->ended++;
		}
		return 0;
	}
	c->malformed++;
	return 0;
}

/* per-ISP counters of the current round, summed on ROUND_END */
static uint64_t round_counters[IC_N];

static void pump(struct center *c, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(c->ep, evs, 16, timeout_ms);
	for (int e = 0; e < n; e++) {
		if (evs[e].data.ptr == NULL) {   /* listening socket */
			int fd;
			while ((fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				struct conn *k = xcalloc(1, sizeof(*k));
				k->fd = fd;
				k->isp = -1;
				stream_init(&k->st, fd);
				VEC_PUSH(c->conns, k);
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = k };
				epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev);
			}
			continue;
		}
		struct conn *k = evs[e].data.ptr;
		ssize_t r = stream_fill(&k->st);
		if (r == 0 || (r < 0 && r != -EAGAIN)) {
			conn_close(c, k, r == 0 ? "closed" : strerror((int)-r));
			continue;
		}
		struct msg m;
		int rc;
		while ((rc = stream_next(&k->st, &m)) != 0) {
			if (rc < 0) {
				c->malformed++;
				conn_close(c, k, "malformed message");
				break;
			}
			if (m.type == MSG_ROUND_END && k->isp >= 0 && m.seq == c->round && !c->isp[k->isp].ended)
				for (int i = 0; i < IC_N; i++)
					round_counters[i] += m.counters[i];
			if (on_msg(c, k, &m))
				break;   /* closed */
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: centerd --registry FILE --listen ADDR:PORT --out DIR [options]\n"
		"  --registry FILE       registry.csv from agents-keygen\n"
		"  --listen ADDR:PORT    TCP address for the ISP servers (IPv6 as [addr]:port)\n"
		"  --out DIR             results.csv, rounds.csv and summary.json go here\n"
		"  --rounds N            collection rounds (default 1)\n"
		"  --round-timeout DUR   window of a round (default 70s: > awake + longest sleep)\n"
		"  --round-gap DUR       pause between rounds (default 0)\n"
		"  --start-timeout DUR   wait this long for ISPs and registration (default 60s)\n"
		"  --ready-fd FD         write the ready line to FD too\n"
		"  --log FILE            log to FILE instead of stderr\n");
}

static void write_summary(FILE *f, const struct round_stat *rs, size_t n, size_t devices, size_t n_isp,
			  int64_t window_ns, uint64_t malformed)
{
	struct json j;
	uint64_t asked = 0, ret = 0, maxr = 0, by[ST_WIRE_MAX + 1] = { 0 };
	double time_sum = 0, time_max = 0;
	json_init(&j, f, 1);
	json_obj_begin(&j);
	json_kv_uint(&j, "devices", devices);
	json_kv_uint(&j, "isps", n_isp);
	json_kv_double(&j, "round_timeout_s", (double)window_ns / NS_PER_SEC);
	json_key(&j, "rounds");
	json_arr_begin(&j);
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(&j);
		json_kv_uint(&j, "round", rs[i].round);
		json_kv_uint(&j, "asked", rs[i].asked);
		json_kv_uint(&j, "retrieved", rs[i].retrieved);
		json_kv_uint(&j, "failed", rs[i].asked - rs[i].retrieved);
		for (int s = 1; s <= ST_WIRE_MAX; s++)
			json_kv_uint(&j, dev_status_name(s), rs[i].by[s]);
		json_kv_uint(&j, "missing_results", rs[i].missing);
		json_kv_double(&j, "time_s", (double)rs[i].time_ns / NS_PER_SEC);
		json_key(&j, "isp_counters");
		json_obj_begin(&j);
		for (int k = 0; k < IC_N; k++)
			json_kv_uint(&j, isp_counter_names[k], rs[i].counters[k]);
		json_obj_end(&j);
		json_obj_end(&j);
		asked += rs[i].asked;
		ret += rs[i].retrieved;
		if (rs[i].retrieved > maxr)
			maxr = rs[i].retrieved;
		double t = (double)rs[i].time_ns / NS_PER_SEC;
		time_sum += t;
		if (t > time_max)
			time_max = t;
		for (int s = 0; s <= ST_WIRE_MAX; s++)
			by[s] += rs[i].by[s];
	}
	json_arr_end(&j);
	json_key(&j, "total");
	json_obj_begin(&j);
	json_kv_uint(&j, "asked", asked);
	json_kv_uint(&j, "retrieved", ret);
	json_kv_uint(&j, "failed", asked - ret);
	for (int s = 1; s <= ST_WIRE_MAX; s++)
		json_kv_uint(&j, dev_status_name(s), by[s]);
	json_kv_double(&j, "failure_rate", asked ? (double)(asked - ret) / (double)asked : 0);
	json_kv_uint(&j, "max_retrieved", maxr);
	json_kv_uint(&j, "rounds", n);
	json_kv_double(&j, "time_s_mean", n ? time_sum / (double)n : 0);
	json_kv_double(&j, "time_s_max", time_max);
	json_kv_uint(&j, "center_malformed", malformed);
	json_obj_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int main(int argc, char **argv)
{
	enum { O_REG = 256, O_LISTEN, O_OUT, O_ROUNDS, O_RTMO, O_GAP, O_STMO, O_READY, O_LOG, O_HELP };
	static const struct option opts[] = {
		{ "registry", 1, 0, O_REG }, { "listen", 1, 0, O_LISTEN }, { "out", 1, 0, O_OUT },
		{ "rounds", 1, 0, O_ROUNDS }, { "round-timeout", 1, 0, O_RTMO }, { "round-gap", 1, 0, O_GAP },
		{ "start-timeout", 1, 0, O_STMO }, { "ready-fd", 1, 0, O_READY }, { "log", 1, 0, O_LOG },
		{ "help", 0, 0, O_HELP }, { 0, 0, 0, 0 },
	};
	const char *reg_path = NULL, *listen_s = NULL, *out_dir = NULL, *log_path = NULL;
	uint64_t rounds = 1, ready_fd = UINT64_MAX;
	int64_t window = 70 * NS_PER_SEC, gap = 0, stmo = 60 * NS_PER_SEC;
	int c;

	log_init("centerd");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_REG: reg_path = optarg; break;
		case O_LISTEN: listen_s = optarg; break;
		case O_OUT: out_dir = optarg; break;
		case O_ROUNDS: if (parse_u64(optarg, 1, 1000000, &rounds)) die("--rounds: expected 1-1000000, got '%s'", optarg); break;
		case O_RTMO:
			if (parse_duration(optarg, &window) || window <= 0)
				die("--round-timeout: expected %s, got '%s'", UNITS_EXPECT_DURATION, optarg);
			break;
		case O_GAP: if (parse_duration(optarg, &gap)) die("--round-gap: expected %s, got '%s'", UNITS_EXPECT_DURATION, optarg); break;
		case O_STMO: if (parse_duration(optarg, &stmo)) die("--start-timeout: expected %s, got '%s'", UNITS_EXPECT_DURATION, optarg); break;
		case O_READY: if (parse_u64(optarg, 0, INT32_MAX, &ready_fd)) die("--ready-fd: expected a descriptor, got '%s'", optarg); break;
		case O_LOG: log_path = optarg; break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !reg_path || !listen_s || !out_dir) {
		usage(stderr);
		return 2;
	}
	if (log_path) {
		int rc = log_to_file(log_path);
		if (rc)
			die("cannot open log file %s: %s", log_path, strerror(-rc));
	}
	struct center C = { .ep = -1 }, *cc = &C;
	size_t bad = 0;
	int rc = registry_load(reg_path, &C.reg, &bad);
	if (rc == -EINVAL)
		die("%s:%zu: expected a line DEVICE,ISP", reg_path, bad);
	if (rc)
		die("cannot read %s: %s", reg_path, strerror(-rc));
	if (!C.reg.n)
		die("%s: no devices", reg_path);
	qsort(C.reg.v, C.reg.n, sizeof(*C.reg.v), cmp_reg);
	for (size_t i = 0; i < C.reg.n; i++) {
		if (i && C.reg.v[i].id == C.reg.v[i - 1].id)
			die("%s: device %u is listed twice", reg_path, C.reg.v[i].id);
		if (C.reg.v[i].isp >= C.n_isp)
			C.n_isp = C.reg.v[i].isp + 1;
	}
	if (C.n_isp > 100000)
		die("%s: ISP numbers must be small and dense (0..n-1)", reg_path);
	C.isp = xcalloc(C.n_isp, sizeof(*C.isp));
	for (size_t i = 0; i < C.n_isp; i++)
		C.isp[i].fd = -1;
	for (size_t i = 0; i < C.reg.n; i++)
		VEC_PUSH(C.isp[C.reg.v[i].isp].ids, (uint32_t)i);
	C.status = xcalloc(C.reg.n, 1);
	C.attempts = xcalloc(C.reg.n, 1);
	C.reading = xcalloc(C.reg.n, sizeof(int32_t));
	C.latency_us = xcalloc(C.reg.n, sizeof(uint32_t));

	if (mkdir(out_dir, 0755) && errno != EEXIST)
		die("cannot create %s: %s", out_dir, strerror(errno));
	char *p_res = xasprintf("%s/results.csv", out_dir), *p_rounds = xasprintf("%s/rounds.csv", out_dir),
	     *p_sum = xasprintf("%s/summary.json", out_dir);
	FILE *f_res = fopen(p_res, "we"), *f_rounds = fopen(p_rounds, "we");
	if (!f_res || !f_rounds)
		die("cannot write in %s: %s", out_dir, strerror(errno));
	fprintf(f_res, "round,device,isp,status,attempts,latency_ms,reading\n");
	fprintf(f_rounds, "round,asked,retrieved,failed,no_answer,auth_failed,lost,unknown,time_s,"
			  "malformed,replayed,duplicate\n");

	struct netaddr la;
	if (netaddr_parse(listen_s, -1, &la))
		die("--listen: expected ADDR:PORT (IPv6 as [addr]:port), got '%s'", listen_s);
	agent_signals(&stop);
	C.lfd = tcp_listen(&la);
	if (C.lfd < 0)
		die("cannot listen on %s: %s", listen_s, strerror(-C.lfd));
	C.ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(C.ep, EPOLL_CTL_ADD, C.lfd, &ev);
	char line[512], abuf[80];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(C.lfd, (struct sockaddr *)&ss, &sl);
	snprintf(line, sizeof(line), "devices=%zu isps=%zu listen=%s rounds=%llu", C.reg.n, C.n_isp,
		 netaddr_fmt((struct sockaddr *)&ss, abuf, sizeof(abuf)), (unsigned long long)rounds);
	log_info("%s", line);
	agent_ready(ready_fd == UINT64_MAX ? -1 : (int)ready_fd, line);

	/* start: every ISP connected and all its registry devices registered */
	mono_ns give_up = mono_now() + stmo;
	for (;;) {
		size_t ready = 0;
		for (size_t i = 0; i < C.n_isp; i++)
			ready += C.isp[i].fd >= 0 && C.isp[i].registered >= C.isp[i].ids.n;
		if (ready == C.n_isp || stop)
			break;
		if (mono_now() > give_up) {
			log_warn("start timeout: %zu of %zu ISP servers connected and fully registered; starting anyway",
				 ready, C.n_isp);
			break;
		}
		pump(cc, 50);
	}
	for (size_t i = 0; i < C.n_isp; i++)
		log_info("isp=%zu registry=%zu registered=%u connected=%d", i, C.isp[i].ids.n, C.isp[i].registered,
			 C.isp[i].fd >= 0);

	struct round_stat *rs = xcalloc(rounds, sizeof(*rs));
	size_t done = 0;
	uint32_t *ids = NULL;
	size_t ids_cap = 0;
	for (uint32_t r = 1; r <= rounds && !stop; r++) {
		C.round = r;
		C.ended = 0;
		memset(round_counters, 0, sizeof(round_counters));
		memset(C.status, ST_PENDING, C.reg.n);
		memset(C.attempts, 0, C.reg.n);
		memset(C.reading, 0, C.reg.n * sizeof(int32_t));
		memset(C.latency_us, 0, C.reg.n * sizeof(uint32_t));
		mono_ns t0 = mono_now();
		size_t expected = 0;
		for (size_t i = 0; i < C.n_isp; i++) {
			struct ispc *ic = &C.isp[i];
			ic->ended = false;
			if (ic->fd < 0)
				continue;
			if (ids_cap < ic->ids.n) {
				ids_cap = ic->ids.n;
				ids = xrealloc(ids, ids_cap * sizeof(*ids));
			}
			for (size_t k = 0; k < ic->ids.n; k++)
				ids[k] = C.reg.v[ic->ids.v[k]].id;
			size_t len = msg_order_len((uint32_t)ic->ids.n);
			uint8_t *buf = xmalloc(len);
			msg_put_order(buf, len, r, (uint64_t)window, ids, (uint32_t)ic->ids.n);
			if ((rc = send_all(ic->fd, buf, len)))
				log_err("cannot send the order of round %u to ISP %zu: %s", r, i, strerror(-rc));
			else
				expected++;
			free(buf);
		}
		/* the ISPs end by themselves at the window; a little grace for the results */
		mono_ns hard = t0 + window + 5 * NS_PER_SEC;
		while (C.ended < expected && !stop && mono_now() < hard)
			pump(cc, 50);
		mono_ns t1 = mono_now();
		struct round_stat *s = &rs[done++];
		s->round = r;
		s->time_ns = t1 - t0;
		memcpy(s->counters, round_counters, sizeof(round_counters));
		for (size_t j = 0; j < C.reg.n; j++) {
			uint8_t st = C.status[j];
			if (st == ST_PENDING) {   /* its ISP never reported it */
				st = ST_LOST;
				s->missing++;
			}
			s->asked++;
			s->by[st]++;
			s->retrieved += st == ST_OK;
			fprintf(f_res, "%u,%u,%u,%s,%u,%.3f,%d\n", r, C.reg.v[j].id, C.reg.v[j].isp, dev_status_name(st),
				C.attempts[j], C.latency_us[j] / 1000.0, C.reading[j]);
		}
		fprintf(f_rounds, "%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%.3f,%llu,%llu,%llu\n", r,
			(unsigned long long)s->asked, (unsigned long long)s->retrieved,
			(unsigned long long)(s->asked - s->retrieved), (unsigned long long)s->by[ST_NO_ANSWER],
			(unsigned long long)s->by[ST_AUTH], (unsigned long long)s->by[ST_LOST],
			(unsigned long long)s->by[ST_UNKNOWN], (double)s->time_ns / NS_PER_SEC,
			(unsigned long long)s->counters[IC_MALFORMED], (unsigned long long)s->counters[IC_REPLAYED],
			(unsigned long long)s->counters[IC_DUPLICATE]);
		fflush(f_res);
		fflush(f_rounds);
		log_info("round=%u asked=%llu retrieved=%llu failed=%llu no_answer=%llu auth_failed=%llu lost=%llu "
			 "unknown=%llu time_s=%.3f isp_malformed=%llu isp_replayed=%llu isp_auth_failed=%llu",
			 r, (unsigned long long)s->asked, (unsigned long long)s->retrieved,
			 (unsigned long long)(s->asked - s->retrieved), (unsigned long long)s->by[ST_NO_ANSWER],
			 (unsigned long long)s->by[ST_AUTH], (unsigned long long)s->by[ST_LOST],
			 (unsigned long long)s->by[ST_UNKNOWN], (double)s->time_ns / NS_PER_SEC,
			 (unsigned long long)s->counters[IC_MALFORMED], (unsigned long long)s->counters[IC_REPLAYED],
			 (unsigned long long)s->counters[IC_AUTH_FAILED]);
		mono_ns resume = mono_now() + gap;
		while (!stop && mono_now() < resume)
			pump(cc, 50);
	}
	/* written aside and renamed: whoever waits for summary.json (testbed
	 * run) never reads half of it */
	char *p_tmp = xasprintf("%s.tmp", p_sum);
	FILE *f_sum = fopen(p_tmp, "we");
	if (!f_sum)
		die("cannot write %s: %s", p_tmp, strerror(errno));
	fclose(f_res);
	fclose(f_rounds);
	f_res = f_rounds = NULL;
	write_summary(f_sum, rs, done, C.reg.n, C.n_isp, window, C.malformed);
	if (fclose(f_sum) || rename(p_tmp, p_sum))
		die("cannot write %s: %s", p_sum, strerror(errno));
	free(p_tmp);
	uint64_t ret = 0, asked = 0, maxr = 0;
	for (size_t i = 0; i < done; i++) {
		ret += rs[i].retrieved;
		asked += rs[i].asked;
		if (rs[i].retrieved > maxr)
			maxr = rs[i].retrieved;
	}
	log_info("done rounds=%zu asked=%llu retrieved=%llu failed=%llu max_retrieved=%llu center_malformed=%llu out=%s",
		 done, (unsigned long long)asked, (unsigned long long)ret, (unsigned long long)(asked - ret),
		 (unsigned long long)maxr, (unsigned long long)C.malformed, out_dir);
	while (C.conns.n)
		conn_close(cc, C.conns.v[0], NULL);
	VEC_FREE(C.conns);
	for (size_t i = 0; i < C.n_isp; i++)
		VEC_FREE(C.isp[i].ids);
	free(C.isp);
	free(ids);
	free(rs);
	free(C.status);
	free(C.attempts);
	free(C.reading);
	free(C.latency_us);
	free(p_res);
	free(p_rounds);
	free(p_sum);
	registry_free(&C.reg);
	close(C.lfd);
	close(C.ep);
	return 0;
}
