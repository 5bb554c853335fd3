/* fuzz_topo — libFuzzer target over the whole topology path: lexer,
 * parser, planner, the error printer and both plan printers.  Any input
 * must give either a plan or errors, never a crash, a leak or UB. */
#include "testbed/plan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *over[] = { "hosts=3" };
	struct plan *p;
	struct topo_diag *d;
	FILE *sink = fopen("/dev/null", "w");
	/* the first byte chooses whether a command-line override is given */
	size_t n_over = size && (data[0] & 1);
	int rc = plan_load_text("fuzz.topo", (const char *)data, size, over, n_over, &p, &d);
	if (sink) {
		topo_diag_print(d, sink, 0);
		if (!rc) {
			plan_print_text(p, sink);
			plan_print_json(p, sink);
		}
		fclose(sink);
	}
	if (!rc) {
		for (size_t i = 0; i < p->n_hosts; i++)
			if (plan_find_host(p, p->hosts[i].name) != i)
				abort();
		plan_free(p);
	}
	topo_diag_free(d);
	return 0;
}
