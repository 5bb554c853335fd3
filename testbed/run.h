/* run — one experiment run: `testbed up`, wait for the experiment's done
 * file, keep the results, `testbed down` (used by `testbed run` and
 * `testbed sweep`).
 *
 * up and down are this same binary started as a child (fork/exec of
 * /proc/self/exe), so a run goes through exactly the code and the progress
 * output of the commands a user types, and a failed up undoes itself.
 * Results: OUT/ gets the experiment's results directory (${data}/RESULTS),
 * every host's logs (hosts/HOST/), the topology and its overrides, and
 * run.json (what ran, when, how it ended). */
#ifndef TB_RUN_H
#define TB_RUN_H

#include "plan.h"

#include <stdint.h>

struct run_opts {
	const char *file;            /* the topology */
	char *const *overrides;      /* NAME=VALUE */
	size_t n_overrides;
	const char *out;             /* results directory to create */
	const char *jobs;            /* -j for up, or NULL */
	const char *seed;            /* --seed for up (the emulator), or NULL */
};

enum run_end { RUN_DONE, RUN_UP_FAILED, RUN_TIMEOUT, RUN_INTERRUPTED };

struct run_result {
	enum run_end end;
	int64_t up_ns, experiment_ns;  /* time of up; from READY to the done file */
};

/* Run once.  P is the plan of FILE with the same overrides (checked by the
 * caller; it must have an experiment).  0 when the done file appeared and
 * the results were kept, -1 otherwise (said on stderr).  The testbed is
 * down in every case. */
int run_once(const struct plan *p, const struct run_opts *o, struct run_result *r);

/* Ask a run in progress to stop (from a signal handler): it takes the
 * testbed down and returns RUN_INTERRUPTED. */
void run_interrupt(void);

/* Print a CSV file as an aligned table. */
int run_print_csv(const char *path, FILE *out);

#endif
