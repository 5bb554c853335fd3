/* cmd_check — `testbed check FILE [NAME=VALUE...] [--json] [--quiet]`:
 * parse, validate and plan a topology; print the plan, or every error.
 * Exit status: 0 valid, 1 errors in the file, 2 usage (or unreadable). */
#include "commands.h"
#include "log.h"
#include "mono.h"
#include "plan.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: testbed check FILE [NAME=VALUE...] [--json] [--quiet]\n");
	return 2;
}

int cmd_check(int argc, char **argv)
{
	const char *file = NULL;
	bool json = false, quiet = false;
	VEC(char *) over = { 0 };
	struct plan *p;
	struct topo_diag *d;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			VEC_FREE(over);
			return usage();
		} else if (argv[i][0] == '-') {
			log_err("check: unknown option '%s'", argv[i]);
			VEC_FREE(over);
			return usage();
		} else if (!file && !strchr(argv[i], '='))
			file = argv[i];
		else if (strchr(argv[i], '='))
			VEC_PUSH(over, argv[i]);
		else {
			log_err("check: one FILE only ('%s' is a second one)", argv[i]);
			VEC_FREE(over);
			return usage();
		}
	}
	if (!file) {
		VEC_FREE(over);
		return usage();
	}
	mono_ns t0 = mono_now();
	rc = plan_load(file, over.v, over.n, &p, &d);
	mono_ns took = mono_now() - t0;
	VEC_FREE(over);
	if (rc && !d) {
		log_err("check: cannot read %s: %s", file, strerror(-rc));
		return 2;
	}
	if (rc) {
		/* errors go to stdout as well as the plan would: they are the
		 * command's output, and tests compare them */
		topo_diag_print(d, stdout, 0);
		fprintf(stdout, "%zu error%s\n", topo_diag_count(d), topo_diag_count(d) == 1 ? "" : "s");
		topo_diag_free(d);
		return 1;
	}
	topo_diag_free(d);
	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	if (quiet)
		printf("%s: ok, %zu segments, %zu hosts, %zu wires; read+parse+plan %.3f ms\n", file,
		       p->n_segments, p->n_hosts, p->n_wires, (double)took / 1e6);
	else if (json)
		plan_print_json(p, stdout);
	else
		plan_print_text(p, stdout);
	fflush(stdout);
	plan_free(p);
	return 0;
}
