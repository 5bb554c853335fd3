/* emu — the emulator daemon's engine: wires (two libvdeplug ports, named
 * pipes, divert rules, counters, capture), sharded over worker threads that
 * each run one epoll loop with a timer heap on CLOCK_MONOTONIC.
 *
 * Threads: the caller's thread (main) owns the table of wires and executes
 * control commands; each wire belongs to one worker, which alone touches
 * its frames, lanes and counters.  Main changes a wire by building the new
 * state beside the old and asking the worker to swap it in (a synchronous
 * call through the worker's request queue), then frees the old state: the
 * data path takes no lock. */
#ifndef TB_EMU_EMU_H
#define TB_EMU_EMU_H

#include <stdint.h>
#include <stdio.h>

#include "ctl.h"

struct emu_opts {
	uint64_t seed;
	int threads;              /* >= 1 */
	const char *pcap_dir;     /* NULL: no capture by default */
	size_t pool_frames;       /* frames per worker pool */
	int64_t spin_ns;          /* busy-poll this long before a deadline */
	int spin_auto;            /* learn the lead from timer wake-ups, up to spin_ns */
	int rt_prio;              /* > 0: workers run SCHED_FIFO at this priority */
};

struct emu;

int emu_create(const struct emu_opts *o, struct emu **out) __attribute__((warn_unused_result));
/* Execute one parsed command; the reply ("ok\n..." or "error: ...\n") is
 * written to OUT.  Returns 0 if the command succeeded. */
int emu_exec(struct emu *e, const struct ctl_cmd *c, FILE *out);
/* Stop the workers, close every port and capture, free everything. */
void emu_destroy(struct emu *e);

#endif
