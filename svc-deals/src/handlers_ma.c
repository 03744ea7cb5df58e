/* handlers_ma: M&A run creation, scenario upserts and the calculator (see handlers_ma.h). */
#include "handlers_ma.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deals.h"
#include "engine_ma.h"
#include "handlers_lbo.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/jsonv.h"

#define BAD_SCENARIOS "Scenarios must be a non-empty list"

/* Reads inputs as the engine does; on failure it has replied 400 —
 * engines.md §5's messages as {"error": msg, "field": field}, type and range
 * errors as a ValidationError. */
static int check(struct http_ctx *ctx, const json_t *inputs, struct ma_inputs *in)
{
    struct jsonv_err e;
    enum ma_error_kind kind;

    if (ma_inputs_from_json(inputs, in, &e, &kind) == VALOR_OK)
        return VALOR_OK;
    if (kind == MA_ERR_VALIDATION)
        return jsonv_reply(ctx, &e);
    json_t *err = valor_err_body(VALOR_E_INVALID, e.msg, ctx->request_id);
    json_object_set_new(err, "field", json_string(e.field));
    http_reply_json(ctx, 400, err);
    return VALOR_E_INVALID;
}

/* Runs the engine on inputs; on failure it has replied 400 (check()).
 * Caller owns *out. */
static int compute(struct http_ctx *ctx, const json_t *inputs, json_t **out)
{
    struct ma_inputs in;
    struct ma_result r;

    if (check(ctx, inputs, &in) != VALOR_OK)
        return VALOR_E_INVALID;
    ma_compute(&in, &r);
    *out = ma_result_json(&r);
    if (*out == NULL) {
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        return VALOR_E_NOMEM;
    }
    return VALOR_OK;
}

void ma_calculate(struct http_ctx *ctx)
{
    deals_calculate(ctx, compute);
}

struct ma_names {
    const char *deal, *acquirer, *target;
};

/* deal_name, acquirer_name and target_name: required (def NULL) or "" by default. */
static int read_names(const json_t *obj, const char *def, struct ma_names *n, struct jsonv_err *e)
{
    if (deals_name(obj, "deal_name", def, MA_NAME_MAX, &n->deal, e) != VALOR_OK ||
        deals_name(obj, "acquirer_name", def, MA_NAME_MAX, &n->acquirer, e) != VALOR_OK ||
        deals_name(obj, "target_name", def, MA_NAME_MAX, &n->target, e) != VALOR_OK)
        return VALOR_E_INVALID;
    return VALOR_OK;
}

void ma_runs_create(struct http_ctx *ctx)
{
    struct svc *s = deals_route_of(ctx)->svc;
    struct vjwt_claims claims;
    struct jsonv_err e;
    struct ma_names names;
    PGresult *res = NULL;
    json_t *body = NULL, *inputs = NULL, *results = NULL, *computed = NULL, *data = NULL;
    json_t *reply = NULL;
    char *inputs_text = NULL, *results_text = NULL;
    int do_compute = 0, rc;

    if (deals_auth(ctx, AUTHN_WRITE, &claims) != VALOR_OK ||
        deals_body_object(ctx, NULL, &body) != VALOR_OK)
        goto out;
    if (read_names(body, NULL, &names, &e) != VALOR_OK ||
        jsonv_object(body, "inputs", JSONV_REQUIRED, &inputs, &e) < 0 ||
        jsonv_object(body, "results", JSONV_OPTIONAL, &results, &e) < 0 ||
        jsonv_bool(body, "compute", JSONV_OPTIONAL, &do_compute, &e) < 0) {
        jsonv_reply(ctx, &e);
        goto out;
    }
    /* saved inputs are the engine's, computed or not: a report or a load never breaks on them */
    if (do_compute) {
        if (compute(ctx, inputs, &computed) != VALOR_OK)
            goto out;
        results = computed;
    } else if (check(ctx, inputs, &(struct ma_inputs){0}) != VALOR_OK) {
        goto out;
    }
    inputs_text = json_dumps(inputs, JSON_COMPACT);
    results_text = results != NULL ? json_dumps(results, JSON_COMPACT) : NULL;
    data = json_pack("{s:s, s:s, s:s}", "deal_name", names.deal, "acquirer_name", names.acquirer,
                     "target_name", names.target);
    if (inputs_text == NULL || (results != NULL && results_text == NULL) || data == NULL) {
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        goto out;
    }
    {
        const char *params[8] = {ctx->tenant,  ctx->user,   names.deal,   names.acquirer,
                                 names.target, inputs_text, results_text, deals_username(&claims)};
        rc = deals_insert_run(ctx, s, "ma_runs_insert", 8, params, "ma_run.created", data, &res);
    }
    if (rc != VALOR_OK) {
        deals_reply_db(ctx, rc);
        goto out;
    }
    reply = json_pack("{s:s, s:s}", "run_id", PQgetvalue(res, 0, 1), "deal_name", names.deal);
    if (reply != NULL && computed != NULL)
        json_object_set(reply, "results", computed);
    deals_reply_ok(ctx, 201,
                   json_pack("{s:s, s:o}", "message", "M&A run saved successfully", "data", reply));
out:
    PQclear(res);
    free(inputs_text);
    free(results_text);
    json_decref(data);
    json_decref(computed);
    json_decref(body);
}

/* Upserts one valid item, appends its row to `saved` and adds its event. */
static int save_one(struct http_ctx *ctx, struct db_conn *conn, const char *name,
                    const struct ma_names *n, json_t *inputs, json_t *saved)
{
    char *text = json_dumps(inputs, JSON_COMPACT);
    const char *params[7] = {ctx->tenant, ctx->user, name, n->deal, n->acquirer, n->target, text};
    PGresult *res = NULL;
    json_t *data = NULL, *row = NULL;
    int rc = text != NULL ? db_exec(conn, "ma_scenarios_upsert", 7, params, &res) : VALOR_E_NOMEM;

    if (rc == VALOR_OK) {
        row = db_row_json(res, 0);
        data = json_pack("{s:s, s:s, s:O?}", "name", name, "deal_name", n->deal, "created",
                         json_object_get(row, "inserted"));
        rc = row != NULL && data != NULL
                 ? deals_event(conn, ctx, "ma_scenario.saved", PQgetvalue(res, 0, 1), data)
                 : VALOR_E_NOMEM;
    }
    if (rc == VALOR_OK) {
        json_object_del(row, "inserted");
        json_array_append(saved, row);
    }
    json_decref(row);
    json_decref(data);
    PQclear(res);
    free(text);
    return rc;
}

void ma_scenarios_save(struct http_ctx *ctx)
{
    struct svc *s = deals_route_of(ctx)->svc;
    struct vjwt_claims claims;
    struct db_conn *conn = NULL;
    json_t *body = NULL, *list, *item, *errors = json_array(), *saved = json_array();
    size_t i;
    int rc = VALOR_OK;
    char msg[96];

    if (deals_auth(ctx, AUTHN_WRITE, &claims) != VALOR_OK || http_json_body(ctx, &body) != VALOR_OK)
        goto out;
    list = json_is_object(body) ? json_object_get(body, "scenarios") : NULL;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > DEALS_MAX_ITEMS) {
        json_t *err = valor_err_body(VALOR_E_INVALID, BAD_SCENARIOS, ctx->request_id);
        if (json_is_array(list) && json_array_size(list) > DEALS_MAX_ITEMS)
            json_object_set_new(
                err, "details",
                json_pack("[{s:s, s:s}]", "field", "scenarios", "msg", "at most 100 items"));
        http_reply_json(ctx, 400, err);
        goto out;
    }
    json_array_foreach(list, i, item)
    {
        const char *name = NULL;
        struct ma_names names;
        struct ma_inputs in;
        enum ma_error_kind kind;
        json_t *inputs = NULL;
        struct jsonv_err e;

        if (!json_is_object(item))
            jsonv_fail(&e, "item", "must be an object");
        if (!json_is_object(item) ||
            deals_name(item, "name", NULL, MA_NAME_MAX, &name, &e) != VALOR_OK ||
            read_names(item, "", &names, &e) != VALOR_OK ||
            jsonv_object(item, "inputs", JSONV_REQUIRED, &inputs, &e) < 0 ||
            ma_inputs_from_json(inputs, &in, &e, &kind) != VALOR_OK) {
            deals_item_error(errors, i, &e);
            continue;
        }
        if (conn == NULL) {
            rc = db_acquire(s->db, &conn);
            if (rc == VALOR_OK)
                rc = db_begin(conn);
        }
        if (rc == VALOR_OK)
            rc = save_one(ctx, conn, name, &names, inputs, saved);
        if (rc != VALOR_OK)
            break;
    }
    if (rc == VALOR_OK && conn != NULL)
        rc = deals_commit(conn, s);
    if (rc != VALOR_OK) {
        deals_reply_db(ctx, rc);
        goto out;
    }
    snprintf(msg, sizeof(msg), "%zu M&A scenarios saved successfully", json_array_size(saved));
    deals_reply_ok(ctx, 200,
                   json_pack("{s:s, s:O, s:O}", "message", msg, "data", saved, "errors", errors));
out:
    if (conn != NULL)
        db_release(conn);
    json_decref(saved);
    json_decref(errors);
    json_decref(body);
}
