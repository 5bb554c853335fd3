/* plan_print — the plan as `testbed check` shows it: a readable listing
 * (units through lib/units printers) or JSON (lib/json).  Both stream: one
 * pass, nothing held per host, so a plan of 100000 hosts prints at disk
 * speed. */
#include "plan.h"
#include "json.h"
#include "units.h"

#include <arpa/inet.h>
#include <string.h>

static void fmt_mac(char buf[18], const uint8_t m[6])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void fmt_route(char *dst, size_t dsz, char *gw, size_t gsz, const struct plan_route *r)
{
	char a[INET6_ADDRSTRLEN];
	if (r->is_default)
		snprintf(dst, dsz, "default");
	else {
		inet_ntop(r->family, &r->dst, a, sizeof(a));
		snprintf(dst, dsz, "%s/%u", a, r->len);
	}
	inet_ntop(r->family, &r->gw, gw, (socklen_t)gsz);
}

/* An argv word as it would be written in run= (single quotes if needed). */
static void put_word(FILE *out, const char *w)
{
	if (*w && !strpbrk(w, " \t'"))
		fputs(w, out);
	else
		fprintf(out, "'%s'", w);
}

static void print_impair(FILE *out, const struct impair *im, const char *n0, const char *n1)
{
	char a[512], b[512];
	impair_dir_format(&im->dir[0], a, sizeof(a));
	impair_dir_format(&im->dir[1], b, sizeof(b));
	if (!strcmp(a, b))
		fprintf(out, "    both  %s\n", *a ? a : "(perfect wire)");
	else {
		fprintf(out, "    %-4s  %s\n", n0, *a ? a : "(perfect)");
		fprintf(out, "    %-4s  %s\n", n1, *b ? b : "(perfect)");
	}
}

void plan_print_text(const struct plan *p, FILE *out)
{
	char b1[80], b2[80], u[UNITS_BUFSZ];

	fprintf(out, "testbed %s: %zu segment%s, %zu host%s, %zu wire%s\n", p->name,
		p->n_segments, p->n_segments == 1 ? "" : "s", p->n_hosts, p->n_hosts == 1 ? "" : "s",
		p->n_wires, p->n_wires == 1 ? "" : "s");
	fprintf(out, "\nsegments:\n");
	for (size_t i = 0; i < p->n_segments; i++) {
		const struct plan_segment *s = &p->segments[i];
		fprintf(out, "  %-12s switch %-6s", s->name, plan_switch_names[s->sw]);
		if (s->subnet4.set)
			fprintf(out, " subnet %s", plan_fmt_addr4(b1, sizeof(b1), &s->subnet4));
		if (s->subnet6.set)
			fprintf(out, " subnet6 %s", plan_fmt_addr6(b1, sizeof(b1), &s->subnet6));
		fprintf(out, " domain %zu%s\n", s->domain, s->capture ? " capture" : "");
	}
	fprintf(out, "\nhosts:\n");
	for (size_t i = 0; i < p->n_hosts; i++) {
		const struct plan_host *h = &p->hosts[i];
		fprintf(out, "  %s  kind %s", h->name, plan_kind_names[h->kind]);
		if (h->kind != PLAN_KIND_NETNS)
			fprintf(out, " mem %s cpus %u", fmt_size(u, h->mem_bytes), h->cpus);
		if (h->image)
			fprintf(out, " image %s", h->image);
		fprintf(out, "%s\n", h->forward ? " forward" : "");
		for (size_t k = 0; k < h->n_ifaces; k++) {
			const struct plan_iface *f = &h->ifaces[k];
			char mac[18];
			fmt_mac(mac, f->mac);
			fprintf(out, "    eth%u  %-10s %s", f->index, p->segments[f->segment].name, mac);
			if (f->addr4.set)
				fprintf(out, "  %s", plan_fmt_addr4(b1, sizeof(b1), &f->addr4));
			if (f->addr6.set)
				fprintf(out, "  %s", plan_fmt_addr6(b1, sizeof(b1), &f->addr6));
			if (f->wire != PLAN_NONE)
				fprintf(out, "  wire %s", p->wires[f->wire].name);
			fputc('\n', out);
		}
		for (size_t k = 0; k < h->n_routes; k++) {
			const struct plan_route *r = &h->routes[k];
			fmt_route(b1, sizeof(b1), b2, sizeof(b2), r);
			fprintf(out, "    route %s via %s dev eth%zu%s\n", b1, b2, r->iface,
				r->explicit_ ? " (route=)" : "");
		}
		for (size_t k = 0; k < h->n_runs; k++) {
			fputs("    run", out);
			for (size_t a = 0; a < h->runs[k].argc; a++) {
				fputc(' ', out);
				put_word(out, h->runs[k].argv[a]);
			}
			fputc('\n', out);
		}
	}
	if (p->n_wires)
		fprintf(out, "\nwires:\n");
	for (size_t i = 0; i < p->n_wires; i++) {
		const struct plan_wire *w = &p->wires[i];
		if (w->kind == PLAN_WIRE_LINK) {
			fprintf(out, "  %s  link %s <-> %s\n", w->name, p->segments[w->seg_a].name,
				p->segments[w->seg_b].name);
			print_impair(out, &w->im, "a2b", "b2a");
		} else {
			fprintf(out, "  %s  interface %s eth%zu <-> segment %s\n", w->name,
				p->hosts[w->host].name, w->iface, p->segments[w->seg_b].name);
			print_impair(out, &w->im, "out", "in");
		}
	}
	if (p->experiment.set) {
		const struct plan_experiment *e = &p->experiment;
		fprintf(out, "\nexperiment (testbed run):\n");
		if (e->prepare.argc) {
			fprintf(out, "  prepare:");
			for (size_t a = 0; a < e->prepare.argc; a++) {
				fputc(' ', out);
				put_word(out, e->prepare.argv[a]);
			}
			fputc('\n', out);
		}
		fprintf(out, "  done when ${data}/%s exists, within %s\n", e->done,
			fmt_duration(u, e->timeout_ns));
		if (e->results)
			fprintf(out, "  results: ${data}/%s\n", e->results);
		if (e->summary)
			fprintf(out, "  summary: ${data}/%s\n", e->summary);
	}
}

static void json_addr4(struct json *j, const char *k, const struct plan_addr4 *a)
{
	char b[80];
	json_key(j, k);
	if (a->set)
		json_str(j, plan_fmt_addr4(b, sizeof(b), a));
	else
		json_null(j);
}

static void json_addr6(struct json *j, const char *k, const struct plan_addr6 *a)
{
	char b[80];
	json_key(j, k);
	if (a->set)
		json_str(j, plan_fmt_addr6(b, sizeof(b), a));
	else
		json_null(j);
}

static void json_dir(struct json *j, const char *k, const struct impair_dir *d)
{
	char b[512];
	json_key(j, k);
	json_obj_begin(j);
	json_kv_str(j, "text", impair_dir_format(d, b, sizeof(b)));
	if (d->set & IMP_DELAY) json_kv_int(j, "delay_ns", d->delay_ns);
	if (d->set & IMP_JITTER) json_kv_int(j, "jitter_ns", d->jitter_ns);
	if (d->set & IMP_DIST) json_kv_str(j, "dist", impair_dist_names[d->dist]);
	if (d->set & IMP_JITTER_REORDER) json_kv_bool(j, "jitter_reorder", d->jitter_reorder);
	if (d->set & IMP_LOSS) {
		if (d->loss_model == LOSS_GILBERT) {
			json_key(j, "gilbert");
			json_obj_begin(j);
			json_kv_double(j, "p", d->ge_p);
			json_kv_double(j, "r", d->ge_r);
			json_kv_double(j, "h", d->ge_h);
			json_kv_double(j, "k", d->ge_k);
			json_obj_end(j);
		} else {
			json_kv_double(j, "loss", d->loss);
		}
	}
	if (d->set & IMP_RATE) json_kv_uint(j, "rate_bps", d->rate_bps);
	if (d->set & IMP_QUEUE) json_kv_uint(j, "queue", d->queue_frames);
	if (d->set & IMP_QUEUE_BYTES) json_kv_uint(j, "queue_bytes", d->queue_bytes);
	if (d->set & IMP_OVERHEAD) json_kv_uint(j, "overhead", d->overhead);
	if (d->set & IMP_REORDER) json_kv_double(j, "reorder", d->reorder);
	if (d->set & IMP_DUPLICATE) json_kv_double(j, "duplicate", d->duplicate);
	if (d->set & IMP_CORRUPT) json_kv_double(j, "corrupt", d->corrupt);
	if (d->set & IMP_UP) json_kv_bool(j, "up", d->up);
	json_obj_end(j);
}

void plan_print_json(const struct plan *p, FILE *out)
{
	struct json j;
	char b1[80], b2[80];

	json_init(&j, out, 1);
	json_obj_begin(&j);
	json_kv_str(&j, "name", p->name);
	if (p->experiment.set) {
		const struct plan_experiment *e = &p->experiment;
		json_key(&j, "experiment");
		json_obj_begin(&j);
		json_key(&j, "prepare");
		json_arr_begin(&j);
		for (size_t a = 0; a < e->prepare.argc; a++)
			json_str(&j, e->prepare.argv[a]);
		json_arr_end(&j);
		json_kv_str(&j, "done", e->done);
		if (e->results)
			json_kv_str(&j, "results", e->results);
		if (e->summary)
			json_kv_str(&j, "summary", e->summary);
		json_kv_int(&j, "timeout_ns", e->timeout_ns);
		json_obj_end(&j);
	}
	json_key(&j, "segments");
	json_arr_begin(&j);
	for (size_t i = 0; i < p->n_segments; i++) {
		const struct plan_segment *s = &p->segments[i];
		json_obj_begin(&j);
		json_kv_str(&j, "name", s->name);
		json_addr4(&j, "subnet", &s->subnet4);
		json_addr6(&j, "subnet6", &s->subnet6);
		json_kv_str(&j, "switch", plan_switch_names[s->sw]);
		json_kv_bool(&j, "capture", s->capture);
		json_kv_uint(&j, "domain", s->domain);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "hosts");
	json_arr_begin(&j);
	for (size_t i = 0; i < p->n_hosts; i++) {
		const struct plan_host *h = &p->hosts[i];
		json_obj_begin(&j);
		json_kv_str(&j, "name", h->name);
		json_kv_str(&j, "kind", plan_kind_names[h->kind]);
		json_kv_uint(&j, "mem_bytes", h->mem_bytes);
		json_kv_uint(&j, "cpus", h->cpus);
		json_key(&j, "image");
		if (h->image)
			json_str(&j, h->image);
		else
			json_null(&j);
		json_kv_bool(&j, "forward", h->forward);
		json_key(&j, "interfaces");
		json_arr_begin(&j);
		for (size_t k = 0; k < h->n_ifaces; k++) {
			const struct plan_iface *f = &h->ifaces[k];
			char mac[18], nm[16];
			json_obj_begin(&j);
			snprintf(nm, sizeof(nm), "eth%u", f->index);
			json_kv_str(&j, "name", nm);
			json_kv_str(&j, "segment", p->segments[f->segment].name);
			json_addr4(&j, "ipv4", &f->addr4);
			json_addr6(&j, "ipv6", &f->addr6);
			fmt_mac(mac, f->mac);
			json_kv_str(&j, "mac", mac);
			json_key(&j, "wire");
			if (f->wire != PLAN_NONE)
				json_str(&j, p->wires[f->wire].name);
			else
				json_null(&j);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_key(&j, "routes");
		json_arr_begin(&j);
		for (size_t k = 0; k < h->n_routes; k++) {
			const struct plan_route *r = &h->routes[k];
			char dev[24];
			fmt_route(b1, sizeof(b1), b2, sizeof(b2), r);
			snprintf(dev, sizeof(dev), "eth%zu", r->iface);
			json_obj_begin(&j);
			json_kv_str(&j, "dst", b1);
			json_kv_str(&j, "via", b2);
			json_kv_str(&j, "dev", dev);
			json_kv_bool(&j, "explicit", r->explicit_);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_key(&j, "run");
		json_arr_begin(&j);
		for (size_t k = 0; k < h->n_runs; k++) {
			json_arr_begin(&j);
			for (size_t a = 0; a < h->runs[k].argc; a++)
				json_str(&j, h->runs[k].argv[a]);
			json_arr_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "wires");
	json_arr_begin(&j);
	for (size_t i = 0; i < p->n_wires; i++) {
		const struct plan_wire *w = &p->wires[i];
		json_obj_begin(&j);
		json_kv_str(&j, "name", w->name);
		json_kv_str(&j, "kind", w->kind == PLAN_WIRE_LINK ? "link" : "interface");
		if (w->kind == PLAN_WIRE_LINK) {
			json_kv_str(&j, "a", p->segments[w->seg_a].name);
			json_kv_str(&j, "b", p->segments[w->seg_b].name);
			json_dir(&j, "a2b", &w->im.dir[IMPAIR_A2B]);
			json_dir(&j, "b2a", &w->im.dir[IMPAIR_B2A]);
		} else {
			char nm[16];
			snprintf(nm, sizeof(nm), "eth%zu", w->iface);
			json_kv_str(&j, "host", p->hosts[w->host].name);
			json_kv_str(&j, "interface", nm);
			json_kv_str(&j, "segment", p->segments[w->seg_b].name);
			json_dir(&j, "out", &w->im.dir[IMPAIR_A2B]);
			json_dir(&j, "in", &w->im.dir[IMPAIR_B2A]);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}
