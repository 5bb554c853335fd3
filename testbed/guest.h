/* guest — hosts of a testbed as UML guests, QEMU guests or network
 * namespaces, behind one interface.
 *
 * Every guest has a host directory STATE/hosts/NAME/ (docs/guests.md lists
 * its files and the record format) and a monitor process that owns the
 * guest's control line and console, writes its state and logs, retries a
 * boot that dies or hangs, and serves exec and console requests on
 * HOSTDIR/ctl.sock.  Kinds are ops tables looked up by name; adding a kind
 * means adding a file guest_KIND.c and a line in guest.c's registry.
 *
 * Library code: returns 0 or -errno, does not print; the caller logs. */
#ifndef TB_GUEST_H
#define TB_GUEST_H

#include "hostcfg.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* --- a kind's side (called inside the monitor) */

struct guest_ctx {
	const char *hostdir;
	const char *images;          /* BUILD/images */
	const struct hostcfg *cfg;
	uint64_t mem;                /* cfg->mem or the kind's default */
	int attempt;                 /* 1, 2, ... */
	const char *accel;           /* filled by the kind: "kvm", "tcg" or "-" */
	char *netns;                 /* netns kind: the namespace's name */
	const char *console_path;    /* a pty slave when the kind asked for one */
	/* netns kind: the host's NICs, forwarded in the monitor's poll loop
	 * (nicplug.h); made by prepare, closed by cleanup */
	struct nicplug **plugs;
	size_t n_plugs;
};

/* How to start the guest process.  The monitor maps the guest's end of the
 * control line to fd 3 and of the console to fd 4 (unless console_pty),
 * stdout/stderr to HOSTDIR/console.log, stdin to /dev/null. */
struct guest_launch {
	VEC(char *) argv;
	int netns_fd;                /* >= 0: start inside this namespace */
	int no_aslr;
};

struct guest_ops {
	const char *name;
	uint64_t default_mem;
	int64_t boot_timeout_ns;     /* start -> READY before an attempt counts as hung */
	int console_pty;             /* the console is a pty (no fd channel) */
	/* per attempt, before launch; may record and create objects (may be NULL) */
	int (*prepare)(struct guest_ctx *g);
	int (*launch)(struct guest_ctx *g, struct guest_launch *l);
	/* at READY, with the guest's process (may be NULL); 0 or -errno */
	int (*ready)(struct guest_ctx *g, pid_t pid);
	/* after the guest process ended: undo prepare (may be NULL) */
	void (*cleanup)(struct guest_ctx *g);
	/* an attempt ended before READY, before the next is launched: a line
	 * for the console log saying what the kind changed, or NULL (may be
	 * NULL) */
	const char *(*failed)(struct guest_ctx *g);
};

const struct guest_ops *guest_ops_find(const char *kind);
extern const struct guest_ops guest_uml_ops, guest_qemu_ops, guest_netns_ops;

/* A ready hook for kinds whose NICs are libvdeplug connections of the
 * guest's own process (QEMU) or of a vde_plug it starts (UML): SOCKDEEP_BYTES
 * send buffers on those Unix sockets (the switches' plugin deepens the
 * switches' side, switch_plugin.c);
 * with the kernel's 208 KiB a sender drops frames of a TCP burst. */
int guest_deepen_nic_sockets(struct guest_ctx *g, pid_t pid);

/* --- the testbed's side */

struct guest_start_opts {
	const char *netns;           /* the testbed's network namespace, or NULL */
	const char *images;          /* NULL: guest_images_dir() */
	int retries;                 /* extra attempts after a failed boot; <0: default 2 */
	int64_t boot_timeout_ns;     /* 0: the kind's default */
};

enum guest_state { GUEST_BOOTING, GUEST_READY, GUEST_DEAD, GUEST_FAILED, GUEST_STOPPED, GUEST_UNKNOWN };
const char *guest_state_name(enum guest_state s);

struct guest_status {
	char *name, *kind, *accel;
	enum guest_state state;
	char *reason;                /* why dead/failed, or NULL */
	int attempts;
	int64_t boot_ns;             /* start of the successful attempt -> READY; -1 if none */
	int64_t started_wall_ns;     /* wall clock of that start */
	uint64_t pss;                /* bytes, all processes of the guest incl. its monitor */
	int64_t cpu_ns;              /* user+system of those processes */
	int nprocs;
};

/* Default image directory: $TB_IMAGES, else BIN/../images of this program. */
const char *guest_images_dir(void);
/* The state directory of a testbed name ("/run/testbed/NAME"), or the
 * argument itself when it holds a '/'. Caller frees. */
char *guest_state_dir(const char *testbed);
char *guest_host_dir(const char *state_dir, const char *host);

/* Start HOST in STATE_DIR and wait until it is READY or has failed every
 * attempt.  On failure *why (if given) gets a malloc'd message with the tail
 * of the guest's log; the host directory is left for guest_destroy. */
int guest_start(const char *state_dir, const struct hostcfg *cfg,
		const struct guest_start_opts *o, char **why) __attribute__((warn_unused_result));
/* Halt cleanly (power off through tbinit), kill after TIMEOUT_NS, remove
 * every recorded object and the host directory.  Works after kill -9 of
 * the monitor or the guest. */
int guest_destroy(const char *hostdir, int64_t timeout_ns) __attribute__((warn_unused_result));
int guest_status(const char *hostdir, struct guest_status *st) __attribute__((warn_unused_result));
void guest_status_free(struct guest_status *st);
/* Run ARGV in the guest: its stdout/stderr go to OUT_FD/ERR_FD, *status
 * gets the exit status (128+N for signal N). */
int guest_exec(const char *hostdir, char *const argv[], int out_fd, int err_fd,
	       int *status) __attribute__((warn_unused_result));
/* Attach IN_FD/OUT_FD to the guest console until DETACH_KEY is read. */
int guest_console(const char *hostdir, int in_fd, int out_fd, int detach_key)
	__attribute__((warn_unused_result));
/* The last LINES lines of the guest's console log (malloc'd). */
char *guest_log_tail(const char *hostdir, int lines);

/* --- records (HOSTDIR/objects or STATE/objects), shared by the monitor
 * and teardown: "WHAT PID START" for a process, "netns NAME" */
int guest_record(const char *hostdir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), warn_unused_result));
struct record { char what[16]; char name[256]; pid_t pid; uint64_t start; };
typedef VEC(struct record) record_vec;
/* Append the records of DIR/objects to OUT (none if it cannot be read);
 * a process has pid > 0, a namespace its name. */
void guest_read_records(const char *dir, record_vec *out);
/* Kill every recorded process (checking start times), remove recorded
 * namespaces; KEEP_MONITOR spares the monitor (when it cleans up itself). */
void guest_reap_objects(const char *hostdir, int keep_monitor);

/* The monitor's body (guest_monitor.c); returns the process exit status. */
int guest_monitor_run(const char *hostdir, const struct guest_start_opts *o, int report_fd);

#endif
