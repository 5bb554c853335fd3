/* run — see run.h. */
#include "run.h"
#include "experiment.h"
#include "fsutil.h"
#include "guest.h"
#include "json.h"
#include "log.h"
#include "mono.h"
#include "segcapture.h"
#include "spawn.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

void run_interrupt(void) { interrupted = 1; }

/* Run ARGV to its end with our stdin/stdout/stderr; its exit status, or -1. */
static int run_child(char *const *argv)
{
	struct spawn_opts so = { .netns_fd = -1, .pdeathsig = SIGTERM };
	struct spawn_fd fds[] = { { 0, 0 }, { 1, 1 }, { 2, 2 } };
	struct spawn_child c;
	int st;
	so.fds = fds;
	so.n_fds = 3;
	if (spawn_start((const char *const *)argv, &so, &c) < 0 || spawn_release(&c) < 0)
		return -1;
	while (waitpid(c.pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Copy the regular files of FROM into TO (created), recursing into
 * directories; KEEP, when set, chooses the files by name.  Counts what
 * could not be copied. */
static size_t copy_tree(const char *from, const char *to, int (*keep)(const char *name))
{
	DIR *d = opendir(from);
	struct dirent *e;
	size_t bad = 0;
	if (!d)
		return 1;
	if (mkdir(to, 0755) < 0 && errno != EEXIST) {
		closedir(d);
		return 1;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *f = xasprintf("%s/%s", from, e->d_name), *t = xasprintf("%s/%s", to, e->d_name);
		struct stat st;
		if (lstat(f, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				bad += copy_tree(f, t, keep);
			else if (S_ISREG(st.st_mode) && (!keep || keep(e->d_name)))
				bad += fs_copy_file(f, t) < 0;
		}
		free(f);
		free(t);
	}
	closedir(d);
	return bad;
}

/* A host's logs and what it booted with, not its sockets. */
static int host_file(const char *name)
{
	size_t n = strlen(name);
	return (n > 4 && !strcmp(name + n - 4, ".log")) || !strcmp(name, "config") || !strcmp(name, "state");
}

static void keep_results(const struct plan *p, const char *state, const char *out)
{
	char *data = experiment_data_dir(state);
	size_t bad = 0;
	if (p->experiment.results) {
		char *res = xasprintf("%s/%s", data, p->experiment.results);
		bad += copy_tree(res, out, NULL);
		free(res);
	}
	char *hosts = xasprintf("%s/hosts", out);
	mkdir(hosts, 0755);
	for (size_t h = 0; h < p->n_hosts; h++) {
		char *from = guest_host_dir(state, p->hosts[h].name);
		char *to = xasprintf("%s/%s", hosts, p->hosts[h].name);
		bad += copy_tree(from, to, host_file);
		free(from);
		free(to);
	}
	char *cap = segcapture_dir(state);
	if (access(cap, F_OK) == 0) {
		char *to = xasprintf("%s/capture", out);
		bad += copy_tree(cap, to, NULL);
		free(to);
	}
	free(cap);
	const char *top[] = { "topology.topo", "overrides", "prepare.log", "emu.log" };
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		char *f = xasprintf("%s/%s", state, top[i]), *t = xasprintf("%s/%s", out, top[i]);
		if (access(f, F_OK) == 0)
			bad += fs_copy_file(f, t) < 0;
		free(f);
		free(t);
	}
	if (bad)
		log_warn("%zu files of the run could not be copied into %s", bad, out);
	free(hosts);
	free(data);
}

static const char *const end_names[] = { "done", "up failed", "timeout", "interrupted" };

static void write_run_json(const struct plan *p, const struct run_opts *o, const struct run_result *r,
			   int64_t started_wall)
{
	char *path = xasprintf("%s/run.json", o->out);
	FILE *f = fopen(path, "we");
	if (!f) {
		log_warn("cannot write %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	struct json j;
	json_init(&j, f, 1);
	json_obj_begin(&j);
	json_kv_str(&j, "testbed", p->name);
	json_kv_str(&j, "file", o->file);
	json_key(&j, "overrides");
	json_arr_begin(&j);
	for (size_t i = 0; i < o->n_overrides; i++)
		json_str(&j, o->overrides[i]);
	json_arr_end(&j);
	if (o->seed)
		json_kv_str(&j, "seed", o->seed);
	json_kv_int(&j, "hosts", (int64_t)p->n_hosts);
	json_kv_int(&j, "started_wall_ns", started_wall);
	json_kv_str(&j, "end", end_names[r->end]);
	json_kv_double(&j, "up_s", (double)r->up_ns / NS_PER_SEC);
	json_kv_double(&j, "experiment_s", (double)r->experiment_ns / NS_PER_SEC);
	json_obj_end(&j);
	json_finish(&j);
	fclose(f);
	free(path);
}

int run_once(const struct plan *p, const struct run_opts *o, struct run_result *r)
{
	char *self = fs_self_exe("testbed"), *state = guest_state_dir(p->name);
	char *data = experiment_data_dir(state);
	char *done = xasprintf("%s/%s", data, p->experiment.done);
	int64_t started_wall = wall_now_ns();
	VEC(char *) av = { 0 };
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (mkdir(o->out, 0755) < 0 && errno != EEXIST) {
		log_err("cannot create the results directory %s: %s", o->out, strerror(errno));
		goto out;
	}
	VEC_PUSH(av, self);
	VEC_PUSH(av, "up");
	VEC_PUSH(av, (char *)o->file);
	for (size_t i = 0; i < o->n_overrides; i++)
		VEC_PUSH(av, o->overrides[i]);
	if (o->jobs) {
		VEC_PUSH(av, "-j");
		VEC_PUSH(av, (char *)o->jobs);
	}
	if (o->seed) {
		VEC_PUSH(av, "--seed");
		VEC_PUSH(av, (char *)o->seed);
	}
	VEC_PUSH(av, NULL);
	mono_ns t0 = mono_now();
	int st = run_child(av.v);
	r->up_ns = mono_now() - t0;
	if (st != 0) {
		r->end = interrupted ? RUN_INTERRUPTED : RUN_UP_FAILED;
		log_err("testbed up failed; nothing was run");
		write_run_json(p, o, r, started_wall);
		/* up undoes what it started, unless a signal cut it short */
		if (access(state, F_OK) == 0) {
			char *down[] = { self, "down", p->name, NULL };
			run_child(down);
		}
		goto out;
	}

	fprintf(stderr, "testbed run: waiting for %s (at most %lld s)\n", done,
		(long long)(p->experiment.timeout_ns / NS_PER_SEC));
	mono_ns t1 = mono_now(), next_note = t1 + 30 * NS_PER_SEC;
	r->end = RUN_TIMEOUT;
	for (;;) {
		if (access(done, F_OK) == 0) {
			r->end = RUN_DONE;
			break;
		}
		if (interrupted) {
			r->end = RUN_INTERRUPTED;
			break;
		}
		mono_ns now = mono_now();
		if (now - t1 >= p->experiment.timeout_ns)
			break;
		if (now >= next_note) {
			fprintf(stderr, "  %lld s ...\n", (long long)((now - t1) / NS_PER_SEC));
			next_note += 30 * NS_PER_SEC;
		}
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
	}
	r->experiment_ns = mono_now() - t1;
	if (r->end == RUN_TIMEOUT)
		log_err("%s did not appear within %lld s: the experiment did not finish (its hosts' logs "
			"are kept in %s/hosts)", p->experiment.done,
			(long long)(p->experiment.timeout_ns / NS_PER_SEC), o->out);
	else if (r->end == RUN_INTERRUPTED)
		log_err("interrupted: taking the testbed down");
	keep_results(p, state, o->out);
	write_run_json(p, o, r, started_wall);

	char *down[] = { self, "down", p->name, NULL };
	if (run_child(down) != 0)
		log_err("testbed down %s failed; run it again by hand", p->name);
	rc = r->end == RUN_DONE ? 0 : -1;
out:
	VEC_FREE(av);
	free(self);
	free(state);
	free(data);
	free(done);
	return rc;
}

/* A CSV table, columns aligned; numbers right-aligned. */
int run_print_csv(const char *path, FILE *out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	VEC(char **) rows = { 0 };
	VEC(size_t) width = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		VEC(char *) cells = { 0 };
		char *rest = line;
		for (char *c; (c = strsep(&rest, ","));) {
			if (width.n <= cells.n)
				VEC_PUSH(width, 0);
			if (strlen(c) > width.v[cells.n])
				width.v[cells.n] = strlen(c);
			VEC_PUSH(cells, xstrdup(c));
		}
		VEC_PUSH(cells, NULL);
		VEC_PUSH(rows, cells.v);
	}
	free(line);
	fclose(f);
	for (size_t r = 0; r < rows.n; r++) {
		for (size_t c = 0; rows.v[r][c]; c++) {
			const char *s = rows.v[r][c];
			int num = r > 0 && strspn(s, "0123456789.-e") == strlen(s);
			fprintf(out, c ? "  " : "");
			fprintf(out, num ? "%*s" : "%-*s", (int)width.v[c], s);
			free(rows.v[r][c]);
		}
		fputc('\n', out);
		free(rows.v[r]);
	}
	VEC_FREE(rows);
	VEC_FREE(width);
	return 0;
}
