/* Unit tests of emulator/rule: the frame classifier (IPv4, IPv6 with
 * extension headers, VLAN tags, fragments, truncated frames) and the
 * matcher (direction, ether types, prefixes of every length, protocol,
 * ports), and the rule parser's good and bad words. */
#include "../check.h"
#include "emulator/rule.h"

#include <arpa/inet.h>

static size_t eth(uint8_t *p, unsigned type, int vlan)
{
	size_t o = 12;
	memset(p, 0, 14);
	if (vlan) {
		p[o] = 0x81; p[o + 1] = 0x00; p[o + 2] = 0; p[o + 3] = 5;
		o += 4;
	}
	p[o] = (uint8_t)(type >> 8);
	p[o + 1] = (uint8_t)type;
	return o + 2;
}

static size_t ipv4_udp(uint8_t *p, const char *src, const char *dst, int proto, int sport, int dport,
		       int vlan, unsigned frag)
{
	size_t o = eth(p, 0x0800, vlan);
	memset(p + o, 0, 28);
	p[o] = 0x45;
	p[o + 6] = (uint8_t)(frag >> 8);
	p[o + 7] = (uint8_t)frag;
	p[o + 9] = (uint8_t)proto;
	inet_pton(AF_INET, src, p + o + 12);
	inet_pton(AF_INET, dst, p + o + 16);
	p[o + 20] = (uint8_t)(sport >> 8); p[o + 21] = (uint8_t)sport;
	p[o + 22] = (uint8_t)(dport >> 8); p[o + 23] = (uint8_t)dport;
	return o + 28;
}

static size_t ipv6_tcp(uint8_t *p, const char *src, const char *dst, int hopopts)
{
	size_t o = eth(p, 0x86dd, 0), l4;
	memset(p + o, 0, 40 + 8 + 4);
	p[o] = 0x60;
	p[o + 6] = hopopts ? 0 : 6;
	inet_pton(AF_INET6, src, p + o + 8);
	inet_pton(AF_INET6, dst, p + o + 24);
	l4 = o + 40;
	if (hopopts) {
		p[l4] = 6;       /* next: TCP */
		p[l4 + 1] = 0;   /* 8 bytes */
		l4 += 8;
	}
	p[l4] = 0x1f; p[l4 + 1] = 0x90;     /* 8080 */
	p[l4 + 2] = 0x00; p[l4 + 3] = 0x50; /* 80 */
	return l4 + 4;
}

static int parse(const char *words, struct rule *r)
{
	char buf[512], *argv[32], *save = NULL;
	int argc = 0;
	const char *err = NULL;
	snprintf(buf, sizeof(buf), "%s", words);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 32; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	return rule_parse(argc, argv, r, &err);
}

static int matches(const char *words, int dir, const uint8_t *p, size_t len)
{
	struct rule r;
	struct frame_info fi;
	if (parse(words, &r)) {
		CHECK_FAILED("rule '%s' did not parse", words);
		return -1;
	}
	frame_classify(p, len, &fi);
	int m = rule_match(&r, dir, &fi);
	rule_free(&r);
	return m;
}

TEST(classify_ipv4_udp)
{
	uint8_t p[128];
	struct frame_info fi;
	size_t n = ipv4_udp(p, "10.1.2.3", "192.168.0.9", 17, 5000, 7000, 0, 0);
	frame_classify(p, n, &fi);
	CHECK_EQ_INT(fi.ether, 0x0800);
	CHECK_EQ_INT(fi.family, 4);
	CHECK_EQ_INT(fi.proto, 17);
	CHECK_EQ_INT(fi.sport, 5000);
	CHECK_EQ_INT(fi.dport, 7000);
	/* a later fragment has no ports */
	n = ipv4_udp(p, "10.1.2.3", "192.168.0.9", 17, 5000, 7000, 0, 0x0010);
	frame_classify(p, n, &fi);
	CHECK_EQ_INT(fi.proto, 17);
	CHECK_EQ_INT(fi.dport, -1);
	/* truncated before the ports: protocol known, ports not */
	n = ipv4_udp(p, "10.1.2.3", "192.168.0.9", 17, 5000, 7000, 0, 0);
	frame_classify(p, n - 6, &fi);
	CHECK_EQ_INT(fi.proto, 17);
	CHECK_EQ_INT(fi.dport, -1);
	/* truncated inside the IP header: nothing */
	frame_classify(p, 20, &fi);
	CHECK_EQ_INT(fi.family, 0);
	frame_classify(p, 5, &fi);
	CHECK_EQ_INT(fi.ether, -1);
}

TEST(classify_vlan_and_ipv6_ext)
{
	uint8_t p[128];
	struct frame_info fi;
	size_t n = ipv4_udp(p, "10.0.0.1", "10.0.0.2", 6, 1, 2, 1, 0);
	frame_classify(p, n, &fi);
	CHECK_EQ_INT(fi.ether, 0x0800);
	CHECK_EQ_INT(fi.dport, 2);
	n = ipv6_tcp(p, "fd00::1", "fd00:1::2", 1);
	frame_classify(p, n, &fi);
	CHECK_EQ_INT(fi.family, 6);
	CHECK_EQ_INT(fi.proto, 6);
	CHECK_EQ_INT(fi.sport, 8080);
	CHECK_EQ_INT(fi.dport, 80);
}

TEST(match_fields)
{
	uint8_t p[128];
	size_t n = ipv4_udp(p, "10.1.2.3", "192.168.0.9", 17, 5000, 7000, 0, 0);
	CHECK_EQ_INT(matches("pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("proto udp dport 7000 src 10.1.0.0/16 pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("proto udp dport 7001 pipe x", 0, p, n), 0);
	CHECK_EQ_INT(matches("proto tcp pipe x", 0, p, n), 0);
	CHECK_EQ_INT(matches("src 10.2.0.0/16 pipe x", 0, p, n), 0);
	CHECK_EQ_INT(matches("src 10.1.2.2/31 pipe x", 0, p, n), 1);  /* .2 and .3 */
	CHECK_EQ_INT(matches("src 10.1.2.4/31 pipe x", 0, p, n), 0);
	CHECK_EQ_INT(matches("src 10.1.2.3 pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("src 0.0.0.0/0 pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("dst 192.168.0.0/24 sport 5000 pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("dir a2b pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("dir b2a pipe x", 0, p, n), 0);
	CHECK_EQ_INT(matches("ether ipv4 pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("ether 0x86dd pipe x", 0, p, n), 0);
	CHECK_EQ_INT(matches("ether 2048 pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("src fd00::/8 pipe x", 0, p, n), 0);  /* v6 rule, v4 frame */
	n = ipv6_tcp(p, "fd00::1", "fd00:1::2", 0);
	CHECK_EQ_INT(matches("src fd00::/8 proto tcp dport 80 pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("dst fd00:1::/32 pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("dst fd00:2::/32 pipe x", 0, p, n), 0);
	CHECK_EQ_INT(matches("dst fd00:1::3/127 pipe x", 0, p, n), 1);   /* ::2 and ::3 */
	CHECK_EQ_INT(matches("src 10.0.0.0/8 pipe x", 0, p, n), 0);
	CHECK_EQ_INT(matches("ether ipv6 pipe x", 1, p, n), 1);
	/* an ARP frame: ether matches, IP fields do not */
	n = eth(p, 0x0806, 0) + 28;
	memset(p + 14, 0, 28);
	CHECK_EQ_INT(matches("ether arp pipe x", 0, p, n), 1);
	CHECK_EQ_INT(matches("proto udp pipe x", 0, p, n), 0);
}

TEST(parse_bad_rules)
{
	struct rule r;
	const char *bad[] = {
		"", "dir a2b", "pipe", "dir up pipe x", "src 10.0.0.0/33 pipe x", "src 10.0.0/8 pipe x",
		"dst fd00::/129 pipe x", "proto bogus pipe x", "proto 256 pipe x", "dport 65536 pipe x",
		"sport -1 pipe x", "ether 0x12345 pipe x", "ether 0xzz pipe x", "pipe ../etc",
		"src 10.0.0.0/8 dst fd00::/8 pipe x", "proto icmp dport 7 pipe x", "pipe x pipe y",
		"color red pipe x", "src 10.0.0.0/8x pipe x", "dport 7 pipe",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], &r);
		if (rc == 0) {
			CHECK_FAILED("rule '%s' was accepted", bad[i]);
			rule_free(&r);
		}
	}
	CHECK(emu_name_ok("w0.a-b_c"));
	CHECK(emu_name_ok("core:access"));   /* the testbed names link wires SEGA:SEGB */
	CHECK(!emu_name_ok("a/b"));
	CHECK(!emu_name_ok(".."));
	CHECK(!emu_name_ok(""));
}

TEST(format_round_trip)
{
	struct rule r, r2;
	char buf[256];
	CHECK_EQ_INT(parse("dir b2a ether ipv4 src 10.1.0.0/16 proto 17 sport 1 dport 7000 pipe p1", &r), 0);
	CHECK_EQ_STR(rule_format(&r, buf, sizeof(buf)),
		     "dir b2a ether 0x0800 src 10.1.0.0/16 proto 17 sport 1 dport 7000 pipe p1");
	CHECK_EQ_INT(parse(buf, &r2), 0);
	CHECK_EQ_INT(r2.dport, 7000);
	rule_free(&r);
	rule_free(&r2);
}

int main(void) { return run_tests(); }
