/* cmd_up — `testbed up FILE [NAME=VALUE...]`: check the file, then create,
 * in this order and each recorded before it exists: the state directory,
 * the testbed's network namespace tb-NAME, one VDE switch per segment (and
 * per impaired interface), the emulator with one wire per link and per
 * impaired interface, and the guests, JOBS at a time, each waited on until
 * READY.  Any failure undoes everything (teardown.c) and names the culprit. */
#include "commands.h"
#include "emuctl.h"
#include "experiment.h"
#include "fsutil.h"
#include "segcapture.h"
#include "guest.h"
#include "log.h"
#include "mono.h"
#include "netns.h"
#include "plan.h"
#include "plan_hostcfg.h"
#include "segment.h"
#include "teardown.h"
#include "units.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct up_ctx {
	const struct plan *p;
	const char *state;
	char *netns;
	unsigned jobs;
	/* guest boots, shared by the worker threads */
	pthread_mutex_t lock;
	size_t next, ready, failed;
	int64_t *boot_ns;            /* per host, -1 until ready */
	char *fail_host, *fail_why;
	int tty;
	mono_ns t0;
	uint64_t avail0;             /* MemAvailable before anything started */
};

static void progress(struct up_ctx *u, const char *host, const char *event)
{
	/* caller holds u->lock */
	if (u->tty) {
		fprintf(stderr, "\r  guests: %zu ready, %zu booting, %zu failed, %zu waiting   ",
			u->ready, u->next - u->ready - u->failed, u->failed,
			u->p->n_hosts - (u->next > u->p->n_hosts ? u->p->n_hosts : u->next));
	} else if (host) {
		fprintf(stderr, "  %s %s (%zu/%zu ready)\n", host, event, u->ready, u->p->n_hosts);
	}
}

static void *boot_worker(void *arg)
{
	struct up_ctx *u = arg;
	for (;;) {
		pthread_mutex_lock(&u->lock);
		size_t h = u->next;
		if (h >= u->p->n_hosts || u->fail_host) {
			pthread_mutex_unlock(&u->lock);
			return NULL;
		}
		u->next++;
		pthread_mutex_unlock(&u->lock);

		struct hostcfg cfg = { 0 };
		struct guest_start_opts o = { .netns = u->netns, .retries = -1 };
		char *why = NULL;
		mono_ns t = mono_now();
		int rc = plan_hostcfg(u->p, h, u->state, &cfg);
		if (rc < 0)
			why = xstrdup("a run= word holds both a blank and a single quote");
		else
			rc = guest_start(u->state, &cfg, &o, &why);
		hostcfg_free(&cfg);

		pthread_mutex_lock(&u->lock);
		if (rc < 0) {
			u->failed++;
			if (!u->fail_host) {
				u->fail_host = xstrdup(u->p->hosts[h].name);
				u->fail_why = why ? why : xstrdup(strerror(-rc));
				why = NULL;
			}
			progress(u, u->p->hosts[h].name, "FAILED");
		} else {
			u->ready++;
			u->boot_ns[h] = mono_now() - t;
			progress(u, u->p->hosts[h].name, "ready");
		}
		pthread_mutex_unlock(&u->lock);
		free(why);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* "delay=10ms loss=1%" -> "a2b.delay=10ms a2b.loss=1%" appended to LINE. */
static void append_dir_attrs(char **line, const struct impair_dir *d, const char *prefix)
{
	char buf[1024];
	char *save = NULL;
	impair_dir_format(d, buf, sizeof(buf));
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *n = xasprintf("%s %s.%s", *line, prefix, w);
		free(*line);
		*line = n;
	}
}

static char *up_wire_command(const struct plan *p, const struct plan_wire *w, const char *state)
{
	char *a = segment_ctl_path(state, w->kind == PLAN_WIRE_LINK ? p->segments[w->seg_a].name : w->name);
	char *b = segment_ctl_path(state, p->segments[w->seg_b].name);
	char *line = xasprintf("wire add %s vde://%s vde://%s", w->name, a, b);
	append_dir_attrs(&line, &w->im.dir[IMPAIR_A2B], "a2b");
	append_dir_attrs(&line, &w->im.dir[IMPAIR_B2A], "b2a");
	free(a);
	free(b);
	return line;
}

/* Ports a switch needs: one per interface and wire end on it, plus room
 * for captures and run-time additions. */
static unsigned switch_ports(const struct plan *p, size_t seg)
{
	unsigned n = 0;
	for (size_t h = 0; h < p->n_hosts; h++)
		for (size_t i = 0; i < p->hosts[h].n_ifaces; i++)
			n += p->hosts[h].ifaces[i].segment == seg;
	for (size_t w = 0; w < p->n_wires; w++)
		n += (p->wires[w].seg_a == seg) + (p->wires[w].seg_b == seg);
	n += 8;
	return n < 32 ? 32 : n;
}

static unsigned default_jobs(const struct plan *p)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int uml = 0;
	for (size_t h = 0; h < p->n_hosts; h++)
		uml |= p->hosts[h].kind == PLAN_KIND_UML;
	/* boots are CPU-bound: a few per core keeps the cores busy while
	 * others wait on I/O.  Not UML's: a UML boot is host forks, page
	 * faults and ptrace switches, which this kind of VM runs no faster on
	 * two vCPUs than on one, so more at once only adds contention (128
	 * guests: 37-42 s at -j 1 to 4, 62 s at -j 8; docs/boot-storm.md). */
	unsigned j = (unsigned)(cpus > 0 ? cpus : 1) * (uml ? 1 : 4);
	return j > p->n_hosts ? (unsigned)(p->n_hosts ? p->n_hosts : 1) : j;
}

/* Memory a topology takes: WORST if every guest fills its memory, and
 * what guests typically use (docs/benchmarks.md, docs/boot-storm.md: a
 * UML guest at mem=48M costs 11.7 MiB PSS with 440 running and 12.5 MiB of
 * MemAvailable in a 128-guest storm, 26-29 MiB running 1,000-10,000
 * appliances: 16 MiB is the typical figure; a QEMU/TCG guest about its -m
 * plus 80 MiB; a netns host about 2 MiB). */
static void memory_needed(const struct plan *p, uint64_t *worst, uint64_t *typical)
{
	*worst = *typical = 0;
	for (size_t h = 0; h < p->n_hosts; h++) {
		uint64_t mem = p->hosts[h].mem_bytes;
		switch (p->hosts[h].kind) {
		case PLAN_KIND_UML:
			*worst += mem + (16ULL << 20);
			*typical += (mem < (16ULL << 20) ? mem : 16ULL << 20);
			break;
		case PLAN_KIND_QEMU:
			*worst += mem + (96ULL << 20);
			*typical += mem + (80ULL << 20);
			break;
		case PLAN_KIND_NETNS:
			*worst += 4ULL << 20;
			*typical += 4ULL << 20;
			break;
		}
	}
}

static uint64_t memory_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	uint64_t kb = 0;
	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "MemAvailable:", 13)) {
			char *p = line + 13, *end;
			while (*p == ' ')
				p++;
			kb = strtoull(p, &end, 10);
			if (end == p)
				kb = 0;
		}
	fclose(f);
	return kb ? kb * 1024 : UINT64_MAX;
}

static int usage_up(void)
{
	fprintf(stderr, "usage: testbed up FILE [NAME=VALUE...] [-j JOBS] [--seed N]\n");
	return 2;
}

int cmd_up(int argc, char **argv)
{
	const char *file = NULL;
	VEC(char *) overrides = { 0 };
	unsigned jobs = 0;
	uint64_t seed = 0;
	int have_seed = 0, rc = 1, nsfd = -1;
	struct plan *p = NULL;
	struct topo_diag *diag = NULL;
	char *state = NULL, *why = NULL;
	struct up_ctx u = { .lock = PTHREAD_MUTEX_INITIALIZER };

	for (int i = 1; i < argc; i++) {
		uint64_t v;
		if (!strcmp(argv[i], "-j") && i + 1 < argc) {
			if (parse_u64(argv[++i], 1, 100000, &v) < 0) {
				log_err("-j takes a number of parallel boots from 1 to 100000, not '%s'.", argv[i]);
				return 2;
			}
			jobs = (unsigned)v;
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			if (parse_u64(argv[++i], 0, UINT64_MAX, &seed) < 0) {
				log_err("--seed takes a number, not '%s'.", argv[i]);
				return 2;
			}
			have_seed = 1;
		} else if (argv[i][0] == '-') {
			return usage_up();
		} else if (strchr(argv[i], '=')) {
			VEC_PUSH(overrides, argv[i]);
		} else if (!file) {
			file = argv[i];
		} else {
			return usage_up();
		}
	}
	if (!file)
		return usage_up();

	int lr = plan_load(file, overrides.v, overrides.n, &p, &diag);
	if (lr == -EINVAL) {
		topo_diag_print(diag, stderr, 0);
		goto out;
	} else if (lr < 0) {
		log_err("cannot read %s: %s", file, strerror(-lr));
		goto out;
	}
	if (geteuid() != 0) {
		log_err("testbed up needs root (it creates network namespaces and devices): run it as root or with sudo.");
		goto out;
	}
	{
		uint64_t worst, need, avail = memory_available();
		char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ];
		memory_needed(p, &worst, &need);
#define ROUND_SIZE(x) ((x) >= (1ULL << 30) ? (x) >> 30 << 30 : (x) >> 20 << 20)
		if (need > avail) {
			log_err("not enough memory: the %zu hosts need about %s and %s is available; "
				"lower the host count or mem=.", p->n_hosts,
				fmt_size(a, ROUND_SIZE(need)), fmt_size(b, ROUND_SIZE(avail)));
			goto out;
		}
		if (worst > avail)
			log_warn("the %zu hosts fit as guests typically run (about %s of %s available), "
				 "but not if they all fill their memory (%s).", p->n_hosts,
				 fmt_size(a, ROUND_SIZE(need)), fmt_size(b, ROUND_SIZE(avail)),
				 fmt_size(c, ROUND_SIZE(worst)));
#undef ROUND_SIZE
	}
	for (size_t s = 0; s < p->n_segments; s++)
		if (p->segments[s].sw == PLAN_SWITCH_BRIDGE) {
			/* accepted by the format, not built yet: say so rather than
			 * quietly giving a VDE switch */
			log_err("segment %s: switch=bridge (a kernel bridge) is not implemented yet; "
				"remove it to get a VDE switch.", p->segments[s].name);
			goto out;
		}
	{
		/* every kind starts tbinit from the images; QEMU also needs its kernel */
		const char *img = guest_images_dir();
		char *init = xasprintf("%s/root/sbin/tbinit", img), *kernel = xasprintf("%s/qemu/vmlinuz", img);
		int need_qemu = 0, missing;
		for (size_t h = 0; h < p->n_hosts; h++)
			need_qemu |= p->hosts[h].kind == PLAN_KIND_QEMU;
		missing = p->n_hosts && (access(init, X_OK) < 0 || (need_qemu && access(kernel, R_OK) < 0));
		free(init);
		free(kernel);
		if (missing) {
			log_err("the guest images are not built in %s: run 'make images' (or point TB_IMAGES at them).", img);
			goto out;
		}
	}
	state = guest_state_dir(p->name);
	if (access(state, F_OK) == 0) {
		if (testbed_alive(state)) {
			log_err("a testbed named %s is already up; take it down first with 'testbed down %s'.",
				p->name, p->name);
			goto out;
		}
		log_info("%s: removing what a crashed run left behind", p->name);
		teardown(state, 8, NS_PER_SEC);
	}
	if (!have_seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)mono_now();
	mkdir("/run/testbed", 0755);
	if (mkdir(state, 0700) < 0) {
		log_err("cannot create the state directory %s: %s", state, strerror(errno));
		goto out;
	}
	u.p = p;
	u.state = state;
	u.netns = xasprintf("tb-%s", p->name);
	u.jobs = jobs ? jobs : default_jobs(p);
	u.tty = isatty(2);
	u.t0 = mono_now();
	u.avail0 = memory_available();
	u.boot_ns = xcalloc(p->n_hosts ? p->n_hosts : 1, sizeof(int64_t));

	/* what status, link and down need later: the file and its overrides */
	{
		char *copy = xasprintf("%s/topology.topo", state), *ovp = xasprintf("%s/overrides", state);
		FILE *f;
		int crc = fs_copy_file(file, copy);
		if (crc < 0)
			log_warn("cannot keep a copy of %s in %s: %s", file, state, strerror(-crc));
		if ((f = fopen(ovp, "we"))) {
			for (size_t i = 0; i < overrides.n; i++)
				fprintf(f, "%s\n", overrides.v[i]);
			fprintf(f, "# seed %llu\n", (unsigned long long)seed);
			fclose(f);
		}
		free(copy);
		free(ovp);
	}

	if (experiment_prepare(p, state, &why) < 0) {
		log_err("%s", why);
		goto fail;
	}
	fprintf(stderr, "testbed %s: %zu segments, %zu wires, %zu hosts\n", p->name,
		p->n_segments, p->n_wires, p->n_hosts);
	if (guest_record(state, "netns %s", u.netns) < 0 || netns_add(u.netns) < 0) {
		log_err("cannot create the network namespace %s: %s", u.netns, strerror(errno));
		goto fail;
	}
	nsfd = netns_open(u.netns);
	if (nsfd < 0) {
		log_err("cannot open the network namespace %s: %s", u.netns, strerror(-nsfd));
		goto fail;
	}
	/* Every hop between guests, switches and wires is a Unix datagram
	 * socket made in this namespace, and a full one drops the frame
	 * (vde_switch) or stalls its sender: the kernel's default of 10 frames
	 * lost TCP bursts that no link was asked to lose. */
	int qrc = netns_sysctl(u.netns, "unix/max_dgram_qlen", NETNS_UNIX_QLEN);
	if (qrc < 0)
		log_warn("cannot deepen the Unix datagram queues of %s: %s", u.netns, strerror(-qrc));
	for (size_t s = 0; s < p->n_segments; s++)
		if (segment_start(state, p->segments[s].name, switch_ports(p, s), nsfd, &why) < 0) {
			log_err("segment %s: %s", p->segments[s].name, why);
			goto fail;
		}
	if (segcapture_start(p, state, &why) < 0) {
		log_err("%s", why);
		goto fail;
	}
	for (size_t w = 0; w < p->n_wires; w++)
		if (p->wires[w].kind == PLAN_WIRE_IFACE &&
		    segment_start(state, p->wires[w].name, 32, nsfd, &why) < 0) {
			log_err("interface %s: %s", p->wires[w].name, why);
			goto fail;
		}
	if (p->n_wires) {
		char *ctl = xasprintf("%s/emu.ctl", state), *log = xasprintf("%s/emu.log", state);
		int erc = emuctl_start(state, ctl, log, nsfd, seed, &why);
		for (size_t w = 0; erc == 0 && w < p->n_wires; w++) {
			char *line = up_wire_command(p, &p->wires[w], state), *reply = NULL;
			erc = emuctl_cmd(ctl, line, &reply);
			if (erc < 0)
				why = xasprintf("wire %s: %s", p->wires[w].name, reply ? reply : strerror(-erc));
			free(line);
			free(reply);
		}
		free(ctl);
		free(log);
		if (erc < 0) {
			log_err("emulator: %s", why);
			goto fail;
		}
		fprintf(stderr, "  emulator: %zu wires (seed %llu)\n", p->n_wires, (unsigned long long)seed);
	}

	/* guests, u.jobs at a time */
	{
		unsigned n = u.jobs;
		pthread_t *t = xcalloc(n, sizeof(*t));
		unsigned started = 0;
		for (unsigned i = 0; i < n; i++)
			if (pthread_create(&t[i], NULL, boot_worker, &u) == 0)
				started++;
		if (!started)
			boot_worker(&u);
		for (unsigned i = 0; i < started; i++)
			pthread_join(t[i], NULL);
		free(t);
		if (u.tty)
			fputc('\n', stderr);
	}
	if (u.fail_host) {
		log_err("host %s failed to boot: %s", u.fail_host, u.fail_why);
		goto fail;
	}

	/* summary: boot times as the CLI saw them (spawn to READY), memory as
	 * the machine saw it; no per-host /proc scan, so it stays O(hosts) */
	{
		int64_t *b = xcalloc(p->n_hosts ? p->n_hosts : 1, sizeof(int64_t));
		uint64_t avail = memory_available();
		char t1[UNITS_BUFSZ], t2[UNITS_BUFSZ], t3[UNITS_BUFSZ], t4[UNITS_BUFSZ], m[UNITS_BUFSZ];
		memcpy(b, u.boot_ns, p->n_hosts * sizeof(int64_t));
		qsort(b, p->n_hosts, sizeof(*b), cmp_i64);
		uint64_t used = avail < u.avail0 ? u.avail0 - avail : 0;
		if (p->n_hosts)
			fprintf(stderr, "testbed %s is up: %zu hosts ready in %s; boot time min %s, median %s, max %s; "
				"memory used %s\n", p->name, p->n_hosts,
				fmt_duration(t1, (mono_now() - u.t0) / NS_PER_MS * NS_PER_MS),
				fmt_duration(t2, b[0] / NS_PER_MS * NS_PER_MS),
				fmt_duration(t3, b[p->n_hosts / 2] / NS_PER_MS * NS_PER_MS),
				fmt_duration(t4, b[p->n_hosts - 1] / NS_PER_MS * NS_PER_MS),
				fmt_size(m, used >> 20 << 20));
		else
			fprintf(stderr, "testbed %s is up (no hosts)\n", p->name);
		free(b);
	}
	rc = 0;
	goto out;

fail:
	fprintf(stderr, "testbed %s: undoing what was started\n", p->name);
	teardown(state, 16, 2 * NS_PER_SEC);
	rc = 1;
out:
	if (nsfd >= 0)
		close(nsfd);
	free(why);
	free(u.netns);
	free(u.boot_ns);
	free(u.fail_host);
	free(u.fail_why);
	free(state);
	if (p)
		plan_free(p);
	if (diag)
		topo_diag_free(diag);
	VEC_FREE(overrides);
	return rc;
}
