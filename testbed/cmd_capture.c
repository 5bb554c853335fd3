/* cmd_capture — `testbed capture NAME SEGMENT [-w FILE.pcap] [-c COUNT]
 * [FILTER...]`: capture a segment's frames with libpcap.
 *
 * The capture plugs into the segment's VDE switch like any NIC (libvdeplug)
 * and, because a switch sends a port only the unicast frames addressed to
 * it, turns the switch into a hub for as long as it runs (the management
 * command port/sethub); a segment declared capture=yes stays a hub (its own
 * capture runs from up to down, segcapture.h).  FILTER is BPF syntax, compiled by libpcap and
 * applied with pcap_offline_filter; frames go to a pcap file (pcap_dump) or
 * are printed one line each. */
#include "commands.h"
#include "log.h"
#include "segment.h"
#include "testbed_state.h"
#include "unixsock.h"
#include "units.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libvdeplug.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_capture;
static void on_signal(int sig) { stop_capture = 1; }

/* Send one command to a vde_switch management socket; 0 if it answered
 * "1000 Success". */
static int mgmt_cmd(const char *mgmt, const char *cmd)
{
	char buf[4096];
	size_t got = 0;
	int fd = unix_connect(mgmt), rc = -EIO;

	if (fd < 0)
		return fd;
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) || write(fd, "\n", 1) != 1)
		goto out;
	/* the banner and prompt come first; wait for the result code */
	for (int tries = 0; tries < 100 && got < sizeof(buf) - 1; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "1000 Success")) {
			rc = 0;
			break;
		}
		if (strstr(buf, "\n1") && strstr(buf, "Error")) /* e.g. "1022 Invalid argument" */
			break;
	}
out:
	close(fd);
	return rc;
}

/* One line per frame, tcpdump-like: time, MACs, and the IP header's view. */
static void print_frame(const struct pcap_pkthdr *h, const unsigned char *f)
{
	struct tm tm;
	time_t sec = h->ts.tv_sec;
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
	localtime_r(&sec, &tm);
	printf("%02d:%02d:%02d.%06ld ", tm.tm_hour, tm.tm_min, tm.tm_sec, (long)h->ts.tv_usec);
	if (h->caplen < 14) {
		printf("short frame (%u bytes)\n", h->caplen);
		return;
	}
	printf("%02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x ",
	       f[6], f[7], f[8], f[9], f[10], f[11], f[0], f[1], f[2], f[3], f[4], f[5]);
	unsigned type = (unsigned)f[12] << 8 | f[13];
	const unsigned char *p = f + 14;
	size_t left = h->caplen - 14;
	unsigned proto = 0;
	const unsigned char *l4 = NULL;
	if (type == ETHERTYPE_IP && left >= 20) {
		inet_ntop(AF_INET, p + 12, src, sizeof(src));
		inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
		proto = p[9];
		size_t ihl = (size_t)(p[0] & 15) * 4;
		if (ihl >= 20 && left >= ihl + 4)
			l4 = p + ihl;
		printf("IPv4 ");
	} else if (type == ETHERTYPE_IPV6 && left >= 40) {
		inet_ntop(AF_INET6, p + 8, src, sizeof(src));
		inet_ntop(AF_INET6, p + 24, dst, sizeof(dst));
		proto = p[6];
		if (left >= 44)
			l4 = p + 40;
		printf("IPv6 ");
	} else if (type == ETHERTYPE_ARP) {
		printf("ARP, length %u\n", h->len);
		return;
	} else {
		printf("ethertype 0x%04x, length %u\n", type, h->len);
		return;
	}
	if (l4 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP))
		printf("%s.%u > %s.%u %s, length %u\n", src, (unsigned)l4[0] << 8 | l4[1], dst,
		       (unsigned)l4[2] << 8 | l4[3], proto == IPPROTO_TCP ? "TCP" : "UDP", h->len);
	else
		printf("%s > %s %s, length %u\n", src, dst,
		       proto == IPPROTO_ICMP ? "ICMP" : proto == IPPROTO_ICMPV6 ? "ICMPv6" : "proto", h->len);
}

static int usage_capture(void)
{
	fprintf(stderr, "usage: testbed capture NAME SEGMENT [-w FILE.pcap] [-c COUNT] [FILTER...]\n");
	return 2;
}

int cmd_capture(int argc, char **argv)
{
	const char *out_file = NULL;
	uint64_t count = 0, seen = 0;
	char *filter = xstrdup(""), *state = NULL, *ctl = NULL, *mgmt = NULL, *url = NULL;
	struct plan *p = NULL;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	struct bpf_program prog = { 0 };
	VDECONN *conn = NULL;
	int rc = 1, made_hub = 0;

	if (argc < 3)
		return usage_capture();
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "-w") && i + 1 < argc) {
			out_file = argv[++i];
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			if (parse_u64(argv[++i], 1, UINT64_MAX, &count) < 0) {
				log_err("-c takes a number of frames, not '%s'.", argv[i]);
				free(filter);
				return 2;
			}
		} else {
			char *f = xasprintf("%s%s%s", filter, *filter ? " " : "", argv[i]);
			free(filter);
			filter = f;
		}
	}
	state = testbed_resolve(argv[1]);
	if (!state || testbed_load_plan(state, &p) < 0) {
		log_err("no testbed %s is up; 'testbed list' shows those that are.", argv[1]);
		goto out;
	}
	size_t seg = plan_find_segment(p, argv[2]);
	if (seg == PLAN_NONE) {
		log_err("testbed %s has no segment '%s'.", p->name, argv[2]);
		goto out;
	}
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	if (!dead || pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		log_err("bad capture filter '%s': %s", filter, dead ? pcap_geterr(dead) : "libpcap failed");
		goto out;
	}
	if (out_file && !(dump = pcap_dump_open(dead, out_file))) {
		log_err("cannot write %s: %s", out_file, pcap_geterr(dead));
		goto out;
	}
	ctl = segment_ctl_path(state, argv[2]);
	mgmt = segment_mgmt_path(state, argv[2]);
	url = xasprintf("vde://%s", ctl);
	conn = vde_open(url, "testbed-capture", NULL);
	if (!conn) {
		log_err("cannot plug into the switch of segment %s (%s): %s", argv[2], ctl, strerror(errno));
		goto out;
	}
	/* a capture=yes segment stays a hub for the testbed's life (its
	 * capture runs from up to down: segcapture.h) */
	{
		if (mgmt_cmd(mgmt, "port/sethub 1") == 0)
			made_hub = !p->segments[seg].capture;
		else
			log_warn("segment %s: cannot make the switch a hub; only frames flooded to every "
				 "port (broadcast, unknown destinations) will be seen", argv[2]);
	}
	/* said once plugged in: from here on every frame of the segment is seen */
	fprintf(stderr, "capturing on segment %s of %s%s%s\n", argv[2], p->name,
		*filter ? ", filter: " : "", filter);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned char frame[65536];
	while (!stop_capture && (!count || seen < count)) {
		struct pollfd pf = { .fd = vde_datafd(conn), .events = POLLIN };
		int n = poll(&pf, 1, 200);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		ssize_t len = vde_recv(conn, frame, sizeof(frame), 0);
		if (len <= 0) {
			if (len == 0 || (errno != EINTR && errno != EAGAIN)) {
				log_err("segment %s: the switch went away", argv[2]);
				break;
			}
			continue;
		}
		struct pcap_pkthdr h;
		gettimeofday(&h.ts, NULL);
		h.caplen = h.len = (bpf_u_int32)len;
		if (!pcap_offline_filter(&prog, &h, frame))
			continue;
		seen++;
		if (dump) {
			pcap_dump((u_char *)dump, &h, frame);
			pcap_dump_flush(dump);
		} else {
			print_frame(&h, frame);
		}
	}
	if (out_file)
		fprintf(stderr, "%llu frames written to %s\n", (unsigned long long)seen, out_file);
	rc = 0;
out:
	if (made_hub && mgmt_cmd(mgmt, "port/sethub 0") < 0)
		log_warn("segment %s: could not turn the switch back from hub mode", argv[2]);
	if (conn)
		vde_close(conn);
	if (dump)
		pcap_dump_close(dump);
	pcap_freecode(&prog);
	if (dead)
		pcap_close(dead);
	if (p)
		plan_free(p);
	free(url);
	free(ctl);
	free(mgmt);
	free(state);
	free(filter);
	return rc;
}
