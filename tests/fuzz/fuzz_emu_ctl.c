/* fuzz_emu_ctl — the control-command parser on arbitrary lines. */
#include "emulator/ctl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), err[256];
	struct ctl_cmd c;
	memcpy(line, data, size);
	line[size] = '\0';
	if (ctl_parse(line, &c, err, sizeof(err)) == 0) {
		/* what parsed must be self-consistent */
		if (c.op == CTL_WIRE_ADD && (!c.port[0] || !c.port[1]))
			abort();
		if (c.op == CTL_RULE_ADD && !c.rule.pipe)
			abort();
	} else if (!err[0]) {
		abort();
	}
	ctl_cmd_free(&c);
	free(line);
	return 0;
}
