/* testbed_state — see testbed_state.h. */
#include "testbed_state.h"
#include "guest.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *testbed_resolve(const char *arg)
{
	size_t n = strlen(arg);
	if (n > 5 && !strcmp(arg + n - 5, ".topo")) {
		struct plan *p = NULL;
		struct topo_diag *d = NULL;
		char *state = NULL;
		if (plan_load(arg, NULL, 0, &p, &d) == 0) {
			state = guest_state_dir(p->name);
			plan_free(p);
		} else {
			/* the file may have changed since: fall back to its name */
			const char *base = strrchr(arg, '/');
			char *name = xstrndup(base ? base + 1 : arg, strlen(base ? base + 1 : arg) - 5);
			state = guest_state_dir(name);
			free(name);
		}
		topo_diag_free(d);
		return state;
	}
	if (strchr(arg, '/')) {
		log_err("'%s' is neither a testbed name nor a .topo file.", arg);
		return NULL;
	}
	return guest_state_dir(arg);
}

int testbed_load_plan(const char *state_dir, struct plan **out)
{
	char *topo = xasprintf("%s/topology.topo", state_dir);
	char *ovp = xasprintf("%s/overrides", state_dir);
	VEC(char *) ov = { 0 };
	char line[4096];
	struct topo_diag *d = NULL;
	FILE *f = fopen(ovp, "re");
	int rc;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] && line[0] != '#')
				VEC_PUSH(ov, xstrdup(line));
		}
		fclose(f);
	}
	rc = plan_load(topo, ov.v, ov.n, out, &d);
	topo_diag_free(d);
	for (size_t i = 0; i < ov.n; i++)
		free(ov.v[i]);
	VEC_FREE(ov);
	free(topo);
	free(ovp);
	return rc;
}
