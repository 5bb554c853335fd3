/* ctl — see ctl.h. */
#include "ctl.h"
#include "units.h"
#include "xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ctl_dir_prefix[2] = { "a2b", "b2a" };

static int fail(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int ctl_parse_attrs(int argc, char **argv, struct impair *imp, int *policy,
		    bool allow_policy, char *err, size_t errsz)
{
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *expect = NULL;
		if (!eq || eq == argv[i])
			return fail(err, errsz, "'%s' is not ATTR=VALUE", argv[i]);
		*eq = '\0';
		const char *key = argv[i], *val = eq + 1;
		int rc;
		if (allow_policy && !strcmp(key, "policy")) {
			if (!strcmp(val, "pass"))
				*policy = 0;
			else if (!strcmp(val, "drop"))
				*policy = 1;
			else
				expect = "pass or drop";
			rc = expect ? -EINVAL : 0;
		} else {
			rc = impair_set(imp, key, val, ctl_dir_prefix, &expect);
		}
		*eq = '=';
		if (rc == -ENOENT)
			return fail(err, errsz, "unknown attribute '%.*s' (expected %s)",
				    (int)(eq - argv[i]), argv[i], expect ? expect : "an impairment");
		if (rc)
			return fail(err, errsz, "bad value in '%s' (expected %s)", argv[i],
				    expect ? expect : "a valid value");
	}
	return 0;
}

static int parse_long(const char *s, long max, long *out)
{
	uint64_t v;
	if (parse_u64(s, 0, (uint64_t)max, &v))
		return -EINVAL;
	*out = (long)v;
	return 0;
}

int ctl_parse(const char *line, struct ctl_cmd *c, char *err, size_t errsz)
{
	size_t n = 0, cap = 8;
	char *save = NULL;

	memset(c, 0, sizeof(*c));
	impair_init(&c->imp);
	c->policy = -1;
	c->at = -1;
	c->rule.dir = -1;
	c->buf = xstrdup(line);
	size_t blen = strlen(c->buf);
	if (blen && c->buf[blen - 1] == '\n')
		c->buf[--blen] = '\0';
	if (blen && c->buf[blen - 1] == '\r')
		c->buf[--blen] = '\0';
	if (strlen(c->buf) != blen)
		return fail(err, errsz, "the line holds a NUL byte");
	c->argv = xmalloc(cap * sizeof(char *));
	for (char *t = strtok_r(c->buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n + 1 >= cap)
			c->argv = xrealloc(c->argv, (cap *= 2) * sizeof(char *));
		c->argv[n++] = t;
	}
	c->argv[n] = NULL;

	char **a = c->argv;
	int argc = (int)n;
	if (argc && !strcmp(a[0], "json")) {
		c->json = true;
		a++, argc--;
	}
	if (argc == 0)
		return fail(err, errsz, "empty command");
	const char *obj = a[0], *verb = argc > 1 ? a[1] : "";

	if (!strcmp(obj, "list")) {
		if (argc != 1)
			return fail(err, errsz, "usage: list");
		c->op = CTL_LIST;
		return 0;
	}
	if (!strcmp(obj, "stats")) {
		if (argc > 2)
			return fail(err, errsz, "usage: stats [WIRE]");
		c->op = CTL_STATS;
		c->wire = argc == 2 ? a[1] : NULL;
		return 0;
	}
	if (!strcmp(obj, "capture")) {
		c->op = CTL_CAPTURE;
		if (argc == 4 && !strcmp(a[2], "on")) {
			c->capture_on = true;
			c->dir = a[3];
		} else if (argc == 3 && !strcmp(a[2], "off")) {
			c->capture_on = false;
		} else {
			return fail(err, errsz, "usage: capture WIRE on DIR | capture WIRE off");
		}
		c->wire = a[1];
		goto check_wire;
	}
	if (!strcmp(obj, "wire")) {
		if (!strcmp(verb, "add")) {
			if (argc < 5)
				return fail(err, errsz, "usage: wire add NAME PORT_A PORT_B [ATTR=VALUE...]");
			c->op = CTL_WIRE_ADD;
			c->wire = a[2];
			c->port[0] = a[3];
			c->port[1] = a[4];
			if (strchr(a[3], '=') || strchr(a[4], '='))
				return fail(err, errsz, "wire add needs two ports before the attributes");
			if (ctl_parse_attrs(argc - 5, a + 5, &c->imp, &c->policy, true, err, errsz))
				return -EINVAL;
		} else if (!strcmp(verb, "del")) {
			if (argc != 3)
				return fail(err, errsz, "usage: wire del NAME");
			c->op = CTL_WIRE_DEL;
			c->wire = a[2];
		} else if (!strcmp(verb, "set")) {
			if (argc < 4)
				return fail(err, errsz, "usage: wire set NAME ATTR=VALUE...");
			c->op = CTL_WIRE_SET;
			c->wire = a[2];
			if (ctl_parse_attrs(argc - 3, a + 3, &c->imp, &c->policy, true, err, errsz))
				return -EINVAL;
		} else {
			return fail(err, errsz, "wire commands are add, del and set");
		}
		goto check_wire;
	}
	if (!strcmp(obj, "pipe")) {
		if (argc < 4)
			return fail(err, errsz, "usage: pipe add|set|del WIRE PIPE [ATTR=VALUE...]");
		c->wire = a[2];
		c->pipe = a[3];
		if (!strcmp(verb, "add")) {
			c->op = CTL_PIPE_ADD;
		} else if (!strcmp(verb, "set")) {
			c->op = CTL_PIPE_SET;
			if (argc < 5)
				return fail(err, errsz, "usage: pipe set WIRE PIPE ATTR=VALUE...");
		} else if (!strcmp(verb, "del")) {
			c->op = CTL_PIPE_DEL;
			if (argc != 4)
				return fail(err, errsz, "usage: pipe del WIRE PIPE");
		} else {
			return fail(err, errsz, "pipe commands are add, set and del");
		}
		if (!emu_name_ok(c->pipe))
			return fail(err, errsz, "bad pipe name '%s' (use [A-Za-z0-9_.:-])", c->pipe);
		if (ctl_parse_attrs(argc - 4, a + 4, &c->imp, &c->policy, false, err, errsz))
			return -EINVAL;
		goto check_wire;
	}
	if (!strcmp(obj, "rule")) {
		if (!strcmp(verb, "add")) {
			const char *e = NULL;
			int i = 3;
			if (argc < 3)
				return fail(err, errsz, "usage: rule add WIRE [at N] ... pipe PIPE");
			c->op = CTL_RULE_ADD;
			c->wire = a[2];
			if (argc >= 5 && !strcmp(a[3], "at")) {
				if (parse_long(a[4], 1000000000L, &c->at))
					return fail(err, errsz, "at takes a rule index (0 is the first)");
				i = 5;
			}
			if (rule_parse(argc - i, a + i, &c->rule, &e))
				return fail(err, errsz, "%s", e);
		} else if (!strcmp(verb, "del")) {
			if (argc != 4)
				return fail(err, errsz, "usage: rule del WIRE N");
			c->op = CTL_RULE_DEL;
			c->wire = a[2];
			if (parse_long(a[3], 1000000000L, &c->index))
				return fail(err, errsz, "rule del takes a rule index (0 is the first)");
		} else {
			return fail(err, errsz, "rule commands are add and del");
		}
		goto check_wire;
	}
	return fail(err, errsz, "unknown command '%s' (wire, rule, pipe, stats, capture, list)", obj);

check_wire:
	if (!emu_name_ok(c->wire))
		return fail(err, errsz, "bad wire name '%s' (use [A-Za-z0-9_.:-])", c->wire);
	return 0;
}

void ctl_cmd_free(struct ctl_cmd *c)
{
	rule_free(&c->rule);
	free(c->argv);
	free(c->buf);
	c->argv = NULL;
	c->buf = NULL;
}
