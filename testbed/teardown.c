/* teardown — see teardown.h. */
#include "teardown.h"
#include "guest.h"
#include "procinfo.h"
#include "units.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STATE_ROOT "/run/testbed"

struct halt_job {
	char **dirs;
	size_t n, next;
	int64_t timeout;
	int rc;
	pthread_mutex_t lock;
};

static void *halt_worker(void *arg)
{
	struct halt_job *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->lock);
		size_t i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n)
			return NULL;
		int rc = guest_destroy(j->dirs[i], j->timeout);
		if (rc < 0 && rc != -ENOENT) {
			pthread_mutex_lock(&j->lock);
			if (!j->rc)
				j->rc = rc;
			pthread_mutex_unlock(&j->lock);
		}
	}
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

int teardown(const char *state_dir, unsigned jobs, int64_t halt_timeout_ns)
{
	char *hosts = xasprintf("%s/hosts", state_dir);
	struct halt_job j = { .timeout = halt_timeout_ns, .lock = PTHREAD_MUTEX_INITIALIZER };
	VEC(char *) dirs = { 0 };
	DIR *d = opendir(hosts);
	int rc;

	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				VEC_PUSH(dirs, xasprintf("%s/%s", hosts, e->d_name));
		closedir(d);
	}
	j.dirs = dirs.v;
	j.n = dirs.n;
	if (jobs < 1)
		jobs = 1;
	if (jobs > j.n)
		jobs = (unsigned)j.n;
	pthread_t *t = xcalloc(jobs ? jobs : 1, sizeof(*t));
	unsigned started = 0;
	for (unsigned i = 0; i < jobs; i++)
		if (pthread_create(&t[i], NULL, halt_worker, &j) == 0)
			started++;
	if (started == 0)
		halt_worker(&j);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	for (size_t i = 0; i < dirs.n; i++)
		free(dirs.v[i]);
	VEC_FREE(dirs);
	free(hosts);

	/* emulator, switches and the testbed's namespace */
	guest_reap_objects(state_dir, 0);
	rc = j.rc;
	if (nftw(state_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT && !rc)
		rc = -errno;
	return rc;
}

char **testbed_names(void)
{
	VEC(char *) v = { 0 };
	DIR *d = opendir(STATE_ROOT);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && e->d_type == DT_DIR)
				VEC_PUSH(v, xstrdup(e->d_name));
		closedir(d);
	}
	VEC_PUSH(v, NULL);
	return v.v;
}

void testbed_names_free(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

int testbed_alive(const char *state_dir)
{
	char *path = xasprintf("%s/objects", state_dir), line[512];
	FILE *f = fopen(path, "re");
	int alive = 0;
	free(path);
	if (!f)
		return 0;
	while (!alive && fgets(line, sizeof(line), f)) {
		char what[32];
		int pid;
		unsigned long long st;
		/* "WHAT PID START" lines; "netns NAME" lines do not match */
		if (sscanf(line, "%31s %d %llu", what, &pid, &st) == 3 && pid > 0)
			alive = proc_alive(pid, st);
	}
	fclose(f);
	return alive;
}
