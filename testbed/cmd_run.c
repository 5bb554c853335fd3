/* cmd_run — `testbed run FILE` (one experiment run, run.h) and
 * `testbed sweep FILE NAME=V1,V2,...` (one run per value and repeat, then
 * sweep.csv and a plot of failure rate and round time, sweep.h). */
#include "commands.h"
#include "log.h"
#include "run.h"
#include "sweep.h"
#include "units.h"
#include "xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void on_signal(int sig) { (void)sig; run_interrupt(); }

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* results/NAME-YYYYmmdd-HHMMSS (results/ created). */
static char *default_out(const char *prefix, const char *name)
{
	char ts[32];
	time_t now = time(NULL);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", localtime(&now));
	mkdir("results", 0755);
	return xasprintf("results/%s%s-%s", prefix, name, ts);
}

/* Load and check FILE with OVERRIDES; errors printed.  NULL on failure. */
static struct plan *load(const char *file, char *const *ov, size_t n, int quiet)
{
	struct plan *p = NULL;
	struct topo_diag *d = NULL;
	int rc = plan_load(file, ov, n, &p, &d);
	if (rc == -EINVAL && !quiet)
		topo_diag_print(d, stderr, 0);
	else if (rc < 0 && !quiet)
		log_err("cannot read %s: %s", file, strerror(-rc));
	topo_diag_free(d);
	if (rc == 0 && !p->experiment.set) {
		if (!quiet)
			log_err("%s has no experiment statement: 'testbed run' needs one to know when a run "
				"is done (docs/topology.md, \"experiment\"); use 'testbed up' to just bring it up", file);
		plan_free(p);
		return NULL;
	}
	return rc == 0 ? p : NULL;
}

struct args {
	const char *file, *out, *jobs, *seed;
	VEC(char *) ov;
	unsigned repeat;
};

/* Common options of run and sweep; -1 on a usage error. */
static int parse_args(int argc, char **argv, struct args *a, int sweep)
{
	memset(a, 0, sizeof(*a));
	a->repeat = 1;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(s, "--rounds") && more) {
			uint64_t n;
			if (parse_u64(argv[++i], 1, 1000000, &n)) {
				log_err("--rounds: expected a number of rounds, got '%s'", argv[i]);
				return -1;
			}
			VEC_PUSH(a->ov, xasprintf("rounds=%llu", (unsigned long long)n));
		} else if (!strcmp(s, "--repeat") && more && sweep) {
			uint64_t n;
			if (parse_u64(argv[++i], 1, 1000, &n)) {
				log_err("--repeat: expected 1-1000, got '%s'", argv[i]);
				return -1;
			}
			a->repeat = (unsigned)n;
		} else if ((!strcmp(s, "--results") || !strcmp(s, "--out")) && more) {
			a->out = argv[++i];
		} else if (!strcmp(s, "-j") && more) {
			a->jobs = argv[++i];
		} else if (!strcmp(s, "--seed") && more) {
			a->seed = argv[++i];
		} else if (s[0] != '-' && strchr(s, '=')) {
			VEC_PUSH(a->ov, xstrdup(s));
		} else if (s[0] != '-' && !a->file) {
			a->file = s;
		} else {
			log_err("unexpected argument '%s'; see 'testbed help'", s);
			return -1;
		}
	}
	if (!a->file) {
		log_err(sweep ? "usage: testbed sweep FILE NAME=V1,V2,... [NAME=VALUE...] [--repeat R] "
				"[--rounds N] [--out DIR] [-j JOBS]"
			      : "usage: testbed run FILE [NAME=VALUE...] [--rounds N] [--results DIR] "
				"[-j JOBS] [--seed N]");
		return -1;
	}
	return 0;
}

static void free_args(struct args *a)
{
	for (size_t i = 0; i < a->ov.n; i++)
		free(a->ov.v[i]);
	VEC_FREE(a->ov);
}

int cmd_run(int argc, char **argv)
{
	struct args a;
	if (parse_args(argc, argv, &a, 0) < 0) {
		free_args(&a);
		return 2;
	}
	struct plan *p = load(a.file, a.ov.v, a.ov.n, 0);
	if (!p) {
		free_args(&a);
		return 1;
	}
	char *out = a.out ? xstrdup(a.out) : default_out("", p->name);
	struct run_opts o = { .file = a.file, .overrides = a.ov.v, .n_overrides = a.ov.n, .out = out,
			      .jobs = a.jobs, .seed = a.seed };
	struct run_result r;
	catch_signals();
	int rc = run_once(p, &o, &r);
	if (rc == 0) {
		if (p->experiment.summary) {
			/* the summary is under results/, which was copied to OUT */
			char *sum = xasprintf("%s/%s", out, p->experiment.summary + strlen(p->experiment.results) + 1);
			printf("\n");
			double asked, failed, t, lo, hi;
			if (run_print_csv(sum, stdout) < 0)
				log_warn("no summary: cannot read %s", sum);
			else if (sweep_summary_totals(sum, &asked, &failed, &t) == 0 && asked > 0) {
				sweep_wilson(failed, asked, &lo, &hi);
				printf("\nfailure rate %.0f/%.0f = %.3f%% (95%% interval %.3f-%.3f%%), "
				       "mean round time %.1f s\n", failed, asked, 100 * failed / asked,
				       100 * lo, 100 * hi, t);
			}
			free(sum);
		}
		printf("\ntestbed run %s: done in %.1f s (up %.1f s, experiment %.1f s); results in %s\n",
		       p->name, (double)(r.up_ns + r.experiment_ns) / 1e9, (double)r.up_ns / 1e9,
		       (double)r.experiment_ns / 1e9, out);
	} else if (r.end != RUN_UP_FAILED) {
		printf("testbed run %s: not finished; what there is, is in %s\n", p->name, out);
	}
	free(out);
	plan_free(p);
	free_args(&a);
	return rc == 0 ? 0 : 1;
}

int cmd_sweep(int argc, char **argv)
{
	struct args a;
	if (parse_args(argc, argv, &a, 1) < 0) {
		free_args(&a);
		return 2;
	}
	struct sweep sw;
	int rc = sweep_init(&sw, a.file, a.ov.v, a.ov.n);
	if (rc == 0 && sw.n_swept == 0) {
		log_err("nothing to sweep: give at least one NAME=V1,V2,... (e.g. hosts=1,2,4,8)");
		rc = -1;
	}
	/* every combination must be a valid topology before anything starts */
	struct plan *first = NULL;
	for (size_t c = 0; rc == 0 && c < sw.n_combos; c++) {
		char **ov = sweep_overrides(&sw, c, 0, NULL);
		struct plan *p = load(a.file, ov, sweep_n_overrides(&sw), 0);
		if (!p) {
			log_err("the sweep's combination %zu (%s) is not a valid topology", c + 1,
				sweep_label(&sw, c));
			rc = -1;
		} else if (!first) {
			first = p;
		} else {
			plan_free(p);
		}
		sweep_free_overrides(&sw, ov);
	}
	if (rc < 0) {
		plan_free(first);
		sweep_free(&sw);
		free_args(&a);
		return 1;
	}
	char *out = a.out ? xstrdup(a.out) : default_out("sweep-", first->name);
	catch_signals();
	rc = sweep_run(&sw, out, a.repeat, a.jobs, first);
	printf("\ntestbed sweep: %s (sweep.csv%s)\n", out,
	       rc == 0 ? ", failure-rate.png and .svg" : "");
	free(out);
	plan_free(first);
	sweep_free(&sw);
	free_args(&a);
	return rc == 0 ? 0 : 1;
}
