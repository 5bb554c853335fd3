/* json — see json.h. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json *j, FILE *out, int pretty)
{
	j->out = out;
	j->depth = 0;
	j->pretty = pretty;
	j->need_comma[0] = 0;
	j->after_key = 0;
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Before any value or key: comma and indentation, unless right after a key. */
static void before_item(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	if (j->depth > 0)
		indent(j);
	j->need_comma[j->depth] = 1;
}

static void open_(struct json *j, char c)
{
	before_item(j);
	fputc(c, j->out);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = 0;
}

static void close_(struct json *j, char c)
{
	int had_items = j->need_comma[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (had_items)
		indent(j);
	fputc(c, j->out);
}

void json_obj_begin(struct json *j) { open_(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open_(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
	before_item(j);
	put_string(j->out, key);
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = 1;
}

void json_str(struct json *j, const char *s)
{
	before_item(j);
	if (s)
		put_string(j->out, s);
	else
		fputs("null", j->out);
}

void json_int(struct json *j, int64_t v) { before_item(j); fprintf(j->out, "%lld", (long long)v); }
void json_uint(struct json *j, uint64_t v) { before_item(j); fprintf(j->out, "%llu", (unsigned long long)v); }
void json_bool(struct json *j, int v) { before_item(j); fputs(v ? "true" : "false", j->out); }
void json_null(struct json *j) { before_item(j); fputs("null", j->out); }

void json_double(struct json *j, double v)
{
	before_item(j);
	if (!isfinite(v)) {
		fputs("null", j->out);
		return;
	}
	/* the shortest of 15-17 digits that reads back as the same double:
	 * 0.826341002, not 0.82634100200000005 */
	char buf[32];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, j->out);
}

void json_raw(struct json *j, const char *text)
{
	size_t n = strlen(text);
	before_item(j);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	fwrite(text, 1, n, j->out);
}

void json_finish(struct json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
}
