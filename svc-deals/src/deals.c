/* deals: shared handler plumbing of svc-deals (see deals.h). */
#include "deals.h"

#include <stdio.h>
#include <string.h>

#include "valor/authn.h"
#include "valor/bus.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/jsonv.h"

const struct deals_kind deals_lbo_runs = {
    .table = "lbo_runs",
    .list_key = "runs",
    .not_found = "LBO run not found",
    .none_found = "No LBO runs found",
    .deleted = "LBO run deleted successfully",
    .event = "lbo_run.deleted",
    .author_only = 1,
    .max_limit = 200,
    .default_limit = 50,
};

const struct deals_kind deals_ma_runs = {
    .table = "ma_runs",
    .list_key = "data",
    .not_found = "M&A run not found",
    .none_found = "No M&A runs found",
    .deleted = "M&A run deleted successfully",
    .event = "ma_run.deleted",
    .author_only = 1,
    .max_limit = 200,
    .default_limit = 50,
};

const struct deals_kind deals_lbo_scenarios = {
    .table = "lbo_scenarios",
    .list_key = "scenarios",
    .not_found = "LBO scenario not found",
    .none_found = NULL,
    .deleted = "LBO scenario deleted successfully",
    .event = NULL,
    .author_only = 0,
    .max_limit = 1000,
    .default_limit = 1000,
};

const struct deals_kind deals_ma_scenarios = {
    .table = "ma_scenarios",
    .list_key = "data",
    .not_found = "M&A scenario not found",
    .none_found = NULL,
    .deleted = "M&A scenario deleted successfully",
    .event = NULL,
    .author_only = 0,
    .max_limit = 1000,
    .default_limit = 1000,
};

int deals_auth(struct http_ctx *ctx, unsigned need, struct vjwt_claims *claims)
{
    struct svc *s = deals_route_of(ctx)->svc;
    return authn_request(ctx, &s->jwt, s->revoke, need, claims);
}

int deals_body_object(struct http_ctx *ctx, const char *not_object, json_t **out)
{
    int rc = http_json_body(ctx, out);
    if (rc != VALOR_OK)
        return rc;
    if (json_is_object(*out))
        return VALOR_OK;
    json_decref(*out);
    *out = NULL;
    if (not_object != NULL)
        http_reply_error(ctx, VALOR_E_INVALID, not_object);
    else
        http_reply_validation(ctx, "body", "must be a JSON object");
    return VALOR_E_INVALID;
}

int deals_page(struct http_ctx *ctx, long def, long max, char *limit, char *offset)
{
    struct jsonv_err e;
    long l, o;
    if (jsonv_query_long(ctx, "limit", def, 1, max, &l, &e) != VALOR_OK ||
        jsonv_query_long(ctx, "offset", 0, 0, 1000000000L, &o, &e) != VALOR_OK)
        return jsonv_reply(ctx, &e);
    snprintf(limit, 24, "%ld", l);
    snprintf(offset, 24, "%ld", o);
    return VALOR_OK;
}

void deals_reply_db(struct http_ctx *ctx, int rc)
{
    http_reply_error(ctx, rc == VALOR_E_UNAVAILABLE ? rc : VALOR_E_INTERNAL, NULL);
}

void deals_reply_ok(struct http_ctx *ctx, unsigned status, json_t *fields)
{
    json_t *body = fields != NULL ? json_pack("{s:b}", "success", 1) : NULL;
    if (body == NULL || json_object_update(body, fields) != 0) {
        json_decref(body);
        json_decref(fields);
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        return;
    }
    json_decref(fields);
    http_reply_json(ctx, status, body);
}

json_t *deals_rows(const PGresult *res)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < PQntuples(res); i++)
        if (json_array_append_new(a, db_row_json(res, i)) != 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

int deals_event(struct db_conn *conn, const struct http_ctx *ctx, const char *type,
                const char *entity_id, json_t *data)
{
    struct bus_event ev = {.type = type,
                           .tenant = ctx->tenant,
                           .user_id = ctx->user,
                           .entity_id = entity_id,
                           .request_id = ctx->request_id,
                           .data = data};
    return bus_outbox_add(conn, &ev, NULL);
}

void deals_item_error(json_t *errors, size_t index, const struct jsonv_err *e)
{
    char msg[sizeof(e->field) + sizeof(e->msg) + 4];
    snprintf(msg, sizeof(msg), "%s: %s", e->field, e->msg);
    json_array_append_new(errors, json_pack("{s:I, s:s, s:s}", "index", (json_int_t)index, "field",
                                            e->field, "error", msg));
}

int deals_name(const json_t *obj, const char *field, const char *def, size_t max, const char **out,
               struct jsonv_err *e)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    int rc;

    if (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        if (def == NULL)
            return jsonv_fail(e, field, "required");
        *out = def;
        return VALOR_OK;
    }
    rc = jsonv_string(obj, field, JSONV_REQUIRED, 1, max, out, e);
    return rc < 0 ? rc : VALOR_OK;
}

int deals_commit(struct db_conn *conn, struct svc *svc)
{
    int rc = db_commit(conn);
    if (rc == VALOR_OK && svc->publisher != NULL)
        bus_publisher_kick(svc->publisher);
    return rc;
}

int deals_insert_run(struct http_ctx *ctx, struct svc *svc, const char *stmt, int nparams,
                     const char *const *params, const char *type, json_t *data, PGresult **res)
{
    struct db_conn *conn = NULL;
    int rc = db_acquire(svc->db, &conn);

    if (rc == VALOR_OK)
        rc = db_begin(conn);
    if (rc == VALOR_OK)
        rc = db_exec(conn, stmt, nparams, params, res);
    if (rc == VALOR_OK)
        rc = deals_event(conn, ctx, type, PQgetvalue(*res, 0, 1), data);
    if (rc == VALOR_OK)
        rc = deals_commit(conn, svc);
    if (conn != NULL)
        db_release(conn);
    return rc;
}

void deals_calculate(struct http_ctx *ctx, deals_compute_fn compute)
{
    struct vjwt_claims claims;
    struct jsonv_err e;
    json_t *body = NULL, *inputs = NULL, *result = NULL;

    if (deals_auth(ctx, AUTHN_READ, &claims) != VALOR_OK ||
        deals_body_object(ctx, NULL, &body) != VALOR_OK)
        goto out;
    if (jsonv_object(body, "inputs", JSONV_REQUIRED, &inputs, &e) < 0) {
        jsonv_reply(ctx, &e);
        goto out;
    }
    if (compute(ctx, inputs, &result) == VALOR_OK)
        deals_reply_ok(ctx, 200, json_pack("{s:o}", "data", result));
out:
    json_decref(body);
}
