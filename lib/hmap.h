/* hmap — a hash table from byte-string keys to a size_t value (usually an
 * index into an array), open addressing with linear probing.  Keys are
 * copied in.  Used for names (hosts, segments, parameters) and addresses,
 * so that lookups stay O(1) however large a topology grows. */
#ifndef TB_HMAP_H
#define TB_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hmap;

struct hmap *hmap_new(void);
void hmap_free(struct hmap *m);
size_t hmap_count(const struct hmap *m);

/* The value slot of KEY, or NULL when absent.  A slot pointer stays valid
 * only until the next hmap_put. */
size_t *hmap_get(const struct hmap *m, const void *key, size_t klen);
/* The value slot of KEY, inserted with value VAL if absent (*inserted says
 * which); an existing value is left as it is. */
size_t *hmap_put(struct hmap *m, const void *key, size_t klen, size_t val, bool *inserted);

/* Strings as keys (without their NUL). */
size_t *hmap_gets(const struct hmap *m, const char *key);
size_t *hmap_puts(struct hmap *m, const char *key, size_t val, bool *inserted);

#endif
