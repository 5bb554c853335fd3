/* tbinit — the init of every testbed guest (and the supervisor of a netns
 * host).
 *
 * Owns, inside the guest: mounting the pseudo file systems, loading the
 * kernel modules the image lists, the hostname, the network (interfaces up,
 * IPv4/IPv6 addresses, routes, forwarding), the run= programs (restarted
 * with back-off when they die, their output sent to the host), the READY
 * signal, exec requests and power-off.  It talks to the host only over the
 * control line (frames of lib/frame.h), never over the experiment network:
 *
 *   guest -> host   H hello   M tbinit message   R ready   F? (none)
 *                   L program output (id = program index)
 *                   O/E exec stdout/stderr   X exec exit status
 *                   G config request
 *   host -> guest   F config text   C exec (argv, NUL-separated)
 *                   K kill an exec   P power off
 *                   S a console is attached: start the console shell if
 *                     none runs (a netns host starts it only then)
 *
 * As PID 1 (UML, QEMU) it reads tb.* words from the kernel command line:
 *   tb.ctl=DEV   control line device (UML ssl0 /dev/ttyS0, QEMU virtio /dev/hvc0)
 *   tb.con=DEV   console device
 *   tb.cfg=PATH  config file (UML: on the hostfs-mounted host dir)
 *   tb.hostdir=PATH  host directory to mount with hostfs at /host
 * Without tb.cfg the config is requested over the control line (QEMU).
 * As a netns supervisor: tbinit --netns --config PATH --ctl-fd N --console-fd N. */
#include "frame.h"
#include "hostcfg.h"
#include "nl.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <linux/if_link.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>

enum child_kind { CH_PROG, CH_EXEC, CH_SHELL };

struct child {
	enum child_kind kind;
	uint32_t id;          /* program index or exec id */
	pid_t pid;            /* 0: not running */
	int out, err;         /* pipes, -1 when closed */
	int status;           /* wait status once reaped */
	int reaped;
	char **argv;          /* programs: for restarts */
	int64_t started, next_start;  /* ns, CLOCK_MONOTONIC */
	unsigned restarts;
};

static int pid1;
static int ctl = -1;
static const char *console_dev;
static int console_fd = -1;
static VEC(struct child *) children;
static struct hostcfg cfg;
static int powering_off;

/* CLOCK_BOOTTIME: the guest's uptime, the clock of the boot phases */
static int64_t uptime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* tbinit's own messages go to the host (M frames) and, before the control
 * line is open, to the console. */
static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ctl >= 0 && frame_write_str(ctl, 'M', 0, buf) == 0)
		return;
	fprintf(stderr, "tbinit: %s\n", buf);
}

static void do_mounts(void)
{
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	/* No uevent helper (the kernel's default is /sbin/hotplug, which the
	 * image lacks): the kernel would still start a process for every
	 * device, module and mount from now on, and in UML a process is a
	 * host process.  A lone newline writes the empty string. */
	int hp = open("/proc/sys/kernel/hotplug", O_WRONLY | O_CLOEXEC);
	if (hp >= 0) {
		if (write(hp, "\n", 1) < 0)
			fprintf(stderr, "tbinit: clearing the uevent helper: %s\n", strerror(errno));
		close(hp);
	}
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");  /* EBUSY if the kernel did */
	mkdir("/dev/pts", 0755);
	mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666");
	/* the root is shared read-only by every guest: all writes go to
	 * this guest's own memory */
	mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	mount("tmpfs", "/var", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	mkdir("/var/log", 0755);
	mkdir("/var/tmp", 01777);
}

/* Modules listed in /lib/modules/RELEASE/tbinit.list, in load order (the
 * image build resolves dependencies). */
static void load_modules(void)
{
	struct utsname u;
	char path[1024], line[256];
	FILE *f;

	if (uname(&u) < 0)
		return;
	snprintf(path, sizeof(path), "/lib/modules/%s/tbinit.list", u.release);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0])
			continue;
		snprintf(path, sizeof(path), "/lib/modules/%s/%s", u.release, line);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			msg("module %s: %s", line, strerror(errno));
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
			msg("module %s: %s", line, strerror(errno));
		close(fd);
	}
	fclose(f);
}

static char *cmdline_arg(const char *cmdline, const char *key)
{
	size_t kl = strlen(key);
	const char *p = cmdline;
	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			const char *v = p + kl + 1;
			return xstrndup(v, strcspn(v, " \n"));
		}
		p = strchr(p, ' ');
	}
	return NULL;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void write_sysctl(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, v, strlen(v)) < 0)
		msg("%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void set_raw(int fd)
{
	struct termios t;
	if (tcgetattr(fd, &t) < 0)
		return;      /* a socketpair (netns): nothing to do */
	cfmakeraw(&t);
	tcsetattr(fd, TCSANOW, &t);
}

/* Interfaces appear when their driver is up (virtio_net is a module; a
 * netns host's TAP is made by the host just before): wait a little. */
static int wait_ifindex(struct nl_sock *sk, const char *dev)
{
	int64_t deadline = now_ns() + 10 * 1000000000LL;
	int idx;
	while ((idx = tbnl_ifindex(sk, dev)) < 0 && now_ns() < deadline)
		usleep(20000);
	return idx;
}

/* addr_gen_mode "none" on DEV, through netlink (IFLA_INET6_ADDR_GEN_MODE)
 * before it is up.  A netns host does not go through /proc/sys: every
 * namespace adds its own dentries of the same names there (conf/eth0, ...),
 * all in one hash chain, so each lookup walked one per namespace: O(N^2)
 * for N hosts.  A guest with a kernel of its own writes its /proc/sys.
 * 0 or a negative libnl error. */
static int link_no_link_local(struct nl_sock *sk, const char *dev)
{
	struct rtnl_link *link = NULL, *change = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, dev, &link);
	if (rc < 0)
		return rc;
	change = rtnl_link_alloc();
	rc = change ? rtnl_link_inet6_set_addr_gen_mode(change, IN6_ADDR_GEN_MODE_NONE) : -NLE_NOMEM;
	if (rc == 0)
		rc = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return rc;
}

/* A NIC's transmit queue, in frames.  A netns host's NIC is a TAP: the
 * kernel hands the TAP's frames to the plug that reads them and counts
 * them sent, so TCP's own limit on queued bytes does not hold there, and
 * a full queue (the kernel's 1,000 frames) drops what TCP sent.  TCP
 * through a 10 ms link lost thousands of frames per run there while the
 * plug was not scheduled (docs/benchmarks.md, scene N). */
#define NIC_TXQLEN 4096

/* A guest's receive backlog, in frames.  A UML or QEMU guest reads its
 * NICs' deep sockets (guest_deepen_nic_sockets) in bursts and queues
 * each burst for its network stack at once; with the kernel's 1,000 the
 * receiving guest of scene U dropped 208 frames of one TCP run
 * (softnet_stat, docs/benchmarks.md).  Not in netns hosts: there the
 * setting is the machine's. */
#define GUEST_RX_BACKLOG "4096"

static int setup_network(void)
{
	struct nl_sock *sk;
	int rc, bad = 0;

	rc = tbnl_open(&sk);
	if (rc < 0) {
		msg("netlink: %s", strerror(-rc));
		return rc;
	}
	if ((rc = tbnl_link_up(sk, "lo", 0)) < 0)
		msg("lo up: %s", strerror(-rc)), bad = 1;
	if (pid1)
		write_sysctl("/proc/sys/net/core/netdev_max_backlog", GUEST_RX_BACKLOG);
	/* A host with no IPv6 address gets no IPv6 link-local address either:
	 * otherwise each interface sends DAD, MLD and router solicitations,
	 * which the switch floods to every port, N^2 frames for N hosts on a
	 * segment, each one a wake-up of every UML guest (guest_netns.c does
	 * the same for netns hosts). */
	int v6 = 0;
	for (size_t i = 0; i < cfg.addrs.n; i++)
		v6 |= strchr(cfg.addrs.v[i].cidr, ':') != NULL;
	for (size_t i = 0; i < cfg.nics.n; i++) {
		const char *dev = cfg.nics.v[i].dev;
		if (wait_ifindex(sk, dev) < 0) {
			msg("%s: no such interface", dev);
			bad = 1;
			continue;
		}
		if (!v6 && !pid1) {
			if ((rc = link_no_link_local(sk, dev)) < 0)
				msg("%s: cannot turn its IPv6 link-local address off: %s", dev, nl_geterror(rc));
		} else if (!v6) {
			char agm[128];
			snprintf(agm, sizeof(agm), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", dev);
			if (access(agm, W_OK) == 0)
				write_sysctl(agm, "1");
		}
		if ((rc = tbnl_link_up(sk, dev, NIC_TXQLEN)) < 0)
			msg("%s up: %s", dev, strerror(-rc)), bad = 1;
	}
	for (size_t i = 0; i < cfg.addrs.n; i++)
		if ((rc = tbnl_addr_add(sk, cfg.addrs.v[i].dev, cfg.addrs.v[i].cidr)) < 0 && rc != -EEXIST)
			msg("address %s on %s: %s", cfg.addrs.v[i].cidr, cfg.addrs.v[i].dev,
			    strerror(-rc)), bad = 1;
	for (size_t i = 0; i < cfg.routes.n; i++)
		if ((rc = tbnl_route_add(sk, cfg.routes.v[i].dest, cfg.routes.v[i].gw)) < 0 && rc != -EEXIST)
			msg("route %s via %s: %s", cfg.routes.v[i].dest, cfg.routes.v[i].gw,
			    strerror(-rc)), bad = 1;
	if (cfg.forward) {
		write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
		write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1");
	}
	tbnl_close(sk);
	return bad ? -EIO : 0;
}

static char *child_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/", "TERM=vt100", NULL
};

/* A netns host runs the machine's programs, and first the agents of the
 * image it was started from (IMAGES/root/usr/local/bin, next to our own
 * IMAGES/root/sbin/tbinit), as a guest of the other kinds would. */
static void netns_path(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash || slash - self < 5 || strncmp(slash - 5, "/sbin", 5))
		return;
	slash[-5] = '\0';
	const char *path = getenv("PATH");
	static char buf[8192];
	snprintf(buf, sizeof(buf), "PATH=%s/usr/local/bin:%s", self,
		 path && *path ? path : child_env[0] + 5);
	child_env[0] = buf;
	setenv("PATH", buf + 5, 1);   /* execvpe searches our own PATH */
}

/* Fork a child with stdout/stderr on pipes (or on the console for the
 * shell).  Returns the pid or -errno. */
static pid_t start_child(struct child *c, char *const argv[])
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	pid_t pid;

	if (c->kind != CH_SHELL && (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		if (c->kind == CH_SHELL) {
			int fd = open(console_dev, O_RDWR);
			if (fd < 0)
				_exit(127);
			ioctl(fd, TIOCSCTTY, 1);
			dup2(fd, 0); dup2(fd, 1); dup2(fd, 2);
			if (fd > 2)
				close(fd);
		} else {
			int nul = open("/dev/null", O_RDONLY);
			dup2(nul >= 0 ? nul : 0, 0);
			dup2(out[1], 1);
			dup2(err[1], 2);
		}
		if (chdir("/") < 0)
			_exit(127);
		execvpe(argv[0], argv, child_env);
		fprintf(stderr, "tbinit: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (c->kind != CH_SHELL) {
		close(out[1]);
		close(err[1]);
		c->out = out[0];
		c->err = err[0];
	} else {
		c->out = c->err = -1;
	}
	c->pid = pid;
	c->reaped = 0;
	c->started = now_ns();
	return pid;
}

static struct child *new_child(enum child_kind kind, uint32_t id)
{
	struct child *c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	c->id = id;
	c->out = c->err = -1;
	VEC_PUSH(children, c);
	return c;
}

#define FW_CFG_DATA "/sys/firmware/qemu_fw_cfg/by_name/opt/testbed/data/raw"

/* A UML guest sees the run's data directory (${data}) at /data, through
 * hostfs, writable: programs read their keys there and write results.  A
 * QEMU guest gets a copy, a cpio archive made after the experiment's
 * prepare step and passed with -fw_cfg, unpacked into /data (its root is
 * the initramfs: writable, in its own memory); what it writes there stays
 * in the guest. */
static void mount_data(void)
{
	if (!pid1 || !cfg.data || !cfg.kind)
		return;
	mkdir("/data", 0755);
	if (!strcmp(cfg.kind, "uml")) {
		if (mount("none", "/data", "hostfs", 0, cfg.data) < 0)
			msg("mount hostfs %s at /data: %s", cfg.data, strerror(errno));
		return;
	}
	int in = open(FW_CFG_DATA, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;     /* no data for this guest */
	pid_t pid = fork();
	if (pid == 0) {
		char *const argv[] = { "cpio", "-i", "-d", "-m", "-u", NULL };
		if (dup2(in, 0) < 0 || chdir("/data") < 0)
			_exit(127);
		execvpe(argv[0], argv, child_env);
		_exit(127);
	}
	close(in);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		msg("unpacking the data archive into /data failed (status %d)", st);
}

static void start_programs(void)
{
	for (size_t i = 0; i < cfg.runs.n; i++) {
		struct child *c = new_child(CH_PROG, (uint32_t)i);
		if (hostcfg_split_argv(cfg.runs.v[i], &c->argv) < 0)
			continue;   /* hostcfg_parse already checked it */
		pid_t pid = start_child(c, c->argv);
		if (pid < 0)
			msg("run %s: %s", cfg.runs.v[i], strerror(-pid));
		else
			msg("started program %zu (pid %d): %s", i, pid, cfg.runs.v[i]);
	}
}

static void start_shell(void)
{
	static char *sh[] = { "/bin/sh", NULL };
	struct child *c = NULL;
	if (!console_dev)
		return;
	for (size_t i = 0; i < children.n; i++)
		if (children.v[i]->kind == CH_SHELL)
			c = children.v[i];
	if (!c)
		c = new_child(CH_SHELL, 0);
	if (!c->argv)
		c->argv = sh;
	start_child(c, c->argv);
}

/* S from the host.  A netns host has no shell until then: most of a
 * thousand hosts never get a console, and a shell each was one fork and
 * exec per host at boot (docs/boot-storm.md).  Guests of the other kinds
 * started theirs at boot. */
static void ensure_shell(void)
{
	for (size_t i = 0; i < children.n; i++)
		if (children.v[i]->kind == CH_SHELL &&
		    (children.v[i]->pid > 0 || children.v[i]->next_start))
			return;     /* running, or restarting after an exit */
	start_shell();
}

static void handle_exec(uint32_t id, const char *data, size_t len)
{
	VEC(char *) av = { 0 };
	size_t i = 0;
	while (i < len) {
		size_t n = strnlen(data + i, len - i);
		VEC_PUSH(av, xstrndup(data + i, n));
		i += n + 1;
	}
	if (av.n == 0) {
		if (frame_write_str(ctl, 'E', id, "tbinit: empty command\n") < 0 ||
		    frame_write_str(ctl, 'X', id, "exit 127") < 0)
			msg("control line write failed");
		free(av.v);
		return;
	}
	VEC_PUSH(av, NULL);
	struct child *c = new_child(CH_EXEC, id);
	c->argv = av.v;
	pid_t pid = start_child(c, c->argv);
	if (pid < 0) {
		char buf[128];
		snprintf(buf, sizeof(buf), "tbinit: %s\n", strerror(-pid));
		if (frame_write_str(ctl, 'E', id, buf) < 0 || frame_write_str(ctl, 'X', id, "exit 127") < 0)
			msg("control line write failed");
		c->reaped = 1;
		c->status = 127 << 8;
	}
}

static void terminate_all(void)
{
	/* an interactive shell ignores SIGTERM but leaves when its terminal
	 * hangs up: without SIGHUP every power-off would wait out the deadline */
	for (size_t i = 0; i < children.n; i++)
		if (children.v[i]->pid > 0 && !children.v[i]->reaped)
			kill(-children.v[i]->pid, children.v[i]->kind == CH_SHELL ? SIGHUP : SIGTERM);
	int64_t deadline = now_ns() + 3 * 1000000000LL;
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);
		if (p < 0 && errno == ECHILD)
			break;
		if (now_ns() > deadline) {
			for (size_t i = 0; i < children.n; i++)
				if (children.v[i]->pid > 0)
					kill(-children.v[i]->pid, SIGKILL);
			if (!pid1)
				kill(0, SIGKILL) ;
			break;
		}
		if (p <= 0)
			usleep(20000);
	}
}

static void power_off(void)
{
	powering_off = 1;
	msg("powering off");
	terminate_all();
	sync();
	if (pid1) {
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	exit(0);
}

static int load_config(const char *cfgpath, struct frame_reader *rd)
{
	char *text = NULL, *err = NULL;
	int rc;

	if (cfgpath) {
		text = read_file(cfgpath);
		if (!text) {
			msg("cannot read config %s: %s", cfgpath, strerror(errno));
			return -errno;
		}
	} else {
		/* ask the host over the control line and wait for the answer */
		if (frame_write_str(ctl, 'G', 0, "config") < 0)
			return -EIO;
		struct frame f;
		while (!text) {
			while (frame_next(rd, &f) == 1)
				if (f.type == 'F') {
					text = xstrndup(f.data, f.len);
					break;
				}
			if (text)
				break;
			long n = frame_read_fd(rd, ctl);
			if (n < 0 && n != -EAGAIN)
				return (int)n;
			if (n == 0)
				return -EPIPE;
		}
	}
	rc = hostcfg_parse(text, &cfg, &err);
	if (rc < 0)
		msg("config: %s", err);
	free(err);
	free(text);
	return rc;
}

static void child_exited(struct child *c)
{
	char buf[64];
	int st = c->status;
	if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "signal %d", WTERMSIG(st));
	else
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(st));
	if (c->kind == CH_EXEC) {
		if (frame_write_str(ctl, 'X', c->id, buf) < 0)
			msg("control line write failed");
	} else if (c->kind == CH_PROG && !powering_off && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		/* exit 0: the program finished its work (an experiment's center
		 * after its last round); only a failure is restarted */
		msg("program %u (pid %d) finished (exit 0); not restarted", c->id, c->pid);
		c->pid = 0;
	} else if (c->kind == CH_PROG && !powering_off) {
		int64_t ran = now_ns() - c->started;
		if (ran > 30 * 1000000000LL)
			c->restarts = 0;
		int64_t delay = 1000000000LL << (c->restarts < 5 ? c->restarts : 5);
		if (delay > 30 * 1000000000LL)
			delay = 30 * 1000000000LL;
		c->restarts++;
		c->next_start = now_ns() + delay;
		msg("program %u (pid %d) ended (%s); restart in %lld ms", c->id, c->pid, buf,
		    (long long)(delay / 1000000));
		c->pid = 0;
	} else if (c->kind == CH_SHELL && !powering_off) {
		c->pid = 0;
		c->next_start = now_ns() + 1000000000LL;
	}
}

/* A child is finished when reaped and both pipes are at EOF. */
static int child_done(struct child *c)
{
	return c->reaped && c->out < 0 && c->err < 0;
}

static void drain(struct child *c, int *fdp, char type)
{
	char buf[8192];
	ssize_t n = read(*fdp, buf, sizeof(buf));
	if (n > 0) {
		char t = c->kind == CH_PROG ? 'L' : type;
		if (c->kind == CH_PROG && type == 'E')
			t = 'L';
		if (frame_write(ctl, t, c->id, buf, n) < 0)
			msg("control line write failed");
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fdp);
	*fdp = -1;
}

static void loop(struct frame_reader *rd)
{
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	for (;;) {
		VEC(struct pollfd) p = { 0 };
		VEC(struct child *) who = { 0 };
		VEC(char) what = { 0 };
		int64_t now = now_ns(), wake = -1;

		VEC_PUSH(p, ((struct pollfd){ .fd = ctl, .events = POLLIN }));
		VEC_PUSH(p, ((struct pollfd){ .fd = sfd, .events = POLLIN }));
		for (size_t i = 0; i < children.n; i++) {
			struct child *c = children.v[i];
			if (c->out >= 0) {
				VEC_PUSH(p, ((struct pollfd){ .fd = c->out, .events = POLLIN }));
				VEC_PUSH(who, c);
				VEC_PUSH(what, 'O');
			}
			if (c->err >= 0) {
				VEC_PUSH(p, ((struct pollfd){ .fd = c->err, .events = POLLIN }));
				VEC_PUSH(who, c);
				VEC_PUSH(what, 'E');
			}
			if ((c->kind == CH_PROG || c->kind == CH_SHELL) && c->pid == 0 && c->next_start &&
			    c->out < 0 && c->err < 0) {
				if (c->next_start <= now) {
					c->next_start = 0;
					pid_t pid = start_child(c, c->argv);
					if (pid > 0 && c->kind == CH_PROG)
						msg("restarted program %u (pid %d)", c->id, pid);
				} else {
					int64_t ms = (c->next_start - now) / 1000000 + 1;
					if (wake < 0 || ms < wake)
						wake = ms;
				}
			}
		}
		int n = poll(p.v, p.n, wake < 0 ? -1 : (int)wake);
		if (n < 0 && errno != EINTR)
			msg("poll: %s", strerror(errno));
		if (n > 0 && (p.v[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			long r = frame_read_fd(rd, ctl);
			if (r == 0 || (r < 0 && r != -EAGAIN)) {
				/* the host is gone: a netns supervisor stops with it */
				if (!pid1)
					power_off();
				usleep(100000);  /* a serial line may report hangup until reopened */
			}
			struct frame f;
			uint64_t skipped = rd->skipped;
			while (frame_next(rd, &f) == 1) {
				if (f.type == 'C')
					handle_exec(f.id, f.data, f.len);
				else if (f.type == 'K') {
					for (size_t i = 0; i < children.n; i++)
						if (children.v[i]->kind == CH_EXEC && children.v[i]->id == f.id &&
						    children.v[i]->pid > 0 && !children.v[i]->reaped)
							kill(-children.v[i]->pid, SIGKILL);
				} else if (f.type == 'P')
					power_off();
				else if (f.type == 'S')
					ensure_shell();
			}
			if (rd->skipped != skipped)
				msg("%llu bytes of noise on the control line",
				    (unsigned long long)(rd->skipped - skipped));
		}
		if (n > 0 && (p.v[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
					power_off();
			int st;
			pid_t pid;
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
				for (size_t i = 0; i < children.n; i++)
					if (children.v[i]->pid == pid && !children.v[i]->reaped) {
						children.v[i]->reaped = 1;
						children.v[i]->status = st;
						if (children.v[i]->kind != CH_EXEC)
							children.v[i]->reaped = 0, child_exited(children.v[i]);
					}
		}
		for (size_t i = 2; n > 0 && i < p.n; i++)
			if (p.v[i].revents) {
				struct child *c = who.v[i - 2];
				drain(c, what.v[i - 2] == 'O' ? &c->out : &c->err, what.v[i - 2]);
			}
		/* report finished execs (all output sent first) and forget them */
		for (size_t i = 0; i < children.n;) {
			struct child *c = children.v[i];
			if (c->kind == CH_EXEC && child_done(c)) {
				child_exited(c);
				hostcfg_free_argv(c->argv);
				free(c);
				children.v[i] = children.v[--children.n];
				continue;
			}
			i++;
		}
		VEC_FREE(p);
		VEC_FREE(who);
		VEC_FREE(what);
	}
}

static int parse_fd(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

int main(int argc, char **argv)
{
	char *cfgpath = NULL, *ctldev = NULL, *hostdir = NULL;
	struct frame_reader rd = { 0 };
	sigset_t mask;
	int rc;

	/* where a boot's time goes, reported with READY (docs/guests.md) */
	int64_t t_init = uptime_ns(), t_modules = t_init, t_config, t_net;

	pid1 = getpid() == 1;
	/* execvpe searches the caller's PATH, and PID 1 has none */
	setenv("PATH", child_env[0] + 5, 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (pid1) {
		do_mounts();
		char *cl = read_file("/proc/cmdline");
		ctldev = cmdline_arg(cl, "tb.ctl");
		cfgpath = cmdline_arg(cl, "tb.cfg");
		hostdir = cmdline_arg(cl, "tb.hostdir");
		char *con = cmdline_arg(cl, "tb.con");
		console_dev = con ? con : "/dev/console";
		free(cl);
		load_modules();
		t_modules = uptime_ns();
		if (hostdir) {
			mkdir("/host", 0755);
			if (mount("none", "/host", "hostfs", 0, hostdir) < 0)
				fprintf(stderr, "tbinit: mount hostfs %s: %s\n", hostdir, strerror(errno));
		}
		/* a virtio console appears once its module has probed */
		int64_t until = now_ns() + 10 * 1000000000LL;
		while ((ctl = open(ctldev ? ctldev : "/dev/ttyS0", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 &&
		       (errno == ENOENT || errno == ENODEV || errno == ENXIO) && now_ns() < until)
			usleep(10000);
		if (ctl < 0) {
			fprintf(stderr, "tbinit: cannot open control line %s: %s\n",
				ctldev ? ctldev : "/dev/ttyS0", strerror(errno));
			reboot(RB_POWER_OFF);
			return 1;
		}
	} else {
		/* netns supervisor: tbinit --netns --config PATH --ctl-fd N [--console-fd N] */
		netns_path();
		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--netns"))
				continue;
			if (i + 1 >= argc) {
				fprintf(stderr, "tbinit: %s needs a value\n", argv[i]);
				return 2;
			}
			if (!strcmp(argv[i], "--config"))
				cfgpath = argv[++i];
			else if (!strcmp(argv[i], "--ctl-fd"))
				ctl = parse_fd(argv[++i]);
			else if (!strcmp(argv[i], "--console")) {
				console_dev = argv[++i];
			} else {
				fprintf(stderr, "tbinit: unknown option %s\n", argv[i]);
				return 2;
			}
		}
		if (ctl < 0) {
			fprintf(stderr, "tbinit: --ctl-fd is required outside a guest\n");
			return 2;
		}
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		/* our own hostname without touching the machine's */
		if (unshare(CLONE_NEWUTS) < 0)
			fprintf(stderr, "tbinit: unshare(UTS): %s\n", strerror(errno));
	}
	set_raw(ctl);
	(void)console_fd;
	if (frame_write_str(ctl, 'H', 0, "tbinit") < 0)
		return 1;
	rc = load_config(cfgpath, &rd);
	t_config = uptime_ns();
	if (rc < 0) {
		msg("no usable configuration; powering off");
		power_off();
	}
	if (sethostname(cfg.name, strlen(cfg.name)) < 0)
		msg("sethostname: %s", strerror(errno));
	rc = setup_network();
	t_net = uptime_ns();
	mount_data();
	start_programs();
	if (pid1)
		start_shell();      /* netns: on the first attach (ensure_shell) */
	{
		char buf[192];
		int64_t t_ready = uptime_ns();
		snprintf(buf, sizeof(buf),
			 "uptime_ns=%lld network=%s init_ns=%lld modules_ns=%lld config_ns=%lld "
			 "net_ns=%lld programs_ns=%lld",
			 (long long)t_ready, rc < 0 ? "partial" : "ok", (long long)t_init,
			 (long long)(t_modules - t_init), (long long)(t_config - t_modules),
			 (long long)(t_net - t_config), (long long)(t_ready - t_net));
		if (frame_write_str(ctl, 'R', 0, buf) < 0)
			return 1;
	}
	loop(&rd);
	return 0;
}
