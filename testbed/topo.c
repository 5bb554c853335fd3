/* topo — the lexer and parser of .topo files (topology-format.md).
 *
 * A statement goes through three steps, each keeping, for every character,
 * where in the file it came from, so that errors point into the ORIGINAL
 * text:
 *   1. join: physical lines ending in '\' are joined (outside quotes the
 *      backslash-newline becomes one blank, inside quotes it vanishes) and
 *      '#' comments outside quotes are dropped;
 *   2. substitute: every ${name} is replaced by the parameter's value.  The
 *      value's characters all point at the "${" that produced them (exact
 *      mapping is impossible there), and they are literal: a value never
 *      splits words, opens quotes, or adds an '='.
 *   3. tokenize: words at blanks, double quotes group (\" and \\ escape),
 *      the first unquoted '=' splits key from value.
 * The parser then builds the model (topo.h); statements with ranges are
 * parsed once per member, reporting errors only for the first member. */
#include "topo.h"
#include "units.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Guard against app[1-999999999]: beyond this many members a range is
 * refused, since every member costs memory.  Smaller when fuzzing so that
 * one input cannot exhaust the fuzzer's memory or time. */
#ifdef FUZZING
#define RANGE_MAX 2000ULL
#else
#define RANGE_MAX 1000000ULL
#endif

/* Interface numbers: ethN with N at most this (interface names are short,
 * and numbering has no gaps, so a host with eth5000 would need 5001 NICs). */
#define ETH_MAX 4095

const char *const plan_kind_names[] = { "uml", "qemu", "netns" };
const char *const plan_switch_names[] = { "vde", "bridge" };
/* Per-kind memory when neither the host nor `defaults` says: 48M is what
 * paper 004 found a UML guest needs with its agents (it used 32M and
 * measured 14.3 MB resident); QEMU needs a kernel and initramfs in RAM;
 * netns hosts have no guest memory at all. */
static const uint64_t kind_mem_default[] = { 48ULL << 20, 128ULL << 20, 0 };
#define MEM_MIN (16ULL << 20)
#define MEM_MAX (1ULL << 40)

struct lch {
	char c;
	bool lit;               /* from a ${} value: never syntax */
	struct org o;
};

struct tok {
	VEC(char) s;            /* NUL-terminated text (quotes removed) */
	VEC(struct org) o;      /* origin per character of s */
	struct org at;          /* the token's first character in the file */
	long eq;                /* index of the first unquoted '=', or -1 */
};

typedef VEC(struct lch) lvec;
typedef VEC(struct tok) tvec;

struct param { char *name, *value; struct org at; bool from_cmdline; bool declared; };

struct parser {
	struct topo_diag *d;
	struct topo *t;
	VEC(struct param) params;
	struct hmap *param_idx;
	bool have_name;
	struct org name_at;
	int quiet;              /* > 0: members after the first of a range */
	bool have_experiment;
	const char *cur_host;   /* the host member being parsed: ${host}, ${index} */
	unsigned long long cur_index;
	bool failed;            /* an error (reported or not) in this statement */
	/* defaults */
	struct {
		bool kind_set, mem_set, cpus_set, image_set, forward_set;
		enum plan_kind kind;
		uint64_t mem;
		unsigned cpus;
		char *image;
		bool forward;
	} def;
};

static void err(struct parser *P, struct org at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void err(struct parser *P, struct org at, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	P->failed = true;
	if (P->quiet)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	diag_error(P->d, at, "%s", msg ? msg : "(out of memory)");
	free(msg);
}

/* ---------- names and addresses ---------- */

bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 31 || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

#define NAME_RULE "names are a lower-case letter then up to 30 of a-z, 0-9, '_' and '-'"

static int split_len(const char *s, char *addr, size_t addrsz, unsigned max, unsigned *len, bool *has_len)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t l;
	if (n == 0 || n >= addrsz)
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	*has_len = slash != NULL;
	if (slash) {
		int rc = parse_u64(slash + 1, 0, max, &l);
		if (rc)
			return rc;
		/* no leading zeros: "/024" is a typo, not 24 */
		if (slash[1] == '0' && slash[2])
			return -EINVAL;
		*len = (unsigned)l;
	}
	return 0;
}

int parse_cidr4(const char *s, struct plan_addr4 *a, bool len_required)
{
	char buf[64];
	bool has_len;
	unsigned len = 0;
	int rc = split_len(s, buf, sizeof(buf), 32, &len, &has_len);
	if (rc)
		return rc;
	if (!has_len && len_required)
		return -EINVAL;
	if (inet_pton(AF_INET, buf, &a->addr) != 1)
		return -EINVAL;
	a->len = has_len ? len : 0;
	a->set = true;
	return 0;
}

int parse_cidr6(const char *s, struct plan_addr6 *a, bool len_required)
{
	char buf[64];
	bool has_len;
	unsigned len = 0;
	int rc = split_len(s, buf, sizeof(buf), 128, &len, &has_len);
	if (rc)
		return rc;
	if (!has_len && len_required)
		return -EINVAL;
	if (inet_pton(AF_INET6, buf, &a->addr) != 1)
		return -EINVAL;
	a->len = has_len ? len : 0;
	a->set = true;
	return 0;
}

/* ---------- step 1: join physical lines, drop comments ---------- */

struct reader {
	const char *text;
	size_t len, pos;
	uint32_t line;          /* line number of the next physical line */
};

/* Read one logical line into *out.  Returns false at the end of the text. */
static bool read_logical(struct parser *P, struct reader *r, lvec *out, bool *bad)
{
	bool in_quote = false;
	struct org quote_at = { 0, 0, 1 };

	out->n = 0;
	*bad = false;
	if (r->pos >= r->len)
		return false;
	for (;;) {
		size_t start = r->pos, end;
		uint32_t line = r->line++;
		bool comment = false, lone_bs = false;
		while (r->pos < r->len && r->text[r->pos] != '\n')
			r->pos++;
		end = r->pos;
		if (r->pos < r->len)
			r->pos++;                       /* the newline */
		if (end > start && r->text[end - 1] == '\r')
			end--;                          /* CRLF files */
		for (size_t i = start; i < end; i++) {
			char c = r->text[i];
			struct org o = { line, (uint32_t)(i - start + 1), 1 };
			lone_bs = false;
			if (c == '\0') {
				err(P, o, "NUL byte in the file; a topology is text");
				*bad = true;
				continue;
			}
			if (!in_quote && c == '#') {
				comment = true;
				break;
			}
			if (c == '"') {
				in_quote = !in_quote;
				if (in_quote)
					quote_at = o;
			} else if (in_quote && c == '\\' && i + 1 < end) {
				VEC_PUSH(*out, ((struct lch){ c, false, o }));
				i++;
				o.col++;
				VEC_PUSH(*out, ((struct lch){ r->text[i], false, o }));
				continue;
			} else if (c == '\\' && i + 1 == end) {
				lone_bs = true;
			}
			VEC_PUSH(*out, ((struct lch){ c, false, o }));
		}
		if (comment || !lone_bs || r->pos >= r->len) {
			if (lone_bs && !comment)
				out->n--;               /* '\' on the last line: nothing follows */
			break;
		}
		/* continuation */
		struct org bs = out->v[out->n - 1].o;
		out->n--;
		if (!in_quote)
			VEC_PUSH(*out, ((struct lch){ ' ', false, bs }));
	}
	if (in_quote) {
		err(P, quote_at, "unterminated quoted string: the closing \" is missing");
		*bad = true;
	}
	return true;
}

/* ---------- step 2: ${name} substitution ---------- */

static const char *param_value(struct parser *P, const char *name)
{
	size_t *i = hmap_gets(P->param_idx, name);
	return i ? P->params.v[*i].value : NULL;
}

static const char *const builtin_names[] = { "host", "index", "data" };

bool plan_is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
		if (!strcmp(name, builtin_names[i]))
			return true;
	return false;
}

static bool substitute(struct parser *P, const lvec *in, lvec *out)
{
	bool ok = true;
	out->n = 0;
	for (size_t i = 0; i < in->n; i++) {
		const struct lch *c = &in->v[i];
		if (c->c != '$' || c->lit || i + 1 >= in->n || in->v[i + 1].c != '{') {
			VEC_PUSH(*out, *c);
			continue;
		}
		size_t j = i + 2;
		while (j < in->n && in->v[j].c != '}' && in->v[j].c != ' ' && in->v[j].c != '\t'
		       && in->v[j].c != '"')
			j++;
		if (j >= in->n || in->v[j].c != '}') {
			struct org o = c->o;
			o.len = 2;
			err(P, o, "unterminated ${: a '}' is missing after the parameter name");
			return false;
		}
		char *name = xmalloc(j - i - 1);
		for (size_t k = i + 2; k < j; k++)
			name[k - i - 2] = in->v[k].c;
		name[j - i - 2] = '\0';
		struct org o = c->o;
		o.len = in->v[j].o.line == o.line && in->v[j].o.col >= o.col ? in->v[j].o.col - o.col + 1 : 2;
		const char *v = valid_name(name) ? param_value(P, name) : NULL;
		if (plan_is_builtin(name)) {
			/* expanded per host later (plan.h): kept as written */
			for (size_t k = i; k <= j; k++)
				VEC_PUSH(*out, ((struct lch){ in->v[k].c, true, in->v[k].o }));
		} else if (!valid_name(name)) {
			err(P, o, "bad parameter name '%s' in ${}: " NAME_RULE, name);
			ok = false;
		} else if (!v) {
			err(P, o, "parameter '%s' is not defined: add 'param %s=VALUE' above this line "
			    "or give %s=VALUE on the command line", name, name, name);
			ok = false;
		} else {
			for (const char *p = v; *p; p++)
				VEC_PUSH(*out, ((struct lch){ *p, true, o }));
		}
		free(name);
		i = j;
	}
	return ok;
}

/* ---------- step 3: words ---------- */

static void tok_free(struct tok *t)
{
	VEC_FREE(t->s);
	VEC_FREE(t->o);
}

/* Words of IN into TOKS.  Token buffers are kept from line to line (LIVE
 * counts the slots that own buffers): a file of 100000 host lines would
 * otherwise allocate a dozen buffers per line. */
static size_t tokenize(const lvec *in, tvec *toks, size_t *live)
{
	size_t i = 0;
	toks->n = 0;
	for (;;) {
		while (i < in->n && !in->v[i].lit && (in->v[i].c == ' ' || in->v[i].c == '\t'))
			i++;
		if (i >= in->n)
			break;
		if (toks->n == *live) {
			VEC_RESERVE(*toks, *live + 1);
			memset(&toks->v[(*live)++], 0, sizeof(struct tok));
		}
		struct tok *t = &toks->v[toks->n++];
		bool in_q = false;
		t->s.n = t->o.n = 0;
		t->eq = -1;
		t->at = in->v[i].o;
		for (; i < in->n; i++) {
			const struct lch *c = &in->v[i];
			if (!c->lit && !in_q && (c->c == ' ' || c->c == '\t'))
				break;
			if (!c->lit && c->c == '"') {
				in_q = !in_q;
				continue;
			}
			if (!c->lit && in_q && c->c == '\\' && i + 1 < in->n &&
			    (in->v[i + 1].c == '"' || in->v[i + 1].c == '\\')) {
				i++;
				c = &in->v[i];
			} else if (!c->lit && !in_q && c->c == '=' && t->eq < 0) {
				t->eq = (long)t->s.n;
			}
			VEC_PUSH(t->s, c->c);
			VEC_PUSH(t->o, c->o);
		}
		VEC_PUSH(t->s, '\0');
	}
	return toks->n;
}

/* The place of characters [i, j) of a token. */
static struct org span(const struct tok *t, size_t i, size_t j)
{
	size_t n = t->s.n - 1;                 /* without the NUL */
	if (n == 0)
		return t->at;
	if (i >= n)
		i = n - 1;
	if (j > n)
		j = n;
	if (j <= i)
		j = i + 1;
	struct org a = t->o.v[i], b = t->o.v[j - 1];
	uint32_t end = b.col + b.len - 1;
	if (b.line == a.line && end >= a.col)
		a.len = end - a.col + 1;
	return a;
}

static struct org tok_span(const struct tok *t) { return span(t, 0, t->s.n - 1); }
static struct org key_span(const struct tok *t) { return span(t, 0, (size_t)t->eq); }
static struct org val_span(const struct tok *t)
{
	if ((size_t)t->eq + 1 >= t->s.n - 1)
		return span(t, (size_t)t->eq, (size_t)t->eq + 1);
	return span(t, (size_t)t->eq + 1, t->s.n - 1);
}

/* ---------- ranges: name[LO-HI]suffix ---------- */

struct pattern {
	char *prefix, *suffix;
	bool range;
	uint64_t lo, hi;
	int width;              /* zero-padded width when LO has a leading 0 */
};

static void pattern_free(struct pattern *p)
{
	free(p->prefix);
	free(p->suffix);
}

static size_t pattern_count(const struct pattern *p) { return p->range ? (size_t)(p->hi - p->lo + 1) : 1; }

static char *pattern_member(const struct pattern *p, size_t m)
{
	if (!p->range)
		return xstrdup(p->prefix);
	return xasprintf("%s%0*llu%s", p->prefix, p->width, (unsigned long long)(p->lo + m), p->suffix);
}

/* Parse S (a name, possibly with one range) from token T's characters
 * [off, off+strlen(S)).  WHAT says what is named, for messages. */
static bool parse_pattern(struct parser *P, const struct tok *t, size_t off, const char *s,
			  const char *what, struct pattern *p)
{
	const char *lb = strchr(s, '['), *rb;
	size_t n = strlen(s);
	struct org at = span(t, off, off + n);

	memset(p, 0, sizeof(*p));
	if (!lb) {
		if (strchr(s, ']') || !valid_name(s)) {
			err(P, at, "bad %s name '%s': " NAME_RULE, what, s);
			return false;
		}
		p->prefix = xstrdup(s);
		return true;
	}
	rb = strchr(lb, ']');
	const char *dash = rb ? memchr(lb, '-', (size_t)(rb - lb)) : NULL;
	struct org rat = span(t, off + (size_t)(lb - s), off + (rb ? (size_t)(rb - s) + 1 : n));
	if (!rb || !dash || strchr(rb + 1, '[') || strchr(rb + 1, ']')) {
		err(P, rat, "bad range in '%s': expected NAME[FIRST-LAST], e.g. app[1-16]", s);
		return false;
	}
	char *lo = xstrndup(lb + 1, (size_t)(dash - lb - 1)), *hi = xstrndup(dash + 1, (size_t)(rb - dash - 1));
	int rc1 = parse_u64(lo, 0, 999999999, &p->lo), rc2 = parse_u64(hi, 0, 999999999, &p->hi);
	p->width = lo[0] == '0' && lo[1] ? (int)strlen(lo) : 0;
	free(lo);
	free(hi);
	if (rc1 || rc2) {
		err(P, rat, "bad range in '%s': FIRST and LAST must be numbers from 0 to 999999999", s);
		return false;
	}
	if (p->lo > p->hi) {
		err(P, rat, "range [%llu-%llu] expands to nothing: FIRST must not be greater than LAST",
		    (unsigned long long)p->lo, (unsigned long long)p->hi);
		return false;
	}
	if (p->hi - p->lo + 1 > RANGE_MAX) {
		err(P, rat, "range [%llu-%llu] has more than %llu members", (unsigned long long)p->lo,
		    (unsigned long long)p->hi, RANGE_MAX);
		return false;
	}
	p->range = true;
	p->prefix = xstrndup(s, (size_t)(lb - s));
	p->suffix = xstrdup(rb + 1);
	/* the first and the last member are the shortest and the longest */
	for (int k = 0; k < 2; k++) {
		char *m = pattern_member(p, k ? pattern_count(p) - 1 : 0);
		bool ok = valid_name(m);
		if (!ok)
			err(P, at, "bad %s name '%s' (from '%s'): " NAME_RULE, what, m, s);
		free(m);
		if (!ok) {
			pattern_free(p);
			return false;
		}
	}
	return true;
}

/* The member M of a reference pattern inside a statement of COUNT members. */
static char *ref_member(struct parser *P, const struct pattern *p, size_t m, size_t count,
			struct org at, const char *what)
{
	if (p->range && pattern_count(p) != count) {
		if (count == 1)
			err(P, at, "a range in a %s name needs a range of the same size in the "
			    "statement's own name", what);
		else
			err(P, at, "range of %zu %ss does not match the statement's %zu members",
			    pattern_count(p), what, count);
		return NULL;
	}
	return pattern_member(p, p->range ? m : 0);
}

/* ---------- small value parsers ---------- */

static int parse_yesno(const char *v, bool *out)
{
	if (!strcmp(v, "yes")) { *out = true; return 0; }
	if (!strcmp(v, "no")) { *out = false; return 0; }
	return -EINVAL;
}

static int parse_kind(const char *v, enum plan_kind *k)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(v, plan_kind_names[i])) {
			*k = (enum plan_kind)i;
			return 0;
		}
	return -EINVAL;
}

static void unit_error(struct parser *P, const struct tok *t, const char *key, const char *val,
		       int rc, const char *expect)
{
	if (rc == -ERANGE)
		err(P, val_span(t), "%s=%s is out of range: expected %s", key, val, expect);
	else
		err(P, val_span(t), "bad value '%s' for %s: expected %s", val, key, expect);
}

static bool split_kv(struct parser *P, const struct tok *t, const char **key, const char **val)
{
	if (t->eq < 0) {
		err(P, tok_span(t), "expected KEY=VALUE, got '%s'", t->s.v);
		return false;
	}
	t->s.v[t->eq] = '\0';
	*key = t->s.v;
	*val = t->s.v + t->eq + 1;
	if (t->eq == 0) {
		err(P, tok_span(t), "'=%s' has no key before the '='", *val);
		t->s.v[t->eq] = '=';
		return false;
	}
	if (!**val) {
		err(P, key_span(t), "%s= needs a value", *key);
		t->s.v[t->eq] = '=';
		return false;
	}
	return true;
}

static void join_kv(const struct tok *t) { if (t->eq >= 0) t->s.v[t->eq] = '='; }

/* mem= and cpus= values, shared by host and defaults. */
static bool parse_mem(struct parser *P, const struct tok *t, const char *v, uint64_t *mem)
{
	int rc = parse_size(v, mem);
	if (!rc && (*mem < MEM_MIN || *mem > MEM_MAX))
		rc = -ERANGE;
	if (rc) {
		unit_error(P, t, "mem", v, rc, "a size from 16M to 1T, such as 48M or 1G");
		return false;
	}
	return true;
}

static bool parse_cpus(struct parser *P, const struct tok *t, const char *v, unsigned *cpus)
{
	uint64_t u;
	int rc = parse_u64(v, 1, 256, &u);
	if (rc) {
		unit_error(P, t, "cpus", v, rc, "a number of CPUs from 1 to 256");
		return false;
	}
	*cpus = (unsigned)u;
	return true;
}

/* Split a run= value into an argv: words at blanks, single quotes group
 * (as in the contract: no other shell meaning). */
static bool split_argv(struct parser *P, const struct tok *t, const char *v, struct plan_argv *out)
{
	VEC(char *) av = { 0 };
	VEC(char) w = { 0 };
	bool in_q = false, have = false;
	struct org qat = val_span(t);

	for (size_t i = 0;; i++) {
		char c = v[i];
		if (c == '\0' || (!in_q && (c == ' ' || c == '\t'))) {
			if (have) {
				VEC_PUSH(w, '\0');
				VEC_PUSH(av, xstrdup(w.v));
				w.n = 0;
				have = false;
			}
			if (c == '\0')
				break;
			continue;
		}
		if (c == '\'') {
			in_q = !in_q;
			have = true;
			if (in_q)
				qat = span(t, (size_t)t->eq + 1 + i, (size_t)t->eq + 2 + i);
			continue;
		}
		VEC_PUSH(w, c);
		have = true;
	}
	VEC_FREE(w);
	if (in_q || av.n == 0) {
		if (in_q)
			err(P, qat, "unterminated single quote in run=: the closing ' is missing");
		else
			err(P, val_span(t), "run= needs a command");
		for (size_t i = 0; i < av.n; i++)
			free(av.v[i]);
		VEC_FREE(av);
		return false;
	}
	out->argc = av.n;
	VEC_PUSH(av, NULL);
	out->argv = av.v;
	return true;
}

/* S with every FROM replaced by TO (a new string). */
static char *replace_all(const char *s, const char *from, const char *to)
{
	VEC(char) o = { 0 };
	size_t fl = strlen(from), tl = strlen(to);
	for (const char *p = s; *p;) {
		if (!strncmp(p, from, fl)) {
			for (size_t i = 0; i < tl; i++)
				VEC_PUSH(o, to[i]);
			p += fl;
		} else {
			VEC_PUSH(o, *p++);
		}
	}
	VEC_PUSH(o, '\0');
	return o.v;
}

/* ${host} and ${index} of the host member being parsed. */
static void expand_host_vars(struct parser *P, struct plan_argv *a)
{
	char idx[24];
	snprintf(idx, sizeof(idx), "%llu", P->cur_index);
	for (size_t i = 0; i < a->argc; i++) {
		char *x = replace_all(a->argv[i], "${host}", P->cur_host);
		char *y = replace_all(x, "${index}", idx);
		free(x);
		free(a->argv[i]);
		a->argv[i] = y;
	}
}

static void argv_free(struct plan_argv *a)
{
	for (size_t i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
}

/* route="DEST via GW": DEST is CIDR or "default". */
static bool parse_route(struct parser *P, const struct tok *t, const char *v, struct m_route *r)
{
	char w[3][80];
	size_t off[3];
	int n = 0;
	const char *p = v;
	memset(r, 0, sizeof(*r));
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, " \t");
		if (n == 3 || len >= sizeof(w[0]))
			goto bad;
		off[n] = (size_t)(p - v);
		memcpy(w[n], p, len);
		w[n][len] = '\0';
		n++;
		p += len;
	}
	if (n != 3 || strcmp(w[1], "via"))
		goto bad;
	size_t base = (size_t)t->eq + 1;
	r->at = val_span(t);
	r->at_gw = span(t, base + off[2], base + off[2] + strlen(w[2]));
	struct org at_dst = span(t, base + off[0], base + off[0] + strlen(w[0]));
	struct plan_addr4 g4 = { 0 }, d4 = { 0 };
	struct plan_addr6 g6 = { 0 }, d6 = { 0 };
	if (!parse_cidr4(w[2], &g4, false) && !strchr(w[2], '/')) {
		r->family = AF_INET;
		r->gw.v4 = g4.addr;
	} else if (!parse_cidr6(w[2], &g6, false) && !strchr(w[2], '/')) {
		r->family = AF_INET6;
		r->gw.v6 = g6.addr;
	} else {
		err(P, r->at_gw, "bad gateway '%s': expected an IPv4 or IPv6 address", w[2]);
		return false;
	}
	if (!strcmp(w[0], "default")) {
		r->is_default = true;
		r->len = 0;
		return true;
	}
	if (r->family == AF_INET && !parse_cidr4(w[0], &d4, true)) {
		r->dst.v4 = d4.addr;
		r->len = d4.len;
	} else if (r->family == AF_INET6 && !parse_cidr6(w[0], &d6, true)) {
		r->dst.v6 = d6.addr;
		r->len = d6.len;
	} else {
		err(P, at_dst, "bad destination '%s': expected default or an %s prefix ADDR/LEN "
		    "(the family of the gateway)", w[0], r->family == AF_INET ? "IPv4" : "IPv6");
		return false;
	}
	return true;
bad:
	err(P, val_span(t), "route= must be \"DEST via GW\", e.g. route=\"10.2.0.0/16 via 10.0.0.1\" "
	    "or route=\"default via 10.0.0.1\"");
	return false;
}

/* ---------- impairments ---------- */

static bool impair_attr(struct parser *P, struct impair *im, const char *key, const char *val,
			const char *const prefix[2], struct org kat, struct org vat, const char *where)
{
	const char *expect = "";
	int rc = impair_set(im, key, val, prefix, &expect);
	if (!rc)
		return true;
	if (rc == -ENOENT) {
		const char *dot = strchr(key, '.');
		if (dot && !strcmp(expect, "a direction prefix of this kind"))
			err(P, kat, "unknown direction '%.*s' %s: use %s. or %s.", (int)(dot - key), key,
			    where, prefix[0], prefix[1]);
		else
			err(P, kat, "unknown attribute '%s' %s: expected %s", key, where, expect);
	} else if (rc == -ERANGE) {
		err(P, vat, "%s=%s is out of range: expected %s", key, val, expect);
	} else {
		err(P, vat, "bad value '%s' for %s: expected %s", val, key, expect);
	}
	return false;
}

static void impair_check(struct parser *P, const struct impair *im, const char *const prefix[2],
			 struct org at)
{
	const char *w0 = impair_dir_check(&im->dir[0]), *w1 = impair_dir_check(&im->dir[1]);
	if (w0 && w1 && !strcmp(w0, w1))
		err(P, at, "%s", w0);
	else if (w0)
		err(P, at, "%s (direction %s)", w0, prefix[0]);
	else if (w1)
		err(P, at, "%s (direction %s)", w1, prefix[1]);
}

static const char *const link_prefix[2] = { "a2b", "b2a" };
static const char *const iface_prefix[2] = { "out", "in" };

/* ---------- statements ---------- */

static bool add_name(struct parser *P, const char *name, size_t tag, struct org at)
{
	bool inserted;
	size_t *v = hmap_puts(P->t->names, name, tag, &inserted);
	if (inserted)
		return true;
	struct org prev;
	const char *what;
	if (*v & 1) {
		prev = P->t->hosts.v[*v / 2].at;
		what = "host";
	} else {
		prev = P->t->segments.v[*v / 2].at;
		what = "segment";
	}
	/* reported also for members after the first: each is its own clash */
	int q = P->quiet;
	P->quiet = 0;
	err(P, at, "duplicate name '%s': already declared as a %s at line %u, column %u", name,
	    what, prev.line, prev.col);
	P->quiet = q;
	return false;
}

static void st_testbed(struct parser *P, struct tok *tk, size_t n)
{
	if (n != 2 || tk[1].eq >= 0) {
		err(P, n < 2 ? tok_span(&tk[0]) : tok_span(&tk[n < 2 ? 0 : 1]),
		    "expected 'testbed NAME'");
		return;
	}
	if (P->have_name) {
		err(P, tok_span(&tk[0]), "the testbed is already named at line %u", P->name_at.line);
		return;
	}
	if (!valid_name(tk[1].s.v)) {
		err(P, tok_span(&tk[1]), "bad testbed name '%s': " NAME_RULE, tk[1].s.v);
		return;
	}
	free(P->t->name);
	P->t->name = xstrdup(tk[1].s.v);
	P->have_name = true;
	P->name_at = tk[0].at;
}

static void st_param(struct parser *P, struct tok *tk, size_t n)
{
	const char *k, *v;
	if (n != 2) {
		err(P, n < 2 ? tok_span(&tk[0]) : tok_span(&tk[2]), "expected 'param NAME=VALUE'");
		return;
	}
	if (!split_kv(P, &tk[1], &k, &v))
		return;
	if (!valid_name(k)) {
		err(P, key_span(&tk[1]), "bad parameter name '%s': " NAME_RULE, k);
		return;
	}
	if (plan_is_builtin(k)) {
		err(P, key_span(&tk[1]), "'%s' is a built-in name (${host}, ${index} and ${data} "
		    "are set per host): choose another parameter name", k);
		return;
	}
	bool inserted;
	size_t *i = hmap_puts(P->param_idx, k, P->params.n, &inserted);
	if (!inserted) {
		struct param *p = &P->params.v[*i];
		if (p->from_cmdline && !p->declared) {
			p->declared = true;     /* the command line's value wins */
			p->at = tk[1].at;
			return;
		}
		err(P, key_span(&tk[1]), "parameter '%s' is already defined at line %u", k, p->at.line);
		return;
	}
	VEC_PUSH(P->params, ((struct param){ xstrdup(k), xstrdup(v), tk[1].at, false, true }));
}

static void st_defaults(struct parser *P, struct tok *tk, size_t n)
{
	if (n < 2)
		err(P, tok_span(&tk[0]), "defaults needs at least one ATTR=VALUE");
	for (size_t i = 1; i < n; i++) {
		const char *k, *v;
		if (!split_kv(P, &tk[i], &k, &v))
			continue;
		if (!strcmp(k, "kind")) {
			if (parse_kind(v, &P->def.kind))
				unit_error(P, &tk[i], k, v, -EINVAL, "uml, qemu or netns");
			else
				P->def.kind_set = true;
		} else if (!strcmp(k, "mem")) {
			P->def.mem_set = parse_mem(P, &tk[i], v, &P->def.mem);
		} else if (!strcmp(k, "cpus")) {
			P->def.cpus_set = parse_cpus(P, &tk[i], v, &P->def.cpus);
		} else if (!strcmp(k, "image")) {
			if (!valid_name(v)) {
				err(P, val_span(&tk[i]), "bad image name '%s': " NAME_RULE, v);
			} else {
				free(P->def.image);
				P->def.image = xstrdup(v);
				P->def.image_set = true;
			}
		} else if (!strcmp(k, "forward")) {
			if (parse_yesno(v, &P->def.forward))
				unit_error(P, &tk[i], k, v, -EINVAL, "yes or no");
			else
				P->def.forward_set = true;
		} else {
			err(P, key_span(&tk[i]), "unknown attribute '%s' in defaults: expected kind, "
			    "mem, cpus, image or forward", k);
		}
		join_kv(&tk[i]);
	}
}

static void st_segment(struct parser *P, struct tok *tk, size_t n)
{
	struct pattern pat;
	if (n < 2 || tk[1].eq >= 0) {
		err(P, tok_span(&tk[n < 2 ? 0 : 1]), "expected 'segment NAME [ATTR=VALUE...]'");
		return;
	}
	if (!parse_pattern(P, &tk[1], 0, tk[1].s.v, "segment", &pat))
		return;
	struct m_segment s = { .sw = PLAN_SWITCH_VDE, .at = tok_span(&tk[1]) };
	bool seen4 = false, seen6 = false, seen_sw = false, seen_cap = false;
	for (size_t i = 2; i < n; i++) {
		const char *k, *v;
		int rc;
		if (!split_kv(P, &tk[i], &k, &v))
			continue;
		bool *seen = !strcmp(k, "subnet") ? &seen4 : !strcmp(k, "subnet6") ? &seen6 :
			     !strcmp(k, "switch") ? &seen_sw : !strcmp(k, "capture") ? &seen_cap : NULL;
		if (!seen) {
			if (impair_is_key(k, link_prefix) || impair_is_key(k, iface_prefix))
				err(P, key_span(&tk[i]), "impairment '%s' on a segment: put it on a link "
				    "or on an interface (ethN=SEG:ADDR,%s=...)", k, k);
			else
				err(P, key_span(&tk[i]), "unknown attribute '%s' for a segment: expected "
				    "subnet, subnet6, switch or capture", k);
		} else if (*seen) {
			err(P, key_span(&tk[i]), "%s= is given twice", k);
		} else if (seen == &seen4) {
			*seen = true;
			s.at4 = val_span(&tk[i]);
			if ((rc = parse_cidr4(v, &s.sub4, true)) || s.sub4.len > 30) {
				if (!rc && s.sub4.len > 30)
					err(P, s.at4, "subnet=%s is too small: a segment's IPv4 subnet needs "
					    "a length of at most /30", v);
				else
					err(P, s.at4, "bad subnet '%s': expected an IPv4 prefix A.B.C.D/LEN", v);
				s.sub4.set = false;
			} else {
				uint32_t a = ntohl(s.sub4.addr.s_addr);
				uint32_t mask = s.sub4.len ? ~0u << (32 - s.sub4.len) : 0;
				if (a & ~mask) {
					struct in_addr net = { htonl(a & mask) };
					char b[INET_ADDRSTRLEN];
					inet_ntop(AF_INET, &net, b, sizeof(b));
					err(P, s.at4, "subnet %s has host bits set: did you mean %s/%u?", v, b,
					    s.sub4.len);
					s.sub4.set = false;
				}
			}
		} else if (seen == &seen6) {
			*seen = true;
			s.at6 = val_span(&tk[i]);
			if ((rc = parse_cidr6(v, &s.sub6, true)) || s.sub6.len > 126) {
				if (!rc)
					err(P, s.at6, "subnet6=%s is too small: a segment's IPv6 subnet needs "
					    "a length of at most /126", v);
				else
					err(P, s.at6, "bad subnet6 '%s': expected an IPv6 prefix ADDR/LEN", v);
				s.sub6.set = false;
			} else {
				bool host_bits = false;
				for (unsigned b = s.sub6.len; b < 128; b++)
					if (s.sub6.addr.s6_addr[b / 8] & (0x80 >> (b % 8)))
						host_bits = true;
				if (host_bits) {
					struct in6_addr net = s.sub6.addr;
					char b6[INET6_ADDRSTRLEN];
					for (unsigned b = s.sub6.len; b < 128; b++)
						net.s6_addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
					inet_ntop(AF_INET6, &net, b6, sizeof(b6));
					err(P, s.at6, "subnet6 %s has host bits set: did you mean %s/%u?", v,
					    b6, s.sub6.len);
					s.sub6.set = false;
				}
			}
		} else if (seen == &seen_sw) {
			*seen = true;
			if (!strcmp(v, "vde"))
				s.sw = PLAN_SWITCH_VDE;
			else if (!strcmp(v, "bridge"))
				s.sw = PLAN_SWITCH_BRIDGE;
			else
				unit_error(P, &tk[i], k, v, -EINVAL, "vde or bridge");
		} else {
			*seen = true;
			if (parse_yesno(v, &s.capture))
				unit_error(P, &tk[i], k, v, -EINVAL, "yes or no");
		}
		join_kv(&tk[i]);
	}
	/* A segment with errors still declares its name, so that hosts on it
	 * do not add "undefined segment" errors of their own. */
	s.broken = P->failed;
	for (size_t m = 0; m < pattern_count(&pat); m++) {
		s.name = pattern_member(&pat, m);
		if (!add_name(P, s.name, TOPO_TAG_SEG(P->t->segments.n), s.at)) {
			free(s.name);
			continue;
		}
		VEC_PUSH(P->t->segments, s);
	}
	pattern_free(&pat);
}

static void st_link(struct parser *P, struct tok *tk, size_t n)
{
	struct pattern pa, pb;
	if (n < 3 || tk[1].eq >= 0 || tk[2].eq >= 0) {
		err(P, tok_span(&tk[0]), "expected 'link SEGMENT_A SEGMENT_B [IMPAIRMENT...]'");
		return;
	}
	if (!parse_pattern(P, &tk[1], 0, tk[1].s.v, "segment", &pa))
		return;
	if (!parse_pattern(P, &tk[2], 0, tk[2].s.v, "segment", &pb)) {
		pattern_free(&pa);
		return;
	}
	size_t count = pattern_count(&pa) > pattern_count(&pb) ? pattern_count(&pa) : pattern_count(&pb);
	if (pa.range && pb.range && pattern_count(&pa) != pattern_count(&pb)) {
		err(P, tok_span(&tk[2]), "the two ranges of a link must have the same size (%zu and %zu)",
		    pattern_count(&pa), pattern_count(&pb));
		goto out;
	}
	struct impair im;
	impair_init(&im);
	for (size_t i = 3; i < n; i++) {
		const char *k, *v;
		if (!split_kv(P, &tk[i], &k, &v))
			continue;
		impair_attr(P, &im, k, v, link_prefix, key_span(&tk[i]), val_span(&tk[i]), "on a link");
		join_kv(&tk[i]);
	}
	impair_check(P, &im, link_prefix, tok_span(&tk[0]));
	if (P->failed)
		goto out;
	for (size_t m = 0; m < count; m++) {
		struct m_link l = { .at = tok_span(&tk[0]), .at_a = tok_span(&tk[1]),
				    .at_b = tok_span(&tk[2]), .im = im };
		l.a = pattern_member(&pa, pa.range ? m : 0);
		l.b = pattern_member(&pb, pb.range ? m : 0);
		VEC_PUSH(P->t->links, l);
	}
out:
	pattern_free(&pa);
	pattern_free(&pb);
}

static void iface_free(struct m_iface *f) { free(f->seg); }

static void host_free(struct m_host *h)
{
	free(h->name);
	free(h->image);
	for (size_t i = 0; i < h->ifaces.n; i++)
		iface_free(&h->ifaces.v[i]);
	VEC_FREE(h->ifaces);
	for (size_t i = 0; i < h->runs.n; i++)
		argv_free(&h->runs.v[i]);
	VEC_FREE(h->runs);
	VEC_FREE(h->routes);
}

/* Is KEY "ethN"?  Sets *n. */
static int eth_key(const char *k, unsigned *n)
{
	uint64_t u;
	if (strncmp(k, "eth", 3) || !k[3])
		return -ENOENT;
	if (k[3] < '0' || k[3] > '9')
		return -ENOENT;
	if (k[3] == '0' && k[4])
		return -EINVAL;
	int rc = parse_u64(k + 3, 0, ETH_MAX, &u);
	if (rc)
		return rc;
	*n = (unsigned)u;
	return 0;
}

/* ethN=SEG[:ADDR][,IMPAIRMENT...] for member M of COUNT. */
static bool parse_iface(struct parser *P, const struct tok *t, const char *v, size_t m, size_t count,
			struct m_iface *f)
{
	size_t base = (size_t)t->eq + 1, vlen = strlen(v);
	size_t first = strcspn(v, ",");
	char *head = xstrndup(v, first);
	char *colon = strchr(head, ':');
	struct pattern pat;
	bool ok = false;

	if (colon)
		*colon = '\0';
	struct org seg_at = span(t, base, base + strlen(head));
	f->at_seg = seg_at;
	if (!*head) {
		err(P, seg_at, "%.*s= needs a segment: ethN=SEGMENT[:ADDRESS][,IMPAIRMENT...]",
		    (int)t->eq, t->s.v);
		goto out;
	}
	if (!parse_pattern(P, t, base, head, "segment", &pat))
		goto out;
	f->seg = ref_member(P, &pat, m, count, seg_at, "segment");
	pattern_free(&pat);
	if (!f->seg)
		goto out;
	if (colon) {
		const char *a = colon + 1;
		size_t aoff = base + (size_t)(a - head);
		f->at_addr = span(t, aoff, aoff + strlen(a));
		if (!strcmp(a, "auto")) {
			f->addr = ADDR_AUTO;
		} else if (strchr(a, ':')) {
			f->addr = ADDR_V6;
			if (parse_cidr6(a, &f->a6, false) || (f->a6.len == 0 && strchr(a, '/'))) {
				err(P, f->at_addr, "bad IPv6 address '%s': expected ADDR[/LEN]", a);
				goto out;
			}
		} else {
			f->addr = ADDR_V4;
			if (parse_cidr4(a, &f->a4, false) || (f->a4.len == 0 && strchr(a, '/'))) {
				err(P, f->at_addr, "bad address '%s': expected A.B.C.D[/LEN], an IPv6 "
				    "address or auto", a);
				goto out;
			}
		}
	}
	/* Impairments after the address.  A Gilbert loss has commas of its own
	 * (loss=gilbert:p=1%,r=30%): its p=, r=, h=, k= pieces are glued back. */
	ok = true;
	impair_init(&f->im);
	size_t pos = first;
	while (pos < vlen) {
		size_t start = pos + 1, end = start + strcspn(v + start, ",");
		if (!strncmp(v + start, "loss=gilbert:", 13))
			while (end < vlen && strchr("prhk", v[end + 1]) && v[end + 2] == '=')
				end = end + 1 + strcspn(v + end + 1, ",");
		char *piece = xstrndup(v + start, end - start);
		char *eq = strchr(piece, '=');
		struct org pat_at = span(t, base + start, base + end);
		if (!f->impaired)
			f->at_imp = pat_at;
		f->impaired = true;
		if (!eq || eq == piece || !eq[1]) {
			err(P, pat_at, "expected an impairment KEY=VALUE after the address, got '%s'", piece);
			ok = false;
		} else {
			*eq = '\0';
			size_t klen = (size_t)(eq - piece);
			if (!impair_attr(P, &f->im, piece, eq + 1, iface_prefix,
					 span(t, base + start, base + start + klen),
					 span(t, base + start + klen + 1, base + end), "on an interface"))
				ok = false;
		}
		free(piece);
		pos = end;
	}
	if (ok && f->impaired)
		impair_check(P, &f->im, iface_prefix, f->at_imp);
out:
	free(head);
	return ok && !P->failed;
}

static bool host_attrs(struct parser *P, struct m_host *h, struct tok *tk, size_t n, size_t m,
		       size_t count)
{
	bool seen_kind = false, seen_mem = false, seen_cpus = false, seen_image = false, seen_fwd = false;
	struct org mem_at = { 0 }, cpus_at = { 0 }, image_at = { 0 };
	uint64_t mem = 0;
	unsigned cpus = 1;

	for (size_t i = 0; i < n; i++) {
		const char *k, *v;
		struct tok *t = &tk[i];
		unsigned eth;
		int rc;
		if (!split_kv(P, t, &k, &v))
			continue;
		if (!strcmp(k, "kind") || !strcmp(k, "mem") || !strcmp(k, "cpus") ||
		    !strcmp(k, "image") || !strcmp(k, "forward")) {
			bool *seen = k[0] == 'k' ? &seen_kind : k[0] == 'm' ? &seen_mem :
				     k[0] == 'c' ? &seen_cpus : k[0] == 'i' ? &seen_image : &seen_fwd;
			if (*seen) {
				err(P, key_span(t), "%s= is given twice", k);
			} else if (seen == &seen_kind) {
				if (parse_kind(v, &h->kind))
					unit_error(P, t, k, v, -EINVAL, "uml, qemu or netns");
			} else if (seen == &seen_mem) {
				mem_at = key_span(t);
				parse_mem(P, t, v, &mem);
			} else if (seen == &seen_cpus) {
				cpus_at = key_span(t);
				parse_cpus(P, t, v, &cpus);
			} else if (seen == &seen_image) {
				image_at = key_span(t);
				if (!valid_name(v)) {
					err(P, val_span(t), "bad image name '%s': " NAME_RULE, v);
				} else {
					free(h->image);
					h->image = xstrdup(v);
				}
			} else if (parse_yesno(v, &h->forward)) {
				unit_error(P, t, k, v, -EINVAL, "yes or no");
			}
			*seen = true;
		} else if (!strcmp(k, "run")) {
			struct plan_argv a;
			if (split_argv(P, t, v, &a)) {
				expand_host_vars(P, &a);
				VEC_PUSH(h->runs, a);
			}
		} else if (!strcmp(k, "route")) {
			struct m_route r;
			if (parse_route(P, t, v, &r))
				VEC_PUSH(h->routes, r);
		} else if ((rc = eth_key(k, &eth)) != -ENOENT) {
			if (rc) {
				err(P, key_span(t), rc == -ERANGE ? "interface '%s' is out of range: at most eth%d"
				    : "bad interface name '%s': expected eth0, eth1, ... (at most eth%d)", k, ETH_MAX);
			} else {
				struct m_iface f = { .index = eth, .at = key_span(t) };
				if (parse_iface(P, t, v, m, count, &f))
					VEC_PUSH(h->ifaces, f);
				else
					iface_free(&f);
			}
		} else if (impair_is_key(k, iface_prefix) || impair_is_key(k, link_prefix)) {
			err(P, key_span(t), "impairment '%s' on a host: write it after the interface's "
			    "address, e.g. eth0=SEG:auto,%s=%s", k, k, v);
		} else {
			err(P, key_span(t), "unknown attribute '%s' for a host: expected kind, mem, cpus, "
			    "image, forward, ethN, route or run", k);
		}
		join_kv(t);
	}
	/* Kind-dependent checks: explicit settings that cannot apply are errors,
	 * defaults that cannot apply are silently left out. */
	if (seen_mem && h->kind == PLAN_KIND_NETNS)
		err(P, mem_at, "mem= does not apply to a netns host (it has no guest memory)");
	if (seen_image && h->kind == PLAN_KIND_NETNS)
		err(P, image_at, "image= does not apply to a netns host (it runs the host's programs)");
	if (seen_cpus && cpus > 1 && h->kind != PLAN_KIND_QEMU)
		err(P, cpus_at, "cpus=%u: only qemu hosts can have more than one CPU", cpus);
	if (h->kind == PLAN_KIND_NETNS) {
		h->mem = 0;
		free(h->image);
		h->image = NULL;
	} else {
		h->mem = seen_mem ? mem : P->def.mem_set ? P->def.mem : kind_mem_default[h->kind];
	}
	h->cpus = seen_cpus ? cpus : (P->def.cpus_set && h->kind == PLAN_KIND_QEMU) ? P->def.cpus : 1;
	return !P->failed;
}

#define SHRINK(vec) do { if ((vec).n < (vec).cap) { \
	(vec).v = xrealloc((vec).v, ((vec).n ? (vec).n : 1) * sizeof(*(vec).v)); (vec).cap = (vec).n; } } while (0)

static void st_host(struct parser *P, struct tok *tk, size_t n)
{
	struct pattern pat;
	if (n < 2 || tk[1].eq >= 0) {
		err(P, tok_span(&tk[n < 2 ? 0 : 1]), "expected 'host NAME [ATTR=VALUE...]'");
		return;
	}
	if (!parse_pattern(P, &tk[1], 0, tk[1].s.v, "host", &pat))
		return;
	size_t count = pattern_count(&pat);
	bool broken = false;
	for (size_t m = 0; m < count; m++) {
		struct m_host h = { .kind = P->def.kind_set ? P->def.kind : PLAN_KIND_UML,
				    .forward = P->def.forward_set && P->def.forward,
				    .at = tok_span(&tk[1]) };
		if (P->def.image_set)
			h.image = xstrdup(P->def.image);
		/* Members after a first one with errors are not parsed again:
		 * they would only repeat its errors.  They keep their names. */
		char *name = pattern_member(&pat, m);
		if (broken) {
			host_free(&h);
			h = (struct m_host){ .at = tok_span(&tk[1]), .broken = true };
		} else {
			P->quiet += m > 0;
			P->cur_host = name;
			P->cur_index = pat.range ? pat.lo + m : 1;
			broken = h.broken = !host_attrs(P, &h, tk + 2, n - 2, m, count);
			P->cur_host = NULL;
			P->quiet -= m > 0;
		}
		/* VEC grows by 8 at first; a host has one or two of each, and
		 * 100000 hosts should not carry the slack. */
		SHRINK(h.ifaces);
		SHRINK(h.runs);
		SHRINK(h.routes);
		h.name = name;
		if (!add_name(P, h.name, TOPO_TAG_HOST(P->t->hosts.n), h.at)) {
			host_free(&h);
			continue;
		}
		VEC_PUSH(P->t->hosts, h);
	}
	pattern_free(&pat);
}

/* experiment [prepare="CMD"] done=PATH [results=DIR] [summary=CSV] [timeout=DUR] */
static bool data_path(struct parser *P, const struct tok *t, const char *k, const char *v)
{
	if (v[0] == '/' || !strcmp(v, "..") || !strncmp(v, "../", 3) || strstr(v, "/../") ||
	    (strlen(v) >= 3 && !strcmp(v + strlen(v) - 3, "/.."))) {
		err(P, val_span(t), "%s=%s: expected a path inside the run's data directory "
		    "(relative, without '..')", k, v);
		return false;
	}
	return true;
}

static void st_experiment(struct parser *P, struct tok *tk, size_t n)
{
	struct plan_experiment *e = &P->t->experiment;
	if (P->have_experiment) {
		err(P, tok_span(&tk[0]), "a topology has one experiment statement; this is the second");
		return;
	}
	P->have_experiment = true;
	e->set = true;
	e->timeout_ns = 30 * 60 * 1000000000LL;
	for (size_t i = 1; i < n; i++) {
		const char *k, *v;
		struct tok *t = &tk[i];
		if (!split_kv(P, t, &k, &v))
			continue;
		if (!strcmp(k, "prepare")) {
			if (e->prepare.argc)
				err(P, key_span(t), "prepare= is given twice");
			else
				split_argv(P, t, v, &e->prepare);
		} else if (!strcmp(k, "done") || !strcmp(k, "results") || !strcmp(k, "summary")) {
			char **dst = k[0] == 'd' ? &e->done : k[0] == 'r' ? &e->results : &e->summary;
			if (*dst)
				err(P, key_span(t), "%s= is given twice", k);
			else if (data_path(P, t, k, v))
				*dst = xstrdup(v);
		} else if (!strcmp(k, "timeout")) {
			int rc = parse_duration(v, &e->timeout_ns);
			if (rc || e->timeout_ns <= 0)
				unit_error(P, t, k, v, rc ? rc : -ERANGE, "a duration such as 10m");
		} else {
			err(P, key_span(t), "unknown attribute '%s' for experiment: expected prepare, "
			    "done, results, summary or timeout", k);
		}
		join_kv(t);
	}
	if (!e->done && !P->failed)
		err(P, tok_span(&tk[0]), "experiment needs done=PATH: the file (under ${data}) whose "
		    "appearance ends a run");
	else if (e->summary && !P->failed &&
		 (!e->results || strncmp(e->summary, e->results, strlen(e->results)) ||
		  e->summary[strlen(e->results)] != '/'))
		err(P, tok_span(&tk[0]), "summary=%s must be a file inside results=%s (it is read from "
		    "the kept results)", e->summary, e->results ? e->results : "(not given)");
}

static const struct {
	const char *kw;
	void (*fn)(struct parser *, struct tok *, size_t);
} statements[] = {
	{ "testbed", st_testbed }, { "param", st_param }, { "defaults", st_defaults },
	{ "segment", st_segment }, { "link", st_link }, { "host", st_host },
	{ "experiment", st_experiment },
};

/* The testbed's default name: the file name without directories and .topo. */
static char *default_name(const char *file)
{
	const char *b = strrchr(file, '/');
	b = b ? b + 1 : file;
	size_t n = strlen(b);
	if (n > 5 && !strcmp(b + n - 5, ".topo"))
		n -= 5;
	return xstrndup(b, n);
}

size_t topo_parse(const char *file, const char *text, size_t len, char *const *overrides,
		  size_t n_overrides, struct topo_diag *d, struct topo **out)
{
	struct parser P = { .d = d, .param_idx = hmap_new() };
	struct reader r = { .text = text, .len = len, .line = 1 };
	lvec raw = { 0 }, sub = { 0 };
	tvec toks = { 0 };
	size_t live = 0;
	size_t before = d->count;
	struct org nowhere = { 0, 0, 1 };
	bool bad;

	P.t = xcalloc(1, sizeof(*P.t));
	P.t->names = hmap_new();
	*out = P.t;

	for (size_t i = 0; i < n_overrides; i++) {
		const char *eq = strchr(overrides[i], '=');
		char *k = eq ? xstrndup(overrides[i], (size_t)(eq - overrides[i])) : NULL;
		bool inserted;
		if (!k || !valid_name(k)) {
			diag_error(d, nowhere, "bad command-line parameter '%s': expected NAME=VALUE "
				   "with a name of a-z, 0-9, '_' and '-'", overrides[i]);
		} else {
			size_t *ix = hmap_puts(P.param_idx, k, P.params.n, &inserted);
			if (inserted)
				VEC_PUSH(P.params, ((struct param){ xstrdup(k), xstrdup(eq + 1), nowhere, true, false }));
			else {
				free(P.params.v[*ix].value);   /* the last one given wins */
				P.params.v[*ix].value = xstrdup(eq + 1);
			}
		}
		free(k);
	}

	while (read_logical(&P, &r, &raw, &bad)) {
		P.failed = false;
		if (bad || raw.n == 0)
			continue;
		if (!substitute(&P, &raw, &sub))
			continue;
		if (tokenize(&sub, &toks, &live) == 0)
			continue;
		struct tok *kw = &toks.v[0];
		size_t s;
		for (s = 0; s < sizeof(statements) / sizeof(statements[0]); s++)
			if (kw->eq < 0 && !strcmp(kw->s.v, statements[s].kw))
				break;
		if (s == sizeof(statements) / sizeof(statements[0])) {
			err(&P, tok_span(kw), "unknown statement '%s': expected testbed, param, defaults, "
			    "segment, link, host or experiment", kw->s.v);
			continue;
		}
		statements[s].fn(&P, toks.v, toks.n);
	}

	for (size_t i = 0; i < P.params.n; i++)
		if (P.params.v[i].from_cmdline && !P.params.v[i].declared)
			diag_error(d, nowhere, "parameter '%s' given on the command line is not declared "
				   "in the file (no 'param %s=...')", P.params.v[i].name, P.params.v[i].name);
	if (!P.have_name) {
		P.t->name = default_name(file);
		if (!valid_name(P.t->name))
			diag_error(d, (struct org){ 1, 1, 1 }, "the file name gives the testbed name '%s', "
				   "which is not a valid name (" NAME_RULE "): add a 'testbed NAME' line",
				   P.t->name);
	}

	for (size_t i = 0; i < live; i++)
		tok_free(&toks.v[i]);
	VEC_FREE(toks);
	VEC_FREE(raw);
	VEC_FREE(sub);
	for (size_t i = 0; i < P.params.n; i++) {
		free(P.params.v[i].name);
		free(P.params.v[i].value);
	}
	VEC_FREE(P.params);
	hmap_free(P.param_idx);
	free(P.def.image);
	return d->count - before;
}

void plan_experiment_free(struct plan_experiment *e)
{
	for (size_t k = 0; k < e->prepare.argc; k++)
		free(e->prepare.argv[k]);
	free(e->prepare.argv);
	free(e->done);
	free(e->results);
	free(e->summary);
	memset(e, 0, sizeof(*e));
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	free(t->name);
	plan_experiment_free(&t->experiment);
	for (size_t i = 0; i < t->segments.n; i++)
		free(t->segments.v[i].name);
	VEC_FREE(t->segments);
	for (size_t i = 0; i < t->hosts.n; i++)
		host_free(&t->hosts.v[i]);
	VEC_FREE(t->hosts);
	for (size_t i = 0; i < t->links.n; i++) {
		free(t->links.v[i].a);
		free(t->links.v[i].b);
	}
	VEC_FREE(t->links);
	hmap_free(t->names);
	free(t);
}
