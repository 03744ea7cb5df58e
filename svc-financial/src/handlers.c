/* handlers: api.md §5 (see handlers.h). Every handler authenticates first
 * (401/400/403 of api.md §0), then validates the ticker (400). */
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "company.h"
#include "dcf_inputs.h"
#include "fin_util.h"
#include "lookup.h"
#include "service.h"
#include "store.h"
#include "valor/authn.h"
#include "valor/bus.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/jsonv.h"
#include "valor/log.h"

#define TICKER_MSG "must be 1-10 characters of A-Z, a-z, 0-9, '.' or '-'"

/* {"success":false,"error":msg} with status. */
static void reply_fail(struct http_ctx *ctx, unsigned status, const char *msg)
{
    http_reply_json(
        ctx, status,
        json_pack("{s:b, s:s, s:s}", "success", 0, "error", msg, "request_id", ctx->request_id));
}

static void reply_upstream(struct http_ctx *ctx, int rc, const struct fin_upstream_err *u)
{
    char ra[16];
    if (rc == VALOR_E_NOT_FOUND) {
        reply_fail(ctx, 404, FIN_MSG_NO_DATA);
        return;
    }
    if (u->status == 0) { /* not an upstream problem: database, memory */
        http_reply_error(ctx, rc, NULL);
        return;
    }
    if (u->retry_after > 0) {
        snprintf(ra, sizeof(ra), "%d", u->retry_after);
        u_map_put(ctx->resp->map_header, "Retry-After", ra);
    }
    http_reply_json(ctx, u->status,
                    json_pack("{s:b, s:s, s:s, s:s}", "success", 0, "error", u->message, "service",
                              "alpha_vantage", "request_id", ctx->request_id));
}

/* authn (read or admin) + ticker; 0 when the handler may go on. */
static int begin(struct http_ctx *ctx, unsigned need, char ticker[FIN_TICKER_MAX + 1])
{
    struct fin_service *fs = ctx->ud;
    struct vjwt_claims claims;

    if (authn_request(ctx, &fs->svc->jwt, fs->svc->revoke, need, &claims) != VALOR_OK)
        return -1;
    if (ticker != NULL && fin_ticker_norm(http_param(ctx, "ticker"), ticker) != VALOR_OK) {
        http_reply_validation(ctx, "ticker", TICKER_MSG);
        return -1;
    }
    return 0;
}

/* Looks the company up; replies on failure. 0 with *found on success. */
static int find(struct http_ctx *ctx, const char *ticker, struct fin_found *found)
{
    struct fin_upstream_err u = {0};
    int rc = fin_lookup_company(ctx->ud, ctx, ticker, found, &u);
    if (rc != VALOR_OK) {
        reply_upstream(ctx, rc, &u);
        return -1;
    }
    return 0;
}

void fin_h_company(struct http_ctx *ctx)
{
    char ticker[FIN_TICKER_MAX + 1];
    struct fin_found f;

    if (begin(ctx, AUTHN_READ, ticker) != 0 || find(ctx, ticker, &f) != 0)
        return;
    http_reply_json(ctx, 200,
                    json_pack("{s:b, s:o, s:s, s:s}", "success", 1, "data", f.company, "source",
                              f.source, "as_of", f.as_of));
}

void fin_h_dcf_inputs(struct http_ctx *ctx)
{
    char ticker[FIN_TICKER_MAX + 1], why[128], msg[192];
    struct fin_found f;
    json_t *inputs = NULL;

    if (begin(ctx, AUTHN_READ, ticker) != 0 || find(ctx, ticker, &f) != 0)
        return;
    int rc = fin_dcf_inputs(f.company, &inputs, why, sizeof(why));
    json_decref(f.company);
    if (rc == VALOR_E_INVALID) {
        snprintf(msg, sizeof(msg), "Insufficient data for DCF inputs: %s", why);
        reply_fail(ctx, 422, msg);
        return;
    }
    if (rc != VALOR_OK) {
        http_reply_error(ctx, rc, NULL);
        return;
    }
    http_reply_json(ctx, 200, json_pack("{s:b, s:o}", "success", 1, "data", inputs));
}

void fin_h_prices(struct http_ctx *ctx)
{
    struct fin_service *fs = ctx->ud;
    char ticker[FIN_TICKER_MAX + 1];
    const char *interval = http_query(ctx, "interval"), *trunc;
    struct jsonv_err e;
    struct db_conn *conn = NULL;
    json_t *rows = NULL;
    long limit;
    int rc;

    if (begin(ctx, AUTHN_READ, ticker) != 0)
        return;
    if (interval == NULL || strcmp(interval, "daily") == 0)
        trunc = "day";
    else if (strcmp(interval, "weekly") == 0)
        trunc = "week";
    else if (strcmp(interval, "monthly") == 0)
        trunc = "month";
    else {
        http_reply_validation(ctx, "interval", "must be one of daily, weekly, monthly");
        return;
    }
    if (jsonv_query_long(ctx, "limit", 100, 1, 1000, &limit, &e) != VALOR_OK) {
        jsonv_reply(ctx, &e);
        return;
    }
    if ((rc = db_acquire(fs->svc->db, &conn)) == VALOR_OK) {
        rc = fin_store_prices(conn, ctx->tenant, ticker, trunc, limit, &rows);
        db_release(conn);
    }
    if (rc != VALOR_OK)
        http_reply_error(ctx, rc, NULL);
    else if (json_array_size(rows) == 0)
        reply_fail(ctx, 404, FIN_MSG_NO_PRICES);
    else
        http_reply_json(ctx, 200, json_pack("{s:b, s:O}", "success", 1, "data", rows));
    json_decref(rows);
}

void fin_h_search(struct http_ctx *ctx)
{
    struct fin_service *fs = ctx->ud;
    const char *q = http_query(ctx, "q");
    struct db_conn *conn = NULL;
    json_t *rows = NULL;
    int rc;

    if (begin(ctx, AUTHN_READ, NULL) != 0)
        return;
    if (q == NULL)
        q = "";
    if (strlen(q) > 100) {
        http_reply_validation(ctx, "q", "must be at most 100 characters");
        return;
    }
    if ((rc = db_acquire(fs->svc->db, &conn)) == VALOR_OK) {
        rc = fin_store_search(conn, ctx->tenant, q, &rows);
        db_release(conn);
    }
    if (rc != VALOR_OK)
        http_reply_error(ctx, rc, NULL);
    else
        http_reply_json(ctx, 200, json_pack("{s:b, s:o}", "success", 1, "data", rows));
}

void fin_h_put_company(struct http_ctx *ctx)
{
    struct fin_service *fs = ctx->ud;
    char ticker[FIN_TICKER_MAX + 1];
    json_t *body = NULL, *company = NULL, *data = NULL;
    const char *cite = NULL;
    struct jsonv_err e;
    struct db_conn *conn = NULL;
    struct fin_found f = {0};
    int changed = 0, rc;

    if (begin(ctx, AUTHN_ADMIN, ticker) != 0 || http_json_body(ctx, &body) != VALOR_OK)
        return;
    if (fin_company_normalize(body, ticker, &company, &cite, &e) != VALOR_OK) {
        jsonv_reply(ctx, &e);
        goto out;
    }
    if ((rc = db_acquire(fs->svc->db, &conn)) != VALOR_OK)
        goto fail;
    if ((rc = db_begin(conn)) != VALOR_OK)
        goto fail;
    rc = fin_store_put_company(conn, ctx->tenant, company, "store", cite, &changed);
    if (rc == VALOR_OK && changed) {
        data =
            json_pack("{s:s, s:s, s:s}", "ticker", ticker, "scope", "tenant", "change", "upload");
        struct bus_event ev = {.type = "company.updated",
                               .tenant = ctx->tenant,
                               .user_id = ctx->user,
                               .entity_id = ticker,
                               .request_id = ctx->request_id,
                               .data = data};
        rc = bus_outbox_add(conn, &ev, NULL);
    }
    if (rc != VALOR_OK || (rc = db_commit(conn)) != VALOR_OK)
        goto fail;
    if (changed)
        bus_publisher_kick(fs->svc->publisher);
    rc = fin_store_get_company(conn, ctx->tenant, ticker, &f.company, f.source, f.as_of);
    if (rc != VALOR_OK)
        goto fail;
    log_info(&ctx->log, "company_uploaded", "tenant overlay for %s %s", ticker,
             changed ? "saved" : "unchanged");
    http_reply_json(ctx, 200,
                    json_pack("{s:b, s:s, s:o, s:s, s:s}", "success", 1, "message",
                              "Company data saved", "data", f.company, "source", f.source, "as_of",
                              f.as_of));
    goto out;
fail:
    http_reply_error(ctx, rc, NULL);
out:
    if (conn != NULL)
        db_release(conn);
    json_decref(data);
    json_decref(company);
    json_decref(body);
}
