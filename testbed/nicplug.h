/* nicplug — one NIC of a netns host: a TAP device made inside the host's
 * namespace and joined to a port of the segment's vde_switch, its frames
 * forwarded by the process that holds the plug (the host's monitor) in its
 * own poll loop.
 *
 * This is what one `vde_plug2tap` process per NIC did; as a plug in the
 * monitor it costs no fork and no exec per NIC (docs/boot-storm.md, "netns
 * at scale").  The TAP is not persistent: it disappears with the last
 * descriptor, so a killed monitor leaves neither the TAP nor the switch
 * port behind, as the vde_plug2tap it replaces (which died with it).
 *
 * Library code: returns 0 or -errno, does not print. */
#ifndef TB_NICPLUG_H
#define TB_NICPLUG_H

#include <stdint.h>

struct nicplug;

/* Make TAP DEV inside the namespace of NETNS_FD (the calling thread
 * enters it and comes back) and connect it to the vde_switch whose
 * socket directory is SWITCH_DIR. */
int nicplug_open(const char *switch_dir, const char *dev, int netns_fd, struct nicplug **out)
	__attribute__((warn_unused_result));

enum nicplug_side { NICPLUG_TAP, NICPLUG_SWITCH, NICPLUG_SWITCH_CTL, NICPLUG_SIDES };
/* The descriptors to poll for input, one per side. */
void nicplug_fds(const struct nicplug *p, int fds[NICPLUG_SIDES]);
/* SIDE is readable: forward what waits there (a bounded batch, so that a
 * flood on one NIC does not starve the rest of the loop).  0, or -ENOTCONN
 * once, when the switch closed the port (the plug then carries nothing
 * more and nicplug_fds gives -1s). */
int nicplug_forward(struct nicplug *p, enum nicplug_side side);
/* Frames forwarded and dropped (a full queue on the other side). */
void nicplug_counters(const struct nicplug *p, uint64_t *to_switch, uint64_t *to_tap,
		      uint64_t *dropped);
const char *nicplug_dev(const struct nicplug *p);
void nicplug_close(struct nicplug *p);

#endif
