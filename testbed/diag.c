/* diag — errors of one topology load, printed the way gcc and clang print
 * theirs: "FILE:LINE:COL: error: MESSAGE", the source line, and a caret
 * line under the offending text.  Sorted by position so that the parser's
 * and the planner's findings read top to bottom. */
#include "topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct topo_diag *diag_new(const char *file, const char *text, size_t len)
{
	struct topo_diag *d = xcalloc(1, sizeof(*d));
	d->file = xstrdup(file);
	d->text = xmalloc(len + 1);
	memcpy(d->text, text, len);
	d->text[len] = '\0';
	d->len = len;
	VEC_PUSH(d->lines, 0);
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n' && i + 1 < len)
			VEC_PUSH(d->lines, i + 1);
	return d;
}

void diag_error(struct topo_diag *d, struct org at, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	d->count++;
	if (d->msgs.n >= DIAG_KEEP)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup("(out of memory formatting the message)");
	va_end(ap);
	VEC_PUSH(d->msgs, ((struct diag_msg){ .at = at, .seq = d->msgs.n, .msg = msg }));
}

size_t topo_diag_count(const struct topo_diag *d) { return d->count; }

static int by_position(const void *a, const void *b)
{
	const struct diag_msg *x = a, *y = b;
	if (x->at.line != y->at.line)
		return x->at.line < y->at.line ? -1 : 1;
	if (x->at.col != y->at.col)
		return x->at.col < y->at.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void print_quote(const struct topo_diag *d, FILE *out, struct org at)
{
	if (at.line == 0 || at.line > d->lines.n)
		return;
	const char *s = d->text + d->lines.v[at.line - 1];
	size_t n = strcspn(s, "\n");
	if (n && s[n - 1] == '\r')
		n--;
	fprintf(out, "  %.*s\n  ", (int)n, s);
	/* Tabs are copied so the caret lines up whatever the tab width. */
	for (size_t i = 0; i + 1 < at.col && i < n; i++)
		fputc(s[i] == '\t' ? '\t' : ' ', out);
	fputc('^', out);
	for (size_t i = at.col; i < at.col - 1 + (size_t)at.len && i < n; i++)
		fputc('~', out);
	fputc('\n', out);
}

void topo_diag_print(const struct topo_diag *d, FILE *out, size_t max)
{
	struct diag_msg *m = xmalloc(d->msgs.n * sizeof(*m) + 1);
	size_t shown;

	if (max == 0)
		max = 50;
	if (d->msgs.n) {
		memcpy(m, d->msgs.v, d->msgs.n * sizeof(*m));
		qsort(m, d->msgs.n, sizeof(*m), by_position);
	}
	shown = d->msgs.n < max ? d->msgs.n : max;
	for (size_t i = 0; i < shown; i++) {
		if (m[i].at.line == 0) {
			fprintf(out, "%s: error: %s\n", d->file, m[i].msg);
			continue;
		}
		fprintf(out, "%s:%u:%u: error: %s\n", d->file, m[i].at.line, m[i].at.col, m[i].msg);
		print_quote(d, out, m[i].at);
	}
	if (d->count > shown)
		fprintf(out, "%s: %zu more error%s not shown (%zu in all)\n", d->file,
			d->count - shown, d->count - shown == 1 ? "" : "s", d->count);
	free(m);
}

void topo_diag_free(struct topo_diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->msgs.n; i++)
		free(d->msgs.v[i].msg);
	VEC_FREE(d->msgs);
	VEC_FREE(d->lines);
	free(d->file);
	free(d->text);
	free(d);
}
