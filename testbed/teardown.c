/* teardown — see teardown.h.
 *
 * Reads /proc twice in all, not once per host: a snapshot taken first
 * answers the per-host "which processes are in this namespace" of the
 * halts (each candidate checked again before it is killed), and a second
 * one at the end catches processes born in a host's namespace after the
 * first.  The marker STATE/.down tells the hosts' monitors (guest_netns.c)
 * to leave that sweep to us instead of each reading /proc.  For that sweep the hosts' namespaces are held open from the
 * start, so that their inode numbers cannot pass to another namespace. */
#include "teardown.h"
#include "guest.h"
#include "mono.h"
#include "netns.h"
#include "procinfo.h"
#include "units.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

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

struct held_ns { int fd; dev_t dev; ino_t ino; };
typedef VEC(struct held_ns) held_vec;

struct rec_proc { pid_t pid; uint64_t start; };
typedef VEC(struct rec_proc) rec_vec;

/* Open the namespaces recorded as "netns NAME" in HOSTDIR/objects, and
 * note the processes recorded there in PROCS. */
static void hold_namespaces(const char *hostdir, held_vec *out, rec_vec *procs)
{
	record_vec rs = { 0 };
	guest_read_records(hostdir, &rs);
	for (size_t i = 0; i < rs.n; i++) {
		struct held_ns h;
		struct stat st;
		if (rs.v[i].pid > 0) {
			struct rec_proc r = { rs.v[i].pid, rs.v[i].start };
			VEC_PUSH(*procs, r);
			continue;
		}
		h.fd = netns_open(rs.v[i].name);
		if (h.fd < 0)
			continue;             /* gone already, or out of fds */
		if (fstat(h.fd, &st) < 0) {
			close(h.fd);
			continue;
		}
		h.dev = st.st_dev;
		h.ino = st.st_ino;
		VEC_PUSH(*out, h);
	}
	VEC_FREE(rs);
}

/* SIGKILL the switches recorded in STATE/objects. */
static void kill_switches(const char *state_dir)
{
	record_vec rs = { 0 };
	guest_read_records(state_dir, &rs);
	for (size_t i = 0; i < rs.n; i++)
		if (!strcmp(rs.v[i].what, "switch") && proc_alive(rs.v[i].pid, rs.v[i].start))
			kill(rs.v[i].pid, SIGKILL);
	VEC_FREE(rs);
}

/* Kill what is left in the held namespaces, from one new snapshot. */
static void sweep_namespaces(const struct proc_snap *snap, held_vec *held)
{
	for (size_t i = 0; i < held->n; i++) {
		pid_vec in = { 0 };
		proc_snap_in_netns(snap, held->v[i].dev, held->v[i].ino, &in);
		for (size_t k = 0; k < in.n; k++) {
			char path[64];
			struct stat st;
			snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)in.v[k]);
			if (stat(path, &st) == 0 && st.st_ino == held->v[i].ino && st.st_dev == held->v[i].dev)
				kill(in.v[k], SIGKILL);
		}
		VEC_FREE(in);
		close(held->v[i].fd);
	}
	VEC_FREE(*held);
}

int teardown(const char *state_dir, unsigned jobs, int64_t halt_timeout_ns)
{
	held_vec held = { 0 };
	rec_vec procs = { 0 };
	struct rlimit rl;
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
	/* one fd per host namespace: lift the soft limit (1024) to the hard one */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (size_t i = 0; i < dirs.n; i++)
		hold_namespaces(dirs.v[i], &held, &procs);
	hold_namespaces(state_dir, &held, &procs);
	struct proc_snap *snap = proc_snap_take(1);
	proc_snap_use(snap);
	/* tells the hosts' monitors to leave the namespace sweep to us */
	char *marker = xasprintf("%s/.down", state_dir);
	int mfd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (mfd >= 0)
		close(mfd);
	free(marker);
	/* the switches go first: vde_switch polls all its ports on every
	 * event, so N hosts leaving one by one cost it O(N^2) (most of its
	 * CPU in a 2,000-host down); halting a host needs no network */
	kill_switches(state_dir);
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

	proc_snap_use(NULL);
	proc_snap_free(snap);

	/* what was born in a host's namespace after the first snapshot; then
	 * the emulator, switches and the testbed's namespace */
	snap = proc_snap_take(1);
	sweep_namespaces(snap, &held);
	proc_snap_use(snap);
	guest_reap_objects(state_dir, 0);
	proc_snap_use(NULL);
	proc_snap_free(snap);

	/* SIGKILL is not death: a switch with 1,000 ports takes a while to
	 * close them.  Return only when every recorded process is gone. */
	mono_ns deadline = mono_now() + 10 * NS_PER_SEC;
	for (;;) {
		size_t k = 0;
		for (size_t i = 0; i < procs.n; i++)
			if (proc_alive(procs.v[i].pid, procs.v[i].start))
				procs.v[k++] = procs.v[i];
		procs.n = k;
		if (!k || mono_now() > deadline)
			break;
		usleep(10000);
	}
	VEC_FREE(procs);
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
	record_vec rs = { 0 };
	int alive = 0;
	guest_read_records(state_dir, &rs);
	for (size_t i = 0; !alive && i < rs.n; i++)
		alive = rs.v[i].pid > 0 && proc_alive(rs.v[i].pid, rs.v[i].start);
	VEC_FREE(rs);
	return alive;
}
