/* keys — see keys.h. */
#include "keys.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "xalloc.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;   /* lower case only: one spelling per key */
}

static int parse_hex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
		if (h < 0 || l < 0)
			return -EINVAL;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

/* Splits line (modified) into at most max whitespace-separated fields. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return max + 1;
		f[n++] = t;
	}
	return n;
}

static int cmp_key(const void *a, const void *b)
{
	uint32_t x = ((const struct key_entry *)a)->id, y = ((const struct key_entry *)b)->id;
	return x < y ? -1 : x > y;
}

int keys_parse(FILE *f, struct key_list *out, size_t *bad_line)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	while (getline(&line, &cap, f) >= 0) {
		char *fld[3];
		uint64_t id;
		struct key_entry e;
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0)
			continue;
		if (split(line, fld, 3) != 3 || parse_u64(fld[0], 0, UINT32_MAX, &id) ||
		    parse_hex(fld[1], e.k.ks, KEY_LEN) || parse_hex(fld[2], e.k.ko, KEY_LEN)) {
			rc = -EINVAL;
			*bad_line = lineno;
			goto out;
		}
		e.id = (uint32_t)id;
		VEC_PUSH(*out, e);
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_key);
	for (size_t i = 1; i < out->n; i++)
		if (out->v[i].id == out->v[i - 1].id) {
			rc = -EINVAL;
			*bad_line = 0;
			goto out;
		}
out:
	free(line);
	if (rc)
		keys_free(out);
	return rc;
}

int keys_load(const char *path, struct key_list *out, size_t *bad_line)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int rc = keys_parse(f, out, bad_line);
	fclose(f);
	return rc;
}

void keys_write_entry(FILE *f, const struct key_entry *e)
{
	fprintf(f, "%u ", e->id);
	for (int i = 0; i < KEY_LEN; i++)
		fprintf(f, "%02x", e->k.ks[i]);
	fputc(' ', f);
	for (int i = 0; i < KEY_LEN; i++)
		fprintf(f, "%02x", e->k.ko[i]);
	fputc('\n', f);
}

long keys_find(const struct key_list *l, uint32_t id)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->v[lo].id == id ? (long)lo : -1;
}

void keys_free(struct key_list *l)
{
	/* the keys are secrets: do not leave them in freed memory */
	if (l->v)
		memset(l->v, 0, l->n * sizeof(*l->v));
	VEC_FREE(*l);
}

int registry_parse(FILE *f, struct reg_list *out, size_t *bad_line)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	while (getline(&line, &cap, f) >= 0) {
		uint64_t id, isp;
		char *comma, *nl;
		lineno++;
		if ((nl = strchr(line, '\n')))
			*nl = 0;
		if (line[0] == '#' || line[0] == 0 || (lineno == 1 && strcmp(line, "device,isp") == 0))
			continue;
		comma = strchr(line, ',');
		if (!comma) {
			rc = -EINVAL;
			*bad_line = lineno;
			goto out;
		}
		*comma = 0;
		if (parse_u64(line, 0, UINT32_MAX, &id) || parse_u64(comma + 1, 0, UINT32_MAX, &isp)) {
			rc = -EINVAL;
			*bad_line = lineno;
			goto out;
		}
		VEC_PUSH(*out, ((struct reg_entry){ (uint32_t)id, (uint32_t)isp }));
	}
out:
	free(line);
	if (rc)
		registry_free(out);
	return rc;
}

int registry_load(const char *path, struct reg_list *out, size_t *bad_line)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int rc = registry_parse(f, out, bad_line);
	fclose(f);
	return rc;
}

void registry_free(struct reg_list *l) { VEC_FREE(*l); }

void keys_load_or_die(const char *path, struct key_list *out)
{
	size_t bad = 0;
	int rc = keys_load(path, out, &bad);
	if (rc == -EINVAL)
		die("%s:%zu: not a key line (expected: device ks-hex ko-hex, ids unique)", path, bad);
	if (rc)
		die("cannot read %s: %s", path, strerror(-rc));
}
