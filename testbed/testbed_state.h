/* testbed_state — finding a running testbed and its plan from its state
 * directory (/run/testbed/NAME), for down, status, list and link. */
#ifndef TB_TESTBED_STATE_H
#define TB_TESTBED_STATE_H

#include "plan.h"

/* NAME, or a .topo FILE whose testbed name is used.  Returns the state dir
 * (malloc'd) or NULL with a message logged. */
char *testbed_resolve(const char *name_or_file);

/* Load the plan the testbed was brought up with (its copy of the topology
 * and the overrides kept in the state directory).  0 or -errno. */
int testbed_load_plan(const char *state_dir, struct plan **out)
	__attribute__((warn_unused_result));

#endif
