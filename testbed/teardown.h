/* teardown — remove a testbed: every guest, then every object recorded in
 * its state directory (emulator, switches, namespace), then the directory.
 * Works from the records alone, so also after kill -9 of anything. */
#ifndef TB_TEARDOWN_H
#define TB_TEARDOWN_H

#include <stdint.h>

/* Halt the guests in parallel (JOBS at a time; each is killed after
 * HALT_TIMEOUT_NS), reap the recorded objects, remove STATE_DIR.
 * Returns 0 or -errno of the first thing that could not be removed. */
int teardown(const char *state_dir, unsigned jobs, int64_t halt_timeout_ns);

/* Names of the testbeds with a state directory (malloc'd, NULL-ended). */
char **testbed_names(void);
void testbed_names_free(char **names);

/* Is any process recorded for the testbed still alive? */
int testbed_alive(const char *state_dir);

#endif
