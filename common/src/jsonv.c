/* jsonv: JSON body and query validation with field-named errors (see jsonv.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/err.h"
#include "valor/http.h"
#include "valor/jsonv.h"

int jsonv_fail(struct jsonv_err *e, const char *field, const char *fmt, ...)
{
    va_list ap;
    /* e is only written here; cppcheck's whole-program check takes the
     * callers' uninitialised `struct jsonv_err e;` for a read. */
    // cppcheck-suppress ctuuninitvar
    snprintf(e->field, sizeof(e->field), "%s", field);
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang-tidy 14 */
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return VALOR_E_INVALID;
}

/* The field's value, or NULL when absent or null; VALOR_E_INVALID when a
 * required field is missing or obj is not an object. */
static int lookup(const json_t *obj, const char *field, int required, json_t **v,
                  struct jsonv_err *e)
{
    *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    if (*v != NULL && json_is_null(*v))
        *v = NULL;
    if (*v == NULL && required)
        return jsonv_fail(e, field, "required");
    return VALOR_OK;
}

static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int jsonv_string(const json_t *obj, const char *field, int required, size_t min_len, size_t max_len,
                 const char **out, struct jsonv_err *e)
{
    json_t *v;
    size_t n;
    if (lookup(obj, field, required, &v, e) != VALOR_OK)
        return VALOR_E_INVALID;
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return jsonv_fail(e, field, "must be a string");
    if (strlen(json_string_value(v)) != json_string_length(v))
        return jsonv_fail(e, field, "must not contain NUL characters");
    n = utf8_length(json_string_value(v));
    if (n < min_len || n > max_len) {
        if (min_len == max_len)
            return jsonv_fail(e, field, "must be %zu characters", min_len);
        return jsonv_fail(e, field, "must be %zu to %zu characters", min_len, max_len);
    }
    *out = json_string_value(v);
    return 1;
}

int jsonv_number(const json_t *obj, const char *field, int required, double min, double max,
                 double *out, struct jsonv_err *e)
{
    json_t *v;
    double d;
    if (lookup(obj, field, required, &v, e) != VALOR_OK)
        return VALOR_E_INVALID;
    if (v == NULL)
        return 0;
    if (!json_is_number(v))
        return jsonv_fail(e, field, "must be a number");
    d = json_number_value(v);
    if (!isfinite(d) || d < min || d > max)
        return jsonv_fail(e, field, "must be between %g and %g", min, max);
    *out = d;
    return 1;
}

int jsonv_integer(const json_t *obj, const char *field, int required, long long min, long long max,
                  long long *out, struct jsonv_err *e)
{
    json_t *v;
    long long n;
    if (lookup(obj, field, required, &v, e) != VALOR_OK)
        return VALOR_E_INVALID;
    if (v == NULL)
        return 0;
    if (!json_is_integer(v))
        return jsonv_fail(e, field, "must be an integer");
    n = json_integer_value(v);
    if (n < min || n > max)
        return jsonv_fail(e, field, "must be between %lld and %lld", min, max);
    *out = n;
    return 1;
}

int jsonv_bool(const json_t *obj, const char *field, int required, int *out, struct jsonv_err *e)
{
    json_t *v;
    if (lookup(obj, field, required, &v, e) != VALOR_OK)
        return VALOR_E_INVALID;
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v))
        return jsonv_fail(e, field, "must be a boolean");
    *out = json_is_true(v);
    return 1;
}

int jsonv_object(const json_t *obj, const char *field, int required, json_t **out,
                 struct jsonv_err *e)
{
    json_t *v;
    if (lookup(obj, field, required, &v, e) != VALOR_OK)
        return VALOR_E_INVALID;
    if (v == NULL)
        return 0;
    if (!json_is_object(v))
        return jsonv_fail(e, field, "must be an object");
    *out = v;
    return 1;
}

int jsonv_array(const json_t *obj, const char *field, int required, size_t max_items, json_t **out,
                struct jsonv_err *e)
{
    json_t *v;
    if (lookup(obj, field, required, &v, e) != VALOR_OK)
        return VALOR_E_INVALID;
    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return jsonv_fail(e, field, "must be an array");
    if (json_array_size(v) > max_items)
        return jsonv_fail(e, field, "must have at most %zu items", max_items);
    *out = v;
    return 1;
}

int jsonv_query_long(struct http_ctx *ctx, const char *name, long def, long min, long max,
                     long *out, struct jsonv_err *e)
{
    const char *s = http_query(ctx, name);
    char *end = NULL;
    long v;

    if (s == NULL || *s == '\0') {
        *out = def;
        return VALOR_OK;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || (*s != '-' && (*s < '0' || *s > '9')))
        return jsonv_fail(e, name, "must be an integer");
    if (v < min || v > max)
        return jsonv_fail(e, name, "must be between %ld and %ld", min, max);
    *out = v;
    return VALOR_OK;
}

int jsonv_reply(struct http_ctx *ctx, const struct jsonv_err *e)
{
    http_reply_validation(ctx, e->field, e->msg);
    return VALOR_E_INVALID;
}
