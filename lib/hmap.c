/* hmap — see hmap.h.  FNV-1a hashes; the table doubles at 50% load so that
 * probe sequences stay short. */
#include "hmap.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct hentry {
	uint64_t hash;
	char *key;            /* NULL: empty slot */
	size_t klen;
	size_t val;
};

struct hmap {
	struct hentry *slots;
	size_t cap;           /* a power of two */
	size_t n;
};

static uint64_t hash_bytes(const void *key, size_t klen)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < klen; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

struct hmap *hmap_new(void)
{
	struct hmap *m = xcalloc(1, sizeof(*m));
	m->cap = 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

void hmap_free(struct hmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

size_t hmap_count(const struct hmap *m) { return m->n; }

static struct hentry *find(const struct hmap *m, const void *key, size_t klen, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct hentry *e = &m->slots[i];
		if (!e->key)
			return e;
		if (e->hash == h && e->klen == klen && !memcmp(e->key, key, klen))
			return e;
	}
}

static void grow(struct hmap *m)
{
	struct hentry *old = m->slots;
	size_t oldcap = m->cap;
	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].klen, old[i].hash) = old[i];
	free(old);
}

size_t *hmap_get(const struct hmap *m, const void *key, size_t klen)
{
	struct hentry *e = find(m, key, klen, hash_bytes(key, klen));
	return e->key ? &e->val : NULL;
}

size_t *hmap_put(struct hmap *m, const void *key, size_t klen, size_t val, bool *inserted)
{
	uint64_t h = hash_bytes(key, klen);
	struct hentry *e = find(m, key, klen, h);
	if (e->key) {
		if (inserted)
			*inserted = false;
		return &e->val;
	}
	if ((m->n + 1) * 2 > m->cap) {
		grow(m);
		e = find(m, key, klen, h);
	}
	e->hash = h;
	e->key = xmalloc(klen ? klen : 1);
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->val = val;
	m->n++;
	if (inserted)
		*inserted = true;
	return &e->val;
}

size_t *hmap_gets(const struct hmap *m, const char *key) { return hmap_get(m, key, strlen(key)); }
size_t *hmap_puts(struct hmap *m, const char *key, size_t val, bool *inserted)
{
	return hmap_put(m, key, strlen(key), val, inserted);
}
