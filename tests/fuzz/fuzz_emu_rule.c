/* fuzz_emu_rule — the frame classifier and rule matcher on arbitrary
 * frames; the first bytes choose a rule so that every field is exercised. */
#include "emulator/rule.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rules[] = {
	"pipe p",
	"dir a2b proto udp dport 7000 src 10.1.0.0/16 pipe p",
	"ether ipv6 src fd00::/8 dst fd00:1::/33 proto tcp sport 80 pipe p",
	"ether 0x0806 pipe p",
	"proto 58 dst ::/0 pipe p",
	"dir b2a dst 192.168.1.1/31 proto sctp dport 9 pipe p",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_info fi;
	struct rule r;
	char buf[256], *argv[32], *save = NULL;
	const char *err;
	int argc = 0;

	if (size < 1)
		return 0;
	snprintf(buf, sizeof(buf), "%s", rules[data[0] % (sizeof(rules) / sizeof(rules[0]))]);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (rule_parse(argc, argv, &r, &err))
		abort();
	/* the frame in a buffer of exactly its size, so ASan sees overreads */
	uint8_t *f = malloc(size - 1 ? size - 1 : 1);
	memcpy(f, data + 1, size - 1);
	frame_classify(f, size - 1, &fi);
	if (fi.sport >= 0 && fi.proto < 0)
		abort();
	(void)rule_match(&r, data[0] & 1, &fi);
	free(f);
	rule_free(&r);
	return 0;
}
