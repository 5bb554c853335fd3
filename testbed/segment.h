/* segment — a segment's VDE switch: one vde_switch daemon per Ethernet
 * segment of a testbed (and one per impaired interface, between the host
 * and the emulator), with a management socket. */
#ifndef TB_SEGMENT_H
#define TB_SEGMENT_H

/* Paths of the switch of segment NAME in STATE_DIR (caller frees):
 * the control directory that NICs and the emulator plug into, and the
 * management socket. */
char *segment_ctl_path(const char *state_dir, const char *name);
char *segment_mgmt_path(const char *state_dir, const char *name);

/* Start the switch with NPORTS ports, recorded in STATE_DIR/objects as
 * "switch PID START" before it runs, inside NETNS_FD (-1: here); wait until
 * it accepts plugs.  0 or -errno; *why gets a message on failure. */
int segment_start(const char *state_dir, const char *name, unsigned nports, int netns_fd,
		  char **why) __attribute__((warn_unused_result));

#endif
