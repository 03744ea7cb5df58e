/* db_json: result rows as JSON objects (see db_row_json in db.h). */
#include <stdlib.h>
#include <string.h>

#include "valor/db.h"

/* Type OIDs from PostgreSQL's pg_type.dat (stable across versions). */
enum {
    OID_BOOL = 16,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_JSON = 114,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_TIMESTAMPTZ = 1184,
    OID_NUMERIC = 1700,
    OID_JSONB = 3802,
};

/* "2026-11-28 10:00:00.123456+00" (TimeZone=UTC) → "2026-11-28T10:00:00.123Z". */
static json_t *timestamp_json(const char *v)
{
    char out[25];
    size_t frac = 0;

    if (strlen(v) < 19 || v[10] != ' ')
        return json_string(v);
    memcpy(out, v, 19);
    out[10] = 'T';
    out[19] = '.';
    if (v[19] == '.')
        for (const char *p = v + 20; *p >= '0' && *p <= '9' && frac < 3; p++, frac++)
            out[20 + frac] = *p;
    for (; frac < 3; frac++)
        out[20 + frac] = '0';
    out[23] = 'Z';
    out[24] = '\0';
    return json_string(out);
}

static json_t *value_json(const PGresult *res, int row, int col)
{
    const char *v = PQgetvalue(res, row, col);

    if (PQgetisnull(res, row, col))
        return json_null();
    switch (PQftype(res, col)) {
    case OID_BOOL:
        return json_boolean(v[0] == 't');
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        return json_integer(strtoll(v, NULL, 10));
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        return json_real(strtod(v, NULL));
    case OID_JSON:
    case OID_JSONB:
        return json_loads(v, JSON_DECODE_ANY, NULL);
    case OID_TIMESTAMPTZ:
        return timestamp_json(v);
    default:
        return json_string(v);
    }
}

json_t *db_row_json(const PGresult *res, int row)
{
    json_t *obj = json_object();
    int ncols = PQnfields(res);

    for (int col = 0; obj != NULL && col < ncols; col++) {
        json_t *v = value_json(res, row, col);
        if (v == NULL || json_object_set_new(obj, PQfname(res, col), v) != 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj;
}
