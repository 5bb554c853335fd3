/* cmd_link — `testbed link NAME SEG_A SEG_B ATTR=VALUE...` and
 * `testbed link NAME HOST ethN ATTR=VALUE...`: change a wire's impairments
 * while the testbed runs (up=no cuts it, up=yes restores it).  Attributes
 * are checked here, with the topology's own rules, before the emulator
 * sees them; the emulator swaps the new settings in without losing queued
 * frames. */
#include "commands.h"
#include "emuctl.h"
#include "impair.h"
#include "log.h"
#include "testbed_state.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const link_prefix[2] = { "a2b", "b2a" };
static const char *const iface_prefix[2] = { "out", "in" };

static void append(char **line, const struct impair_dir *d, const char *prefix)
{
	char buf[1024], *save = NULL;
	impair_dir_format(d, buf, sizeof(buf));
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *n = xasprintf("%s %s.%s", *line, prefix, w);
		free(*line);
		*line = n;
	}
}

int cmd_link(int argc, char **argv)
{
	struct plan *p = NULL;
	char *state = NULL, *wire = NULL, *line = NULL, *ctl = NULL, *reply = NULL;
	const char *const *prefix = link_prefix;
	int swap = 0, rc = 1;
	struct impair im;

	if (argc < 5) {
		fprintf(stderr, "usage: testbed link NAME SEG_A SEG_B ATTR=VALUE...\n"
				"       testbed link NAME HOST ethN ATTR=VALUE...\n");
		return 2;
	}
	state = testbed_resolve(argv[1]);
	if (!state)
		goto out;
	int lr = testbed_load_plan(state, &p);
	if (lr < 0) {
		log_err("no testbed %s is up (%s); 'testbed list' shows those that are.", argv[1], strerror(-lr));
		goto out;
	}
	const char *x = argv[2], *y = argv[3];
	if (plan_find_segment(p, x) != PLAN_NONE && plan_find_segment(p, y) != PLAN_NONE) {
		char *ab = xasprintf("%s:%s", x, y), *ba = xasprintf("%s:%s", y, x);
		for (size_t w = 0; w < p->n_wires && !wire; w++) {
			if (!strcmp(p->wires[w].name, ab))
				wire = xstrdup(ab);
			else if (!strcmp(p->wires[w].name, ba)) {
				wire = xstrdup(ba);
				swap = 1;      /* the user's a is the wire's b */
			}
		}
		free(ab);
		free(ba);
		if (!wire) {
			log_err("no link joins segments %s and %s in testbed %s.", x, y, p->name);
			goto out;
		}
	} else if (plan_find_host(p, x) != PLAN_NONE) {
		char *name = xasprintf("%s.%s", x, y);
		for (size_t w = 0; w < p->n_wires && !wire; w++)
			if (!strcmp(p->wires[w].name, name))
				wire = xstrdup(name);
		if (!wire) {
			log_err("interface %s of host %s has no emulator wire; give it an impairment in the "
				"topology (e.g. %s=SEG:ADDR,delay=0ms) to change it at run time.", y, x, y);
			free(name);
			goto out;
		}
		free(name);
		prefix = iface_prefix;
	} else {
		log_err("'%s' is neither a segment nor a host of testbed %s.", x, p->name);
		goto out;
	}

	impair_init(&im);
	for (int i = 4; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *expect = NULL;
		if (!eq) {
			log_err("'%s' is not ATTR=VALUE.", argv[i]);
			goto out;
		}
		char *key = xstrndup(argv[i], (size_t)(eq - argv[i]));
		int src = impair_set(&im, key, eq + 1, prefix, &expect);
		if (src == -ENOENT)
			log_err("'%s' is not an attribute of a %s; expected %s.", key,
				prefix == link_prefix ? "link" : "interface", expect);
		else if (src < 0)
			log_err("%s=%s: expected %s.", key, eq + 1, expect);
		free(key);
		if (src < 0)
			goto out;
	}
	line = xasprintf("wire set %s", wire);
	append(&line, &im.dir[swap ? 1 : 0], "a2b");
	append(&line, &im.dir[swap ? 0 : 1], "b2a");
	ctl = xasprintf("%s/emu.ctl", state);
	int erc = emuctl_cmd(ctl, line, &reply);
	if (erc < 0) {
		log_err("wire %s: %s", wire, reply ? reply : strerror(-erc));
		goto out;
	}
	printf("%s: %s\n", wire, line + strlen("wire set ") + strlen(wire) + 1);
	rc = 0;
out:
	free(reply);
	free(ctl);
	free(line);
	free(wire);
	free(state);
	if (p)
		plan_free(p);
	return rc;
}
