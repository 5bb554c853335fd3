/* cmd_down — `testbed down NAME|FILE` and `testbed down --all`: remove
 * everything a testbed made, from its records (teardown.c). */
#include "commands.h"
#include "log.h"
#include "mono.h"
#include "teardown.h"
#include "testbed_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int down_one(const char *state)
{
	if (access(state, F_OK) < 0) {
		log_err("no testbed is up at %s; 'testbed list' shows those that are.", state);
		return 1;
	}
	int rc = teardown(state, 16, 10 * NS_PER_SEC);
	if (rc < 0) {
		log_err("%s: could not remove everything: %s", state, strerror(-rc));
		return 1;
	}
	fprintf(stderr, "%s removed\n", state);
	return 0;
}

int cmd_down(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: testbed down NAME|FILE | --all\n");
		return 2;
	}
	if (geteuid() != 0) {
		log_err("testbed down needs root: run it as root or with sudo.");
		return 1;
	}
	if (!strcmp(argv[1], "--all")) {
		char **names = testbed_names();
		int rc = 0;
		for (char **n = names; *n; n++) {
			char *state = testbed_resolve(*n);
			if (state)
				rc |= down_one(state);
			free(state);
		}
		testbed_names_free(names);
		return rc;
	}
	char *state = testbed_resolve(argv[1]);
	int rc = state ? down_one(state) : 1;
	free(state);
	return rc;
}
