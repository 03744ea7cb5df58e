/* jsonv: field-by-field validation of JSON request bodies and query
 * parameters. The first problem found is kept in a struct jsonv_err and
 * answered as api.md's 400
 *   {"error":"ValidationError","details":[{"field":…,"msg":…}]}
 * by jsonv_reply().
 *
 * Getters return 1 when the field is present and valid (*out set), 0 when it
 * is absent or null and not required (*out untouched), and VALOR_E_INVALID
 * with *e filled otherwise ("required", "must be a string", …). A JSON null
 * counts as absent. Strings are UTF-8 (jansson guarantees it) and lengths
 * are counted in code points.
 */
#ifndef VALOR_JSONV_H
#define VALOR_JSONV_H

#include <stddef.h>
#include <jansson.h>

struct http_ctx;

struct jsonv_err {
    char field[64];
    char msg[192];
};

enum { JSONV_OPTIONAL = 0, JSONV_REQUIRED = 1 };

/* Sets *e (printf-style message; field and message are copied). Returns VALOR_E_INVALID. */
int jsonv_fail(struct jsonv_err *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* *out borrowed from obj. */
int jsonv_string(const json_t *obj, const char *field, int required, size_t min_len, size_t max_len,
                 const char **out, struct jsonv_err *e);
/* An integer or real JSON number (never a bool or a numeric string), finite,
 * in [min, max]. */
int jsonv_number(const json_t *obj, const char *field, int required, double min, double max,
                 double *out, struct jsonv_err *e);
int jsonv_integer(const json_t *obj, const char *field, int required, long long min, long long max,
                  long long *out, struct jsonv_err *e);
int jsonv_bool(const json_t *obj, const char *field, int required, int *out, struct jsonv_err *e);
/* *out borrowed from obj. */
int jsonv_object(const json_t *obj, const char *field, int required, json_t **out,
                 struct jsonv_err *e);
/* *out borrowed from obj; at most max_items elements. */
int jsonv_array(const json_t *obj, const char *field, int required, size_t max_items, json_t **out,
                struct jsonv_err *e);

/* Query parameter `name` as an integer in [min, max]; def when absent. */
int jsonv_query_long(struct http_ctx *ctx, const char *name, long def, long min, long max,
                     long *out, struct jsonv_err *e);

/* Replies 400 ValidationError with e's field and message. Returns VALOR_E_INVALID. */
int jsonv_reply(struct http_ctx *ctx, const struct jsonv_err *e);

#endif
