/* guest_uml — User-mode Linux guests (the default kind).
 *
 * Root: BUILD/images/root through hostfs, read-only and shared by every UML
 * guest; each guest writes only to its own tmpfs and to its host directory
 * (mounted at /host through hostfs, where tbinit reads the config).  The
 * control line is serial line 0 (ssl0, /dev/ttyS0), the console con0
 * (/dev/tty0); both are fd channels to the monitor.  UML is started with
 * address randomisation off: Debian's UML otherwise adds a random gap to
 * guest memory and small guests panic (issue 4). */
#include "guest.h"
#include "units.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A stable locally administered MAC per host directory and interface. */
static void mac_for(const char *hostdir, size_t idx, char out[18])
{
	uint32_t h = 2166136261u;
	for (const char *p = hostdir; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(out, 18, "02:%02x:%02x:%02x:%02x:%02x", (h >> 24) & 0xff, (h >> 16) & 0xff,
		 (h >> 8) & 0xff, h & 0xff, (unsigned)(idx & 0xff));
}

/* The NIC plumbing in one place: mainline UML moves from the old vde
 * transport to the vector driver, which takes another syntax. */
static char *uml_nic_arg(const char *dev, const char *sw, const char *mac)
{
	return xasprintf("%s=vde,%s,%s", dev, sw, mac);
}

static int uml_launch(struct guest_ctx *g, struct guest_launch *l)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s/root", g->images);
	if (access(root, R_OK) < 0)
		return -ENOENT;   /* no images: `make images` */
	VEC_PUSH(l->argv, xstrdup("linux"));
	VEC_PUSH(l->argv, xasprintf("mem=%lluM", (unsigned long long)(g->mem >> 20)));
	VEC_PUSH(l->argv, xstrdup("umid=uml"));
	VEC_PUSH(l->argv, xasprintf("uml_dir=%s", g->hostdir));
	VEC_PUSH(l->argv, xstrdup("rootfstype=hostfs"));
	VEC_PUSH(l->argv, xasprintf("rootflags=%s", root));
	VEC_PUSH(l->argv, xstrdup("ro"));
	VEC_PUSH(l->argv, xstrdup("con=null"));
	VEC_PUSH(l->argv, xstrdup("ssl=null"));
	VEC_PUSH(l->argv, xstrdup("con0=fd:4,fd:4"));
	VEC_PUSH(l->argv, xstrdup("ssl0=fd:3,fd:3"));
	VEC_PUSH(l->argv, xstrdup("console=tty0"));
	VEC_PUSH(l->argv, xstrdup("quiet"));
	/* Boot cost, measured with initcall_debug: Debian's UML kernel
	 * benchmarks its RAID6 and XOR routines at every boot (no guest uses
	 * md RAID or btrfs RAID5/6), registers 256 legacy BSD ptys (1.9 s of
	 * a 2 s kernel boot; guests use /dev/pts), and sets up zswap (guests
	 * have no swap) and the strparser workqueue (kTLS/KCM only). */
	VEC_PUSH(l->argv, xstrdup("pty.legacy_count=0"));
	VEC_PUSH(l->argv, xstrdup("initcall_blacklist=raid6_select_algo,calibrate_xor_blocks,"
				  "init_zswap,strp_dev_init"));
	for (size_t i = 0; i < g->cfg->nics.n; i++) {
		char mac[18];
		mac_for(g->hostdir, i, mac);
		VEC_PUSH(l->argv, uml_nic_arg(g->cfg->nics.v[i].dev, g->cfg->nics.v[i].sw, mac));
	}
	VEC_PUSH(l->argv, xstrdup("tb.ctl=/dev/ttyS0"));
	VEC_PUSH(l->argv, xstrdup("tb.con=/dev/tty0"));
	VEC_PUSH(l->argv, xstrdup("tb.cfg=/host/config"));
	VEC_PUSH(l->argv, xasprintf("tb.hostdir=%s", g->hostdir));
	VEC_PUSH(l->argv, xstrdup("init=/sbin/tbinit"));
	l->no_aslr = 1;
	g->accel = "-";
	return 0;
}

const struct guest_ops guest_uml_ops = {
	.name = "uml",
	.default_mem = 48u << 20,        /* 32M panics now and then (issue 4) */
	.boot_timeout_ns = 60 * 1000000000LL,
	.launch = uml_launch,
};

/* shared with guest_qemu.c */
void guest_mac_for(const char *hostdir, size_t idx, char out[18]);
void guest_mac_for(const char *hostdir, size_t idx, char out[18]) { mac_for(hostdir, idx, out); }
