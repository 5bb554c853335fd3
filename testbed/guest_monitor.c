/* guest_monitor — the process that owns one guest (like conmon for a
 * container).
 *
 * It starts the guest (one attempt after another while boots die or hang,
 * up to the retry bound), holds the host ends of the guest's control line
 * and console, writes HOSTDIR/state, the console log and the programs'
 * logs, and serves HOSTDIR/ctl.sock:
 *
 *   client -> monitor   C exec (argv NUL-separated)   A attach the console
 *                       P stop (payload: timeout in ns)
 *   monitor -> client   O/E output   X exit status   Z error (text)
 *
 * After A the connection carries raw console bytes both ways, and the
 * guest is asked (S) to make sure a shell runs on its console: a netns
 * host starts it only then.  Exec ids on the control line are the
 * monitor's own, so many clients can run commands at once.
 *
 * A netns host's NICs are forwarded here too (nicplug.h): the monitor is a
 * process the host has anyway, one more per NIC cost a fork and an exec. */
#include "guest.h"
#include "frame.h"
#include "log.h"
#include "mono.h"
#include "procinfo.h"
#include "spawn.h"
#include "netns.h"
#include "nicplug.h"
#include "units.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct client {
	int fd;
	struct frame_reader rd;
	int console;
	uint32_t exec_id;     /* guest-side id of its running exec, 0: none */
};

struct mon {
	const char *hostdir;
	const struct guest_ops *ops;
	struct guest_ctx g;
	struct hostcfg cfg;
	int listen_fd, sfd, log_fd;
	int ctl, con;             /* host ends; -1 when closed */
	int con_slave;            /* a pty console's slave, held open: see launch() */
	struct frame_reader rd;
	pid_t pid;                /* guest process, 0 when gone */
	int exit_status;
	mono_ns started, deadline;
	int ready, stopping;
	int killed;               /* SIGKILL sent to this attempt; waiting for SIGCHLD */
	char *kill_reason;        /* why (a hang), for the attempt's failure message */
	int64_t boot_ns;
	uint32_t next_id;
	VEC(struct client *) clients;
	VEC(int) prog_fds;
	int report_fd;
	char *config_text;
	int64_t boot_timeout;
	int retries;
};

static void write_state(struct mon *m, const char *state, const char *reason)
{
	char *tmp = xasprintf("%s/state.tmp", m->hostdir);
	char *path = xasprintf("%s/state", m->hostdir);
	FILE *f = fopen(tmp, "we");
	if (f) {
		fprintf(f, "state=%s\nkind=%s\naccel=%s\nattempts=%d\n", state, m->ops->name,
			m->g.accel ? m->g.accel : "-", m->g.attempt);
		if (m->ready)
			fprintf(f, "boot_ns=%lld\n", (long long)m->boot_ns);
		fprintf(f, "started_wall_ns=%lld\n", (long long)(wall_now_ns() - (mono_now() - m->started)));
		if (reason)
			fprintf(f, "reason=%s\n", reason);
		if (fclose(f) == 0)
			rename(tmp, path);
	}
	free(tmp);
	free(path);
}

static void console_log(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void console_log(struct mon *m, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(m->log_fd, buf, n) < 0)
		log_warn("console log: %s", strerror(errno));
}

static void report(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct mon *m, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	if (m->report_fd < 0)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(m->report_fd, buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1) < 0)
		log_warn("report: %s", strerror(errno));
	close(m->report_fd);
	m->report_fd = -1;
}

static void drop_client(struct mon *m, size_t i)
{
	struct client *c = m->clients.v[i];
	if (c->exec_id && m->ctl >= 0)
		(void)!frame_write(m->ctl, 'K', c->exec_id, NULL, 0);
	close(c->fd);
	frame_reader_free(&c->rd);
	free(c);
	m->clients.v[i] = m->clients.v[--m->clients.n];
}

static struct client *client_by_exec(struct mon *m, uint32_t id)
{
	for (size_t i = 0; i < m->clients.n; i++)
		if (m->clients.v[i]->exec_id == id)
			return m->clients.v[i];
	return NULL;
}

static void prog_log(struct mon *m, uint32_t id, const char *data, size_t len)
{
	while (m->prog_fds.n <= id)
		VEC_PUSH(m->prog_fds, -1);
	if (m->prog_fds.v[id] < 0) {
		char *p = xasprintf("%s/prog-%u.log", m->hostdir, id);
		m->prog_fds.v[id] = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		free(p);
	}
	if (m->prog_fds.v[id] >= 0 && write(m->prog_fds.v[id], data, len) < 0)
		log_warn("program log %u: %s", id, strerror(errno));
}

/* Ask the guest for a shell on its console (tbinit starts one if none
 * runs); before READY the control line is not served yet, and READY asks
 * again for the consoles attached meanwhile. */
static void want_shell(struct mon *m)
{
	if (m->ready && m->ctl >= 0 && frame_write(m->ctl, 'S', 0, NULL, 0) < 0)
		console_log(m, "[monitor] cannot ask for a console shell");
}

static void guest_frame(struct mon *m, struct frame *f)
{
	struct client *c;
	switch (f->type) {
	case 'H':
		break;
	case 'G':
		if (frame_write_str(m->ctl, 'F', 0, m->config_text) < 0)
			console_log(m, "[monitor] cannot send the configuration");
		break;
	case 'M':
		console_log(m, "[tbinit] %s", f->data);
		break;
	case 'R':
		if (!m->ready) {
			m->ready = 1;
			m->boot_ns = mono_now() - m->started;
			write_state(m, "ready", NULL);
			console_log(m, "[monitor] READY after %.3f s (%s)", m->boot_ns / 1e9, f->data);
			int rc = m->ops->ready ? m->ops->ready(&m->g, m->pid) : 0;
			if (rc < 0)
				console_log(m, "[monitor] after READY: %s", strerror(-rc));
			report(m, "READY %lld\n", (long long)m->boot_ns);
			for (size_t i = 0; i < m->clients.n; i++)
				if (m->clients.v[i]->console) {
					want_shell(m);
					break;
				}
		}
		break;
	case 'L':
		prog_log(m, f->id, f->data, f->len);
		break;
	case 'O': case 'E': case 'X':
		c = client_by_exec(m, f->id);
		if (c) {
			if (frame_write(c->fd, f->type, 0, f->data, f->len) < 0)
				c->exec_id = 0;
			if (f->type == 'X')
				c->exec_id = 0;
		}
		break;
	default:
		console_log(m, "[monitor] unknown frame '%c' from the guest", f->type);
	}
}

static void client_frame(struct mon *m, struct client *c, struct frame *f)
{
	switch (f->type) {
	case 'C':
		if (!m->ready || m->ctl < 0 || m->stopping) {
			(void)!frame_write_str(c->fd, 'Z', 0, m->stopping ? "the guest is stopping" :
					       m->ready ? "the guest is not running" : "the guest is not ready yet");
			break;
		}
		if (c->exec_id) {
			(void)!frame_write_str(c->fd, 'Z', 0, "one command at a time per connection");
			break;
		}
		c->exec_id = ++m->next_id;
		if (frame_write(m->ctl, 'C', c->exec_id, f->data, f->len) < 0) {
			(void)!frame_write_str(c->fd, 'Z', 0, "cannot write to the control line");
			c->exec_id = 0;
		}
		break;
	case 'A':
		c->console = 1;
		want_shell(m);
		break;
	case 'P': {
		uint64_t t;
		m->stopping = 1;
		if (parse_u64(f->data, 0, INT64_MAX, &t) < 0 || t == 0)
			t = 10 * NS_PER_SEC;
		m->deadline = mono_now() + (int64_t)t;
		if (m->ctl < 0 || frame_write(m->ctl, 'P', 0, NULL, 0) < 0)
			m->deadline = mono_now();
		break;
	}
	default:
		(void)!frame_write_str(c->fd, 'Z', 0, "unknown request");
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* Start one attempt: prepare, wire up, spawn (recorded before it runs). */
static int launch(struct mon *m)
{
	int ctl[2] = { -1, -1 }, con[2] = { -1, -1 }, nul = -1, rc;
	struct guest_launch l = { .netns_fd = -1 };
	struct spawn_child sc;
	char *pts = NULL;

	m->g.attempt++;
	m->ready = 0;
	m->killed = 0;
	frame_reader_free(&m->rd);
	if (m->ops->prepare && (rc = m->ops->prepare(&m->g)) < 0)
		return rc;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
		return -errno;
	if (m->ops->console_pty) {
		con[0] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (con[0] < 0 || grantpt(con[0]) < 0 || unlockpt(con[0]) < 0) {
			rc = -errno;
			goto fail;
		}
		pts = xstrdup(ptsname(con[0]));
		m->g.console_path = pts;
		/* held open so that the master never reads as hung up while no
		 * shell has the console (a netns host's shell starts on first
		 * attach, and is started again after an exit) */
		m->con_slave = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (m->con_slave < 0) {
			rc = -errno;
			goto fail;
		}
	} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = m->ops->launch(&m->g, &l);
	if (rc < 0)
		goto fail;
	VEC_PUSH(l.argv, NULL);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct spawn_fd fds[5] = { { nul, 0 }, { m->log_fd, 1 }, { m->log_fd, 2 }, { ctl[1], 3 } };
	size_t nfds = 4;
	if (!m->ops->console_pty)
		fds[nfds++] = (struct spawn_fd){ con[1], 4 };
	struct spawn_opts so = { .fds = fds, .n_fds = nfds, .netns_fd = l.netns_fd,
				 .new_pgrp = 1, .no_aslr = l.no_aslr };
	console_log(m, "[monitor] attempt %d: %s", m->g.attempt, l.argv.v[0]);
	rc = spawn_start((const char *const *)l.argv.v, &so, &sc);
	if (rc < 0)
		goto fail;
	uint64_t st = 0;
	if (proc_starttime(sc.pid, &st) < 0 ||
	    (rc = guest_record(m->hostdir, "guest %d %llu", (int)sc.pid, (unsigned long long)st)) < 0) {
		spawn_abort(&sc);
		rc = rc < 0 ? rc : -ESRCH;
		goto fail;
	}
	m->started = mono_now();
	rc = spawn_release(&sc);
	if (rc < 0)
		goto fail;
	m->pid = sc.pid;
	m->deadline = m->started + m->boot_timeout;
	rc = 0;
fail:
	for (size_t i = 0; i + 1 < l.argv.n; i++)
		free(l.argv.v[i]);
	VEC_FREE(l.argv);
	if (l.netns_fd >= 0)
		close(l.netns_fd);
	if (nul >= 0)
		close(nul);
	close(ctl[1]);
	if (con[1] >= 0)
		close(con[1]);
	if (rc < 0) {
		close(ctl[0]);
		if (con[0] >= 0)
			close(con[0]);
		if (m->con_slave >= 0)
			close(m->con_slave);
		m->con_slave = -1;
		free(pts);
		m->g.console_path = NULL;
		return rc;
	}
	m->ctl = ctl[0];
	m->con = con[0];
	fcntl(m->ctl, F_SETFL, O_NONBLOCK);
	fcntl(m->con, F_SETFL, O_NONBLOCK);
	return 0;
}

/* The guest process is gone (or must go): kill what is left of the attempt
 * and undo the kind's preparations. */
static void end_attempt(struct mon *m)
{
	if (m->pid > 0) {
		kill(-m->pid, SIGKILL);
		waitpid(m->pid, NULL, 0);
	} else if (m->pid < 0) {
		kill(m->pid, SIGKILL);   /* the group of an already reaped leader */
	}
	m->pid = 0;
	if (m->ops->cleanup)
		m->ops->cleanup(&m->g);
	if (m->ctl >= 0)
		close(m->ctl);
	if (m->con >= 0)
		close(m->con);
	if (m->con_slave >= 0)
		close(m->con_slave);
	m->ctl = m->con = m->con_slave = -1;
	free((char *)m->g.console_path);
	m->g.console_path = NULL;
}

static char *status_text(int st)
{
	if (WIFSIGNALED(st))
		return xasprintf("killed by signal %d", WTERMSIG(st));
	return xasprintf("exited with status %d", WEXITSTATUS(st));
}

static void relay_console(struct mon *m)
{
	char buf[4096];
	ssize_t n = read(m->con, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(m->con);
			m->con = -1;
		}
		return;
	}
	if (write(m->log_fd, buf, n) < 0)
		log_warn("console log: %s", strerror(errno));
	for (size_t i = 0; i < m->clients.n; i++)
		if (m->clients.v[i]->console && write(m->clients.v[i]->fd, buf, n) < 0)
			m->clients.v[i]->console = 0;
}

/* Returns 1 when the monitor should exit. */
static int on_guest_exit(struct mon *m, int st)
{
	char *why = status_text(st);
	m->pid = -m->pid;   /* reaped: only the group may be left */
	if (m->stopping) {
		console_log(m, "[monitor] guest stopped (%s)", why);
		end_attempt(m);
		write_state(m, "stopped", why);
		free(why);
		return 1;
	}
	if (m->ready) {
		console_log(m, "[monitor] guest died: %s", why);
		end_attempt(m);
		write_state(m, "dead", why);
		free(why);
		return 1;
	}
	char *reason = m->kill_reason ? xstrdup(m->kill_reason) : xasprintf("%s before READY", why);
	free(why);
	free(m->kill_reason);
	m->kill_reason = NULL;
	console_log(m, "[monitor] attempt %d failed: %s", m->g.attempt, reason);
	end_attempt(m);
	const char *changed = m->ops->failed ? m->ops->failed(&m->g) : NULL;
	if (changed)
		console_log(m, "[monitor] %s", changed);
	if (m->g.attempt <= m->retries) {
		int rc = launch(m);
		if (rc == 0) {
			write_state(m, "booting", reason);
			free(reason);
			return 0;
		}
		free(reason);
		reason = xasprintf("cannot start: %s", strerror(-rc));
	}
	write_state(m, "failed", reason);
	char *tail = guest_log_tail(m->hostdir, 15);
	report(m, "FAILED %s after %d attempt%s\n%s", reason, m->g.attempt,
	       m->g.attempt > 1 ? "s" : "", tail ? tail : "");
	free(tail);
	free(reason);
	return 1;
}

int guest_monitor_run(const char *hostdir, const struct guest_start_opts *o, int report_fd)
{
	struct mon mm = { .hostdir = hostdir, .listen_fd = -1, .ctl = -1, .con = -1,
			  .con_slave = -1, .report_fd = report_fd };
	struct mon *m = &mm;
	char *err = NULL, *path;
	sigset_t mask;
	int rc, done = 0;

	path = xasprintf("%s/config", hostdir);
	if ((rc = hostcfg_load(path, &m->cfg, &err)) < 0) {
		report(m, "FAILED bad configuration %s: %s\n", path, err ? err : strerror(-rc));
		return 1;
	}
	{
		FILE *f = fopen(path, "re");
		size_t len = 0;
		FILE *s = open_memstream(&m->config_text, &len);
		int ch;
		while (f && (ch = fgetc(f)) != EOF)
			fputc(ch, s);
		if (f)
			fclose(f);
		fclose(s);
	}
	free(path);
	m->ops = guest_ops_find(m->cfg.kind ? m->cfg.kind : "uml");
	if (!m->ops) {
		report(m, "FAILED unknown kind %s\n", m->cfg.kind);
		return 1;
	}
	m->g.hostdir = hostdir;
	m->g.images = o->images ? o->images : guest_images_dir();
	m->g.cfg = &m->cfg;
	m->g.mem = m->cfg.mem ? m->cfg.mem : m->ops->default_mem;
	m->boot_timeout = o->boot_timeout_ns > 0 ? o->boot_timeout_ns : m->ops->boot_timeout_ns;
	m->retries = o->retries < 0 ? 2 : o->retries;

	path = xasprintf("%s/console.log", hostdir);
	m->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	free(path);
	path = xasprintf("%s/ctl.sock", hostdir);
	m->listen_fd = listen_on(path);
	free(path);
	if (m->log_fd < 0 || m->listen_fd < 0) {
		report(m, "FAILED cannot create the console log or control socket in %s\n", hostdir);
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	m->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	m->started = mono_now();
	write_state(m, "booting", NULL);
	rc = launch(m);
	if (rc < 0) {
		write_state(m, "failed", strerror(-rc));
		report(m, "FAILED cannot start the guest: %s\n", strerror(-rc));
		end_attempt(m);
		return 1;
	}

	while (!done) {
		VEC(struct pollfd) p = { 0 };
		mono_ns now = mono_now();
		int tmo = -1;
		if (!m->ready || m->stopping) {
			int64_t left = (m->deadline - now) / NS_PER_MS + 1;
			tmo = left < 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
		}
		VEC_PUSH(p, ((struct pollfd){ .fd = m->sfd, .events = POLLIN }));
		VEC_PUSH(p, ((struct pollfd){ .fd = m->listen_fd, .events = POLLIN }));
		VEC_PUSH(p, ((struct pollfd){ .fd = m->ctl, .events = POLLIN }));
		VEC_PUSH(p, ((struct pollfd){ .fd = m->con, .events = POLLIN }));
		for (size_t i = 0; i < m->clients.n; i++)
			VEC_PUSH(p, ((struct pollfd){ .fd = m->clients.v[i]->fd, .events = POLLIN }));
		size_t nclients = m->clients.n, plug0 = p.n;
		for (size_t i = 0; i < m->g.n_plugs; i++) {
			int fds[NICPLUG_SIDES];
			nicplug_fds(m->g.plugs[i], fds);
			for (int s = 0; s < NICPLUG_SIDES; s++)
				VEC_PUSH(p, ((struct pollfd){ .fd = fds[s], .events = POLLIN }));
		}
		size_t nplugs = m->g.n_plugs;
		int n = poll(p.v, p.n, tmo);
		now = mono_now();
		/* the NICs first: frames should not wait behind the rest */
		for (size_t i = 0; n > 0 && i < nplugs; i++)
			for (int s = 0; s < NICPLUG_SIDES; s++)
				if (p.v[plug0 + i * NICPLUG_SIDES + s].revents &&
				    nicplug_forward(m->g.plugs[i], s) == -ENOTCONN)
					console_log(m, "[monitor] %s: the switch closed its port; the NIC carries "
						    "nothing more", nicplug_dev(m->g.plugs[i]));
		if (n > 0 && (p.v[2].revents & (POLLIN | POLLHUP | POLLERR)) && m->ctl >= 0) {
			long r = frame_read_fd(&m->rd, m->ctl);
			struct frame f;
			uint64_t skipped = m->rd.skipped;
			while (frame_next(&m->rd, &f) == 1)
				guest_frame(m, &f);
			if (m->rd.skipped != skipped)
				console_log(m, "[monitor] %llu bytes of noise on the control line",
					    (unsigned long long)(m->rd.skipped - skipped));
			if (r == 0 || (r < 0 && r != -EAGAIN)) {
				close(m->ctl);
				m->ctl = -1;
			}
		}
		if (n > 0 && (p.v[3].revents & (POLLIN | POLLHUP | POLLERR)) && m->con >= 0)
			relay_console(m);
		for (size_t i = nclients; n > 0 && i-- > 0;) {
			short re = p.v[4 + i].revents;
			struct client *c = m->clients.v[i];
			if (!re)
				continue;
			if (c->console) {
				char buf[4096];
				ssize_t r = read(c->fd, buf, sizeof(buf));
				if (r <= 0) {
					drop_client(m, i);
				} else if (m->con >= 0 && write(m->con, buf, r) < 0) {
					log_warn("console write: %s", strerror(errno));
				}
				continue;
			}
			long r = frame_read_fd(&c->rd, c->fd);
			struct frame f;
			while (!c->console && frame_next(&c->rd, &f) == 1)
				client_frame(m, c, &f);
			if (c->console && c->rd.off < c->rd.len && m->con >= 0)
				(void)!write(m->con, c->rd.buf + c->rd.off, c->rd.len - c->rd.off);
			if (r == 0 || (r < 0 && r != -EAGAIN))
				drop_client(m, i);
		}
		if (n > 0 && (p.v[1].revents & POLLIN)) {
			int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				struct client *c = xcalloc(1, sizeof(*c));
				c->fd = fd;
				VEC_PUSH(m->clients, c);
			}
		}
		if (n > 0 && (p.v[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(m->sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo != SIGCHLD && !m->stopping) {
					m->stopping = 1;
					m->deadline = now + 10 * NS_PER_SEC;
					if (m->ctl < 0 || frame_write(m->ctl, 'P', 0, NULL, 0) < 0)
						m->deadline = now;
				}
			}
			int st;
			pid_t w;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0)
				if (w == m->pid && on_guest_exit(m, st))
					done = 1;
		}
		VEC_FREE(p);
		if (done)
			break;
		if (m->pid > 0 && !m->killed && m->stopping && now >= m->deadline) {
			console_log(m, "[monitor] no clean halt in time: killing the guest");
			kill(-m->pid, SIGKILL);
			m->killed = 1;
		} else if (m->pid > 0 && !m->killed && !m->ready && !m->stopping && now >= m->deadline) {
			/* a deadline under a second (tests) in ms, not "0.0 s" */
			m->kill_reason = m->boot_timeout < 1000000000LL
				? xasprintf("no READY within %lld ms (hung)", (long long)(m->boot_timeout / 1000000))
				: xasprintf("no READY within %.1f s (hung)", m->boot_timeout / 1e9);
			console_log(m, "[monitor] %s: killing the guest", m->kill_reason);
			kill(-m->pid, SIGKILL);
			m->killed = 1;
			/* SIGCHLD follows and counts the attempt as failed */
		}
		if (m->killed)
			m->deadline = now + NS_PER_SEC;   /* poll again soon, not at once */
	}
	for (size_t i = m->clients.n; i-- > 0;) {
		if (m->clients.v[i]->exec_id)
			(void)!frame_write_str(m->clients.v[i]->fd, 'Z', 0, "the guest is gone");
		drop_client(m, i);
	}
	path = xasprintf("%s/ctl.sock", hostdir);
	unlink(path);
	free(path);
	return 0;
}
