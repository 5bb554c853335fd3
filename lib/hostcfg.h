/* hostcfg — the per-host description a guest boots with.
 *
 * One text file per host, written by the testbed (from a plan host or by
 * hand for the plumbing commands) and read twice: on the host to start the
 * guest (kind, memory, NICs) and inside the guest by tbinit (addresses,
 * routes, forwarding, programs).  One statement per line, "KEY VALUE...":
 *
 *   host h1                      name (also the guest's hostname)
 *   kind uml                     uml | qemu | netns
 *   mem 48M                      guest memory (uml, qemu)
 *   cpus 1                       (qemu)
 *   nic eth0 /run/testbed/x/seg0.ctl     ethN and the vde_switch it joins
 *   addr eth0 10.0.0.1/24        IPv4 or IPv6 address with prefix length
 *   route 10.1.0.0/16 10.0.0.1   DEST GW ("default" and IPv6 alike)
 *   forward yes                  IPv4 and IPv6 forwarding (a router)
 *   run ispd --port 7000         a program; split like the topology's run=
 *   data /run/testbed/x/data     the run's data directory on the machine
 *                                (uml guests mount it at /data)
 *
 * '#' starts a comment line.  Parsing is strict: unknown keys, duplicate
 * singletons, bad names or addresses are errors naming the line. */
#ifndef TB_HOSTCFG_H
#define TB_HOSTCFG_H

#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>

struct hostcfg_nic   { char *dev; char *sw; };
struct hostcfg_addr  { char *dev; char *cidr; };
struct hostcfg_route { char *dest; char *gw; };

struct hostcfg {
	char *name;
	char *kind;                 /* NULL: the default kind (uml) */
	uint64_t mem;               /* bytes; 0: the kind's default */
	unsigned cpus;              /* 0: 1 */
	int forward;
	VEC(struct hostcfg_nic) nics;
	VEC(struct hostcfg_addr) addrs;
	VEC(struct hostcfg_route) routes;
	VEC(char *) runs;           /* raw command lines */
	char *data;                 /* NULL: no data directory */
};

/* Parse TEXT (NUL-terminated).  On error returns -EINVAL and sets *err to a
 * malloc'd message "line N: ..." (caller frees). */
int hostcfg_parse(const char *text, struct hostcfg *c, char **err)
	__attribute__((warn_unused_result));
/* Read and parse a file; -errno if it cannot be read. */
int hostcfg_load(const char *path, struct hostcfg *c, char **err)
	__attribute__((warn_unused_result));
/* Write C in the format above (round-trips through hostcfg_parse). */
int hostcfg_write(FILE *out, const struct hostcfg *c);
void hostcfg_free(struct hostcfg *c);

/* Helpers shared with the planner and tbinit. */
int hostcfg_valid_name(const char *s);      /* [a-z][a-z0-9_-]{0,30} */
int hostcfg_valid_dev(const char *s);       /* ethN */
/* "A.B.C.D/LEN" or "IPV6/LEN"; family AF_INET/AF_INET6 or 0 if invalid. */
int hostcfg_cidr_family(const char *s);
/* Split a run= line into a NULL-terminated argv (blanks separate words,
 * single quotes group); -EINVAL on an unterminated quote or empty line. */
int hostcfg_split_argv(const char *s, char ***argv) __attribute__((warn_unused_result));
void hostcfg_free_argv(char **argv);

#endif
