/* keys — the per-run key files and the registry that agents-keygen writes
 * and every agent reads (docs/agents.md, "Files").
 *
 *   registry.csv        "device,isp" lines: which ISP server serves a device
 *   isp-K.keys          for ISP server K: "device ks-hex ko-hex" lines
 *   appliances-K.keys   the same lines, handed to the appliances of ISP K
 *
 * Text so that a test (or a person) can read and alter one key; lines
 * starting with '#' are comments.  Parsing is strict: a bad line is an
 * error with its line number, never skipped. */
#ifndef TB_AGENTS_KEYS_H
#define TB_AGENTS_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "auth.h"

struct key_entry {
	uint32_t id;
	struct dev_keys k;
};

struct key_list {
	struct key_entry *v;
	size_t n, cap;
};

struct reg_entry {
	uint32_t id, isp;
};

struct reg_list {
	struct reg_entry *v;
	size_t n, cap;
};

/* 0, -errno of fopen, or -EINVAL with *bad_line set (1-based); duplicates
 * are -EINVAL too.  The list comes back sorted by device id. */
int keys_load(const char *path, struct key_list *out, size_t *bad_line) __attribute__((warn_unused_result));
/* keys_load for a program's main(): on any error, one clear message and exit(1). */
void keys_load_or_die(const char *path, struct key_list *out);
int keys_parse(FILE *f, struct key_list *out, size_t *bad_line) __attribute__((warn_unused_result));
void keys_write_entry(FILE *f, const struct key_entry *e);
/* Index of id in a sorted list, or -1. */
long keys_find(const struct key_list *l, uint32_t id);
void keys_free(struct key_list *l);

int registry_load(const char *path, struct reg_list *out, size_t *bad_line) __attribute__((warn_unused_result));
int registry_parse(FILE *f, struct reg_list *out, size_t *bad_line) __attribute__((warn_unused_result));
void registry_free(struct reg_list *l);

#endif
