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
#include <stdlib.h>
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

/* The kernel: testbed's own (hostimg/mkumlkernel.sh, about half the boot
 * cost of Debian's) when `make images` built it, else Debian's `linux`
 * from PATH.  Both take the arguments below. */
static char *uml_kernel(const struct guest_ctx *g)
{
	char *own = xasprintf("%s/uml/linux", g->images);
	if (access(own, X_OK) == 0)
		return own;
	free(own);
	return xstrdup("linux");
}

static int uml_launch(struct guest_ctx *g, struct guest_launch *l)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s/root", g->images);
	if (access(root, R_OK) < 0)
		return -ENOENT;   /* no images: `make images` */
	VEC_PUSH(l->argv, uml_kernel(g));
	VEC_PUSH(l->argv, xasprintf("mem=%lluM", (unsigned long long)(g->mem >> 20)));
	VEC_PUSH(l->argv, xstrdup("umid=uml"));
	VEC_PUSH(l->argv, xasprintf("uml_dir=%s", g->hostdir));
	/* a root by file system type, not a block device: UML would add
	 * root=98:0 (ubd), which testbed's kernel (no block layer) cannot mount */
	VEC_PUSH(l->argv, xstrdup("root=none"));
	VEC_PUSH(l->argv, xstrdup("rootfstype=hostfs"));
	VEC_PUSH(l->argv, xasprintf("rootflags=%s", root));
	VEC_PUSH(l->argv, xstrdup("ro"));
	/* "none", not "null": only lines with a channel become tty devices.
	 * With "null" all 16 consoles and 64 serial lines did, and each device
	 * is a uevent, which the kernel hands to its uevent helper: a new
	 * guest address space, i.e. a host process (UML), even though
	 * /sbin/hotplug does not exist.  That was half of a boot's CPU. */
	VEC_PUSH(l->argv, xstrdup("con=none"));
	VEC_PUSH(l->argv, xstrdup("ssl=none"));
	VEC_PUSH(l->argv, xstrdup("con0=fd:4,fd:4"));
	VEC_PUSH(l->argv, xstrdup("ssl0=fd:3,fd:3"));
	VEC_PUSH(l->argv, xstrdup("console=tty0"));
	VEC_PUSH(l->argv, xstrdup("quiet"));
	/* For Debian's kernel, the fallback (testbed's own has none of this;
	 * the arguments it does not know reach init's environment, harmless).
	 * Boot cost, measured with initcall_debug: Debian's UML kernel
	 * benchmarks its RAID6 and XOR routines at every boot (no guest uses
	 * md RAID or btrfs RAID5/6), registers 256 legacy BSD ptys (1.9 s of
	 * a 2 s kernel boot; guests use /dev/pts), and sets up zswap (guests
	 * have no swap) and the strparser workqueue (kTLS/KCM only).  The
	 * HID, keyboard and mouse drivers and the btrfs/JFS/XFS file systems
	 * (UML has no input devices; roots are hostfs) cost little each but
	 * a uevent helper (above) for every driver and device they register.
	 * lpj skips calibrating the delay loop (about 50 ms of CPU); UML's
	 * udelay is used by no driver a guest has, so its precision does not
	 * matter.  Boot alone: 0.47 s and 117 host forks before these three
	 * cuts, 0.20 s and 20 forks after (docs/boot-storm.md). */
	VEC_PUSH(l->argv, xstrdup("pty.legacy_count=0"));
	VEC_PUSH(l->argv, xstrdup("lpj=34750464"));
	VEC_PUSH(l->argv, xstrdup("initcall_blacklist=raid6_select_algo,calibrate_xor_blocks,"
				  "init_zswap,strp_dev_init,"
				  "hid_init,hid_generic_init,a4_driver_init,belkin_driver_init,"
				  "ch_driver_init,cp_driver_init,ez_driver_init,ite_driver_init,"
				  "ks_driver_init,ms_driver_init,mr_driver_init,redragon_driver_init,"
				  "serio_init,atkbd_init,psmouse_init,"
				  "init_btrfs_fs,init_jfs_fs,init_xfs_fs,harddog_miscdev_init"));
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
	/* UML hands frames to a vde_plug over a seqpacket pair and dropped,
	 * silently, 121-443 frames per TCP run through delay=10ms before
	 * (docs/guests.md); the NICs are open by READY */
	.ready = guest_deepen_nic_sockets,
};

/* shared with guest_qemu.c */
void guest_mac_for(const char *hostdir, size_t idx, char out[18]);
void guest_mac_for(const char *hostdir, size_t idx, char out[18]) { mac_for(hostdir, idx, out); }
