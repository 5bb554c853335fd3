/* sweep — see sweep.h. */
#include "sweep.h"
#include "experiment.h"
#include "log.h"
#include "run.h"
#include "spawn.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

int sweep_init(struct sweep *s, const char *file, char *const *ov, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->file = file;
	s->n_combos = 1;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(ov[i], '=');
		if (!eq || !strchr(eq + 1, ',')) {
			VEC_PUSH(s->fixed, xstrdup(ov[i]));
			continue;
		}
		struct sweep_param p = { .name = xstrndup(ov[i], (size_t)(eq - ov[i])) };
		char *vals = xstrdup(eq + 1), *rest = vals;
		for (char *v; (v = strsep(&rest, ","));) {
			if (!*v) {
				log_err("%s: an empty value in the list", ov[i]);
				free(vals);
				free(p.name);
				for (size_t k = 0; k < p.values.n; k++)
					free(p.values.v[k]);
				VEC_FREE(p.values);
				return -1;
			}
			VEC_PUSH(p.values, xstrdup(v));
		}
		free(vals);
		s->n_combos *= p.values.n;
		VEC_PUSH(s->swept, p);
	}
	s->n_swept = s->swept.n;
	/* does the file declare `param seed`?  Then each repeat sets it. */
	struct plan *pl = NULL;
	struct topo_diag *d = NULL;
	char *probe[] = { "seed=1" };
	s->has_seed_param = plan_load(file, probe, 1, &pl, &d) == 0;
	plan_free(pl);
	topo_diag_free(d);
	return 0;
}

void sweep_free(struct sweep *s)
{
	for (size_t i = 0; i < s->fixed.n; i++)
		free(s->fixed.v[i]);
	VEC_FREE(s->fixed);
	for (size_t i = 0; i < s->swept.n; i++) {
		for (size_t k = 0; k < s->swept.v[i].values.n; k++)
			free(s->swept.v[i].values.v[k]);
		VEC_FREE(s->swept.v[i].values);
		free(s->swept.v[i].name);
	}
	VEC_FREE(s->swept);
	free(s->label);
}

/* The value of swept parameter K in combination C (the last parameter
 * varies fastest). */
static const char *combo_value(const struct sweep *s, size_t c, size_t k)
{
	size_t div = 1;
	for (size_t j = s->swept.n; j-- > k + 1;)
		div *= s->swept.v[j].values.n;
	return s->swept.v[k].values.v[(c / div) % s->swept.v[k].values.n];
}

size_t sweep_n_overrides(const struct sweep *s) { return s->fixed.n + s->swept.n; }

char **sweep_overrides(const struct sweep *s, size_t c, int repeat_seed, size_t *n)
{
	size_t m = sweep_n_overrides(s);
	char **ov = xcalloc(m + 2, sizeof(char *));
	for (size_t i = 0; i < s->fixed.n; i++)
		ov[i] = xstrdup(s->fixed.v[i]);
	for (size_t k = 0; k < s->swept.n; k++)
		ov[s->fixed.n + k] = xasprintf("%s=%s", s->swept.v[k].name, combo_value(s, c, k));
	if (repeat_seed && s->has_seed_param)
		ov[m++] = xasprintf("seed=%d", repeat_seed);
	if (n)
		*n = m;
	return ov;
}

void sweep_free_overrides(const struct sweep *s, char **ov)
{
	(void)s;
	for (char **p = ov; *p; p++)
		free(*p);
	free(ov);
}

const char *sweep_label(struct sweep *s, size_t c)
{
	VEC(char) b = { 0 };
	for (size_t k = 0; k < s->swept.n; k++) {
		char *w = xasprintf("%s%s=%s", k ? " " : "", s->swept.v[k].name, combo_value(s, c, k));
		for (char *p = w; *p; p++)
			VEC_PUSH(b, *p);
		free(w);
	}
	VEC_PUSH(b, '\0');
	free(s->label);
	s->label = b.v;
	return s->label;
}

void sweep_wilson(double failed, double n, double *lo, double *hi)
{
	const double z = 1.959963984540054;
	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	double p = failed / n, z2n = z * z / n;
	double centre = (p + z2n / 2) / (1 + z2n);
	double half = z * sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n);
	*lo = centre - half < 0 ? 0 : centre - half;
	*hi = centre + half > 1 ? 1 : centre + half;
}

/* A CSV summary summed over its rows; columns ending in _s averaged. */
struct summary {
	VEC(char *) cols;
	double *val;
	size_t rows;
};

static int read_summary(const char *path, struct summary *sm)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	memset(sm, 0, sizeof(*sm));
	if (!f)
		return -errno;
	if (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		char *rest = line;
		for (char *c; (c = strsep(&rest, ","));)
			VEC_PUSH(sm->cols, xstrdup(c));
	}
	sm->val = xcalloc(sm->cols.n + 1, sizeof(double));
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		char *rest = line;
		size_t k = 0;
		for (char *c; (c = strsep(&rest, ",")) && k < sm->cols.n; k++) {
			char *end;
			double v = strtod(c, &end);
			if (end != c && !*end)
				sm->val[k] += v;
		}
		sm->rows++;
	}
	for (size_t k = 0; k < sm->cols.n; k++) {
		size_t l = strlen(sm->cols.v[k]);
		if (l > 2 && !strcmp(sm->cols.v[k] + l - 2, "_s") && sm->rows)
			sm->val[k] /= (double)sm->rows;
	}
	free(line);
	fclose(f);
	return 0;
}

static void summary_free(struct summary *sm)
{
	for (size_t k = 0; k < sm->cols.n; k++)
		free(sm->cols.v[k]);
	VEC_FREE(sm->cols);
	free(sm->val);
}

static double summary_get(const struct summary *sm, const char *col, int *found)
{
	for (size_t k = 0; k < sm->cols.n; k++)
		if (!strcmp(sm->cols.v[k], col)) {
			*found = 1;
			return sm->val[k];
		}
	*found = 0;
	return 0;
}

int sweep_summary_totals(const char *csv, double *asked, double *failed, double *time_s)
{
	struct summary sm;
	int rc = read_summary(csv, &sm), fa = 0, ff = 0, ft = 0;
	if (rc < 0)
		return rc;
	*asked = summary_get(&sm, "asked", &fa);
	*failed = summary_get(&sm, "failed", &ff);
	*time_s = summary_get(&sm, "time_s", &ft);
	summary_free(&sm);
	return fa && ff && ft ? 0 : -ENOENT;
}

/* Per combination, pooled over its repeats. */
struct pooled { double asked, failed, time_sum; unsigned time_n, runs; };

static char *dir_name(const char *label, unsigned r)
{
	char *d = xasprintf("%s-r%u", label, r);
	for (char *p = d; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-' || *p == '_'))
			*p = *p == '=' ? '-' : '_';
	return d;
}

static int draw(const char *out, const struct sweep *s)
{
	char *gp = xasprintf("%s/plot.gp", out);
	FILE *f = fopen(gp, "we");
	if (!f) {
		free(gp);
		return -1;
	}
	const char *x = s->swept.n == 1 ? s->swept.v[0].name : "combination";
	const char *base = strrchr(s->file, '/') ? strrchr(s->file, '/') + 1 : s->file;
	VEC(char) title = { 0 };
	for (const char *c = base; *c; c++)
		VEC_PUSH(title, *c);
	for (size_t i = 0; i < s->fixed.n; i++) {
		VEC_PUSH(title, ' ');
		for (const char *c = s->fixed.v[i]; *c; c++)
			if (*c != '\'' && *c != '\\')
				VEC_PUSH(title, *c);
	}
	VEC_PUSH(title, '\0');
	fprintf(f,
		"# drawn by testbed sweep from plot.dat: label asked failed rate lo hi time_s runs\n"
		"set datafile separator '\\t'\n"
		"set termoption noenhanced\n"
		"set multiplot layout 1,2 title 'testbed sweep: %s'\n"
		"set xlabel '%s'\n"
		"set ylabel 'failure rate (%%), 95%% Wilson interval'\n"
		"set grid\n"
		"set yrange [0:*]\n"
		"set offsets 0.5, 0.5, 0, 0\n"
		"plot '%s/plot.dat' using 0:($4*100):($5*100):($6*100):xticlabels(1) with yerrorlines "
		"lw 2 pt 7 title 'failure rate'\n"
		"set ylabel 'round time (s), mean'\n"
		"plot '%s/plot.dat' using 0:7:xticlabels(1) with linespoints lw 2 pt 5 title 'round time'\n"
		"unset multiplot\n", title.v, x, out, out);
	fclose(f);
	VEC_FREE(title);
	int rc = 0;
	const char *terms[][2] = { { "svg size 1000,420 dynamic font 'sans,11'", "svg" },
				   { "pngcairo size 1000,420 font 'sans,10'", "png" } };
	for (size_t t = 0; t < 2; t++) {
		char *set = xasprintf("set terminal %s; set output '%s/failure-rate.%s'", terms[t][0], out,
				      terms[t][1]);
		const char *argv[] = { "gnuplot", "-e", set, gp, NULL };
		struct spawn_opts so = { .netns_fd = -1 };
		struct spawn_child c;
		int st = -1;
		if (spawn_start(argv, &so, &c) == 0 && spawn_release(&c) == 0)
			while (waitpid(c.pid, &st, 0) < 0 && errno == EINTR)
				;
		else
			log_err("cannot run gnuplot (make deps installs it)");
		if (st != 0) {
			log_err("gnuplot could not draw %s/failure-rate.%s", out, terms[t][1]);
			rc = -1;
		}
		free(set);
	}
	free(gp);
	return rc;
}

int sweep_run(struct sweep *s, const char *out, unsigned repeat, const char *jobs,
	      const struct plan *first)
{
	const struct plan_experiment *e = &first->experiment;
	char *runs = xasprintf("%s/runs", out), *csvp = xasprintf("%s/sweep.csv", out);
	struct pooled *pool = xcalloc(s->n_combos, sizeof(*pool));
	VEC(char *) cols = { 0 };
	FILE *csv = NULL;
	int bad = 0, stop = 0;

	if ((mkdir(out, 0755) < 0 && errno != EEXIST) || (mkdir(runs, 0755) < 0 && errno != EEXIST) ||
	    !(csv = fopen(csvp, "we"))) {
		log_err("cannot write in %s: %s", out, strerror(errno));
		free(runs);
		free(csvp);
		free(pool);
		return -1;
	}
	fprintf(stderr, "testbed sweep: %zu combinations x %u repeats into %s\n", s->n_combos, repeat, out);
	for (size_t c = 0; c < s->n_combos && !stop; c++)
		for (unsigned r = 1; r <= repeat && !stop; r++) {
			size_t n;
			char **ov = sweep_overrides(s, c, (int)r, &n);
			const char *label = sweep_label(s, c);
			char *dn = dir_name(label, r), *rd = xasprintf("%s/%s", runs, dn), seed[16];
			snprintf(seed, sizeof(seed), "%u", r);
			fprintf(stderr, "\n== run %zu/%zu: %s, repeat %u\n", c * repeat + r,
				s->n_combos * repeat, label, r);
			struct plan *p = NULL;
			struct topo_diag *d = NULL;
			struct run_result res = { .end = RUN_UP_FAILED };
			if (plan_load(s->file, ov, n, &p, &d) == 0) {
				struct run_opts o = { .file = s->file, .overrides = ov, .n_overrides = n,
						      .out = rd, .jobs = jobs, .seed = seed };
				run_once(p, &o, &res);
			}
			topo_diag_free(d);
			struct summary sm = { 0 };
			int have = 0;
			if (res.end == RUN_DONE && e->summary) {
				char *sp = xasprintf("%s/%s", rd, e->summary + strlen(e->results) + 1);
				have = read_summary(sp, &sm) == 0;
				free(sp);
			}
			if (!cols.n && have) {
				/* the header, once the first summary tells its columns */
				for (size_t k = 0; k < s->swept.n; k++)
					fprintf(csv, "%s,", s->swept.v[k].name);
				fprintf(csv, "repeat,end,up_s,experiment_s");
				for (size_t k = 0; k < sm.cols.n; k++) {
					VEC_PUSH(cols, xstrdup(sm.cols.v[k]));
					fprintf(csv, ",%s", sm.cols.v[k]);
				}
				fprintf(csv, ",failure_rate,ci95_low,ci95_high\n");
			}
			if (cols.n) {
				for (size_t k = 0; k < s->swept.n; k++)
					fprintf(csv, "%s,", combo_value(s, c, k));
				fprintf(csv, "%u,%s,%.3f,%.3f", r, res.end == RUN_DONE ? "done" :
					res.end == RUN_TIMEOUT ? "timeout" : res.end == RUN_INTERRUPTED ?
					"interrupted" : "up_failed", res.up_ns / 1e9, res.experiment_ns / 1e9);
				for (size_t k = 0; k < cols.n; k++) {
					int found;
					double v = have ? summary_get(&sm, cols.v[k], &found) : 0;
					if (have && found)
						fprintf(csv, ",%.6g", v);
					else
						fprintf(csv, ",");
				}
				int fa, ff, ft;
				double asked = have ? summary_get(&sm, "asked", &fa) : 0;
				double failed = have ? summary_get(&sm, "failed", &ff) : 0;
				double t = have ? summary_get(&sm, "time_s", &ft) : 0;
				if (have && fa && ff && asked > 0) {
					double lo, hi;
					sweep_wilson(failed, asked, &lo, &hi);
					fprintf(csv, ",%.6g,%.6g,%.6g\n", failed / asked, lo, hi);
					pool[c].asked += asked;
					pool[c].failed += failed;
				} else {
					fprintf(csv, ",,,\n");
				}
				if (have && ft) {
					pool[c].time_sum += t;
					pool[c].time_n++;
				}
				fflush(csv);
			}
			pool[c].runs += res.end == RUN_DONE;
			bad |= res.end != RUN_DONE;
			stop = res.end == RUN_INTERRUPTED;
			if (have)
				summary_free(&sm);
			plan_free(p);
			free(dn);
			free(rd);
			sweep_free_overrides(s, ov);
		}
	fclose(csv);

	char *datp = xasprintf("%s/plot.dat", out);
	FILE *dat = fopen(datp, "we");
	int drawable = 0;
	if (dat) {
		for (size_t c = 0; c < s->n_combos; c++) {
			double lo, hi;
			if (pool[c].asked <= 0)
				continue;
			sweep_wilson(pool[c].failed, pool[c].asked, &lo, &hi);
			fprintf(dat, "%s\t%.0f\t%.0f\t%.6g\t%.6g\t%.6g\t%.6g\t%u\n",
				s->swept.n == 1 ? combo_value(s, c, 0) : sweep_label(s, c), pool[c].asked,
				pool[c].failed, pool[c].failed / pool[c].asked, lo, hi,
				pool[c].time_n ? pool[c].time_sum / pool[c].time_n : 0, pool[c].runs);
			drawable++;
		}
		fclose(dat);
	}
	int drawn = drawable ? draw(out, s) == 0 : 0;
	if (!drawable)
		log_err("no run gave a summary with asked and failed: nothing to plot");
	for (size_t k = 0; k < cols.n; k++)
		free(cols.v[k]);
	VEC_FREE(cols);
	free(datp);
	free(pool);
	free(runs);
	free(csvp);
	return bad || !drawn ? -1 : 0;
}
