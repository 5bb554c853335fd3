/* xalloc — allocation that cannot fail (it aborts with a message), and a
 * growable array.  Used for configuration-time data, never per packet. */
#ifndef TB_XALLOC_H
#define TB_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable array: struct { T *v; size_t n, cap; } used with VEC_PUSH. */
#define VEC(T) struct { T *v; size_t n, cap; }
#define VEC_RESERVE(vec, want)                                                  \
	do {                                                                    \
		if ((want) > (vec).cap) {                                       \
			size_t c_ = (vec).cap ? (vec).cap * 2 : 8;              \
			while (c_ < (want)) c_ *= 2;                            \
			(vec).v = xrealloc((vec).v, c_ * sizeof(*(vec).v));     \
			(vec).cap = c_;                                         \
		}                                                               \
	} while (0)
#define VEC_PUSH(vec, item)                                                     \
	do { VEC_RESERVE(vec, (vec).n + 1); (vec).v[(vec).n++] = (item); } while (0)
#define VEC_FREE(vec) do { free((vec).v); (vec).v = NULL; (vec).n = (vec).cap = 0; } while (0)

#endif
