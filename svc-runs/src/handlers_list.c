/* handlers_list: the query, the page and the pagination object shared by
 * GET /api/runs and GET /api/scenarios (see handlers.h). */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "store.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/svc.h"

#define LIST_PAGE_MAX 1000000
#define LIST_Q_MAX 100

static const char *const sort_names[3] = {"created_at", "updated_at", "ticker"};

/* Reads page, per_page, sort_by, sort_order, ticker and q; replies 400
 * naming the parameter on error. ticker receives the upper-cased ticker. */
static int list_query(struct http_ctx *ctx, const struct runs_list_spec *spec,
                      struct store_list_query *q, char ticker[RUNS_TICKER_MAX + 1])
{
    struct jsonv_err e;
    const char *sort_by = http_query(ctx, "sort_by"), *order = http_query(ctx, "sort_order");
    const char *t = http_query(ctx, "ticker"), *qs = http_query(ctx, "q");

    memset(q, 0, sizeof(*q));
    if (jsonv_query_long(ctx, "page", 1, 1, LIST_PAGE_MAX, &q->page, &e) != VALOR_OK ||
        jsonv_query_long(ctx, "per_page", spec->per_page_default, 1, spec->per_page_max,
                         &q->per_page, &e) != VALOR_OK)
        return jsonv_reply(ctx, &e);
    q->sort = spec->sort_default;
    if (sort_by != NULL && *sort_by != '\0') {
        int found = 0;
        for (int i = 0; i < 3; i++)
            if (strcmp(sort_by, sort_names[i]) == 0) {
                q->sort = (enum store_sort)i;
                found = 1;
            }
        if (!found)
            return jsonv_reply(
                ctx,
                (jsonv_fail(&e, "sort_by", "must be one of created_at, updated_at, ticker"), &e));
    }
    q->ascending = 0;
    if (order != NULL && *order != '\0') {
        if (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
            return jsonv_reply(ctx, (jsonv_fail(&e, "sort_order", "must be asc or desc"), &e));
        q->ascending = strcmp(order, "asc") == 0;
    }
    if (t != NULL && *t != '\0') {
        json_t *tj = json_string(t);
        int rc = tj != NULL ? runs_ticker(tj, "ticker", ticker, &e)
                            : jsonv_fail(&e, "ticker", "must be valid UTF-8");
        json_decref(tj);
        if (rc != VALOR_OK)
            return jsonv_reply(ctx, &e);
        q->ticker = ticker;
    }
    if (qs != NULL && *qs != '\0') {
        if (strlen(qs) > LIST_Q_MAX)
            return jsonv_reply(ctx, (jsonv_fail(&e, "q", "must be at most 100 characters"), &e));
        q->q = qs;
    }
    return VALOR_OK;
}

static json_t *pagination(const struct store_list_query *q, long total)
{
    long pages = (total + q->per_page - 1) / q->per_page;
    int has_next = q->page<pages, has_prev = q->page> 1;
    return json_pack("{s:I, s:I, s:I, s:I, s:b, s:b, s:o, s:o, s:s, s:s}", "page",
                     (json_int_t)q->page, "per_page", (json_int_t)q->per_page, "total",
                     (json_int_t)total, "pages", (json_int_t)pages, "has_next", has_next,
                     "has_prev", has_prev, "next_num",
                     has_next ? json_integer(q->page + 1) : json_null(), "prev_num",
                     has_prev ? json_integer(q->page - 1) : json_null(), "sort_by",
                     sort_names[q->sort], "sort_order", q->ascending ? "asc" : "desc");
}

int runs_list(struct http_ctx *ctx, const struct runs_list_spec *spec, json_t **rows,
              json_t **page_info)
{
    struct svc *s = ctx->ud;
    struct store_list_query q;
    struct db_conn *c = NULL;
    char ticker[RUNS_TICKER_MAX + 1];
    long total = 0;
    int rc;

    *rows = NULL;
    *page_info = NULL;
    if ((rc = list_query(ctx, spec, &q, ticker)) != VALOR_OK)
        return rc;
    if ((rc = db_acquire(s->db, &c)) != VALOR_OK ||
        (rc = store_list(c, spec->what, ctx->tenant, &q, rows, &total)) != VALOR_OK) {
        runs_reply_failure(ctx, rc, spec->what == STORE_LIST_RUNS ? "run list" : "scenario list");
        goto out;
    }
    if ((*page_info = pagination(&q, total)) == NULL) {
        json_decref(*rows);
        *rows = NULL;
        rc = VALOR_E_NOMEM;
        runs_reply_failure(ctx, rc, "list");
    }
out:
    if (c != NULL)
        db_release(c);
    return rc;
}
