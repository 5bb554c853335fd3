/* guest_netns — hosts that are network namespaces: no guest kernel, the
 * lightest kind.
 *
 * Each host gets a namespace "tb-TESTBED-HOST" (recorded before it is
 * made), one TAP per NIC made inside it (named ethN there) and joined to
 * the segment's vde_switch by the monitor itself (nicplug.h: no process per
 * NIC), and tbinit as supervisor: the same init as the other kinds, minus
 * mounts and modules, in its own UTS namespace for the hostname.  The
 * console is a pty; tbinit starts a shell on it when a console is first
 * attached (most hosts never get one).
 *
 * A host with no IPv6 address in the plan gets no IPv6 link-local address
 * either (tbinit sets addr_gen_mode "none" on each NIC through netlink
 * before it brings it up; IPv6 itself stays on).  Otherwise each new interface sends DAD, MLD and
 * router solicitations, which the switch floods to every port: with N hosts
 * on a segment that was N^2 packets, most of the CPU of a 1,000-host `up`. */
#include "guest.h"
#include "log.h"
#include "netns.h"
#include "nicplug.h"
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *ns_name(const char *hostdir)
{
	/* HOSTDIR = STATE/hosts/HOST, STATE = .../TESTBED */
	char *d = xstrdup(hostdir), *host, *tb, *s;
	s = strrchr(d, '/');
	*s = 0;
	host = s + 1;
	s = strrchr(d, '/');      /* .../TESTBED/hosts */
	*s = 0;
	s = strrchr(d, '/');
	tb = s ? s + 1 : d;
	char *name = xasprintf("tb-%s-%s", tb, host);
	free(d);
	return name;
}

static void close_plugs(struct guest_ctx *g)
{
	for (size_t i = 0; i < g->n_plugs; i++)
		nicplug_close(g->plugs[i]);
	free(g->plugs);
	g->plugs = NULL;
	g->n_plugs = 0;
}

static int netns_prepare(struct guest_ctx *g)
{
	int rc, fd;

	free(g->netns);
	g->netns = ns_name(g->hostdir);
	rc = guest_record(g->hostdir, "netns %s", g->netns);
	if (rc < 0)
		return rc;
	rc = netns_add(g->netns);
	if (rc == -EEXIST) {
		/* left by an earlier attempt that is now cleaned up, or a
		 * stale run: it is recorded as ours, so replace it */
		netns_del(g->netns);
		rc = netns_add(g->netns);
	}
	if (rc < 0)
		return rc;
	fd = netns_open(g->netns);
	if (fd < 0)
		return fd;
	/* the TAPs live in the recorded namespace and in this process's
	 * descriptors only: nothing else to record */
	close_plugs(g);
	g->plugs = xcalloc(g->cfg->nics.n ? g->cfg->nics.n : 1, sizeof(*g->plugs));
	for (size_t i = 0; rc == 0 && i < g->cfg->nics.n; i++) {
		rc = nicplug_open(g->cfg->nics.v[i].sw, g->cfg->nics.v[i].dev, fd, &g->plugs[i]);
		if (rc == 0)
			g->n_plugs++;
	}
	close(fd);
	if (rc < 0)
		close_plugs(g);
	return rc;
}

static int netns_launch(struct guest_ctx *g, struct guest_launch *l)
{
	char *tbinit = xasprintf("%s/root/sbin/tbinit", g->images);
	if (access(tbinit, X_OK) < 0) {
		free(tbinit);
		return -ENOENT;
	}
	VEC_PUSH(l->argv, tbinit);
	VEC_PUSH(l->argv, xstrdup("--netns"));
	VEC_PUSH(l->argv, xstrdup("--config"));
	VEC_PUSH(l->argv, xasprintf("%s/config", g->hostdir));
	VEC_PUSH(l->argv, xstrdup("--ctl-fd"));
	VEC_PUSH(l->argv, xstrdup("3"));
	if (g->console_path) {
		VEC_PUSH(l->argv, xstrdup("--console"));
		VEC_PUSH(l->argv, xstrdup(g->console_path));
	}
	l->netns_fd = netns_open(g->netns);
	g->accel = "-";
	return l->netns_fd < 0 ? l->netns_fd : 0;
}

/* Is `testbed down` removing the whole testbed?  (teardown.c's marker
 * STATE/.down, HOSTDIR being STATE/hosts/HOST.) */
static int testbed_going_down(const char *hostdir)
{
	char *d = xstrdup(hostdir), *s;
	int down = 0;
	if ((s = strrchr(d, '/')) && (*s = 0, s = strrchr(d, '/'))) {
		*s = 0;
		char *m = xasprintf("%s/.down", d);
		down = access(m, F_OK) == 0;
		free(m);
	}
	free(d);
	return down;
}

static void netns_cleanup(struct guest_ctx *g)
{
	close_plugs(g);
	if (!g->netns)
		return;
	/* what is left in the namespace: found by reading all of /proc, unless
	 * the whole testbed is going down, whose teardown does that once for
	 * every host (it holds the namespaces open until then) */
	if (!testbed_going_down(g->hostdir)) {
		pid_vec in = { 0 };
		proc_in_netns(netns_path(g->netns), &in);
		for (size_t i = 0; i < in.n; i++)
			kill(in.v[i], SIGKILL);
		VEC_FREE(in);
	}
	netns_del(g->netns);
}

const struct guest_ops guest_netns_ops = {
	.name = "netns",
	.default_mem = 0,
	.boot_timeout_ns = 20 * 1000000000LL,
	.console_pty = 1,
	.prepare = netns_prepare,
	.launch = netns_launch,
	.cleanup = netns_cleanup,
};
