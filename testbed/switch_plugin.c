/* testbed-switchbuf.so — a vde_switch plugin (vde2's own plugin interface,
 * loaded with "plugin/add" from the switch's rc file, segment.c) that gives
 * every data socket of the switch a deep send buffer.
 *
 * Why: vde_switch talks to each port through its own Unix datagram socket
 * and drops a frame when send() would block.  A datagram stays charged to
 * the sender until the receiver reads it, so with the kernel's default
 * 208 KiB send buffer a receiver (a UML guest, the emulator) that is 50-90
 * full-size frames behind makes the switch drop.  TCP through a delayed
 * link has that many frames in flight: with the default buffer scene U
 * (docs/benchmarks.md) lost 20-100 frames per run and reached a third of
 * its undelayed goodput.  (The receiver's queue length does not bound a
 * connected pair like these: the kernel checks max_dgram_qlen only for a
 * receiver that is not connected back to the sender.)
 *
 * The switch announces each new endpoint with the event "port/ep/+"
 * (arguments: port number, control fd).  The data socket was created just
 * before and is not among the arguments; it is the newest Unix datagram
 * socket whose buffer is still the default (lib/sockdeep), found by
 * scanning down from the highest fd (one step when ports are only added). */
#include "sockdeep.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <unistd.h>

/* Enough for TCP through a 10 ms link at 400 Mbit/s while the port's
 * reader waits for the CPU: with 2 MiB the switch in front of the
 * receiving TAP's plug dropped 1,700-3,500 frames per 5 s run of scene N
 * at delay=10ms (docs/benchmarks.md), with 4 MiB none.  Not 8 MiB like
 * the emulator's ports: a port whose reader is starved queues that much
 * more (scene N's probe at delay=10ms when a real-time link and sender
 * left little CPU to plugs and switches: p50 136 ms late with 8 MiB,
 * 14-133 ms with 4 MiB, 2-4 ms with 2 MiB; 0.2 ms with 4 MiB and no
 * real-time processes).  A loss there would look like the link's. */
#define SWITCH_SNDBUF (4 << 20)

/* From vde2's vdeplugin.h (shipped only as an example, not a header):
 * the switch finds a plugin by this symbol, and exports eventadd(). */
struct plugin {
	char *name;
	char *help;
	void *handle;
	struct plugin *next;
};
struct dbgcl;
int eventadd(int (*fun)(struct dbgcl *event, void *arg, va_list v), char *path, void *arg);
int eventdel(int (*fun)(struct dbgcl *event, void *arg, va_list v), char *path, void *arg);

struct plugin vde_plugin_data = {
	.name = "testbed/switchbuf",
	.help = "deep send buffers on data sockets (testbed)",
};

/* the lowest free descriptor: every fd below it is open */
static int lowest_free(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		close(fd);
	return fd;
}

static int on_new_endpoint(struct dbgcl *event, void *arg, va_list v)
{
	(void)event;
	(void)arg;
	(void)v;
	/* the newest fd is usually just below the lowest free one; a port
	 * re-created in a hole left by a closed one is further down */
	for (int fd = lowest_free() - 1; fd >= 0; fd--)
		if (sockdeep_unix_fd(fd, SWITCH_SNDBUF))
			break;
	return 0;
}

__attribute__((constructor)) static void init(void)
{
	int top = lowest_free() + 64;
	for (int fd = 0; fd < top; fd++)   /* ports opened before the plugin */
		sockdeep_unix_fd(fd, SWITCH_SNDBUF);
	eventadd(on_new_endpoint, "port/ep/+", NULL);
}

__attribute__((destructor)) static void fini(void)
{
	eventdel(on_new_endpoint, "port/ep/+", NULL);
}
