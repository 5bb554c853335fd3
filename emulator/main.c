/* testbed-emu — the link emulator daemon and its control client.
 *
 *   testbed-emu [OPTIONS] [PORT_A PORT_B [ATTR=VALUE...]]
 *   testbed-emu ctl SOCKET [--json] COMMAND...
 *
 * The daemon's main thread owns the control socket (one command per
 * connection: a line in, a reply out, then close) and the signals; the
 * frames are moved by the worker threads of emu.c. */
#include "ctl.h"
#include "emu.h"
#include "log.h"
#include "mono.h"
#include "units.h"
#include "xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

static void usage(FILE *out)
{
	fprintf(out,
		"usage: testbed-emu [OPTIONS] [PORT_A PORT_B [ATTR=VALUE...]]\n"
		"       testbed-emu ctl SOCKET [--json] COMMAND...\n"
		"\n"
		"A port is a libvdeplug URL: vde:///path/to/switch.ctl, tap://NAME, ...\n"
		"With two ports a wire named w0 joins them (like wirefilter).\n"
		"\n"
		"options:\n"
		"  --ctl PATH        control socket (mode 0600, removed at exit)\n"
		"  --seed N          PRNG seed (default: from the clock; logged)\n"
		"  --threads N       event-loop threads (default: online CPUs)\n"
		"  --pcap DIR        capture every wire to DIR/WIRE-a.pcap, WIRE-b.pcap\n"
		"  --pool N          frame buffers per thread (default 65536)\n"
		"  --spin auto|DURATION  wake this long before each deadline and busy-poll\n"
		"                    the rest; auto learns how late timer wake-ups are\n"
		"                    here and leads by that (at most 1ms), and while it\n"
		"                    may not poll sends frames due within the typical\n"
		"                    wake-up delay at the wake-up; it polls only with\n"
		"                    --realtime.  0 sleeps on the timer and never sends\n"
		"                    early.  Default: auto\n"
		"  --realtime[=PRIO] run the event loops SCHED_FIFO (default PRIO 10)\n"
		"  --log FILE        log to FILE instead of stderr\n"
		"  --ready-fd N      write \"ready\\n\" to fd N once ports and ctl are up\n"
		"  --verbose         log debug messages\n"
		"  --help\n"
		"\n"
		"attributes: delay jitter dist jitter_reorder loss rate queue queue_bytes\n"
		"overhead reorder duplicate corrupt up policy, with a2b./b2a. prefixes.\n"
		"Commands: see docs/emulator.md (wire, rule, pipe, stats, capture, list).\n");
}

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* ---- client ---------------------------------------------------------- */

static int ctl_client(int argc, char **argv)
{
	struct sockaddr_un sa;
	int json = 0, i = 2, fd;
	char *line;
	size_t len = 0;

	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (i < argc && !strcmp(argv[i], "--json")) {
		json = 1;
		i++;
	}
	if (i >= argc) {
		log_err("ctl: no command given");
		return 2;
	}
	for (int k = i; k < argc; k++)
		len += strlen(argv[k]) + 1;
	line = xmalloc(len + 8);
	strcpy(line, json ? "json " : "");
	for (int k = i; k < argc; k++) {
		strcat(line, argv[k]);
		strcat(line, k + 1 < argc ? " " : "\n");
	}
	if (sock_addr(argv[1], &sa)) {
		log_err("ctl: socket path %s is too long", argv[1]);
		free(line);
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		log_err("ctl: cannot connect to %s: %s (is testbed-emu running with --ctl?)", argv[1],
			strerror(errno));
		free(line);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	size_t off = 0, n = strlen(line);
	while (off < n) {
		ssize_t w = write(fd, line + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			log_err("ctl: write: %s", strerror(errno));
			close(fd);
			free(line);
			return 1;
		}
		off += (size_t)w;
	}
	free(line);
	shutdown(fd, SHUT_WR);

	/* Reply: first line "ok" or "error: ..."; the rest goes to stdout. */
	FILE *in = fdopen(fd, "r");
	char *l = NULL;
	size_t cap = 0;
	int rc = 1, first = 1;
	if (!in) {
		close(fd);
		return 1;
	}
	while (getline(&l, &cap, in) > 0) {
		if (first) {
			first = 0;
			if (!strcmp(l, "ok\n")) {
				rc = 0;
				continue;
			}
			fputs(l, stderr);
			continue;
		}
		fputs(l, rc == 0 ? stdout : stderr);
	}
	if (first)
		log_err("ctl: no reply from %s", argv[1]);
	free(l);
	fclose(in);
	return rc;
}

/* ---- daemon ---------------------------------------------------------- */

/* Read one line from a client (bounded in time and size), run it, reply. */
static void serve_client(struct emu *e, int fd)
{
	char *buf = NULL, *reply = NULL, err[512];
	size_t n = 0, cap = 0, rlen = 0;
	mono_ns deadline = mono_now() + 2 * NS_PER_SEC;
	FILE *out;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		mono_ns left = deadline - mono_now();
		if (left <= 0 || poll(&p, 1, (int)(left / NS_PER_MS) + 1) <= 0)
			break;
		if (n + 4096 > cap) {
			if (cap >= (1u << 20))
				break;          /* a command is a line, not a megabyte */
			buf = xrealloc(buf, cap = cap ? cap * 2 : 8192);
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf + n - r, '\n', (size_t)r))
			break;
	}
	out = open_memstream(&reply, &rlen);
	if (!buf || !n) {
		fputs("error: no command received (send one line)\n", out);
	} else {
		buf[n] = '\0';
		char *nl = strchr(buf, '\n');
		if (nl)
			nl[1] = '\0';
		struct ctl_cmd c;
		if (ctl_parse(buf, &c, err, sizeof(err))) {
			fprintf(out, "error: %s\n", err);
			if (nl)
				*nl = '\0';
			log_warn("control: rejected '%.200s': %s", buf, err);
		} else {
			emu_exec(e, &c, out);
		}
		ctl_cmd_free(&c);
	}
	fclose(out);
	for (size_t off = 0; off < rlen;) {
		ssize_t w = write(fd, reply + off, rlen - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(reply);
	free(buf);
}

static int ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;
	if ((rc = sock_addr(path, &sa)))
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	mode_t old = umask(0077);     /* created 0600, never briefly wider */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc || chmod(path, 0600) || listen(fd, 64)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "pool", required_argument, NULL, 'P' },
		{ "log", required_argument, NULL, 'l' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "spin", required_argument, NULL, 'S' },
		{ "realtime", optional_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct emu_opts o = { .threads = 0, .pool_frames = 65536, .spin_ns = 0 };
	int spin_given = 0;
	const char *ctl_path = NULL;
	int ready_fd = -1, seeded = 0, opt;
	uint64_t v;

	log_init("testbed-emu");
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_client(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': ctl_path = optarg; break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &o.seed))
				die("--seed takes an unsigned integer, not '%s'", optarg);
			seeded = 1;
			break;
		case 't':
			if (parse_u64(optarg, 1, 1024, &v))
				die("--threads takes a number from 1 to 1024, not '%s'", optarg);
			o.threads = (int)v;
			break;
		case 'p': o.pcap_dir = optarg; break;
		case 'P':
			if (parse_u64(optarg, 16, 1u << 24, &v))
				die("--pool takes a number of frames from 16 to 16777216, not '%s'", optarg);
			o.pool_frames = (size_t)v;
			break;
		case 'l':
			if (log_to_file(optarg))
				die("cannot open log file %s: %s", optarg, strerror(errno));
			break;
		case 'r':
			if (parse_u64(optarg, 0, 65535, &v))
				die("--ready-fd takes a file descriptor number, not '%s'", optarg);
			ready_fd = (int)v;
			break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'S':
			spin_given = 1;
			o.spin_auto = !strcmp(optarg, "auto");
			if (o.spin_auto)
				o.spin_ns = NS_PER_MS;
			else if (parse_duration(optarg, &o.spin_ns) || o.spin_ns > NS_PER_SEC / 10)
				die("--spin takes auto or a duration up to 100ms such as 50us, not '%s'", optarg);
			break;
		case 'R':
			o.rt_prio = 10;
			if (optarg && parse_u64(optarg, 1, 99, &v))
				die("--realtime takes a priority from 1 to 99, not '%s'", optarg);
			if (optarg)
				o.rt_prio = (int)v;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int nargs = argc - optind;
	if (nargs == 1)
		die("give two ports (PORT_A PORT_B) or none; 'testbed-emu --help' explains");
	if (nargs == 0 && !ctl_path)
		die("nothing to do: give two ports, or --ctl PATH to add wires at run time");
	/* auto by default: it busy-polls only in a real-time loop (emu.c) and
	 * otherwise only aims its wake-ups by what it learned */
	if (!spin_given) {
		o.spin_auto = 1;
		o.spin_ns = NS_PER_MS;
	}
	if (!o.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		o.threads = n > 0 ? (int)n : 1;
	}
	if (!seeded)
		o.seed = (uint64_t)wall_now_ns() ^ ((uint64_t)getpid() << 32);
	char spin[UNITS_BUFSZ];
	log_info("seed %llu (repeat a run with --seed %llu), %d threads, spin %s%s%s",
		 (unsigned long long)o.seed, (unsigned long long)o.seed, o.threads,
		 o.spin_auto ? "auto up to " : "", fmt_duration(spin, o.spin_ns),
		 o.rt_prio ? ", SCHED_FIFO" : "");

	/* standalone wire: parse its attributes before starting anything */
	struct ctl_cmd w0;
	char err[512];
	if (nargs >= 2) {
		memset(&w0, 0, sizeof(w0));
		impair_init(&w0.imp);
		w0.op = CTL_WIRE_ADD;
		w0.wire = "w0";
		w0.port[0] = argv[optind];
		w0.port[1] = argv[optind + 1];
		w0.policy = -1;
		if (ctl_parse_attrs(nargs - 2, argv + optind + 2, &w0.imp, &w0.policy, true, err, sizeof(err)))
			die("%s", err);
	}

	/* every port holds up to two descriptors: thousands of wires need more
	 * than the usual soft limit of 1024 */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			log_warn("cannot raise the descriptor limit: %s", strerror(errno));
	}
	signal(SIGPIPE, SIG_IGN);
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);      /* delivered only inside ppoll */
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct emu *e;
	int rc = emu_create(&o, &e);
	if (rc)
		die("cannot start the emulator threads: %s", strerror(-rc));

	int status = 0, lfd = -1;
	if (nargs >= 2) {
		char *reply = NULL;
		size_t rlen = 0;
		FILE *out = open_memstream(&reply, &rlen);
		rc = emu_exec(e, &w0, out);
		fclose(out);
		if (rc) {
			log_err("%s", reply + (strncmp(reply, "error: ", 7) ? 0 : 7));
			free(reply);
			emu_destroy(e);
			return 1;
		}
		free(reply);
	}
	if (ctl_path) {
		lfd = ctl_listen(ctl_path);
		if (lfd < 0) {
			log_err("cannot listen on %s: %s", ctl_path, strerror(-lfd));
			emu_destroy(e);
			return 1;
		}
		log_info("control socket %s", ctl_path);
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "ready\n", 6) != 6)
			log_warn("--ready-fd %d: %s", ready_fd, strerror(errno));
		close(ready_fd);
	}

	sigemptyset(&empty);
	while (!got_signal) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int n = ppoll(&p, lfd >= 0 ? 1 : 0, NULL, &empty);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (n > 0 && (p.revents & POLLIN)) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (cfd >= 0) {
				serve_client(e, cfd);
				close(cfd);
			}
		}
	}
	if (got_signal)
		log_info("signal %d: stopping", (int)got_signal);
	if (lfd >= 0) {
		close(lfd);
		unlink(ctl_path);
	}
	emu_destroy(e);
	return status;
}
