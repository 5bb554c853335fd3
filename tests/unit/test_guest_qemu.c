/* Unit tests of the QEMU kind's fall-back from KVM to TCG
 * (testbed/guest_qemu.c): an attempt that died before READY with QEMU's
 * KVM layer complaining records TCG for this machine boot in
 * IMAGES/accel.cache, and the next launch asks QEMU for TCG; any other
 * failure, or one under TCG, leaves the choice alone. */
#include "tests/check.h"
#include "testbed/guest.h"
#include "lib/hostcfg.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];
static char images[128], hostdir[128];

static void read_file(const char *path, char *buf, size_t size)
{
	buf[check_get_file(path, buf, size - 1)] = 0;
}

static void boot_id(char out[64])
{
	read_file("/proc/sys/kernel/random/boot_id", out, 64);
	out[strcspn(out, "\n")] = 0;
}

/* a fresh IMAGES (kernel, initrd, a cache saying CACHED) and HOSTDIR whose
 * console.log holds LOG */
static void scene(const char *cached, const char *log)
{
	char path[256], id[64], line[128];
	strcpy(root, "/tmp/tbtestqemu.XXXXXX");
	if (!mkdtemp(root))
		abort();
	snprintf(images, sizeof(images), "%s/images", root);
	snprintf(hostdir, sizeof(hostdir), "%s/host", root);
	mkdir(images, 0700);
	mkdir(hostdir, 0700);
	snprintf(path, sizeof(path), "%s/qemu", images);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/qemu/vmlinuz", images);
	check_put_file(path, "", 0);
	snprintf(path, sizeof(path), "%s/qemu/initrd.cpio", images);
	check_put_file(path, "", 0);
	boot_id(id);
	snprintf(line, sizeof(line), "%s %s\n", cached, id);
	snprintf(path, sizeof(path), "%s/accel.cache", images);
	check_put_file(path, line, strlen(line));
	snprintf(path, sizeof(path), "%s/console.log", hostdir);
	check_put_file(path, log, strlen(log));
}

static void unscene(void)
{
	check_rm_tree(root);
}

static const char *cache_accel(void)
{
	static char buf[128];
	char path[256];
	snprintf(path, sizeof(path), "%s/accel.cache", images);
	read_file(path, buf, sizeof(buf));
	buf[strcspn(buf, " ")] = 0;
	return buf;
}

/* the value after "-accel" in the argv the kind builds for a launch */
static const char *launch_accel(void)
{
	static char out[64];
	struct hostcfg cfg = { 0 };
	struct guest_ctx g = { .hostdir = hostdir, .images = images, .cfg = &cfg, .mem = 128u << 20, .attempt = 2 };
	struct guest_launch l = { .netns_fd = -1 };
	out[0] = 0;
	if (guest_qemu_ops.launch(&g, &l) == 0)
		for (size_t i = 0; i + 1 < l.argv.n; i++)
			if (!strcmp(l.argv.v[i], "-accel"))
				snprintf(out, sizeof(out), "%s", l.argv.v[i + 1]);
	for (size_t i = 0; i < l.argv.n; i++)
		free(l.argv.v[i]);
	free(l.argv.v);
	return out;
}

static const char *fail_with(const char *accel)
{
	struct hostcfg cfg = { 0 };
	struct guest_ctx g = { .hostdir = hostdir, .images = images, .cfg = &cfg, .attempt = 1, .accel = accel };
	return guest_qemu_ops.failed(&g);
}

TEST(kvm_abort_falls_back_to_tcg)
{
	scene("kvm", "[monitor] attempt 1: qemu-system-x86_64\n"
		     "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n"
		     "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: "
		     "Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.\n"
		     "[monitor] attempt 1 failed: killed by signal 6 before READY\n");
	CHECK_EQ_STR(launch_accel(), "kvm");
	CHECK(fail_with("kvm") != NULL);
	CHECK_EQ_STR(cache_accel(), "tcg");
	CHECK_EQ_STR(launch_accel(), "tcg,tb-size=32");
	unscene();
}

TEST(kvm_internal_error_falls_back_to_tcg)
{
	scene("kvm", "qemu-system-x86_64: KVM internal error. Suberror: 1\n"
		     "[monitor] attempt 1 failed: exit 1 before READY\n");
	CHECK(fail_with("kvm") != NULL);
	CHECK_EQ_STR(cache_accel(), "tcg");
	unscene();
}

TEST(guest_failure_keeps_kvm)
{
	/* the guest's own kernel says kvm-clock under KVM: not QEMU's complaint */
	scene("kvm", "[    0.000000] kvm-clock: Using msrs 4b564d01 and 4b564d00\n"
		     "[    1.200000] Kernel panic - not syncing: Attempted to kill init!\n"
		     "[monitor] attempt 1 failed: exit 0 before READY\n");
	CHECK(fail_with("kvm") == NULL);
	CHECK_EQ_STR(cache_accel(), "kvm");
	CHECK_EQ_STR(launch_accel(), "kvm");
	unscene();
}

TEST(tcg_failure_changes_nothing)
{
	scene("tcg", "qemu-system-x86_64: kvm: something\n");
	CHECK(fail_with("tcg") == NULL);
	CHECK_EQ_STR(cache_accel(), "tcg");
	unscene();
}

int main(void) { return run_tests(); }
