/* plan — from the parsed model to the concrete plan (plan.h): references
 * resolved, Ethernet domains found, addresses checked and `auto` ones
 * assigned, MACs chosen, wires made, routes computed.  Everything that
 * needs the whole topology is checked here, with the place in the file
 * that the model kept. */
#include "topo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct plan_index { struct hmap *hosts, *segments; };

/* ---------- small address helpers (all on 16-byte big-endian keys) ---------- */

/* An address of either family as 16 bytes (IPv4 in the first 4). */
struct akey { uint8_t fam; uint8_t a[16]; };

static struct akey key4(struct in_addr a)
{
	struct akey k = { .fam = 4 };
	memcpy(k.a, &a, 4);
	return k;
}

static struct akey key6(const struct in6_addr *a)
{
	struct akey k = { .fam = 6 };
	memcpy(k.a, a, 16);
	return k;
}

static void mask_bytes(uint8_t *a, unsigned nbytes, unsigned len)
{
	for (unsigned b = len; b < nbytes * 8; b++)
		a[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
}

static bool in_prefix(const uint8_t *a, const uint8_t *net, unsigned nbytes, unsigned len)
{
	uint8_t x[16];
	memcpy(x, a, nbytes);
	mask_bytes(x, nbytes, len);
	return !memcmp(x, net, nbytes);
}

char *plan_fmt_addr4(char *buf, size_t size, const struct plan_addr4 *a)
{
	char t[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a->addr, t, sizeof(t));
	snprintf(buf, size, "%s/%u", t, a->len);
	return buf;
}

char *plan_fmt_addr6(char *buf, size_t size, const struct plan_addr6 *a)
{
	char t[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &a->addr, t, sizeof(t));
	snprintf(buf, size, "%s/%u", t, a->len);
	return buf;
}

/* Host number N of a prefix (N counted from the network address). */
static void v4_host(struct in_addr net, uint64_t n, struct in_addr *out)
{
	out->s_addr = htonl(ntohl(net.s_addr) + (uint32_t)n);
}

static void v6_host(const struct in6_addr *net, uint64_t n, struct in6_addr *out)
{
	*out = *net;
	unsigned carry = 0;
	for (int i = 15; i >= 0; i--) {
		unsigned v = out->s6_addr[i] + (unsigned)(n & 0xff) + carry;
		out->s6_addr[i] = (uint8_t)v;
		carry = v >> 8;
		n >>= 8;
	}
}

/* ---------- building ---------- */

struct cursor { uint64_t next; bool reported; };

struct builder {
	const struct topo *t;
	struct topo_diag *d;
	struct plan *p;
	size_t *uf;                     /* union-find over segments */
	struct hmap *taken;             /* akey -> host << 16 | iface */
	struct hmap *cursors;           /* prefix key -> index into cur */
	VEC(struct cursor) cur;
};

static size_t uf_find(size_t *uf, size_t i)
{
	while (uf[i] != i) {
		uf[i] = uf[uf[i]];
		i = uf[i];
	}
	return i;
}

static size_t seg_lookup(const struct topo *t, const char *name)
{
	size_t *v = hmap_gets(t->names, name);
	return v && !(*v & 1) ? *v / 2 : PLAN_NONE;
}

static void undefined_segment(struct builder *B, const char *name, struct org at)
{
	size_t *v = hmap_gets(B->t->names, name);
	if (v)
		diag_error(B->d, at, "'%s' is a host, not a segment", name);
	else
		diag_error(B->d, at, "undefined segment '%s': no 'segment %s' statement in the file",
			   name, name);
}

static void build_segments(struct builder *B)
{
	const struct topo *t = B->t;
	struct plan *p = B->p;
	struct hmap *pairs = hmap_new();

	p->n_segments = t->segments.n;
	p->segments = xcalloc(p->n_segments, sizeof(*p->segments));
	B->uf = xmalloc((p->n_segments + 1) * sizeof(size_t));
	for (size_t i = 0; i < p->n_segments; i++) {
		const struct m_segment *m = &t->segments.v[i];
		struct plan_segment *s = &p->segments[i];
		s->name = xstrdup(m->name);
		s->subnet4 = m->sub4;
		s->subnet6 = m->sub6;
		s->sw = m->sw;
		s->capture = m->capture;
		B->uf[i] = i;
	}
	for (size_t i = 0; i < t->links.n; i++) {
		const struct m_link *l = &t->links.v[i];
		size_t a = seg_lookup(t, l->a), b = seg_lookup(t, l->b);
		if (a == PLAN_NONE)
			undefined_segment(B, l->a, l->at_a);
		if (b == PLAN_NONE)
			undefined_segment(B, l->b, l->at_b);
		if (a == PLAN_NONE || b == PLAN_NONE)
			continue;
		if (a == b) {
			diag_error(B->d, l->at_b, "a link joins two different segments, not '%s' with itself", l->a);
			continue;
		}
		size_t k[2] = { a < b ? a : b, a < b ? b : a };
		bool inserted;
		size_t *prev = hmap_put(pairs, k, sizeof(k), i, &inserted);
		if (!inserted) {
			diag_error(B->d, l->at, "segments '%s' and '%s' are already linked at line %u",
				   l->a, l->b, t->links.v[*prev].at.line);
			continue;
		}
		B->uf[uf_find(B->uf, a)] = uf_find(B->uf, b);
	}
	hmap_free(pairs);
	/* number the domains in order of their first segment */
	size_t *dom = xmalloc((p->n_segments + 1) * sizeof(size_t));
	for (size_t i = 0; i < p->n_segments; i++)
		dom[i] = PLAN_NONE;
	for (size_t i = 0; i < p->n_segments; i++) {
		size_t r = uf_find(B->uf, i);
		if (dom[r] == PLAN_NONE)
			dom[r] = p->n_domains++;
		p->segments[i].domain = dom[r];
	}
	free(dom);
}

/* Subnets of different domains must not overlap (nested or equal), and
 * linked segments either share one subnet or have disjoint ones: sort the
 * prefixes and sweep, O(n log n). */
struct pfx { uint8_t a[16], e[16]; unsigned len; size_t seg; };
static unsigned sort_nbytes;
static int pfx_cmp(const void *x, const void *y)
{
	const struct pfx *a = x, *b = y;
	int c = memcmp(a->a, b->a, sort_nbytes);
	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->seg < b->seg ? -1 : a->seg > b->seg;
}

static void check_overlaps(struct builder *B, int fam)
{
	const struct topo *t = B->t;
	unsigned nb = fam == 4 ? 4 : 16;
	VEC(struct pfx) v = { 0 };
	for (size_t i = 0; i < t->segments.n; i++) {
		const struct m_segment *m = &t->segments.v[i];
		struct pfx x = { .seg = i };
		if (fam == 4 && m->sub4.set) {
			memcpy(x.a, &m->sub4.addr, 4);
			x.len = m->sub4.len;
		} else if (fam == 6 && m->sub6.set) {
			memcpy(x.a, &m->sub6.addr, 16);
			x.len = m->sub6.len;
		} else {
			continue;
		}
		memcpy(x.e, x.a, nb);
		for (unsigned b = x.len; b < nb * 8; b++)
			x.e[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		VEC_PUSH(v, x);
	}
	sort_nbytes = nb;
	if (v.n)
		qsort(v.v, v.n, sizeof(*v.v), pfx_cmp);
	size_t cover = PLAN_NONE;
	for (size_t i = 0; i < v.n; i++) {
		if (cover != PLAN_NONE && memcmp(v.v[i].a, v.v[cover].e, nb) <= 0) {
			const struct pfx *c = &v.v[cover], *x = &v.v[i];
			const struct m_segment *cs = &t->segments.v[c->seg], *xs = &t->segments.v[x->seg];
			bool same_dom = B->p->segments[c->seg].domain == B->p->segments[x->seg].domain;
			if (!(same_dom && c->len == x->len)) {
				/* report at the later of the two in the file */
				const struct m_segment *late = xs->at.line >= cs->at.line ? xs : cs;
				const struct m_segment *early = late == xs ? cs : xs;
				char b1[64], b2[64];
				if (fam == 4) {
					plan_fmt_addr4(b1, sizeof(b1), &late->sub4);
					plan_fmt_addr4(b2, sizeof(b2), &early->sub4);
				} else {
					plan_fmt_addr6(b1, sizeof(b1), &late->sub6);
					plan_fmt_addr6(b2, sizeof(b2), &early->sub6);
				}
				diag_error(B->d, fam == 4 ? late->at4 : late->at6,
					   "subnet %s of segment '%s' overlaps %s of segment '%s'%s", b1,
					   late->name, b2, early->name,
					   same_dom ? " (linked segments share one subnet or have disjoint ones)"
						    : ", which is not linked to it");
			}
			continue;
		}
		cover = i;
	}
	VEC_FREE(v);
}

static void check_ifaces(struct builder *B, const struct m_host *h, size_t **order)
{
	/* ethN numbering: no duplicates, no gaps; order[i] = model index of ethi */
	size_t n = h->ifaces.n;
	*order = xmalloc((n + 1) * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		(*order)[i] = PLAN_NONE;
	for (size_t i = 0; i < n; i++) {
		const struct m_iface *f = &h->ifaces.v[i];
		if (f->index >= n) {
			continue;
		}
		if ((*order)[f->index] != PLAN_NONE) {
			diag_error(B->d, f->at, "eth%u of host '%s' is given twice", f->index, h->name);
			continue;
		}
		(*order)[f->index] = i;
	}
	unsigned missing = 0;
	while (missing < n && (*order)[missing] != PLAN_NONE)
		missing++;
	if (missing < n) {
		/* point at the first interface written with a number past the gap */
		for (size_t i = 0; i < n; i++)
			if (h->ifaces.v[i].index > missing) {
				diag_error(B->d, h->ifaces.v[i].at, "eth%u of host '%s' leaves a gap: "
					   "interfaces are numbered from eth0 without gaps, and eth%u is missing",
					   h->ifaces.v[i].index, h->name, missing);
				break;
			}
		free(*order);
		*order = NULL;
	}
}

static bool take(struct builder *B, struct akey k, size_t host, size_t iface, size_t *prev)
{
	bool inserted;
	size_t *v = hmap_put(B->taken, &k, sizeof(k), host << 16 | iface, &inserted);
	*prev = *v;
	return inserted;
}

static void dup_addr(struct builder *B, struct org at, const char *text, size_t prev)
{
	const struct m_host *ph = &B->t->hosts.v[prev >> 16];
	const struct plan_iface *pf = &B->p->hosts[prev >> 16].ifaces[prev & 0xffff];
	diag_error(B->d, at, "address %s is already used by %s eth%u", text, ph->name, pf->index);
}

/* Explicit addresses: inside the segment's subnet, not its network or
 * broadcast address, not used twice. */
static void explicit_addr(struct builder *B, size_t hi, size_t fi, const struct m_iface *m)
{
	struct plan_iface *f = &B->p->hosts[hi].ifaces[fi];
	const struct plan_segment *s = &B->p->segments[f->segment];
	char buf[80];
	size_t prev;

	if (m->addr == ADDR_V4) {
		struct plan_addr4 a = m->a4;
		if (!a.len) {
			if (!s->subnet4.set) {
				diag_error(B->d, m->at_addr, "address %s needs a /LEN: segment '%s' has no subnet=",
					   inet_ntop(AF_INET, &a.addr, buf, sizeof(buf)), s->name);
				return;
			}
			a.len = s->subnet4.len;
		}
		plan_fmt_addr4(buf, sizeof(buf), &a);
		if (s->subnet4.set) {
			char sb[64];
			if (a.len != s->subnet4.len || !in_prefix((uint8_t *)&a.addr, (uint8_t *)&s->subnet4.addr, 4,
								  s->subnet4.len)) {
				diag_error(B->d, m->at_addr, "address %s is outside segment '%s''s subnet %s", buf,
					   s->name, plan_fmt_addr4(sb, sizeof(sb), &s->subnet4));
				return;
			}
		}
		uint32_t x = ntohl(a.addr.s_addr), hm = a.len ? ~(~0u << (32 - a.len)) : ~0u;
		if (a.len < 31 && ((x & hm) == 0 || (x & hm) == hm)) {
			diag_error(B->d, m->at_addr, "address %s is the %s address of its subnet, not a host's",
				   buf, (x & hm) == 0 ? "network" : "broadcast");
			return;
		}
		if (!take(B, key4(a.addr), hi, fi, &prev)) {
			dup_addr(B, m->at_addr, buf, prev);
			return;
		}
		f->addr4 = a;
	} else if (m->addr == ADDR_V6) {
		struct plan_addr6 a = m->a6;
		if (!a.len) {
			if (!s->subnet6.set) {
				diag_error(B->d, m->at_addr, "address %s needs a /LEN: segment '%s' has no subnet6=",
					   inet_ntop(AF_INET6, &a.addr, buf, sizeof(buf)), s->name);
				return;
			}
			a.len = s->subnet6.len;
		}
		plan_fmt_addr6(buf, sizeof(buf), &a);
		if (s->subnet6.set) {
			char sb[80];
			if (a.len != s->subnet6.len || !in_prefix(a.addr.s6_addr, s->subnet6.addr.s6_addr, 16,
								  s->subnet6.len)) {
				diag_error(B->d, m->at_addr, "address %s is outside segment '%s''s subnet6 %s", buf,
					   s->name, plan_fmt_addr6(sb, sizeof(sb), &s->subnet6));
				return;
			}
		}
		struct in6_addr net = a.addr;
		mask_bytes(net.s6_addr, 16, a.len);
		if (a.len < 127 && !memcmp(&net, &a.addr, 16)) {
			diag_error(B->d, m->at_addr, "address %s is the subnet-router anycast address of its "
				   "subnet, not a host's", buf);
			return;
		}
		if (!take(B, key6(&a.addr), hi, fi, &prev)) {
			dup_addr(B, m->at_addr, buf, prev);
			return;
		}
		f->addr6 = a;
	}
}

static struct cursor *cursor_of(struct builder *B, int fam, const uint8_t *net, unsigned len, uint64_t first)
{
	uint8_t k[18] = { (uint8_t)fam, (uint8_t)len };
	memcpy(k + 2, net, fam == 4 ? 4 : 16);
	bool inserted;
	size_t *v = hmap_put(B->cursors, k, sizeof(k), B->cur.n, &inserted);
	if (inserted)
		VEC_PUSH(B->cur, ((struct cursor){ first, false }));
	return &B->cur.v[*v];
}

static void too_small(struct builder *B, struct cursor *c, struct org at, const char *seg,
		      const char *subnet, uint64_t usable)
{
	if (c->reported)
		return;
	c->reported = true;
	diag_error(B->d, at, "no free address left for auto in subnet %s of segment '%s' "
		   "(%llu usable addresses): make the subnet larger", subnet, seg,
		   (unsigned long long)usable);
}

/* `auto`, in declaration order.  IPv6 takes the IPv4 host number when it
 * can, so that 10.1.0.7 and fd00:1::7 are the same host. */
static void auto_addr(struct builder *B, size_t hi, size_t fi, const struct m_iface *m)
{
	struct plan_iface *f = &B->p->hosts[hi].ifaces[fi];
	const struct plan_segment *s = &B->p->segments[f->segment];
	size_t prev;
	uint64_t hostnum = UINT64_MAX;
	char sb[80];

	if (m->addr == ADDR_NONE)
		return;
	if (m->addr == ADDR_AUTO && !s->subnet4.set && !s->subnet6.set) {
		diag_error(B->d, m->at_addr, "auto needs a subnet: segment '%s' has neither subnet= nor subnet6=",
			   s->name);
		return;
	}
	if (f->addr4.set) {
		hostnum = ntohl(f->addr4.addr.s_addr) - ntohl(s->subnet4.set ? s->subnet4.addr.s_addr :
							      f->addr4.addr.s_addr);
	} else if (s->subnet4.set && (m->addr == ADDR_AUTO || m->addr == ADDR_V6)) {
		unsigned len = s->subnet4.len;
		uint64_t size = 1ULL << (32 - len), lo = 1, hi_ = size - 2;
		struct cursor *c = cursor_of(B, 4, (const uint8_t *)&s->subnet4.addr, len, lo);
		struct in_addr a;
		for (;;) {
			if (c->next > hi_) {
				too_small(B, c, m->at_addr, s->name, plan_fmt_addr4(sb, sizeof(sb), &s->subnet4),
					  hi_ - lo + 1);
				return;
			}
			v4_host(s->subnet4.addr, c->next, &a);
			if (take(B, key4(a), hi, fi, &prev))
				break;
			c->next++;
		}
		hostnum = c->next++;
		f->addr4 = (struct plan_addr4){ true, a, len };
	}
	if (!f->addr6.set && s->subnet6.set && (m->addr == ADDR_AUTO || m->addr == ADDR_V4)) {
		unsigned len = s->subnet6.len;
		uint64_t max = 128 - len >= 64 ? UINT64_MAX : (1ULL << (128 - len)) - 1;
		struct in6_addr a;
		if (hostnum != UINT64_MAX && hostnum >= 1 && hostnum <= max) {
			v6_host(&s->subnet6.addr, hostnum, &a);
			if (take(B, key6(&a), hi, fi, &prev)) {
				f->addr6 = (struct plan_addr6){ true, a, len };
				return;
			}
		}
		struct cursor *c = cursor_of(B, 6, s->subnet6.addr.s6_addr, len, 1);
		for (;;) {
			if (c->next > max || c->next == 0) {
				too_small(B, c, m->at_addr, s->name, plan_fmt_addr6(sb, sizeof(sb), &s->subnet6), max);
				return;
			}
			v6_host(&s->subnet6.addr, c->next, &a);
			if (take(B, key6(&a), hi, fi, &prev))
				break;
			c->next++;
		}
		c->next++;
		f->addr6 = (struct plan_addr6){ true, a, len };
	}
}

/* A locally administered unicast MAC: 02, a byte from the testbed's name
 * (two testbeds side by side differ), then the interface's serial number
 * in the plan (unique for 2^32 interfaces). */
static void make_mac(uint8_t mac[6], uint8_t tb, uint64_t serial)
{
	mac[0] = 0x02;
	mac[1] = tb;
	mac[2] = (uint8_t)(serial >> 24);
	mac[3] = (uint8_t)(serial >> 16);
	mac[4] = (uint8_t)(serial >> 8);
	mac[5] = (uint8_t)serial;
}

static void build_hosts(struct builder *B)
{
	const struct topo *t = B->t;
	struct plan *p = B->p;
	uint8_t tb = 0x5a;
	uint64_t serial = 0;

	for (const char *c = t->name; *c; c++)
		tb = (uint8_t)(tb * 31 + (uint8_t)*c);
	p->n_hosts = t->hosts.n;
	p->hosts = xcalloc(p->n_hosts + 1, sizeof(*p->hosts));
	for (size_t hi = 0; hi < t->hosts.n; hi++) {
		const struct m_host *m = &t->hosts.v[hi];
		struct plan_host *h = &p->hosts[hi];
		size_t *order;
		h->name = xstrdup(m->name);
		h->kind = m->kind;
		h->mem_bytes = m->mem;
		h->cpus = m->cpus;
		h->image = m->image ? xstrdup(m->image) : NULL;
		h->forward = m->forward;
		h->n_runs = m->runs.n;
		h->runs = xcalloc(m->runs.n + 1, sizeof(*h->runs));
		for (size_t r = 0; r < m->runs.n; r++) {
			struct plan_argv *a = &h->runs[r];
			a->argc = m->runs.v[r].argc;
			a->argv = xcalloc(a->argc + 1, sizeof(char *));
			for (size_t k = 0; k < a->argc; k++)
				a->argv[k] = xstrdup(m->runs.v[r].argv[k]);
		}
		if (m->broken)
			continue;
		check_ifaces(B, m, &order);
		if (!order)
			continue;
		h->n_ifaces = m->ifaces.n;
		h->ifaces = xcalloc(h->n_ifaces + 1, sizeof(*h->ifaces));
		for (size_t i = 0; i < h->n_ifaces; i++) {
			const struct m_iface *mf = &m->ifaces.v[order[i]];
			struct plan_iface *f = &h->ifaces[i];
			f->index = (unsigned)i;
			f->wire = PLAN_NONE;
			make_mac(f->mac, tb, serial++);
			f->segment = seg_lookup(t, mf->seg);
			if (f->segment == PLAN_NONE) {
				undefined_segment(B, mf->seg, mf->at_seg);
				continue;
			}
			if (!t->segments.v[f->segment].broken)
				explicit_addr(B, hi, i, mf);
		}
		free(order);
	}
	/* second pass: auto addresses, in declaration order */
	for (size_t hi = 0; hi < t->hosts.n; hi++) {
		const struct m_host *m = &t->hosts.v[hi];
		struct plan_host *h = &p->hosts[hi];
		for (size_t i = 0; i < h->n_ifaces; i++) {
			const struct m_iface *mf = NULL;
			for (size_t k = 0; k < m->ifaces.n; k++)
				if (m->ifaces.v[k].index == i)
					mf = &m->ifaces.v[k];
			if (mf && h->ifaces[i].segment != PLAN_NONE &&
			    !t->segments.v[h->ifaces[i].segment].broken)
				auto_addr(B, hi, i, mf);
		}
	}
}

static void build_wires(struct builder *B)
{
	const struct topo *t = B->t;
	struct plan *p = B->p;
	VEC(struct plan_wire) w = { 0 };

	for (size_t i = 0; i < t->links.n; i++) {
		const struct m_link *l = &t->links.v[i];
		struct plan_wire x = { .kind = PLAN_WIRE_LINK, .host = PLAN_NONE, .iface = PLAN_NONE, .im = l->im };
		x.seg_a = seg_lookup(t, l->a);
		x.seg_b = seg_lookup(t, l->b);
		if (x.seg_a == PLAN_NONE || x.seg_b == PLAN_NONE || x.seg_a == x.seg_b)
			continue;
		x.name = xasprintf("%s:%s", l->a, l->b);
		VEC_PUSH(w, x);
	}
	for (size_t hi = 0; hi < t->hosts.n; hi++) {
		const struct m_host *m = &t->hosts.v[hi];
		struct plan_host *h = &p->hosts[hi];
		for (size_t k = 0; k < m->ifaces.n; k++) {
			const struct m_iface *mf = &m->ifaces.v[k];
			if (!mf->impaired || mf->index >= h->n_ifaces)
				continue;
			struct plan_iface *f = &h->ifaces[mf->index];
			struct plan_wire x = { .kind = PLAN_WIRE_IFACE, .seg_a = PLAN_NONE, .seg_b = f->segment,
					       .host = hi, .iface = mf->index, .im = mf->im };
			x.name = xasprintf("%s.eth%u", m->name, mf->index);
			f->wire = w.n;
			VEC_PUSH(w, x);
		}
	}
	p->wires = w.v;
	p->n_wires = w.n;
}

/* ---------- routes ---------- */

struct hostif { size_t host, iface; };
struct node { int fam; uint8_t net[16]; unsigned len; VEC(struct hostif) routers; };
typedef VEC(struct plan_route) routevec;

struct rstate {
	struct builder *B;
	int fam;
	VEC(struct node) nodes;
	struct hmap *node_idx;
	size_t **host_nodes;        /* per host, per iface: node or PLAN_NONE */
	/* BFS scratch */
	int64_t *dist;
	size_t *via_host, *via_iface, *via_start, *queue;
	uint64_t *router_seen, stamp;
};

static size_t node_of(struct rstate *R, const uint8_t *addr, unsigned len, bool create)
{
	uint8_t k[17] = { (uint8_t)len };
	unsigned nb = R->fam == AF_INET ? 4 : 16;
	memcpy(k + 1, addr, nb);
	mask_bytes(k + 1, nb, len);
	bool inserted;
	size_t *v;
	if (!create) {
		v = hmap_get(R->node_idx, k, sizeof(k));
		return v ? *v : PLAN_NONE;
	}
	v = hmap_put(R->node_idx, k, sizeof(k), R->nodes.n, &inserted);
	if (inserted) {
		struct node n = { .fam = R->fam, .len = len };
		memcpy(n.net, k + 1, nb);
		VEC_PUSH(R->nodes, n);
	}
	return *v;
}

static const uint8_t *iface_addr(const struct plan_iface *f, int fam, unsigned *len)
{
	if (fam == AF_INET && f->addr4.set) {
		*len = f->addr4.len;
		return (const uint8_t *)&f->addr4.addr;
	}
	if (fam == AF_INET6 && f->addr6.set) {
		*len = f->addr6.len;
		return f->addr6.addr.s6_addr;
	}
	return NULL;
}

/* Multi-source BFS from the nodes of host H, over the routers: for every
 * node, the distance in router hops and the first router (its interface
 * on the start node) on a shortest path.  Ties go to the lower interface
 * and the router declared first, so plans are deterministic. */
static void bfs(struct rstate *R, size_t h)
{
	struct plan *p = R->B->p;
	size_t qh = 0, qt = 0, n = R->nodes.n;
	for (size_t i = 0; i < n; i++)
		R->dist[i] = -1;
	R->stamp++;
	for (size_t i = 0; i < p->hosts[h].n_ifaces; i++) {
		size_t s = R->host_nodes[h][i];
		if (s == PLAN_NONE || R->dist[s] >= 0)
			continue;
		R->dist[s] = 0;
		R->via_start[s] = s;
		R->via_host[s] = PLAN_NONE;
		R->queue[qt++] = s;
	}
	R->router_seen[h] = R->stamp;   /* a host is never its own gateway */
	while (qh < qt) {
		size_t u = R->queue[qh++];
		struct node *nu = &R->nodes.v[u];
		for (size_t k = 0; k < nu->routers.n; k++) {
			size_t rh = nu->routers.v[k].host, ri = nu->routers.v[k].iface;
			if (R->router_seen[rh] == R->stamp)
				continue;
			R->router_seen[rh] = R->stamp;
			for (size_t j = 0; j < p->hosts[rh].n_ifaces; j++) {
				size_t v = R->host_nodes[rh][j];
				if (v == PLAN_NONE || R->dist[v] >= 0)
					continue;
				R->dist[v] = R->dist[u] + 1;
				if (R->dist[u] == 0) {
					R->via_host[v] = rh;
					R->via_iface[v] = ri;
					R->via_start[v] = u;
				} else {
					R->via_host[v] = R->via_host[u];
					R->via_iface[v] = R->via_iface[u];
					R->via_start[v] = R->via_start[u];
				}
				R->queue[qt++] = v;
			}
		}
	}
}

static void routes_family(struct builder *B, int fam, routevec *out)
{
	struct plan *p = B->p;
	struct rstate R = { .B = B, .fam = fam, .node_idx = hmap_new() };
	unsigned len;
	const uint8_t *a;

	R.host_nodes = xcalloc(p->n_hosts + 1, sizeof(size_t *));
	for (size_t h = 0; h < p->n_hosts; h++) {
		struct plan_host *ph = &p->hosts[h];
		R.host_nodes[h] = xmalloc((ph->n_ifaces + 1) * sizeof(size_t));
		for (size_t i = 0; i < ph->n_ifaces; i++) {
			R.host_nodes[h][i] = PLAN_NONE;
			if (!(a = iface_addr(&ph->ifaces[i], fam, &len)))
				continue;
			size_t nd = node_of(&R, a, len, true);
			R.host_nodes[h][i] = nd;
			if (ph->forward) {
				struct node *x = &R.nodes.v[nd];
				VEC_PUSH(x->routers, ((struct hostif){ h, i }));
			}
		}
	}
	size_t n = R.nodes.n;
	R.dist = xmalloc((n + 1) * sizeof(*R.dist));
	R.via_host = xmalloc((n + 1) * sizeof(size_t));
	R.via_iface = xmalloc((n + 1) * sizeof(size_t));
	R.via_start = xmalloc((n + 1) * sizeof(size_t));
	R.queue = xmalloc((n + 1) * sizeof(size_t));
	R.router_seen = xcalloc(p->n_hosts + 1, sizeof(uint64_t));

	/* Hosts with the same set of nodes (all appliances on one segment)
	 * get the same routes but their own interface numbers: the BFS result
	 * is reused while the node set repeats. */
	size_t *last_key = NULL, last_n = 0;
	for (size_t h = 0; h < p->n_hosts; h++) {
		struct plan_host *ph = &p->hosts[h];
		if (B->t->hosts.v[h].routes.n || n < 2)
			continue;        /* explicit route= lines replace computed ones */
		bool has = false;
		for (size_t i = 0; i < ph->n_ifaces; i++)
			has |= R.host_nodes[h][i] != PLAN_NONE;
		if (!has)
			continue;
		bool same = last_key && last_n == ph->n_ifaces && !ph->forward &&
			    !memcmp(last_key, R.host_nodes[h], ph->n_ifaces * sizeof(size_t));
		if (!same) {
			bfs(&R, h);
			free(last_key);
			last_key = NULL;
			if (!ph->forward) {
				last_n = ph->n_ifaces;
				last_key = xmalloc((last_n + 1) * sizeof(size_t));
				memcpy(last_key, R.host_nodes[h], last_n * sizeof(size_t));
			}
		}
		out->n = 0;
		for (size_t t = 0; t < n; t++) {
			if (R.dist[t] <= 0)
				continue;
			struct node *nt = &R.nodes.v[t];
			struct plan_route r = { .family = fam, .len = nt->len, .iface = PLAN_NONE };
			const struct plan_iface *gf = &p->hosts[R.via_host[t]].ifaces[R.via_iface[t]];
			if (fam == AF_INET) {
				memcpy(&r.dst.v4, nt->net, 4);
				r.gw.v4 = gf->addr4.addr;
			} else {
				memcpy(&r.dst.v6, nt->net, 16);
				r.gw.v6 = gf->addr6.addr;
			}
			for (size_t i = 0; i < ph->n_ifaces; i++)
				if (R.host_nodes[h][i] == R.via_start[t]) {
					r.iface = i;
					break;
				}
			VEC_PUSH(*out, r);
		}
		if (out->n) {
			ph->routes = xrealloc(ph->routes, (ph->n_routes + out->n) * sizeof(*ph->routes));
			memcpy(ph->routes + ph->n_routes, out->v, out->n * sizeof(*out->v));
			ph->n_routes += out->n;
		}
	}
	free(last_key);
	for (size_t h = 0; h < p->n_hosts; h++)
		free(R.host_nodes[h]);
	free(R.host_nodes);
	for (size_t i = 0; i < R.nodes.n; i++)
		VEC_FREE(R.nodes.v[i].routers);
	VEC_FREE(R.nodes);
	hmap_free(R.node_idx);
	free(R.dist);
	free(R.via_host);
	free(R.via_iface);
	free(R.via_start);
	free(R.queue);
	free(R.router_seen);
}

/* route= lines: the gateway must be on one of the host's subnets. */
static void explicit_routes(struct builder *B)
{
	const struct topo *t = B->t;
	struct plan *p = B->p;
	for (size_t h = 0; h < t->hosts.n; h++) {
		const struct m_host *m = &t->hosts.v[h];
		struct plan_host *ph = &p->hosts[h];
		if (!m->routes.n || m->broken)
			continue;
		ph->routes = xcalloc(m->routes.n + 1, sizeof(*ph->routes));
		for (size_t k = 0; k < m->routes.n; k++) {
			const struct m_route *mr = &m->routes.v[k];
			struct plan_route r = { .family = mr->family, .is_default = mr->is_default,
						.dst = mr->dst, .gw = mr->gw, .len = mr->len,
						.iface = PLAN_NONE, .explicit_ = true };
			char gb[INET6_ADDRSTRLEN];
			const uint8_t *g = mr->family == AF_INET ? (const uint8_t *)&mr->gw.v4 : mr->gw.v6.s6_addr;
			unsigned nb = mr->family == AF_INET ? 4 : 16;
			bool own = false;
			for (size_t i = 0; i < ph->n_ifaces && r.iface == PLAN_NONE; i++) {
				unsigned len;
				const uint8_t *a = iface_addr(&ph->ifaces[i], mr->family, &len);
				if (!a)
					continue;
				uint8_t net[16];
				memcpy(net, a, nb);
				mask_bytes(net, nb, len);
				if (!memcmp(a, g, nb))
					own = true;
				else if (in_prefix(g, net, nb, len))
					r.iface = i;
			}
			inet_ntop(mr->family, g, gb, sizeof(gb));
			if (r.iface == PLAN_NONE) {
				if (own)
					diag_error(B->d, mr->at_gw, "gateway %s is host '%s''s own address", gb, m->name);
				else
					diag_error(B->d, mr->at_gw, "gateway %s is not on a subnet of host '%s' "
						   "(a gateway must be reachable on one of its interfaces)", gb, m->name);
				continue;
			}
			ph->routes[ph->n_routes++] = r;
		}
	}
}

struct plan *plan_build(const struct topo *t, struct topo_diag *d)
{
	struct builder B = { .t = t, .d = d, .taken = hmap_new(), .cursors = hmap_new() };
	size_t before = d->count;
	struct plan *p = xcalloc(1, sizeof(*p));
	B.p = p;
	p->name = xstrdup(t->name);
	if (t->experiment.set) {
		const struct plan_experiment *e = &t->experiment;
		p->experiment = (struct plan_experiment){ .set = true, .timeout_ns = e->timeout_ns,
			.done = e->done ? xstrdup(e->done) : NULL,
			.results = e->results ? xstrdup(e->results) : NULL,
			.summary = e->summary ? xstrdup(e->summary) : NULL,
			.prepare.argc = e->prepare.argc };
		if (e->prepare.argc) {
			p->experiment.prepare.argv = xcalloc(e->prepare.argc + 1, sizeof(char *));
			for (size_t k = 0; k < e->prepare.argc; k++)
				p->experiment.prepare.argv[k] = xstrdup(e->prepare.argv[k]);
		}
	}
	build_segments(&B);
	check_overlaps(&B, 4);
	check_overlaps(&B, 6);
	build_hosts(&B);
	build_wires(&B);
	explicit_routes(&B);
	if (d->count == before) {
		routevec scratch = { 0 };
		routes_family(&B, AF_INET, &scratch);
		routes_family(&B, AF_INET6, &scratch);
		VEC_FREE(scratch);
	}
	free(B.uf);
	hmap_free(B.taken);
	hmap_free(B.cursors);
	VEC_FREE(B.cur);
	if (d->count != before) {
		plan_free(p);
		return NULL;
	}
	p->index_ = xcalloc(1, sizeof(*p->index_));
	p->index_->hosts = hmap_new();
	p->index_->segments = hmap_new();
	for (size_t i = 0; i < p->n_hosts; i++)
		hmap_puts(p->index_->hosts, p->hosts[i].name, i, NULL);
	for (size_t i = 0; i < p->n_segments; i++)
		hmap_puts(p->index_->segments, p->segments[i].name, i, NULL);
	return p;
}

size_t plan_find_host(const struct plan *p, const char *name)
{
	size_t *v = p->index_ ? hmap_gets(p->index_->hosts, name) : NULL;
	return v ? *v : PLAN_NONE;
}

size_t plan_find_segment(const struct plan *p, const char *name)
{
	size_t *v = p->index_ ? hmap_gets(p->index_->segments, name) : NULL;
	return v ? *v : PLAN_NONE;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->name);
	plan_experiment_free(&p->experiment);
	for (size_t i = 0; i < p->n_segments; i++)
		free(p->segments[i].name);
	free(p->segments);
	for (size_t i = 0; i < p->n_hosts; i++) {
		struct plan_host *h = &p->hosts[i];
		free(h->name);
		free(h->image);
		free(h->ifaces);
		for (size_t r = 0; r < h->n_runs; r++) {
			for (size_t k = 0; k < h->runs[r].argc; k++)
				free(h->runs[r].argv[k]);
			free(h->runs[r].argv);
		}
		free(h->runs);
		free(h->routes);
	}
	free(p->hosts);
	for (size_t i = 0; i < p->n_wires; i++)
		free(p->wires[i].name);
	free(p->wires);
	if (p->index_) {
		hmap_free(p->index_->hosts);
		hmap_free(p->index_->segments);
		free(p->index_);
	}
	free(p);
}

int plan_load_text(const char *file, const char *text, size_t len, char *const *overrides,
		   size_t n_overrides, struct plan **out, struct topo_diag **diag)
{
	struct topo *t;
	struct topo_diag *d = diag_new(file, text, len);
	*diag = d;
	*out = NULL;
	/* The planner runs also after parse errors (it skips what was
	 * broken), so that one run reports every error of the file. */
	topo_parse(file, text, len, overrides, n_overrides, d, &t);
	*out = plan_build(t, d);
	if (*out && d->count) {
		plan_free(*out);
		*out = NULL;
	}
	topo_free(t);
	return *out ? 0 : -EINVAL;
}

int plan_load(const char *file, char *const *overrides, size_t n_overrides, struct plan **out,
	      struct topo_diag **diag)
{
	VEC(char) buf = { 0 };
	int fd = open(file, O_RDONLY | O_CLOEXEC), rc = 0;
	*out = NULL;
	*diag = NULL;
	if (fd < 0)
		return -errno;
	for (;;) {
		VEC_RESERVE(buf, buf.n + 65536);
		ssize_t r = read(fd, buf.v + buf.n, buf.cap - buf.n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		buf.n += (size_t)r;
	}
	close(fd);
	if (!rc)
		rc = plan_load_text(file, buf.v ? buf.v : "", buf.n, overrides, n_overrides, out, diag);
	VEC_FREE(buf);
	return rc;
}
