/* Unit tests of the planner (testbed/plan.c): auto addresses, MACs,
 * Ethernet domains, wires, routes (shortest paths over routers, IPv4 and
 * IPv6, explicit route= lines), and the plan of home-appliance.topo. */
#include "tests/check.h"
#include "testbed/plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

static struct plan *load(const char *text, char **over, size_t n_over)
{
	struct plan *p = NULL;
	struct topo_diag *d;
	if (plan_load_text("t.topo", text, strlen(text), over, n_over, &p, &d)) {
		topo_diag_print(d, stdout, 5);
		p = NULL;
	}
	topo_diag_free(d);
	return p;
}

static const char *a4(const struct plan_iface *f)
{
	static char b[8][80];
	static int i;
	i = (i + 1) % 8;
	return f->addr4.set ? plan_fmt_addr4(b[i], sizeof(b[i]), &f->addr4) : "-";
}

static const char *a6(const struct plan_iface *f)
{
	static char b[8][80];
	static int i;
	i = (i + 1) % 8;
	return f->addr6.set ? plan_fmt_addr6(b[i], sizeof(b[i]), &f->addr6) : "-";
}

/* "DST via GW dev ethN" of route K of host NAME. */
static const char *route(const struct plan *p, const char *name, size_t k)
{
	static char out[200];
	size_t h = plan_find_host(p, name);
	if (h == PLAN_NONE || k >= p->hosts[h].n_routes)
		return "(none)";
	const struct plan_route *r = &p->hosts[h].routes[k];
	char d[64], g[64];
	inet_ntop(r->family, &r->dst, d, sizeof(d));
	inet_ntop(r->family, &r->gw, g, sizeof(g));
	snprintf(out, sizeof(out), "%s/%u via %s dev eth%zu", r->is_default ? "default" : d, r->len, g,
		 r->iface);
	return out;
}

static const struct plan_host *host(const struct plan *p, const char *name)
{
	size_t h = plan_find_host(p, name);
	return h == PLAN_NONE ? NULL : &p->hosts[h];
}

TEST(auto_skips_explicit_network_and_broadcast)
{
	struct plan *p = load("segment s subnet=10.0.0.0/29 subnet6=fd00::/64\n"
			      "host a eth0=s:auto\n"
			      "host b eth0=s:10.0.0.2\n"
			      "host c eth0=s:auto\n"
			      "host d eth0=s:fd00::3\n"
			      "host e eth0=s:auto\n", NULL, 0);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ_STR(a4(&host(p, "a")->ifaces[0]), "10.0.0.1/29");
	CHECK_EQ_STR(a4(&host(p, "b")->ifaces[0]), "10.0.0.2/29");
	CHECK_EQ_STR(a4(&host(p, "c")->ifaces[0]), "10.0.0.3/29");
	/* explicit v6 gets an auto v4; fd00::3 was taken explicitly before c's
	 * turn, so c's IPv6 cannot use its host number 3 */
	CHECK_EQ_STR(a6(&host(p, "a")->ifaces[0]), "fd00::1/64");
	CHECK_EQ_STR(a6(&host(p, "b")->ifaces[0]), "fd00::2/64");
	CHECK(strcmp(a6(&host(p, "c")->ifaces[0]), "fd00::3/64") != 0);
	CHECK_EQ_STR(a6(&host(p, "d")->ifaces[0]), "fd00::3/64");
	CHECK_EQ_STR(a4(&host(p, "d")->ifaces[0]), "10.0.0.4/29");
	CHECK_EQ_STR(a4(&host(p, "e")->ifaces[0]), "10.0.0.5/29");
	CHECK_EQ_STR(a6(&host(p, "e")->ifaces[0]), "fd00::5/64");
	plan_free(p);
	/* /29 has 6 host addresses: the 7th auto fails */
	p = load("segment s subnet=10.0.0.0/29\nhost h[1-6] eth0=s:auto\n", NULL, 0);
	CHECK(p != NULL);
	plan_free(p);
	struct topo_diag *d;
	struct plan *q;
	const char *t = "segment s subnet=10.0.0.0/29\nhost h[1-7] eth0=s:auto\n";
	CHECK_EQ_INT(plan_load_text("t.topo", t, strlen(t), NULL, 0, &q, &d), -EINVAL);
	CHECK_EQ_INT(topo_diag_count(d), 1);
	topo_diag_free(d);
}

TEST(linked_segments_share_a_domain_and_auto_counter)
{
	struct plan *p = load("segment a subnet=10.0.0.0/24\nsegment b subnet=10.0.0.0/24\n"
			      "segment c subnet=10.1.0.0/24\n"
			      "link a b delay=5ms b2a.loss=1%\n"
			      "host x eth0=a:auto\nhost y eth0=b:auto\nhost z eth0=c:auto\n", NULL, 0);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ_INT(p->n_domains, 2);
	CHECK_EQ_INT(p->segments[0].domain, p->segments[1].domain);
	CHECK(p->segments[2].domain != p->segments[0].domain);
	CHECK_EQ_STR(a4(&host(p, "y")->ifaces[0]), "10.0.0.2/24");   /* not .1 again */
	CHECK_EQ_INT(p->n_wires, 1);
	CHECK_EQ_STR(p->wires[0].name, "a:b");
	CHECK_EQ_INT(p->wires[0].kind, PLAN_WIRE_LINK);
	CHECK_EQ_INT(p->wires[0].seg_a, 0);
	CHECK_EQ_INT(p->wires[0].seg_b, 1);
	CHECK_EQ_INT(p->wires[0].im.dir[IMPAIR_A2B].delay_ns, 5000000);
	CHECK(!(p->wires[0].im.dir[IMPAIR_A2B].set & IMP_LOSS));
	CHECK_NEAR(p->wires[0].im.dir[IMPAIR_B2A].loss, 0.01, 1e-12);
	plan_free(p);
}

TEST(interface_wire_directions)
{
	struct plan *p = load("segment s subnet=10.0.0.0/24\n"
			      "host h eth0=s:auto eth1=s:auto,out.delay=3ms,in.loss=2%\n", NULL, 0);
	CHECK(p != NULL);
	if (!p)
		return;
	const struct plan_host *h = host(p, "h");
	CHECK_EQ_INT(h->ifaces[0].wire, PLAN_NONE);
	CHECK_EQ_INT(h->ifaces[1].wire, 0);
	const struct plan_wire *w = &p->wires[0];
	CHECK_EQ_STR(w->name, "h.eth1");
	CHECK_EQ_INT(w->kind, PLAN_WIRE_IFACE);
	CHECK_EQ_INT(w->host, 0);
	CHECK_EQ_INT(w->iface, 1);
	CHECK_EQ_INT(w->seg_a, PLAN_NONE);
	CHECK_EQ_INT(w->seg_b, 0);
	CHECK_EQ_INT(w->im.dir[IMPAIR_A2B].delay_ns, 3000000);   /* out = a2b */
	CHECK(!(w->im.dir[IMPAIR_B2A].set & IMP_DELAY));
	CHECK_NEAR(w->im.dir[IMPAIR_B2A].loss, 0.02, 1e-12);
	plan_free(p);
}

TEST(macs_unique_and_locally_administered)
{
	struct plan *p = load("segment s subnet=10.0.0.0/16\nhost h[1-300] eth0=s:auto eth1=s\n", NULL, 0);
	CHECK(p != NULL);
	if (!p)
		return;
	int dup = 0;
	for (size_t i = 0; i < p->n_hosts; i++)
		for (size_t k = 0; k < p->hosts[i].n_ifaces; k++) {
			const uint8_t *m = p->hosts[i].ifaces[k].mac;
			CHECK((m[0] & 0x02) && !(m[0] & 0x01));
			size_t serial = i * 2 + k;
			dup += (m[4] << 8 | m[5]) != (int)serial;
		}
	CHECK_EQ_INT(dup, 0);
	/* ethN with no address: none given */
	CHECK(!p->hosts[0].ifaces[1].addr4.set);
	plan_free(p);
}

/*     a --- r1 --- b --- r2 --- c --- r3 --- d
 *           \_____________ r4 ___________/      (r4 joins b and d directly)
 * From a, d is 3 hops via r1 (r1, r4): routes follow the shortest path. */
TEST(routes_shortest_paths)
{
	struct plan *p = load("defaults kind=netns\n"
			      "segment a subnet=10.0.1.0/24 subnet6=fd01::/64\n"
			      "segment b subnet=10.0.2.0/24 subnet6=fd02::/64\n"
			      "segment c subnet=10.0.3.0/24 subnet6=fd03::/64\n"
			      "segment d subnet=10.0.4.0/24 subnet6=fd04::/64\n"
			      "host r1 forward=yes eth0=a:10.0.1.1 eth1=b:10.0.2.1\n"
			      "host r2 forward=yes eth0=b:10.0.2.2 eth1=c:10.0.3.2\n"
			      "host r3 forward=yes eth0=c:10.0.3.3 eth1=d:10.0.4.3\n"
			      "host r4 forward=yes eth0=b:10.0.2.4 eth1=d:10.0.4.4\n"
			      "host ha eth0=a:auto\nhost hd eth0=d:auto\n"
			      "host plain eth0=b:auto eth1=c:auto\n", NULL, 0);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ_INT(host(p, "ha")->n_routes, 6);
	CHECK_EQ_STR(route(p, "ha", 0), "10.0.2.0/24 via 10.0.1.1 dev eth0");
	CHECK_EQ_STR(route(p, "ha", 2), "10.0.4.0/24 via 10.0.1.1 dev eth0");
	CHECK_EQ_STR(route(p, "ha", 3), "fd02::/64 via fd01::1 dev eth0");
	/* hd reaches b through r4 (1 hop), not r3 (2 hops) */
	CHECK_EQ_STR(route(p, "hd", 1), "10.0.2.0/24 via 10.0.4.4 dev eth0");
	CHECK_EQ_STR(route(p, "hd", 2), "10.0.3.0/24 via 10.0.4.3 dev eth0");
	/* r1 reaches d through r4 */
	CHECK_EQ_STR(route(p, "r1", 1), "10.0.4.0/24 via 10.0.2.4 dev eth1");
	/* a non-forwarding host with two interfaces is no router: nobody goes
	 * through "plain", and it reaches a on its b side */
	CHECK_EQ_STR(route(p, "plain", 0), "10.0.1.0/24 via 10.0.2.1 dev eth0");
	CHECK_EQ_STR(route(p, "plain", 1), "10.0.4.0/24 via 10.0.2.4 dev eth0");
	plan_free(p);
}

TEST(explicit_routes_replace_computed)
{
	struct plan *p = load("segment a subnet=10.0.1.0/24\nsegment b subnet=10.0.2.0/24\n"
			      "host r kind=netns forward=yes eth0=a:10.0.1.1 eth1=b:10.0.2.1\n"
			      "host h eth0=a:auto route=\"default via 10.0.1.1\" route=\"10.9.0.0/16 via 10.0.1.1\"\n"
			      "host k eth0=b:auto\n", NULL, 0);
	CHECK(p != NULL);
	if (!p)
		return;
	const struct plan_host *h = host(p, "h");
	CHECK_EQ_INT(h->n_routes, 2);
	CHECK(h->routes[0].explicit_ && h->routes[0].is_default);
	CHECK_EQ_STR(route(p, "h", 0), "default/0 via 10.0.1.1 dev eth0");
	CHECK_EQ_STR(route(p, "h", 1), "10.9.0.0/16 via 10.0.1.1 dev eth0");
	CHECK_EQ_STR(route(p, "k", 0), "10.0.1.0/24 via 10.0.2.1 dev eth0");
	plan_free(p);
}

TEST(home_appliance_hosts_8)
{
	char *over[] = { "hosts=8" };
	struct plan *p = NULL;
	struct topo_diag *d;
	int rc = plan_load("topologies/home-appliance.topo", over, 1, &p, &d);
	CHECK_EQ_INT(rc, 0);
	topo_diag_free(d);
	if (rc)
		return;
	CHECK_EQ_STR(p->name, "home-appliance");
	CHECK_EQ_INT(p->n_hosts, 20);
	CHECK_EQ_INT(p->n_segments, 3);
	CHECK_EQ_INT(p->n_wires, 2);
	CHECK_EQ_STR(a4(&host(p, "a1")->ifaces[0]), "10.2.0.2/16");
	CHECK_EQ_STR(a4(&host(p, "b8")->ifaces[0]), "10.2.0.17/16");
	CHECK_EQ_STR(a6(&host(p, "b8")->ifaces[0]), "fd00:0:0:2::11/64");
	CHECK_EQ_STR(route(p, "b8", 0), "10.0.0.0/24 via 10.2.0.1 dev eth0");
	CHECK_EQ_STR(route(p, "b8", 1), "10.1.0.0/24 via 10.2.0.1 dev eth0");
	CHECK_EQ_STR(route(p, "center", 1), "10.2.0.0/16 via 10.0.0.1 dev eth0");
	CHECK_EQ_STR(route(p, "isp2", 2), "fd00::/64 via fd00:0:0:1::1 dev eth0");
	const struct plan_host *r = host(p, "router");
	CHECK(r->forward && r->kind == PLAN_KIND_NETNS && r->n_routes == 0);
	CHECK_EQ_STR(p->wires[r->ifaces[2].wire].name, "router.eth2");
	CHECK_EQ_INT(p->wires[r->ifaces[2].wire].im.dir[IMPAIR_A2B].delay_ns, 10000000);
	CHECK_NEAR(p->wires[r->ifaces[2].wire].im.dir[IMPAIR_B2A].loss, 0.001, 1e-12);
	CHECK_EQ_STR(host(p, "a5")->runs[0].argv[0], "appliance");
	CHECK_EQ_STR(host(p, "a5")->runs[0].argv[4], "100");
	CHECK_EQ_U64(host(p, "a5")->mem_bytes, 48ULL << 20);
	CHECK_EQ_INT(plan_find_segment(p, "access"), 2);
	CHECK_EQ_INT(plan_find_host(p, "a9"), PLAN_NONE);
	plan_free(p);
}

TEST(printers_stream_units)
{
	struct plan *p = load("segment a\nsegment b\nlink a b delay=1500us rate=10mbit queue=20\n"
			      "host h kind=qemu cpus=2 mem=1G eth0=a run=\"sh -c 'echo hi'\"\n", NULL, 0);
	CHECK(p != NULL);
	if (!p)
		return;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	plan_print_text(p, f);
	fclose(f);
	CHECK(strstr(buf, "kind qemu mem 1G cpus 2") != NULL);
	CHECK(strstr(buf, "both  delay=1.5ms rate=10mbit queue=20") != NULL);
	CHECK(strstr(buf, "run sh -c 'echo hi'") != NULL);
	free(buf);
	f = open_memstream(&buf, &len);
	plan_print_json(p, f);
	fclose(f);
	CHECK(strstr(buf, "\"delay_ns\": 1500000") != NULL || strstr(buf, "\"delay_ns\":1500000") != NULL);
	CHECK(strstr(buf, "\"echo hi\"") != NULL);
	free(buf);
	plan_free(p);
}

int main(void) { return run_tests(); }
