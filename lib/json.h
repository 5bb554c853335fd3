/* json — a small streaming JSON writer (no reader), for --json outputs,
 * control-socket replies and result files.
 *
 *   struct json j; json_init(&j, stdout);
 *   json_obj_begin(&j); json_key(&j, "hosts"); json_int(&j, 3); json_obj_end(&j);
 *   json_finish(&j);     prints a newline
 *
 * Commas are placed automatically; strings are escaped. */
#ifndef TB_JSON_H
#define TB_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 64

struct json {
	FILE *out;
	int depth;
	int pretty;
	unsigned char need_comma[JSON_MAX_DEPTH];
	int after_key;
};

void json_init(struct json *j, FILE *out, int pretty);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* A value that is already JSON text (e.g. another program's reply). */
void json_raw(struct json *j, const char *text);
void json_finish(struct json *j);

/* key + value in one call */
#define json_kv_str(j, k, v)    (json_key(j, k), json_str(j, v))
#define json_kv_int(j, k, v)    (json_key(j, k), json_int(j, v))
#define json_kv_uint(j, k, v)   (json_key(j, k), json_uint(j, v))
#define json_kv_double(j, k, v) (json_key(j, k), json_double(j, v))
#define json_kv_bool(j, k, v)   (json_key(j, k), json_bool(j, v))

#endif
