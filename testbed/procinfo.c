/* procinfo — see procinfo.h. */
#include "procinfo.h"
#include "units.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fields of /proc/PID/stat after the command name (which may hold
 * blanks and parentheses: split at the last ')'). */
static int stat_fields(pid_t pid, char *state, pid_t *ppid, uint64_t *utime,
		       uint64_t *stime, uint64_t *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice threads
	 * itrealvalue starttime */
	char *save, *tok = strtok_r(p + 1, " ", &save);
	for (int field = 3; tok; field++, tok = strtok_r(NULL, " ", &save)) {
		if (field == 3 && state)
			*state = tok[0];
		else if (field == 4 && ppid)
			*ppid = (pid_t)strtol(tok, NULL, 10);
		else if (field == 14 && utime)
			*utime = strtoull(tok, NULL, 10);
		else if (field == 15 && stime)
			*stime = strtoull(tok, NULL, 10);
		else if (field == 22) {
			if (start)
				*start = strtoull(tok, NULL, 10);
			return 0;
		}
	}
	return -EINVAL;
}

int proc_starttime(pid_t pid, uint64_t *start)
{
	return stat_fields(pid, NULL, NULL, NULL, NULL, start);
}

int proc_alive(pid_t pid, uint64_t start)
{
	char st = 0;
	uint64_t s = 0;
	if (pid <= 0 || stat_fields(pid, &st, NULL, NULL, NULL, &s) < 0)
		return 0;
	if (st == 'Z' || st == 'X')
		return 0;
	return start == 0 || s == start;
}

static int is_pid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

struct snap_ent { pid_t pid, ppid; uint64_t start; dev_t ns_dev; ino_t ns_ino; };
struct proc_snap {
	struct snap_ent *by_ppid;    /* sorted by ppid, then pid */
	size_t n;
	int with_netns;
};

static struct proc_snap *in_use;

static int cmp_ppid(const void *a, const void *b)
{
	const struct snap_ent *x = a, *y = b;
	if (x->ppid != y->ppid)
		return (x->ppid > y->ppid) - (x->ppid < y->ppid);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

struct proc_snap *proc_snap_take(int with_netns)
{
	VEC(struct snap_ent) all = { 0 };
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		struct snap_ent en = { 0 };
		if (!is_pid_name(e->d_name))
			continue;
		en.pid = (pid_t)strtol(e->d_name, NULL, 10);
		if (stat_fields(en.pid, NULL, &en.ppid, NULL, NULL, &en.start) < 0)
			continue;
		if (with_netns) {
			char path[64];
			struct stat st;
			snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)en.pid);
			if (stat(path, &st) == 0) {
				en.ns_dev = st.st_dev;
				en.ns_ino = st.st_ino;
			}
		}
		VEC_PUSH(all, en);
	}
	closedir(d);
	qsort(all.v, all.n, sizeof(*all.v), cmp_ppid);
	struct proc_snap *s = xcalloc(1, sizeof(*s));
	s->by_ppid = all.v;
	s->n = all.n;
	s->with_netns = with_netns;
	return s;
}

void proc_snap_free(struct proc_snap *s)
{
	if (!s)
		return;
	if (in_use == s)
		in_use = NULL;
	free(s->by_ppid);
	free(s);
}

void proc_snap_use(struct proc_snap *s)
{
	in_use = s;
}

size_t proc_snap_count(const struct proc_snap *s)
{
	return s ? s->n : 0;
}

/* index of the first entry with ppid >= PPID */
static size_t first_child(const struct proc_snap *s, pid_t ppid)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->by_ppid[mid].ppid < ppid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void snap_descendants(const struct proc_snap *s, pid_t root, pid_vec *out)
{
	size_t first = out->n;
	VEC_PUSH(*out, root);
	for (size_t i = first; i < out->n; i++)
		for (size_t j = first_child(s, out->v[i]); j < s->n && s->by_ppid[j].ppid == out->v[i]; j++)
			VEC_PUSH(*out, s->by_ppid[j].pid);
	memmove(out->v + first, out->v + first + 1, (out->n - first - 1) * sizeof(pid_t));
	out->n--;
}

void proc_snap_in_netns(const struct proc_snap *s, dev_t dev, ino_t ino, pid_vec *out)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->by_ppid[i].ns_ino == ino && s->by_ppid[i].ns_dev == dev)
			VEC_PUSH(*out, s->by_ppid[i].pid);
}

void proc_descendants(pid_t root, pid_vec *out)
{
	if (in_use) {
		snap_descendants(in_use, root, out);
		return;
	}
	struct proc_snap *s = proc_snap_take(0);
	if (s)
		snap_descendants(s, root, out);
	proc_snap_free(s);
}

void proc_in_netns(const char *nspath, pid_vec *out)
{
	struct stat ns, st;
	char path[300];
	DIR *d;
	struct dirent *e;
	if (stat(nspath, &ns) < 0)
		return;
	if (in_use && in_use->with_netns) {
		/* candidates from the snapshot, each checked now: a PID reused
		 * since then is in another namespace */
		pid_vec cand = { 0 };
		proc_snap_in_netns(in_use, ns.st_dev, ns.st_ino, &cand);
		for (size_t i = 0; i < cand.n; i++) {
			snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)cand.v[i]);
			if (stat(path, &st) == 0 && st.st_ino == ns.st_ino && st.st_dev == ns.st_dev)
				VEC_PUSH(*out, cand.v[i]);
		}
		VEC_FREE(cand);
		return;
	}
	if (!(d = opendir("/proc")))
		return;
	while ((e = readdir(d))) {
		if (!is_pid_name(e->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (stat(path, &st) == 0 && st.st_ino == ns.st_ino && st.st_dev == ns.st_dev)
			VEC_PUSH(*out, (pid_t)strtol(e->d_name, NULL, 10));
	}
	closedir(d);
}

uint64_t proc_pss(pid_t pid)
{
	char path[64], line[256];
	uint64_t kb = 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Pss:", 4)) {
			kb = strtoull(line + 4, NULL, 10);
			break;
		}
	fclose(f);
	return kb * 1024;
}

int64_t proc_cpu_ns(pid_t pid)
{
	uint64_t u = 0, s = 0;
	long hz = sysconf(_SC_CLK_TCK);
	if (stat_fields(pid, NULL, NULL, &u, &s, NULL) < 0 || hz <= 0)
		return 0;
	return (int64_t)((u + s) * (1000000000ULL / (uint64_t)hz));
}
