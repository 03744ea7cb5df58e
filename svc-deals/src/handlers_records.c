/* handlers_records: the shared list/last/get/delete handlers (see handlers_records.h). */
#include "handlers_records.h"

#include <stdio.h>
#include <string.h>

#include "deals.h"
#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"

/* "<table>_<verb>" into buf. */
static const char *stmt(char *buf, size_t len, const struct deals_kind *k, const char *verb)
{
    snprintf(buf, len, "%s_%s", k->table, verb);
    return buf;
}

/* The :id path parameter when it is a UUID, else NULL. */
static const char *record_id(const struct http_ctx *ctx)
{
    const char *id = http_param(ctx, "id");
    return id != NULL && crypto_is_uuid(id) ? id : NULL;
}

void deals_records_list(struct http_ctx *ctx)
{
    const struct deals_route *r = deals_route_of(ctx);
    const struct deals_kind *k = r->kind;
    struct vjwt_claims claims;
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    char limit[24], offset[24], name[64];
    const char *params[3] = {ctx->tenant, limit, offset};
    int rc;

    if (deals_auth(ctx, AUTHN_READ, &claims) != VALOR_OK ||
        deals_page(ctx, k->default_limit, k->max_limit, limit, offset) != VALOR_OK)
        return;
    rc = db_acquire(r->svc->db, &conn);
    if (rc == VALOR_OK)
        rc = db_exec(conn, stmt(name, sizeof(name), k, "list"), 3, params, &res);
    if (rc != VALOR_OK)
        deals_reply_db(ctx, rc);
    else
        deals_reply_ok(ctx, 200, json_pack("{s:o}", k->list_key, deals_rows(res)));
    PQclear(res);
    if (conn != NULL)
        db_release(conn);
}

/* One row by `verb` ("last" or "get"), or 404 `missing`. */
static void reply_one(struct http_ctx *ctx, const char *verb, int nparams, const char *id,
                      const char *missing)
{
    const struct deals_route *r = deals_route_of(ctx);
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    char name[64];
    const char *params[2] = {ctx->tenant, id};
    int rc = db_acquire(r->svc->db, &conn);

    if (rc == VALOR_OK)
        rc = db_exec(conn, stmt(name, sizeof(name), r->kind, verb), nparams, params, &res);
    if (rc != VALOR_OK)
        deals_reply_db(ctx, rc);
    else if (PQntuples(res) == 0)
        http_reply_error(ctx, VALOR_E_NOT_FOUND, missing);
    else
        deals_reply_ok(ctx, 200, json_pack("{s:o}", "data", db_row_json(res, 0)));
    PQclear(res);
    if (conn != NULL)
        db_release(conn);
}

void deals_records_last(struct http_ctx *ctx)
{
    struct vjwt_claims claims;
    if (deals_auth(ctx, AUTHN_READ, &claims) != VALOR_OK)
        return;
    reply_one(ctx, "last", 1, NULL, deals_route_of(ctx)->kind->none_found);
}

void deals_records_get(struct http_ctx *ctx)
{
    const struct deals_kind *k = deals_route_of(ctx)->kind;
    struct vjwt_claims claims;
    const char *id;

    if (deals_auth(ctx, AUTHN_READ, &claims) != VALOR_OK)
        return;
    id = record_id(ctx);
    if (id == NULL) {
        http_reply_error(ctx, VALOR_E_NOT_FOUND, k->not_found);
        return;
    }
    reply_one(ctx, "get", 2, id, k->not_found);
}

void deals_records_delete(struct http_ctx *ctx)
{
    const struct deals_route *r = deals_route_of(ctx);
    const struct deals_kind *k = r->kind;
    struct vjwt_claims claims;
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    json_t *data = NULL;
    char name[64];
    const char *id, *params[4];
    int rc, any;

    if (deals_auth(ctx, AUTHN_WRITE, &claims) != VALOR_OK)
        return;
    id = record_id(ctx);
    if (id == NULL) {
        http_reply_error(ctx, VALOR_E_NOT_FOUND, k->not_found);
        return;
    }
    any = !k->author_only || strcmp(claims.role, "admin") == 0;
    params[0] = ctx->tenant;
    params[1] = id;
    params[2] = any ? "true" : "false";
    params[3] = ctx->user;
    rc = db_acquire(r->svc->db, &conn);
    if (rc == VALOR_OK)
        rc = db_begin(conn);
    if (rc == VALOR_OK)
        rc = db_exec(conn, stmt(name, sizeof(name), k, "delete"), 4, params, &res);
    if (rc != VALOR_OK)
        goto fail;
    if (PQntuples(res) == 0) {
        PQclear(res);
        res = NULL;
        rc = db_exec(conn, stmt(name, sizeof(name), k, "exists"), 2, params, &res);
        if (rc != VALOR_OK)
            goto fail;
        if (PQntuples(res) > 0)
            http_reply_error(ctx, VALOR_E_FORBIDDEN, "Insufficient permissions");
        else
            http_reply_error(ctx, VALOR_E_NOT_FOUND, k->not_found);
        goto out;
    }
    if (k->event != NULL) {
        data = db_row_json(res, 0);
        rc = deals_event(conn, ctx, k->event, id, data);
    }
    if (rc == VALOR_OK)
        rc = deals_commit(conn, r->svc);
    if (rc != VALOR_OK)
        goto fail;
    deals_reply_ok(ctx, 200, json_pack("{s:s}", "message", k->deleted));
    goto out;
fail:
    deals_reply_db(ctx, rc);
out:
    json_decref(data);
    PQclear(res);
    if (conn != NULL)
        db_release(conn);
}
