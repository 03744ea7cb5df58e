/* engine_util: shared input readers and JSON number writers (see engine_util.h). */
#include "engine_util.h"

#include <math.h>

#include "valor/err.h"

json_t *engine_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The field's value, NULL when absent or JSON null. */
static json_t *field_value(const json_t *obj, const char *field)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    return v != NULL && !json_is_null(v) ? v : NULL;
}

int engine_number(const json_t *obj, const char *field, double def, double min, double max,
                  const char *hint, double *out, struct jsonv_err *e)
{
    json_t *v = field_value(obj, field);
    double d;

    if (v == NULL) {
        *out = def;
        return 0;
    }
    if (!json_is_number(v))
        return jsonv_fail(e, field, "must be a number");
    d = json_number_value(v);
    if (!isfinite(d) || d < min || d > max)
        return jsonv_fail(e, field, "must be between %g and %g%s", min, max,
                          hint != NULL ? hint : "");
    *out = d;
    return 1;
}

int engine_whole(const json_t *obj, const char *field, int def, int min, int max, int *out,
                 struct jsonv_err *e)
{
    json_t *v = field_value(obj, field);
    double d;

    if (v == NULL) {
        *out = def;
        return 0;
    }
    if (!json_is_number(v))
        return jsonv_fail(e, field, "must be an integer");
    d = json_number_value(v);
    if (!isfinite(d) || d != floor(d))
        return jsonv_fail(e, field, "must be an integer");
    if (d < min || d > max)
        return jsonv_fail(e, field, "must be between %d and %d", min, max);
    *out = (int)d;
    return 1;
}

json_t *engine_series(const double *v, int n, int first_defined)
{
    json_t *a = json_array();
    if (a == NULL)
        return NULL;
    for (int i = 0; i <= n; i++)
        if (json_array_append_new(a, i == 0 && !first_defined ? json_null() : engine_num(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}
