/* rule — divert rules, in the spirit of ipfw divert / dummynet pipes:
 * a match on direction, ethertype, IPv4/IPv6 source and destination
 * prefixes, IP protocol and ports, naming the pipe a matching frame goes to.
 *
 * The matcher reads arbitrary bytes safely (it is fuzzed): it skips up to
 * two 802.1Q/802.1ad tags, checks every header length against the frame,
 * walks IPv6 extension headers (hop-by-hop, routing, fragment, destination
 * options) and takes ports only from a first fragment. */
#ifndef TB_EMU_RULE_H
#define TB_EMU_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prefix {
	int family;             /* 0: any, 4 or 6 */
	uint8_t addr[16];
	int len;                /* prefix length in bits */
};

struct rule {
	int dir;                /* -1 any, 0 a2b, 1 b2a */
	int ether;              /* -1 any, else the ethertype after VLAN tags */
	struct prefix src, dst;
	int proto;              /* -1 any, else the IP protocol number */
	int sport, dport;       /* -1 any */
	char *pipe;             /* name of the pipe */
};

/* What the matcher extracted from a frame (exposed for tests). */
struct frame_info {
	int ether;              /* ethertype after tags, -1 if too short */
	int family;             /* 0, 4 or 6 */
	uint8_t src[16], dst[16];
	int proto;              /* -1 if not IP */
	int sport, dport;       /* -1 if none */
};

void frame_classify(const uint8_t *p, size_t len, struct frame_info *fi);
bool rule_match(const struct rule *r, int dir, const struct frame_info *fi);

/* Parse "[dir a2b|b2a] [ether T] [src P] [dst P] [proto X] [sport N]
 * [dport N] pipe NAME" from ARGV.  Returns 0 or -EINVAL with *err set to
 * a sentence.  R->pipe is allocated (rule_free releases it). */
int rule_parse(int argc, char **argv, struct rule *r, const char **err)
	__attribute__((warn_unused_result));
void rule_free(struct rule *r);
/* "dir a2b proto udp dport 7000 pipe p1" into BUF. */
char *rule_format(const struct rule *r, char *buf, size_t size);

/* A name of a wire or pipe: [A-Za-z0-9_.:-]+, not starting with '.' or
 * '-' (they become file names in pcap captures). */
bool emu_name_ok(const char *s);

#endif
