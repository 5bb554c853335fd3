/* ctl — the control language of testbed-emu: one command per line,
 * parsed strictly into a struct ctl_cmd (no side effects, so it is fuzzed
 * and unit-tested alone).  Grammar (words separated by blanks):
 *
 *   [json] wire add NAME PORT_A PORT_B [ATTR=VALUE...]
 *   [json] wire del NAME
 *   [json] wire set NAME ATTR=VALUE...
 *   [json] rule add WIRE [at N] [dir a2b|b2a] [ether T] [src P] [dst P]
 *                   [proto X] [sport N] [dport N] pipe PIPE
 *   [json] rule del WIRE N
 *   [json] pipe add WIRE PIPE [ATTR=VALUE...]
 *   [json] pipe set WIRE PIPE ATTR=VALUE...
 *   [json] pipe del WIRE PIPE
 *   [json] stats [WIRE]
 *   [json] capture WIRE on DIR | capture WIRE off
 *   [json] list
 *
 * ATTR are the impairment attributes of lib/impair.h, optionally prefixed
 * a2b./b2a.; wires also take policy=pass|drop (what frames that match no
 * rule do: go to the wire's own pipe, or are dropped as "no_rule"). */
#ifndef TB_EMU_CTL_H
#define TB_EMU_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "impair.h"
#include "rule.h"

enum ctl_op {
	CTL_WIRE_ADD, CTL_WIRE_DEL, CTL_WIRE_SET, CTL_RULE_ADD, CTL_RULE_DEL,
	CTL_PIPE_ADD, CTL_PIPE_SET, CTL_PIPE_DEL, CTL_STATS, CTL_CAPTURE, CTL_LIST,
};

struct ctl_cmd {
	enum ctl_op op;
	bool json;
	const char *wire, *pipe, *port[2], *dir;  /* point into the parsed copy */
	struct impair imp;        /* attributes given: imp.dir[i].set bits */
	int policy;               /* -1 not given, 0 pass, 1 drop */
	struct rule rule;         /* rule add */
	long at;                  /* rule add: position, -1 = at the end */
	long index;               /* rule del */
	bool capture_on;
	/* storage */
	char *buf;
	char **argv;
};

extern const char *const ctl_dir_prefix[2];     /* "a2b", "b2a" */

/* Parse LINE (a trailing newline is allowed).  Returns 0, or -EINVAL
 * with a sentence in ERR.  ctl_cmd_free releases C either way. */
int ctl_parse(const char *line, struct ctl_cmd *c, char *err, size_t errsz)
	__attribute__((warn_unused_result));
void ctl_cmd_free(struct ctl_cmd *c);

/* Apply ATTR=VALUE words (impairments and policy=) to IMP / *POLICY.
 * Shared by the command line and ctl_parse.  0 or -EINVAL with ERR set. */
int ctl_parse_attrs(int argc, char **argv, struct impair *imp, int *policy,
		    bool allow_policy, char *err, size_t errsz)
	__attribute__((warn_unused_result));

#endif
