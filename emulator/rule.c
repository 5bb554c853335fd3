/* rule — see rule.h. */
#include "rule.h"
#include "units.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

void frame_classify(const uint8_t *p, size_t len, struct frame_info *fi)
{
	size_t off = 12, l4 = 0;
	int proto = -1, first_frag = 1;

	memset(fi, 0, sizeof(*fi));
	fi->ether = fi->proto = fi->sport = fi->dport = -1;
	if (len < 14)
		return;
	unsigned type = get16(p + off);
	for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
		off += 4;
		if (off + 2 > len)
			return;
		type = get16(p + off);
	}
	fi->ether = (int)type;
	off += 2;
	if (type == 0x0800) {
		if (off + 20 > len || (p[off] >> 4) != 4)
			return;
		size_t ihl = (size_t)(p[off] & 15) * 4;
		if (ihl < 20 || off + ihl > len)
			return;
		fi->family = 4;
		memcpy(fi->src, p + off + 12, 4);
		memcpy(fi->dst, p + off + 16, 4);
		proto = p[off + 9];
		first_frag = (get16(p + off + 6) & 0x1fff) == 0;
		l4 = off + ihl;
	} else if (type == 0x86dd) {
		if (off + 40 > len || (p[off] >> 4) != 6)
			return;
		fi->family = 6;
		memcpy(fi->src, p + off + 8, 16);
		memcpy(fi->dst, p + off + 24, 16);
		proto = p[off + 6];
		l4 = off + 40;
		/* extension headers: at most 8, each bounded by the frame */
		for (int i = 0; i < 8; i++) {
			if (proto == 0 || proto == 43 || proto == 60) {
				if (l4 + 8 > len) { proto = -1; break; }
				proto = p[l4];
				l4 += ((size_t)p[l4 + 1] + 1) * 8;
			} else if (proto == 44) {
				if (l4 + 8 > len) { proto = -1; break; }
				first_frag = (get16(p + l4 + 2) & 0xfff8) == 0;
				proto = p[l4];
				l4 += 8;
			} else {
				break;
			}
		}
		if (proto == 0 || proto == 43 || proto == 60 || proto == 44)
			proto = -1;      /* too many extension headers: not classified */
	} else {
		return;
	}
	fi->proto = proto;
	if (first_frag && (proto == 6 || proto == 17 || proto == 132 || proto == 136) && l4 + 4 <= len) {
		fi->sport = (int)get16(p + l4);
		fi->dport = (int)get16(p + l4 + 2);
	}
}

static bool prefix_match(const struct prefix *px, int family, const uint8_t *a)
{
	if (!px->family)
		return true;
	if ((px->family == 4 && family != 4) || (px->family == 6 && family != 6))
		return false;
	int full = px->len / 8, rest = px->len % 8;
	if (memcmp(px->addr, a, (size_t)full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((px->addr[full] & mask) != (a[full] & mask))
			return false;
	}
	return true;
}

bool rule_match(const struct rule *r, int dir, const struct frame_info *fi)
{
	if (r->dir >= 0 && r->dir != dir)
		return false;
	if (r->ether >= 0 && r->ether != fi->ether)
		return false;
	if (!prefix_match(&r->src, fi->family, fi->src) || !prefix_match(&r->dst, fi->family, fi->dst))
		return false;
	if (r->proto >= 0 && r->proto != fi->proto)
		return false;
	if (r->sport >= 0 && r->sport != fi->sport)
		return false;
	if (r->dport >= 0 && r->dport != fi->dport)
		return false;
	return true;
}

bool emu_name_ok(const char *s)
{
	if (!*s || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-' || *s == ':'))
			return false;
	return true;
}

static int parse_prefix(const char *s, struct prefix *px)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t plen;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(px, 0, sizeof(*px));
	if (inet_pton(AF_INET, buf, px->addr) == 1)
		px->family = 4;
	else if (inet_pton(AF_INET6, buf, px->addr) == 1)
		px->family = 6;
	else
		return -EINVAL;
	int max = px->family == 4 ? 32 : 128;
	if (!slash)
		plen = (uint64_t)max;
	else if (parse_u64(slash + 1, 0, (uint64_t)max, &plen))
		return -EINVAL;
	px->len = (int)plen;
	return 0;
}

/* ethertype: a name, 0xHHHH, or decimal */
static int parse_ether(const char *s, int *out)
{
	static const struct { const char *n; int v; } names[] = {
		{ "ipv4", 0x0800 }, { "ip", 0x0800 }, { "arp", 0x0806 },
		{ "ipv6", 0x86dd }, { "vlan", 0x8100 }, { "lldp", 0x88cc },
	};
	uint64_t v;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].n)) {
			*out = names[i].v;
			return 0;
		}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t n = strlen(s + 2);
		if (n == 0 || n > 4 || strspn(s + 2, "0123456789abcdefABCDEF") != n)
			return -EINVAL;
		*out = (int)strtoul(s + 2, NULL, 16);
		return 0;
	}
	if (parse_u64(s, 0, 0xffff, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_proto(const char *s, int *out)
{
	static const struct { const char *n; int v; } names[] = {
		{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 }, { "sctp", 132 },
	};
	uint64_t v;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].n)) {
			*out = names[i].v;
			return 0;
		}
	if (parse_u64(s, 0, 255, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int rule_parse(int argc, char **argv, struct rule *r, const char **err)
{
	uint64_t v;

	memset(r, 0, sizeof(*r));
	r->dir = r->ether = r->proto = r->sport = r->dport = -1;
	for (int i = 0; i < argc; i += 2) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!val) {
			*err = "a rule keyword needs a value";
			goto bad;
		}
		if (!strcmp(k, "dir")) {
			if (!strcmp(val, "a2b")) r->dir = 0;
			else if (!strcmp(val, "b2a")) r->dir = 1;
			else { *err = "dir is a2b or b2a"; goto bad; }
		} else if (!strcmp(k, "ether")) {
			if (parse_ether(val, &r->ether)) { *err = "ether is ipv4, ipv6, arp, 0xHHHH or a number up to 65535"; goto bad; }
		} else if (!strcmp(k, "src") || !strcmp(k, "dst")) {
			if (parse_prefix(val, k[0] == 's' ? &r->src : &r->dst)) {
				*err = "src and dst are an IPv4 or IPv6 prefix such as 10.1.0.0/16 or fd00::/8";
				goto bad;
			}
		} else if (!strcmp(k, "proto")) {
			if (parse_proto(val, &r->proto)) { *err = "proto is udp, tcp, icmp, icmpv6, sctp or a number up to 255"; goto bad; }
		} else if (!strcmp(k, "sport") || !strcmp(k, "dport")) {
			if (parse_u64(val, 0, 65535, &v)) { *err = "a port is a number from 0 to 65535"; goto bad; }
			*(k[0] == 's' ? &r->sport : &r->dport) = (int)v;
		} else if (!strcmp(k, "pipe")) {
			if (r->pipe || !emu_name_ok(val)) { *err = "pipe names one pipe ([A-Za-z0-9_.:-])"; goto bad; }
			r->pipe = xstrdup(val);
		} else {
			*err = "rule keywords are dir, ether, src, dst, proto, sport, dport, pipe";
			goto bad;
		}
	}
	if (!r->pipe) {
		*err = "a rule ends with pipe NAME";
		goto bad;
	}
	if (r->src.family && r->dst.family && r->src.family != r->dst.family) {
		*err = "src and dst are of different address families";
		goto bad;
	}
	if ((r->sport >= 0 || r->dport >= 0) && r->proto >= 0 &&
	    r->proto != 6 && r->proto != 17 && r->proto != 132 && r->proto != 136) {
		*err = "ports need proto tcp, udp or sctp";
		goto bad;
	}
	return 0;
bad:
	rule_free(r);
	return -EINVAL;
}

void rule_free(struct rule *r)
{
	free(r->pipe);
	r->pipe = NULL;
}

static void fmt_prefix(const struct prefix *px, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(px->family == 4 ? AF_INET : AF_INET6, px->addr, a, sizeof(a));
	snprintf(out, size, "%s/%d", a, px->len);
}

char *rule_format(const struct rule *r, char *buf, size_t size)
{
	size_t n = 0;
	char p[INET6_ADDRSTRLEN + 8];
#define ADD(...) do { if (n < size) n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__); } while (0)
	buf[0] = '\0';
	if (r->dir >= 0) ADD("dir %s ", r->dir ? "b2a" : "a2b");
	if (r->ether >= 0) ADD("ether 0x%04x ", (unsigned)r->ether);
	if (r->src.family) { fmt_prefix(&r->src, p, sizeof(p)); ADD("src %s ", p); }
	if (r->dst.family) { fmt_prefix(&r->dst, p, sizeof(p)); ADD("dst %s ", p); }
	if (r->proto >= 0) ADD("proto %d ", r->proto);
	if (r->sport >= 0) ADD("sport %d ", r->sport);
	if (r->dport >= 0) ADD("dport %d ", r->dport);
	ADD("pipe %s", r->pipe ? r->pipe : "?");
#undef ADD
	return buf;
}
