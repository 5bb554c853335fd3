/* nicplug — see nicplug.h. */
#include "nicplug.h"
#include "sockdeep.h"
#include "xalloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libvdeplug.h>
#include <libvdeplug_mod.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Frames moved per readable event and side: enough to empty a burst in
 * one go, few enough that the monitor's other descriptors (console,
 * control line, clients, other NICs) still get their turn. */
#define BATCH 64
/* An Ethernet frame as a TAP delivers it (IFF_NO_PI): header and the
 * largest MTU a TAP accepts, with room to spare. */
#define FRAME_MAX 65550

struct nicplug {
	char dev[IFNAMSIZ];
	int tap;
	VDECONN *vde;
	int closed;               /* the switch closed the port */
	uint64_t to_switch, to_tap, dropped;
};

/* A TAP named DEV in the namespace of NETNS_FD, nonblocking. */
static int tap_open(const char *dev, int netns_fd)
{
	struct ifreq ifr = { 0 };
	int self, fd, rc = 0;

	if (strlen(dev) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	/* TUNSETIFF makes the device in the namespace of the calling
	 * thread; after that the descriptor works from anywhere */
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		rc = -errno;
		close(self);
		return rc;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
	} else {
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		strcpy(ifr.ifr_name, dev);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			rc = -errno;
			close(fd);
		}
	}
	if (setns(self, CLONE_NEWNET) < 0 && rc == 0) {
		rc = -errno;
		close(fd);
	}
	close(self);
	return rc < 0 ? rc : fd;
}

/* libvdeplug's vde_open() loads its vde plugin with RTLD_DEEPBIND, which
 * AddressSanitizer refuses (the asan build died at its first plug; the
 * same is why tests/integration/bench_tbgen.sh runs a release tbgen).  So
 * the plug loads the plugin itself through the interface libvdeplug
 * publishes for its plugins (libvdeplug_mod.h), as vde_open() does minus
 * that flag, and minus the user-name lookup it adds to the port's
 * description (getpwuid: nsswitch and /etc/passwd, once per host).
 * vde_send, vde_recv and vde_close then work on the connection as usual. */
static VDECONN *vde_plugin_open(const char *switch_dir)
{
	Dl_info di;
	char path[PATH_MAX], *dir, *lib, *url;
	void *h = NULL;
	struct vdeplug_module *mod;
	VDECONN *conn = NULL;

	/* the plugin directory beside libvdeplug itself, as it looks there */
	if (dladdr((void *)vde_close, &di) && di.dli_fname) {
		lib = xstrdup(di.dli_fname);
		dir = dirname(lib);
		if (snprintf(path, sizeof(path), "%s/vdeplug/libvdeplug_vde.so", dir) < (int)sizeof(path))
			h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		free(lib);
	}
	if (!h)
		h = dlopen("libvdeplug_vde.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	mod = dlsym(h, "vdeplug_ops");
	if (!mod) {
		dlclose(h);
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	url = xstrdup(switch_dir);        /* the plugin parses it in place */
	conn = mod->vde_open_real(url, "testbed-nic", LIBVDEPLUG_INTERFACE_VERSION, NULL);
	free(url);
	if (!conn) {
		int e = errno;
		dlclose(h);
		errno = e;
		return NULL;
	}
	conn->handle = h;
	conn->module = mod;
	return conn;
}

int nicplug_open(const char *switch_dir, const char *dev, int netns_fd, struct nicplug **out)
{
	struct nicplug *p;
	int rc, fl;

	*out = NULL;
	p = xcalloc(1, sizeof(*p));
	p->tap = -1;
	rc = tap_open(dev, netns_fd);
	if (rc < 0)
		goto fail;
	p->tap = rc;
	strcpy(p->dev, dev);
	errno = 0;
	p->vde = vde_plugin_open(switch_dir);
	if (!p->vde) {
		rc = errno ? -errno : -EIO;
		goto fail;
	}
	fl = fcntl(vde_datafd(p->vde), F_GETFL);
	if (fl < 0 || fcntl(vde_datafd(p->vde), F_SETFL, fl | O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	/* a frame that finds the send buffer full is dropped: hold as many as
	 * the switch may be behind (switch_plugin.c says why) */
	sockdeep_fd(vde_datafd(p->vde), SOCKDEEP_BYTES);
	*out = p;
	return 0;
fail:
	nicplug_close(p);
	return rc;
}

void nicplug_fds(const struct nicplug *p, int fds[NICPLUG_SIDES])
{
	fds[NICPLUG_TAP] = p->closed ? -1 : p->tap;
	fds[NICPLUG_SWITCH] = p->closed ? -1 : vde_datafd(p->vde);
	fds[NICPLUG_SWITCH_CTL] = p->closed ? -1 : vde_ctlfd(p->vde);
}

int nicplug_forward(struct nicplug *p, enum nicplug_side side)
{
	static char buf[FRAME_MAX];     /* the monitor is one thread */
	ssize_t n;

	if (p->closed)
		return 0;         /* said once already */
	if (side == NICPLUG_SWITCH_CTL) {
		/* the switch says nothing on this line after the handshake:
		 * readable means it closed the port (or quit) */
		n = read(vde_ctlfd(p->vde), buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			p->closed = 1;
			return -ENOTCONN;
		}
		return 0;
	}
	for (int i = 0; i < BATCH; i++) {
		if (side == NICPLUG_TAP) {
			n = read(p->tap, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (vde_send(p->vde, buf, (size_t)n, 0) == n)
				p->to_switch++;
			else
				p->dropped++;      /* the switch's queue is full */
		} else {
			n = vde_recv(p->vde, buf, sizeof(buf), MSG_DONTWAIT);
			if (n <= 0)
				break;
			if (write(p->tap, buf, (size_t)n) == n)
				p->to_tap++;
			else
				p->dropped++;      /* the TAP is down or its queue full */
		}
	}
	return 0;
}

void nicplug_counters(const struct nicplug *p, uint64_t *to_switch, uint64_t *to_tap,
		      uint64_t *dropped)
{
	*to_switch = p->to_switch;
	*to_tap = p->to_tap;
	*dropped = p->dropped;
}

const char *nicplug_dev(const struct nicplug *p)
{
	return p->dev;
}

void nicplug_close(struct nicplug *p)
{
	if (!p)
		return;
	if (p->vde)
		vde_close(p->vde);
	if (p->tap >= 0)
		close(p->tap);
	free(p);
}
