/* testbed-monitor — the monitor of one host (guest_monitor.c), a program
 * of its own so that `testbed up` starts it with vfork+exec instead of
 * forking itself (guest.c spawn_monitor), and small: it links what the
 * monitor needs, not the CLI's libpcap and the dozen libraries behind it,
 * which every exec would load and relocate again.
 *
 *   testbed-monitor HOSTDIR --report-fd N --images DIR [--netns NAME]
 *                   [--retries N] [--boot-timeout-ns NS]
 *
 * It records itself in HOSTDIR/objects before anything else, logs to
 * HOSTDIR/monitor.log, enters the testbed's namespace NAME, and writes one
 * line to fd N: READY BOOT_NS or FAILED WHY.  Not meant to be run by hand. */
#include "guest.h"
#include "log.h"
#include "netns.h"
#include "procinfo.h"
#include "units.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say_failed(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_failed(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fd >= 0 && n > 0)
		(void)!write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

int main(int argc, char **argv)
{
	struct guest_start_opts o = { .retries = -1 };
	const char *hostdir = NULL;
	int report = -1;
	uint64_t v;

	log_init("testbed-monitor");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-' && !hostdir) {
			hostdir = a;
			continue;
		}
		if (!val)
			goto usage;
		i++;
		if (!strcmp(a, "--report-fd") && parse_u64(val, 0, 65535, &v) == 0)
			report = (int)v;
		else if (!strcmp(a, "--images"))
			o.images = val;
		else if (!strcmp(a, "--netns"))
			o.netns = val;
		else if (!strcmp(a, "--retries") && parse_u64(val, 0, 1000, &v) == 0)
			o.retries = (int)v;
		else if (!strcmp(a, "--boot-timeout-ns") && parse_u64(val, 1, INT64_MAX, &v) == 0)
			o.boot_timeout_ns = (int64_t)v;
		else
			goto usage;
	}
	if (!hostdir || report < 0)
		goto usage;

	/* on record before it creates anything (guest.h: records) */
	uint64_t st = 0;
	int rc = proc_starttime(getpid(), &st);
	if (rc == 0)
		rc = guest_record(hostdir, "monitor %d %llu", (int)getpid(), (unsigned long long)st);
	if (rc < 0) {
		say_failed(report, "FAILED cannot record the monitor in %s/objects: %s\n", hostdir,
			   strerror(-rc));
		return 1;
	}
	char *mlog = xasprintf("%s/monitor.log", hostdir);
	if ((rc = log_to_file(mlog)) < 0) {
		say_failed(report, "FAILED cannot open %s: %s\n", mlog, strerror(-rc));
		return 1;
	}
	free(mlog);
	if (o.netns) {
		int fd = netns_open(o.netns);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			say_failed(report, "FAILED cannot enter namespace %s: %s\n", o.netns,
				   strerror(fd < 0 ? -fd : errno));
			return 1;
		}
		close(fd);
	}
	return guest_monitor_run(hostdir, &o, report);

usage:
	fprintf(stderr, "testbed-monitor: started by testbed up (HOSTDIR --report-fd N --images DIR "
		"[--netns NAME] [--retries N] [--boot-timeout-ns NS])\n");
	return 2;
}
