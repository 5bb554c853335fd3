/* plan — the concrete plan of a topology: what `testbed up` creates and
 * what the guest backends configure.  plan_load() reads a .topo file
 * (shared/design/topology-format.md, docs/topology.md), validates it and
 * resolves everything that the file leaves implicit: ranges and parameters
 * expanded, `auto` addresses assigned, MAC addresses chosen, wires for
 * links and impaired interfaces, routes computed.  A plan is read-only for
 * its users and freed with plan_free().
 *
 * Indices (segment, host, wire) are positions in the plan's arrays, which
 * keep declaration order.  Addresses are in network byte order. */
#ifndef TB_PLAN_H
#define TB_PLAN_H

#include "impair.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PLAN_NONE ((size_t)-1)

enum plan_switch { PLAN_SWITCH_VDE, PLAN_SWITCH_BRIDGE };
enum plan_kind { PLAN_KIND_UML, PLAN_KIND_QEMU, PLAN_KIND_NETNS };
enum plan_wire_kind { PLAN_WIRE_LINK, PLAN_WIRE_IFACE };

extern const char *const plan_switch_names[];   /* "vde", "bridge" */
extern const char *const plan_kind_names[];     /* "uml", "qemu", "netns" */

/* An IPv4 or IPv6 prefix or address with its length. */
struct plan_addr4 { bool set; struct in_addr addr; unsigned len; };
struct plan_addr6 { bool set; struct in6_addr addr; unsigned len; };

struct plan_segment {
	char *name;
	struct plan_addr4 subnet4;   /* network address, host bits zero */
	struct plan_addr6 subnet6;
	enum plan_switch sw;
	bool capture;
	size_t domain;               /* segments joined by links share a domain
				      * (one Ethernet); numbered from 0 */
};

struct plan_iface {
	unsigned index;              /* N of ethN; ifaces[i].index == i */
	size_t segment;
	struct plan_addr4 addr4;     /* set: the interface has this address */
	struct plan_addr6 addr6;
	uint8_t mac[6];              /* locally administered, unique in the plan */
	size_t wire;                 /* PLAN_NONE, or the wire between the
				      * interface and its segment */
};

/* One program to run: argv[argc] == NULL. */
struct plan_argv { char **argv; size_t argc; };

union plan_ip { struct in_addr v4; struct in6_addr v6; };

struct plan_route {
	int family;                  /* AF_INET or AF_INET6 */
	bool is_default;             /* DEST was "default" (len 0) */
	union plan_ip dst, gw;
	unsigned len;                /* prefix length of dst */
	size_t iface;                /* index into the host's ifaces */
	bool explicit_;              /* from a route= line, not computed */
};

struct plan_host {
	char *name;
	enum plan_kind kind;
	uint64_t mem_bytes;          /* 0 for netns (no guest memory) */
	unsigned cpus;
	char *image;                 /* NULL: the kind's default image */
	bool forward;                /* IPv4 and IPv6 forwarding on */
	struct plan_iface *ifaces; size_t n_ifaces;
	struct plan_argv *runs;    size_t n_runs;
	struct plan_route *routes; size_t n_routes;
};

struct plan_wire {
	/* "SEGA:SEGB" for a link, "HOST.ethN" for an interface; ':' and '.'
	 * never occur in names, so wire names are unique. */
	char *name;
	enum plan_wire_kind kind;
	/* LINK: side a = seg_a (the first segment named), side b = seg_b.
	 * IFACE: side a = the host's interface (host, iface), side b = seg_b;
	 * seg_a is PLAN_NONE.  So dir[IMPAIR_A2B] is always "out" of the host. */
	size_t seg_a, seg_b;
	size_t host, iface;          /* IFACE only; PLAN_NONE for a link */
	struct impair im;            /* dir[IMPAIR_A2B], dir[IMPAIR_B2A] */
};

/* The `experiment` statement: what `testbed run` does around up and down.
 * Paths are relative to the run's data directory, ${data}. */
struct plan_experiment {
	bool set;
	struct plan_argv prepare;    /* argc 0: none; runs on the machine before
				      * the guests start, ${data} expanded */
	char *done;                  /* the run ends when this file appears */
	char *results;               /* this directory is kept as the results */
	char *summary;               /* a CSV file under results: printed at the
				      * end, summed over its rows by sweep */
	int64_t timeout_ns;          /* give up after this long */
};

/* Built-in names of run= values, expanded per host: ${host} and ${index}
 * by the planner (the host's name; its number in its range, 1 for a host
 * without one), ${data} when the host is started (the run's data directory
 * as that host sees it). */
#define PLAN_VAR_DATA "${data}"
bool plan_is_builtin(const char *name);
void plan_experiment_free(struct plan_experiment *e);

struct plan {
	char *name;                  /* testbed name */
	struct plan_experiment experiment;
	struct plan_segment *segments; size_t n_segments;
	struct plan_host *hosts;       size_t n_hosts;
	struct plan_wire *wires;       size_t n_wires;
	size_t n_domains;
	struct plan_index *index_;   /* private: name lookups */
};

/* Diagnostics of one load: every error found, gcc style. */
struct topo_diag;

/* Parse, validate and plan FILE.  OVERRIDES are "NAME=VALUE" strings from
 * the command line; they win over the file's `param` values.  Returns 0 and
 * *out, or -EINVAL when the file has errors (described in *diag), or
 * -errno when it cannot be read.  *diag is always set and must be freed
 * with topo_diag_free(), *out only on success. */
int plan_load(const char *file, char *const *overrides, size_t n_overrides,
	      struct plan **out, struct topo_diag **diag)
	__attribute__((warn_unused_result));

/* The same from text in memory (FILE is only the name used in messages). */
int plan_load_text(const char *file, const char *text, size_t len,
		   char *const *overrides, size_t n_overrides,
		   struct plan **out, struct topo_diag **diag)
	__attribute__((warn_unused_result));

void plan_free(struct plan *p);

/* Number of errors found (all of them, also those not kept). */
size_t topo_diag_count(const struct topo_diag *d);
/* Print the errors, gcc style: "FILE:LINE:COL: error: MESSAGE", the source
 * line and a caret line under the offending text; at most MAX errors
 * (0: the default cap of 50), then a line counting the rest. */
void topo_diag_print(const struct topo_diag *d, FILE *out, size_t max);
void topo_diag_free(struct topo_diag *d);

/* Lookups by name: index or PLAN_NONE (hash tables, O(1)). */
size_t plan_find_host(const struct plan *p, const char *name);
size_t plan_find_segment(const struct plan *p, const char *name);

/* Text of an address, e.g. "10.0.0.1/24" (buf at least 64 bytes). */
char *plan_fmt_addr4(char *buf, size_t size, const struct plan_addr4 *a);
char *plan_fmt_addr6(char *buf, size_t size, const struct plan_addr6 *a);

/* Printers used by `testbed check`: a readable listing, and JSON. */
void plan_print_text(const struct plan *p, FILE *out);
void plan_print_json(const struct plan *p, FILE *out);

#endif
