/* store_list: the one listing implementation behind GET /api/runs and
 * GET /api/scenarios — filters, count, sort and page (see store.h and the
 * statements of store_list.h). */
#include "store.h"
#include "store_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/db.h"
#include "valor/err.h"

/* The prepared statements of a listing; page[sort * 2 + ascending]. */
struct listing {
    const char *count;
    const char *page[6];
};

#define LISTING(prefix)                                                                            \
    {                                                                                              \
        prefix "_count",                                                                           \
        {                                                                                          \
            prefix "_list_created_desc", prefix "_list_created_asc", prefix "_list_updated_desc",  \
                prefix "_list_updated_asc", prefix "_list_ticker_desc", prefix "_list_ticker_asc"  \
        }                                                                                          \
    }

static const struct listing listings[] = {
    [STORE_LIST_RUNS] = LISTING("run"),
    [STORE_LIST_SCENARIOS] = LISTING("scenario"),
};

/* q with LIKE's wildcards and the escape character escaped. Caller frees. */
static char *like_escape(const char *q)
{
    char *out = malloc(strlen(q) * 2 + 1), *p = out;
    if (out == NULL)
        return NULL;
    for (; *q; q++) {
        if (*q == '%' || *q == '_' || *q == '\\')
            *p++ = '\\';
        *p++ = *q;
    }
    *p = '\0';
    return out;
}

int store_list(struct db_conn *c, enum store_listing what, const char *tenant,
               const struct store_list_query *q, json_t **rows, long *total)
{
    const struct listing *l;
    PGresult *res = NULL;
    char limit[24], offset[24];
    char *pattern = NULL;
    int rc = VALOR_E_INVALID;

    *rows = NULL;
    *total = 0;
    if ((unsigned)what >= sizeof(listings) / sizeof(listings[0]) || (unsigned)q->sort > 2 ||
        q->page < 1 || q->per_page < 1)
        return rc;
    l = &listings[what];
    if (q->q != NULL && (pattern = like_escape(q->q)) == NULL)
        return VALOR_E_NOMEM;
    snprintf(limit, sizeof(limit), "%ld", q->per_page);
    snprintf(offset, sizeof(offset), "%ld", (q->page - 1) * q->per_page);
    const char *params[5] = {tenant, q->ticker, pattern, limit, offset};

    if ((rc = db_exec(c, l->count, 3, params, &res)) != VALOR_OK)
        goto out;
    *total = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    res = NULL;
    if ((rc = db_exec(c, l->page[(int)q->sort * 2 + (q->ascending != 0)], 5, params, &res)) !=
        VALOR_OK)
        goto out;
    rc = VALOR_E_NOMEM;
    if ((*rows = json_array()) == NULL)
        goto out;
    for (int i = 0; i < PQntuples(res); i++)
        if (json_array_append_new(*rows, db_row_json(res, i)) != 0)
            goto out;
    rc = VALOR_OK;
out:
    if (rc != VALOR_OK) {
        json_decref(*rows);
        *rows = NULL;
    }
    PQclear(res);
    free(pattern);
    return rc;
}
