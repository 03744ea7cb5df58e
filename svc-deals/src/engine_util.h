/* engine_util: what the LBO and M&A engines share — reading numeric inputs
 * with defaults and ranges, and writing numbers that are never NaN or
 * Infinity in JSON. Pure and thread-safe.
 */
#ifndef VALOR_DEALS_ENGINE_UTIL_H
#define VALOR_DEALS_ENGINE_UTIL_H

#include <jansson.h>

#include "valor/jsonv.h"

/* A JSON real, or null when v is not finite. Caller owns it. */
json_t *engine_num(double v);

/* obj[field] as a finite number in [min, max]: 1 when present (*out set),
 * 0 when absent or null (*out = def), VALOR_E_INVALID with *e otherwise. The
 * range message is "must be between <min> and <max>" followed by `hint` when
 * not NULL (e.g. " (0.06 means 6%)"). Never a bool or a numeric string. */
int engine_number(const json_t *obj, const char *field, double def, double min, double max,
                  const char *hint, double *out, struct jsonv_err *e);

/* The same for a whole number (an integer, or a real with no fraction). */
int engine_whole(const json_t *obj, const char *field, int def, int min, int max, int *out,
                 struct jsonv_err *e);

/* A JSON array of v[0..n]; v[0] is written as null unless first_defined. */
json_t *engine_series(const double *v, int n, int first_defined);

#endif
