/* segment — see segment.h.
 *
 * vde_switch runs in the foreground (so the PID we record is the switch's
 * own), but it quits at EOF on its standard input; we give it a pipe whose
 * write end it also holds itself (as fd 3), so that EOF never comes. */
#include "segment.h"
#include "fsutil.h"
#include "guest.h"
#include "mono.h"
#include "procinfo.h"
#include "spawn.h"
#include "unixsock.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

char *segment_ctl_path(const char *state_dir, const char *name)
{
	return xasprintf("%s/seg/%s.ctl", state_dir, name);
}

char *segment_mgmt_path(const char *state_dir, const char *name)
{
	return xasprintf("%s/seg/%s.mgmt", state_dir, name);
}

/* The switch is ready when its management socket accepts a connection
 * (it is created after the data socket). */
static int mgmt_accepts(const char *mgmt)
{
	int fd = unix_connect(mgmt);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* The switch's rc file (its commands at start, which also keeps it from
 * reading the machine's /etc/vde2/vde_switch.rc): load our plugin that
 * gives its data sockets deep send buffers (switch_plugin.c says why).  A
 * build without the plugin gets a switch that drops under TCP bursts. */
static int write_rcfile(const char *path)
{
	char *plugin = fs_build_file("lib/testbed-switchbuf.so");
	FILE *f = fopen(path, "we");
	if (!f) {
		free(plugin);
		return -errno;
	}
	if (plugin)
		fprintf(f, "plugin/add %s\n", plugin);
	free(plugin);
	return fclose(f) == 0 ? 0 : -errno;
}

int segment_start(const char *state_dir, const char *name, unsigned nports, int netns_fd,
		  char **why)
{
	char *dir = xasprintf("%s/seg", state_dir);
	char *ctl = segment_ctl_path(state_dir, name), *mgmt = segment_mgmt_path(state_dir, name);
	char *logp = xasprintf("%s/seg/%s.log", state_dir, name);
	char *rcp = xasprintf("%s/seg/%s.rc", state_dir, name);
	char ports[16];
	int in[2] = { -1, -1 }, logfd = -1, rc;
	struct spawn_child c;
	uint64_t st = 0;

	*why = NULL;
	snprintf(ports, sizeof(ports), "%u", nports);
	const char *argv[] = { "vde_switch", "--sock", ctl, "--mgmt", mgmt, "--numports", ports,
			       "--mode", "0600", "--mgmtmode", "0600", "--rcfile", rcp, NULL };
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		*why = xasprintf("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((rc = write_rcfile(rcp)) < 0) {
		*why = xasprintf("cannot write %s: %s", rcp, strerror(-rc));
		goto out;
	}
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0 || pipe2(in, O_CLOEXEC) < 0) {
		rc = -errno;
		*why = xasprintf("cannot set up the switch of %s: %s", name, strerror(errno));
		goto out;
	}
	struct spawn_fd fds[] = { { in[0], 0 }, { logfd, 1 }, { logfd, 2 }, { in[1], 3 } };
	struct spawn_opts o = { .fds = fds, .n_fds = 4, .netns_fd = netns_fd, .new_session = 1 };
	rc = spawn_start(argv, &o, &c);
	if (rc < 0) {
		*why = xasprintf("cannot start vde_switch for %s: %s", name, strerror(-rc));
		goto out;
	}
	if ((rc = proc_starttime(c.pid, &st)) < 0 ||
	    (rc = guest_record(state_dir, "switch %d %llu", (int)c.pid, (unsigned long long)st)) < 0) {
		spawn_abort(&c);
		*why = xasprintf("cannot record the switch of %s: %s", name, strerror(-rc));
		goto out;
	}
	if ((rc = spawn_release(&c)) < 0) {
		*why = xasprintf("cannot run vde_switch (is the vde2 package installed? 'make deps'): %s",
				 strerror(-rc));
		goto out;
	}
	mono_ns deadline = mono_now() + 10 * NS_PER_SEC;
	while (!mgmt_accepts(mgmt)) {
		if (!proc_alive(c.pid, st) || mono_now() > deadline) {
			rc = -EIO;
			*why = xasprintf("the switch of segment %s did not start (see %s)", name, logp);
			goto out;
		}
		usleep(2000);
	}
	rc = 0;
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (logfd >= 0)
		close(logfd);
	free(dir);
	free(ctl);
	free(mgmt);
	free(logp);
	free(rcp);
	return rc;
}
