/* plan_hostcfg — see plan_hostcfg.h. */
#include "plan_hostcfg.h"
#include "segment.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *plan_iface_switch(const struct plan *p, const struct plan_iface *ifc)
{
	if (ifc->wire != PLAN_NONE)
		return p->wires[ifc->wire].name;
	return p->segments[ifc->segment].name;
}

/* Join an argv back into a run line that hostcfg_split_argv splits the
 * same way: words with blanks are single-quoted. */
static int join_argv(const struct plan_argv *a, char **out)
{
	size_t len = 1;
	for (size_t i = 0; i < a->argc; i++)
		len += strlen(a->argv[i]) + 3;
	char *s = xmalloc(len), *o = s;
	for (size_t i = 0; i < a->argc; i++) {
		const char *w = a->argv[i];
		int quote = w[0] == '\0' || strpbrk(w, " \t") != NULL;
		if (quote && strchr(w, '\'')) {
			free(s);
			return -EINVAL;
		}
		if (i)
			*o++ = ' ';
		o += sprintf(o, quote ? "'%s'" : "%s", w);
	}
	*o = '\0';
	*out = s;
	return 0;
}

char *plan_expand_data(const char *s, const char *data)
{
	size_t fl = strlen(PLAN_VAR_DATA), n = 0;
	for (const char *p = strstr(s, PLAN_VAR_DATA); p; p = strstr(p + fl, PLAN_VAR_DATA))
		n++;
	char *out = xmalloc(strlen(s) + n * strlen(data) + 1), *o = out;
	for (const char *p = s; *p;) {
		if (!strncmp(p, PLAN_VAR_DATA, fl)) {
			o = stpcpy(o, data);
			p += fl;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

int plan_hostcfg(const struct plan *p, size_t h, const char *state_dir, struct hostcfg *c)
{
	const struct plan_host *ph = &p->hosts[h];
	char buf[INET6_ADDRSTRLEN + 8];

	c->name = xstrdup(ph->name);
	c->kind = xstrdup(plan_kind_names[ph->kind]);
	c->mem = ph->mem_bytes;
	c->cpus = ph->cpus;
	c->forward = ph->forward;
	for (size_t i = 0; i < ph->n_ifaces; i++) {
		const struct plan_iface *ifc = &ph->ifaces[i];
		char *dev = xasprintf("eth%u", ifc->index);
		struct hostcfg_nic nic = { xstrdup(dev),
			segment_ctl_path(state_dir, plan_iface_switch(p, ifc)) };
		VEC_PUSH(c->nics, nic);
		if (ifc->addr4.set) {
			struct hostcfg_addr a = { xstrdup(dev), xstrdup(plan_fmt_addr4(buf, sizeof(buf), &ifc->addr4)) };
			VEC_PUSH(c->addrs, a);
		}
		if (ifc->addr6.set) {
			struct hostcfg_addr a = { xstrdup(dev), xstrdup(plan_fmt_addr6(buf, sizeof(buf), &ifc->addr6)) };
			VEC_PUSH(c->addrs, a);
		}
		free(dev);
	}
	for (size_t i = 0; i < ph->n_routes; i++) {
		const struct plan_route *r = &ph->routes[i];
		char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
		inet_ntop(r->family, &r->dst, dst, sizeof(dst));
		inet_ntop(r->family, &r->gw, gw, sizeof(gw));
		struct hostcfg_route rt = {
			r->is_default ? xstrdup("default") : xasprintf("%s/%u", dst, r->len),
			xstrdup(gw) };
		VEC_PUSH(c->routes, rt);
	}
	/* ${data}: the machine's directory for a netns host, which shares the
	 * machine's files; a UML guest's tbinit mounts it at /data (hostfs) */
	char *data_dir = xasprintf("%s/data", state_dir);
	const char *data_seen = ph->kind == PLAN_KIND_NETNS ? data_dir : "/data";
	c->data = data_dir;
	for (size_t i = 0; i < ph->n_runs; i++) {
		char *line;
		struct plan_argv a = { xcalloc(ph->runs[i].argc + 1, sizeof(char *)), ph->runs[i].argc };
		for (size_t k = 0; k < a.argc; k++)
			a.argv[k] = plan_expand_data(ph->runs[i].argv[k], data_seen);
		int rc = join_argv(&a, &line);
		for (size_t k = 0; k < a.argc; k++)
			free(a.argv[k]);
		free(a.argv);
		if (rc < 0)
			return -EINVAL;
		VEC_PUSH(c->runs, line);
	}
	return 0;
}
