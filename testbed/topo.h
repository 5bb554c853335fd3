/* topo — the parsed model of a .topo file, before planning, and the
 * diagnostics that both the parser and the planner report into.
 *
 * Internal to testbed/: users of a topology take the plan (plan.h).  The
 * model keeps, for everything the planner may still reject (addresses,
 * segment references, impairment combinations), where it was written. */
#ifndef TB_TOPO_H
#define TB_TOPO_H

#include "plan.h"
#include "xalloc.h"
#include "hmap.h"

#include <stdarg.h>
#include <stdint.h>

/* A place in the original file: 1-based line and column (bytes), and how
 * many bytes of that line the offending text covers (at least 1). */
struct org { uint32_t line, col, len; };

/* ---- diagnostics ---- */

struct diag_msg {
	struct org at;          /* line 0: about the file as a whole */
	size_t seq;             /* order of discovery, for a stable sort */
	char *msg;
};

struct topo_diag {
	char *file;
	char *text;             /* the file's text, for quoting lines */
	size_t len;
	VEC(size_t) lines;      /* offset of each line's first byte */
	VEC(struct diag_msg) msgs;
	size_t count;           /* all errors, also those not kept */
};

/* Keep at most this many messages in memory (a file with 100000 broken
 * lines must not cost gigabytes); the count goes on. */
#define DIAG_KEEP 10000

struct topo_diag *diag_new(const char *file, const char *text, size_t len);
void diag_error(struct topo_diag *d, struct org at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- the model ---- */

enum addr_kind { ADDR_NONE, ADDR_AUTO, ADDR_V4, ADDR_V6 };

struct m_iface {
	unsigned index;             /* N of ethN */
	struct org at;              /* the ethN key */
	char *seg;                  /* segment name */
	struct org at_seg;
	enum addr_kind addr;
	struct plan_addr4 a4;       /* ADDR_V4 (len 0: take the subnet's) */
	struct plan_addr6 a6;       /* ADDR_V6 */
	struct org at_addr;
	bool impaired;
	struct impair im;           /* dir[0] = out, dir[1] = in */
	struct org at_imp;          /* first impairment attribute */
};

struct m_route {
	int family;
	bool is_default;
	union plan_ip dst, gw;
	unsigned len;
	struct org at, at_gw;
};

struct m_host {
	char *name;
	struct org at;
	bool broken;                /* had errors: kept for its name only */
	enum plan_kind kind;
	uint64_t mem;
	unsigned cpus;
	char *image;
	bool forward;
	VEC(struct m_iface) ifaces;
	VEC(struct plan_argv) runs;
	VEC(struct m_route) routes;
};

struct m_segment {
	char *name;
	struct org at;
	bool broken;                /* had errors: kept for its name only */
	struct plan_addr4 sub4;
	struct plan_addr6 sub6;
	struct org at4, at6;
	enum plan_switch sw;
	bool capture;
};

struct m_link {
	char *a, *b;
	struct org at, at_a, at_b;
	struct impair im;
};

struct topo {
	char *name;
	struct plan_experiment experiment;
	VEC(struct m_segment) segments;
	VEC(struct m_host) hosts;
	VEC(struct m_link) links;
	struct hmap *names;         /* host or segment name -> tagged index */
};

/* Tagged index in topo.names: hosts are odd, segments even. */
#define TOPO_TAG_HOST(i)  ((i) * 2 + 1)
#define TOPO_TAG_SEG(i)   ((i) * 2)

/* Parse TEXT into *out (always set, also when errors were found; the
 * caller frees it with topo_free).  Returns the number of errors added. */
size_t topo_parse(const char *file, const char *text, size_t len,
		  char *const *overrides, size_t n_overrides,
		  struct topo_diag *d, struct topo **out);
void topo_free(struct topo *t);

/* Turn a model without errors into a plan; errors found on the way (those
 * that need the whole topology: addresses, references, routes) go to D.
 * Returns NULL when there were any. */
struct plan *plan_build(const struct topo *t, struct topo_diag *d);

/* Address helpers shared by the parser and the planner. */
int parse_cidr4(const char *s, struct plan_addr4 *a, bool len_required);
int parse_cidr6(const char *s, struct plan_addr6 *a, bool len_required);
bool valid_name(const char *s);

#endif
