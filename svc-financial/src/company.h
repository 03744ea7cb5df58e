/* company: the <Company> shape of api.md §5 — validation of an uploaded or
 * imported company and its normalised form (every field present, null where
 * unknown, statements newest first). Pure; no I/O. */
#ifndef FIN_COMPANY_H
#define FIN_COMPANY_H

#include <jansson.h>

#include "valor/jsonv.h"

#define FIN_MAX_STATEMENTS 20 /* per array on input; responses show the newest 5 */
#define FIN_SHOW_STATEMENTS 5

/* Validates `in` against the <Company> shape. `ticker` (normalised, may be
 * NULL) is the path's ticker: when given, the body's "ticker" may be absent
 * and must otherwise name the same ticker. Unknown fields are refused;
 * "source" (a citation string, ≤ 1000 chars) is accepted and returned in
 * *citation (borrowed from in, may be NULL).
 * On success *out is the normalised company (caller json_decref()s).
 * On failure e names the field ("income_statements[1].fiscal_date"). */
int fin_company_normalize(const json_t *in, const char *ticker, json_t **out, const char **citation,
                          struct jsonv_err *e);

/* Names of the top-level numeric fields of <Company>, NULL-terminated. */
extern const char *const fin_company_number_fields[];

#endif
