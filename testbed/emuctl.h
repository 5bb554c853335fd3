/* emuctl — the testbed's side of testbed-emu: start the daemon for a
 * testbed and send it control commands (emulator/ctl.h has the language). */
#ifndef TB_EMUCTL_H
#define TB_EMUCTL_H

#include <stdint.h>

/* Start testbed-emu with its control socket at CTL, recorded in
 * STATE_DIR/objects as "emulator PID START" before it runs, inside the
 * namespace NETNS_FD (-1: here), with SEED; wait until it is ready.
 * Its log goes to LOG.  0 or -errno; *why gets a message on failure. */
int emuctl_start(const char *state_dir, const char *ctl, const char *log, int netns_fd,
		 uint64_t seed, char **why) __attribute__((warn_unused_result));

/* Send one command line; *reply gets the reply text after the first line
 * (malloc'd, may be empty).  Returns 0 if the daemon said "ok", -EINVAL if it
 * answered "error: ..." (the message is in *reply), or -errno if it could not
 * be reached. */
int emuctl_cmd(const char *ctl, const char *line, char **reply)
	__attribute__((warn_unused_result));

#endif
