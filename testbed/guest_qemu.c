/* guest_qemu — QEMU guests: the Debian cloud kernel and the initramfs of
 * BUILD/images/qemu (the same tree as the UML root plus the kernel's
 * modules).
 *
 * The console is the serial port, the control line a virtio console
 * (/dev/hvc0): both are socket chardevs on fds the monitor passes.  (An
 * emulated 8250 as control line lost bytes under load; virtio does not.)  The configuration is
 * asked for over the control line (no per-guest initramfs, no disk).  KVM is
 * used when /dev/kvm really runs a guest: a tiny VM that executes one HLT is
 * tried once per machine boot and the answer cached in
 * BUILD/images/accel.cache; otherwise TCG.  Where the probe passes but
 * QEMU then fails in KVM, the failed attempt turns the cache to TCG
 * (qemu_failed).  -no-reboot and panic=-1 make a
 * panicked guest exit instead of spinning (issue 4). */
#include "guest.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

void guest_mac_for(const char *hostdir, size_t idx, char out[18]);

/* 1 if KVM runs a one-instruction guest to its HLT. */
static int kvm_works(void)
{
	int kvm = -1, vm = -1, vcpu = -1, ok = 0;
	void *mem = MAP_FAILED;
	struct kvm_run *run = MAP_FAILED;
	long run_size = 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		goto out;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		goto out;
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		goto out;
	((unsigned char *)mem)[0] = 0xf4;    /* hlt */
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto out;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		goto out;
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		goto out;
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		goto out;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		goto out;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		goto out;
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		goto out;
	ok = run->exit_reason == KVM_EXIT_HLT;
out:
	if (run != MAP_FAILED)
		munmap(run, run_size);
	if (mem != MAP_FAILED)
		munmap(mem, 0x1000);
	if (vcpu >= 0) close(vcpu);
	if (vm >= 0) close(vm);
	if (kvm >= 0) close(kvm);
	return ok;
}

static void boot_id_read(char boot_id[64])
{
	boot_id[0] = 0;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (fgets(boot_id, 64, f))
			boot_id[strcspn(boot_id, "\n")] = 0;
		fclose(f);
	}
}

/* Record ACCEL for this machine boot in IMAGES/accel.cache (atomically:
 * guests of one `up` start side by side). */
static void accel_cache_write(const char *images, const char *accel)
{
	char boot_id[64], *path = xasprintf("%s/accel.cache", images);
	boot_id_read(boot_id);
	char *tmp = xasprintf("%s.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "we");
	if (f) {
		fprintf(f, "%s %s\n", accel, boot_id);
		if (fclose(f) == 0)
			rename(tmp, path);
	}
	unlink(tmp);
	free(tmp);
	free(path);
}

/* "kvm" or "tcg", probed once per machine boot. */
static const char *qemu_accel(const char *images)
{
	char boot_id[64], line[128], *path = xasprintf("%s/accel.cache", images);
	const char *accel = NULL;
	boot_id_read(boot_id);
	FILE *f = fopen(path, "re");
	if (f) {
		char want[100];
		snprintf(want, sizeof(want), " %s\n", boot_id);
		if (fgets(line, sizeof(line), f) && strstr(line, want))
			accel = !strncmp(line, "kvm ", 4) ? "kvm" : "tcg";
		fclose(f);
	}
	if (!accel) {
		accel = kvm_works() ? "kvm" : "tcg";
		accel_cache_write(images, accel);
	}
	free(path);
	return accel;
}

/* A KVM attempt that died before READY with QEMU's KVM layer complaining
 * (e.g. "KVM internal error", or on an AMD host of 2026-11-25 an abort in
 * kvm_buf_set_msrs: "failed to set MSR 0x10a"): nested KVM that runs the
 * probe's one HLT but not a kernel.  TCG from now on, for this boot. */
static const char *qemu_failed(struct guest_ctx *g)
{
	if (!g->accel || strcmp(g->accel, "kvm"))
		return NULL;
	char *tail = guest_log_tail(g->hostdir, 20);
	int kvm_said = 0;
	for (char *l = tail ? strtok(tail, "\n") : NULL; l; l = strtok(NULL, "\n"))
		if (!strncmp(l, "qemu-system", 11) && strcasestr(l, "kvm"))
			kvm_said = 1;
	free(tail);
	if (!kvm_said)
		return NULL;
	accel_cache_write(g->images, "tcg");
	return "QEMU failed in KVM: using TCG from the next attempt on (for this machine boot)";
}

static int qemu_launch(struct guest_ctx *g, struct guest_launch *l)
{
	char *kernel = xasprintf("%s/qemu/vmlinuz", g->images);
	char *initrd = xasprintf("%s/qemu/initrd.cpio", g->images);
	if (access(kernel, R_OK) < 0 || access(initrd, R_OK) < 0) {
		free(kernel);
		free(initrd);
		return -ENOENT;
	}
	g->accel = qemu_accel(g->images);
	VEC_PUSH(l->argv, xstrdup("qemu-system-x86_64"));
	static const char append[] = "console=ttyS0 panic=-1 quiet net.ifnames=0 rdinit=/sbin/tbinit "
				     "tb.ctl=/dev/hvc0 tb.con=/dev/ttyS0";
	const char *fixed[] = {
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-chardev", "socket,id=con,fd=4", "-serial", "chardev:con",
		"-device", "virtio-serial-pci", "-chardev", "socket,id=ctl,fd=3",
		"-device", "virtconsole,chardev=ctl", "-append", append,
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		VEC_PUSH(l->argv, xstrdup(fixed[i]));
	VEC_PUSH(l->argv, xstrdup("-accel"));
	/* TCG's translation cache defaults to 1 GiB and grows to a large part
	 * of that; 32 MiB holds what a busybox guest runs */
	VEC_PUSH(l->argv, xstrdup(!strcmp(g->accel, "tcg") ? "tcg,tb-size=32" : g->accel));
	if (!strcmp(g->accel, "kvm")) {
		VEC_PUSH(l->argv, xstrdup("-cpu"));
		VEC_PUSH(l->argv, xstrdup("host"));
	}
	VEC_PUSH(l->argv, xstrdup("-m"));
	VEC_PUSH(l->argv, xasprintf("%llu", (unsigned long long)(g->mem >> 20)));
	VEC_PUSH(l->argv, xstrdup("-smp"));
	VEC_PUSH(l->argv, xasprintf("%u", g->cfg->cpus ? g->cfg->cpus : 1));
	VEC_PUSH(l->argv, xstrdup("-kernel"));
	VEC_PUSH(l->argv, kernel);
	VEC_PUSH(l->argv, xstrdup("-initrd"));
	VEC_PUSH(l->argv, initrd);
	/* the run's data directory (${data}), as `up` archived it after the
	 * experiment's prepare step: tbinit unpacks it into /data */
	if (g->cfg->data) {
		char *arch = xasprintf("%s.cpio", g->cfg->data);
		if (access(arch, R_OK) == 0) {
			VEC_PUSH(l->argv, xstrdup("-fw_cfg"));
			VEC_PUSH(l->argv, xasprintf("name=opt/testbed/data,file=%s", arch));
		}
		free(arch);
	}
	for (size_t i = 0; i < g->cfg->nics.n; i++) {
		char mac[18];
		guest_mac_for(g->hostdir, i, mac);
		VEC_PUSH(l->argv, xstrdup("-netdev"));
		VEC_PUSH(l->argv, xasprintf("vde,id=n%zu,sock=%s", i, g->cfg->nics.v[i].sw));
		VEC_PUSH(l->argv, xstrdup("-device"));
		VEC_PUSH(l->argv, xasprintf("virtio-net-pci,netdev=n%zu,mac=%s", i, mac));
	}
	return 0;
}

const struct guest_ops guest_qemu_ops = {
	.name = "qemu",
	.default_mem = 128u << 20,       /* the cloud kernel needs >= 72M (issue 4) */
	.boot_timeout_ns = 90 * 1000000000LL,
	.launch = qemu_launch,
	.ready = guest_deepen_nic_sockets,
	.failed = qemu_failed,
};
