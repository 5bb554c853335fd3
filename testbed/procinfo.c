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

void proc_descendants(pid_t root, pid_vec *out)
{
	struct pp { pid_t pid, ppid; };
	VEC(struct pp) all = { 0 };
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		pid_t pid, ppid = 0;
		if (!is_pid_name(e->d_name))
			continue;
		pid = (pid_t)strtol(e->d_name, NULL, 10);
		if (stat_fields(pid, NULL, &ppid, NULL, NULL, NULL) < 0)
			continue;
		VEC_RESERVE(all, all.n + 1);
		all.v[all.n].pid = pid;
		all.v[all.n].ppid = ppid;
		all.n++;
	}
	closedir(d);
	/* breadth first over the parent links */
	size_t first = out->n;
	VEC_PUSH(*out, root);
	for (size_t i = first; i < out->n; i++)
		for (size_t j = 0; j < all.n; j++)
			if (all.v[j].ppid == out->v[i])
				VEC_PUSH(*out, all.v[j].pid);
	/* drop ROOT itself */
	memmove(out->v + first, out->v + first + 1, (out->n - first - 1) * sizeof(pid_t));
	out->n--;
	VEC_FREE(all);
}

void proc_in_netns(const char *nspath, pid_vec *out)
{
	struct stat ns, st;
	char path[300];
	DIR *d;
	struct dirent *e;
	if (stat(nspath, &ns) < 0 || !(d = opendir("/proc")))
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
