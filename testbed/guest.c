/* guest — the kinds' registry and the testbed's side of the guest layer:
 * start (spawn the monitor), destroy, status, exec, console, records. */
#include "guest.h"
#include "frame.h"
#include "fsutil.h"
#include "log.h"
#include "mono.h"
#include "netns.h"
#include "procinfo.h"
#include "sockdeep.h"
#include "units.h"
#include "unixsock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static const struct guest_ops *const kinds[] = {
	&guest_uml_ops, &guest_qemu_ops, &guest_netns_ops,
};

const struct guest_ops *guest_ops_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i]->name, kind))
			return kinds[i];
	return NULL;
}

int guest_deepen_nic_sockets(struct guest_ctx *g, pid_t pid)
{
	(void)g;
	int n = sockdeep_process_and_children(pid, "vde_plug", SOCKDEEP_BYTES);
	return n < 0 ? n : 0;
}

const char *guest_state_name(enum guest_state s)
{
	static const char *names[] = { "booting", "ready", "dead", "failed", "stopped", "unknown" };
	return names[s];
}

static char images_dir[PATH_MAX + 16];

static void find_images_dir(void)
{
	char *dir = fs_build_path("images");
	snprintf(images_dir, sizeof(images_dir), "%s", dir ? dir : "build/images");
	free(dir);
}

const char *guest_images_dir(void)
{
	/* once: up's boot threads ask at the same time */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const char *env = getenv("TB_IMAGES");
	if (env && *env)
		return env;
	pthread_once(&once, find_images_dir);
	return images_dir;
}

char *guest_state_dir(const char *testbed)
{
	if (strchr(testbed, '/'))
		return xstrdup(testbed);
	return xasprintf("/run/testbed/%s", testbed);
}

char *guest_host_dir(const char *state_dir, const char *host)
{
	return xasprintf("%s/hosts/%s", state_dir, host);
}

int guest_record(const char *hostdir, const char *fmt, ...)
{
	char *path = xasprintf("%s/objects", hostdir), *line;
	va_list ap;
	int fd, rc = 0;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	free(path);
	if (fd < 0 || !line) {
		rc = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	size_t n = strlen(line);
	line[n] = '\n';    /* vasprintf left room for the NUL: reuse it */
	/* no fdatasync: the record must outlive a kill -9 of any process,
	 * which a completed write() does; a machine crash ends every process
	 * and namespace anyway.  On a disk-backed /run a sync per record
	 * cost 2.5 ms, four per netns host. */
	if (write(fd, line, n + 1) != (ssize_t)(n + 1))
		rc = -EIO;
out:
	if (fd >= 0)
		close(fd);
	free(line);
	return rc;
}

void guest_read_records(const char *hostdir, record_vec *out)
{
	char *path = xasprintf("%s/objects", hostdir), line[512];
	FILE *f = fopen(path, "re");
	free(path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct record r = { 0 };
		char *save, *w = strtok_r(line, " \n", &save), *a, *b;
		if (!w || strlen(w) >= sizeof(r.what))
			continue;
		strcpy(r.what, w);
		a = strtok_r(NULL, " \n", &save);
		b = strtok_r(NULL, " \n", &save);
		if (!a)
			continue;
		if (!strcmp(w, "netns")) {
			if (strlen(a) >= sizeof(r.name))
				continue;
			strcpy(r.name, a);
		} else {
			uint64_t pid, st;
			if (!b || parse_u64(a, 1, INT32_MAX, &pid) < 0 || parse_u64(b, 0, UINT64_MAX, &st) < 0)
				continue;
			r.pid = (pid_t)pid;
			r.start = st;
		}
		VEC_PUSH(*out, r);
	}
	fclose(f);
}

void guest_reap_objects(const char *hostdir, int keep_monitor)
{
	record_vec rs = { 0 };
	guest_read_records(hostdir, &rs);
	/* processes first (newest first), then namespaces */
	for (size_t i = rs.n; i-- > 0;) {
		struct record *r = &rs.v[i];
		if (!r->pid || (keep_monitor && !strcmp(r->what, "monitor")))
			continue;
		if (proc_alive(r->pid, r->start)) {
			if (!strcmp(r->what, "guest"))
				kill(-r->pid, SIGKILL);   /* the guest's process group */
			kill(r->pid, SIGKILL);
		} else if (!strcmp(r->what, "guest")) {
			/* leader gone (kill -9): members of its group may remain,
			 * e.g. UML's helper processes */
			kill(-r->pid, SIGKILL);
		}
	}
	for (size_t i = rs.n; i-- > 0;) {
		struct record *r = &rs.v[i];
		if (strcmp(r->what, "netns"))
			continue;
		pid_vec in = { 0 };
		proc_in_netns(netns_path(r->name), &in);
		for (size_t j = 0; j < in.n; j++)
			kill(in.v[j], SIGKILL);
		VEC_FREE(in);
		netns_del(r->name);
	}
	VEC_FREE(rs);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

static int connect_ctl(const char *hostdir)
{
	char *path = xasprintf("%s/ctl.sock", hostdir);
	int fd = unix_connect(path);
	free(path);
	return fd;
}

static int find_monitor(const char *hostdir, pid_t *pid, uint64_t *start)
{
	record_vec rs = { 0 };
	int found = 0;
	guest_read_records(hostdir, &rs);
	for (size_t i = 0; i < rs.n; i++)
		if (!strcmp(rs.v[i].what, "monitor")) {
			*pid = rs.v[i].pid;
			*start = rs.v[i].start;
			found = 1;
		}
	VEC_FREE(rs);
	return found;
}

int guest_destroy(const char *hostdir, int64_t timeout_ns)
{
	pid_t mon = 0;
	uint64_t mstart = 0;
	struct stat sb;

	if (stat(hostdir, &sb) < 0)
		return -errno;
	if (find_monitor(hostdir, &mon, &mstart) && proc_alive(mon, mstart)) {
		int fd = connect_ctl(hostdir);
		if (fd >= 0) {
			char t[32];
			snprintf(t, sizeof(t), "%lld", (long long)(timeout_ns > 0 ? timeout_ns : 10 * NS_PER_SEC));
			(void)!frame_write_str(fd, 'P', 0, t);
		} else {
			kill(mon, SIGTERM);
		}
		/* the monitor halts the guest, kills it after the timeout, and exits */
		mono_ns deadline = mono_now() + (timeout_ns > 0 ? timeout_ns : 10 * NS_PER_SEC) + 2 * NS_PER_SEC;
		while (proc_alive(mon, mstart) && mono_now() < deadline)
			usleep(10000);
		if (fd >= 0)
			close(fd);
	}
	guest_reap_objects(hostdir, 0);
	if (nftw(hostdir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return -errno;
	return 0;
}

char *guest_log_tail(const char *hostdir, int lines)
{
	char *path = xasprintf("%s/console.log", hostdir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return NULL;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > 16384 ? size - 16384 : 0;
	char *buf = xmalloc((size_t)(size - from) + 1);
	ssize_t n = pread(fd, buf, (size_t)(size - from), from);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	/* keep the last LINES lines; drop control characters a console emits */
	int seen = 0;
	char *p = buf + n;
	while (p > buf) {
		if (p[-1] == '\n' && p != buf + n && ++seen >= lines)
			break;
		p--;
	}
	char *out = xmalloc(strlen(p) + 1), *o = out;
	for (; *p; p++)
		if (*p == '\n' || *p == '\t' || (unsigned char)*p >= 32)
			*o++ = *p;
	*o = 0;
	free(buf);
	return out;
}

/* Start the host's monitor: BIN/testbed-monitor HOSTDIR ..., its report
 * line on fd 3, in a session of its own, stdio on /dev/null (a $(...)
 * pipe of a shell would otherwise wait for the monitor's end).
 *
 * vfork, not fork: `up` boots hosts from several threads, and forking a
 * big multithreaded process copies its page tables and write-protects
 * every page for all of them (copy-on-write faults and cross-CPU TLB
 * flushes were a quarter of a netns storm's samples); a vfork child runs
 * on the parent's memory until its exec, as glibc's posix_spawn (whose
 * header lib/spawn.h shadows here).  The child makes system calls only,
 * on what was prepared before, with every signal blocked until just
 * before the exec.  The monitor records itself before it does anything
 * (monitor_main.c).  It is our child, not init's: guest_start reaps it
 * when its boot failed; one that ends later is reaped when we exit. */
static int spawn_monitor(const char *hostdir, const struct guest_start_opts *o, int report_fd,
			 pid_t *pid)
{
	VEC(char *) av = { 0 };
	char *prog = fs_sibling_program("testbed-monitor");  /* the same build variant */
	sigset_t all, old;
	volatile int child_errno = 0;   /* written by the child: shared memory */
	int nul, rc = 0;

	VEC_PUSH(av, prog);
	VEC_PUSH(av, xstrdup(hostdir));
	VEC_PUSH(av, xstrdup("--report-fd"));
	VEC_PUSH(av, xstrdup("3"));
	VEC_PUSH(av, xstrdup("--images"));
	VEC_PUSH(av, xstrdup(o->images ? o->images : guest_images_dir()));
	if (o->netns) {
		VEC_PUSH(av, xstrdup("--netns"));
		VEC_PUSH(av, xstrdup(o->netns));
	}
	if (o->retries >= 0) {
		VEC_PUSH(av, xstrdup("--retries"));
		VEC_PUSH(av, xasprintf("%d", o->retries));
	}
	if (o->boot_timeout_ns > 0) {
		VEC_PUSH(av, xstrdup("--boot-timeout-ns"));
		VEC_PUSH(av, xasprintf("%lld", (long long)o->boot_timeout_ns));
	}
	VEC_PUSH(av, NULL);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0) {
		rc = -errno;
		goto out;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t p = vfork();
	if (p == 0) {
		sigset_t none;
		/* exec resets caught signals; ignored ones are reset here */
		for (int s = 1; s < NSIG; s++)
			if (s != SIGKILL && s != SIGSTOP)
				signal(s, SIG_DFL);
		if (setsid() < 0 || dup2(report_fd, 3) < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 ||
		    dup2(nul, 2) < 0 || close_range(4, ~0U, 0) < 0)
			goto child_fail;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(prog, av.v, environ);
	child_fail:
		child_errno = errno ? errno : EIO;
		_exit(127);
	}
	if (p < 0)
		rc = -errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(nul);
	if (p > 0 && child_errno) {
		rc = -child_errno;
		waitpid(p, NULL, 0);
	} else if (p > 0) {
		*pid = p;
	}
out:
	for (size_t i = 0; i < av.n; i++)
		free(av.v[i]);
	VEC_FREE(av);
	return rc;
}

int guest_start(const char *state_dir, const struct hostcfg *cfg,
		const struct guest_start_opts *o, char **why)
{
	const char *kind = cfg->kind ? cfg->kind : "uml";
	char *hostdir = guest_host_dir(state_dir, cfg->name), *path = NULL;
	int rep[2] = { -1, -1 }, rc;
	pid_t pid;

	if (why)
		*why = NULL;
	if (!guest_ops_find(kind)) {
		rc = -EINVAL;
		goto out;
	}
	char *hosts = xasprintf("%s/hosts", state_dir);
	mkdir("/run/testbed", 0755);
	mkdir(state_dir, 0755);
	mkdir(hosts, 0755);
	free(hosts);
	if (mkdir(hostdir, 0755) < 0) {
		rc = -errno;
		goto out;
	}
	path = xasprintf("%s/config", hostdir);
	FILE *f = fopen(path, "we");
	if (!f) {
		rc = -errno;
		goto out;
	}
	rc = hostcfg_write(f, cfg);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc < 0)
		goto out;
	if (pipe2(rep, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	rc = spawn_monitor(hostdir, o, rep[1], &pid);
	if (rc < 0) {
		if (why)
			*why = xasprintf("cannot start testbed-monitor (next to this program): %s",
					 strerror(-rc));
		goto out;
	}
	close(rep[1]);
	rep[1] = -1;
	/* the monitor writes one line: READY BOOT_NS or FAILED WHY... */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		char chunk[4096];
		ssize_t n;
		while ((n = read(rep[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				fwrite(chunk, 1, n, m);
		fclose(m);
		if (!strncmp(buf, "READY ", 6)) {
			rc = 0;
		} else {
			rc = -EIO;
			waitpid(pid, NULL, 0);    /* it ends after a failure report */
			if (why) {
				if (!strncmp(buf, "FAILED ", 7))
					*why = xstrdup(buf + 7);
				else {
					char *tail = guest_log_tail(hostdir, 15);
					*why = xasprintf("the monitor ended without a word\n%s", tail ? tail : "");
					free(tail);
				}
			}
		}
		free(buf);
	}
out:
	if (rep[0] >= 0)
		close(rep[0]);
	if (rep[1] >= 0)
		close(rep[1]);
	free(path);
	free(hostdir);
	return rc;
}

static char *kv_get(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *p = text;
	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return xstrndup(p + kl + 1, strcspn(p + kl + 1, "\n"));
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int guest_status(const char *hostdir, struct guest_status *st)
{
	char *path = xasprintf("%s/state", hostdir), *text = NULL, *v;
	FILE *f = fopen(path, "re");
	size_t len = 0;
	pid_t mon = 0;
	uint64_t mstart = 0;

	free(path);
	memset(st, 0, sizeof(*st));
	st->boot_ns = -1;
	const char *slash = strrchr(hostdir, '/');
	st->name = xstrdup(slash ? slash + 1 : hostdir);
	if (!f) {
		st->state = GUEST_UNKNOWN;
		return errno == ENOENT ? -ENOENT : -errno;
	}
	FILE *m = open_memstream(&text, &len);
	int ch;
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(f);
	fclose(m);
	st->kind = kv_get(text, "kind");
	st->accel = kv_get(text, "accel");
	st->reason = kv_get(text, "reason");
	st->state = GUEST_UNKNOWN;
	if ((v = kv_get(text, "state"))) {
		for (int s = GUEST_BOOTING; s < GUEST_UNKNOWN; s++)
			if (!strcmp(v, guest_state_name(s)))
				st->state = s;
		free(v);
	}
	uint64_t u;
	if ((v = kv_get(text, "attempts"))) {
		if (parse_u64(v, 0, 1000, &u) == 0)
			st->attempts = (int)u;
		free(v);
	}
	if ((v = kv_get(text, "boot_ns"))) {
		if (parse_u64(v, 0, INT64_MAX, &u) == 0)
			st->boot_ns = (int64_t)u;
		free(v);
	}
	if ((v = kv_get(text, "started_wall_ns"))) {
		if (parse_u64(v, 0, INT64_MAX, &u) == 0)
			st->started_wall_ns = (int64_t)u;
		free(v);
	}
	free(text);

	/* processes: the monitor and everything under it */
	pid_vec procs = { 0 };
	int alive = find_monitor(hostdir, &mon, &mstart) && proc_alive(mon, mstart);
	if (alive) {
		VEC_PUSH(procs, mon);
		proc_descendants(mon, &procs);
	}
	if ((st->state == GUEST_READY || st->state == GUEST_BOOTING) && !alive) {
		st->state = GUEST_DEAD;
		if (!st->reason)
			st->reason = xstrdup("its monitor is gone");
	}
	for (size_t i = 0; i < procs.n; i++) {
		/* UML's helper processes share its address space (CLONE_VM):
		 * count each address space once */
		int shared = 0;
		for (size_t j = 0; j < i && !shared; j++)
			shared = syscall(SYS_kcmp, procs.v[i], procs.v[j], KCMP_VM, 0, 0) == 0;
		if (!shared)
			st->pss += proc_pss(procs.v[i]);
		st->cpu_ns += proc_cpu_ns(procs.v[i]);
	}
	st->nprocs = (int)procs.n;
	VEC_FREE(procs);
	return 0;
}

void guest_status_free(struct guest_status *st)
{
	free(st->name);
	free(st->kind);
	free(st->accel);
	free(st->reason);
	memset(st, 0, sizeof(*st));
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= w;
	}
	return 0;
}

int guest_exec(const char *hostdir, char *const argv[], int out_fd, int err_fd, int *status)
{
	struct frame_reader rd = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	fd = connect_ctl(hostdir);
	if (fd < 0)
		return fd;
	FILE *m = open_memstream(&buf, &len);
	for (char *const *a = argv; *a; a++)
		fwrite(*a, 1, strlen(*a) + 1, m);
	fclose(m);
	rc = frame_write(fd, 'C', 0, buf, len);
	free(buf);
	if (rc < 0)
		goto out;
	rc = -EPIPE;
	for (;;) {
		struct frame f;
		long n = frame_read_fd(&rd, fd);
		if (n <= 0) {
			rc = n < 0 ? (int)n : -ECONNRESET;
			break;
		}
		int done = 0;
		while (!done && frame_next(&rd, &f) == 1) {
			if (f.type == 'O')
				(void)!write_all(out_fd, f.data, f.len);
			else if (f.type == 'E')
				(void)!write_all(err_fd, f.data, f.len);
			else if (f.type == 'X') {
				uint64_t v = 255;
				if (!strncmp(f.data, "exit ", 5))
					(void)!parse_u64(f.data + 5, 0, 255, &v);
				else if (!strncmp(f.data, "signal ", 7) && parse_u64(f.data + 7, 0, 127, &v) == 0)
					v += 128;
				*status = (int)v;
				rc = 0;
				done = 1;
			} else if (f.type == 'Z') {
				(void)!write_all(err_fd, f.data, f.len);
				(void)!write_all(err_fd, "\n", 1);
				rc = -EAGAIN;
				done = 1;
			}
		}
		if (done)
			break;
	}
out:
	frame_reader_free(&rd);
	close(fd);
	return rc;
}

int guest_console(const char *hostdir, int in_fd, int out_fd, int detach_key)
{
	struct termios old, raw;
	int fd, rc = 0, tty = isatty(in_fd);

	fd = connect_ctl(hostdir);
	if (fd < 0)
		return fd;
	rc = frame_write(fd, 'A', 0, NULL, 0);
	if (rc < 0)
		goto out;
	if (tty && tcgetattr(in_fd, &old) == 0) {
		raw = old;
		cfmakeraw(&raw);
		tcsetattr(in_fd, TCSANOW, &raw);
	} else {
		tty = 0;
	}
	/* a newline makes the guest's shell print its prompt */
	(void)!write(fd, "\n", 1);
	for (;;) {
		struct pollfd p[2] = { { .fd = in_fd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
		char buf[4096];
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (p[1].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;             /* the guest is gone */
			(void)!write_all(out_fd, buf, n);
		}
		if (p[0].revents) {
			ssize_t n = read(in_fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			char *k = memchr(buf, detach_key, n);
			if (k)
				n = k - buf;
			if (n > 0 && write_all(fd, buf, n) < 0)
				break;
			if (k)
				break;
		}
	}
	if (tty)
		tcsetattr(in_fd, TCSANOW, &old);
out:
	close(fd);
	return rc;
}
