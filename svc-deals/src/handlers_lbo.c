/* handlers_lbo: LBO run creation, scenario upserts and the calculator (see handlers_lbo.h). */
#include "handlers_lbo.h"

#include <stdlib.h>
#include <string.h>

#include "deals.h"
#include "engine_lbo.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/jsonv.h"

#define UNKNOWN_COMPANY "Unknown Company"
#define BAD_SCENARIOS "Invalid LBO scenarios data"

/* Reads inputs as the engine does; on failure it has replied /calculate's 400. */
static int check(struct http_ctx *ctx, const json_t *inputs, struct lbo_inputs *in)
{
    struct jsonv_err e;
    return lbo_inputs_from_json(inputs, in, &e) == VALOR_OK ? VALOR_OK : jsonv_reply(ctx, &e);
}

/* Runs the engine on inputs; on failure it has replied 400. Caller owns *out. */
static int compute(struct http_ctx *ctx, const json_t *inputs, json_t **out)
{
    struct lbo_inputs in;
    struct lbo_result *r;

    if (check(ctx, inputs, &in) != VALOR_OK)
        return VALOR_E_INVALID;
    r = malloc(sizeof(*r));
    *out = r != NULL ? (lbo_compute(&in, r), lbo_result_json(r)) : NULL;
    free(r);
    if (*out == NULL) {
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        return VALOR_E_NOMEM;
    }
    return VALOR_OK;
}

void lbo_calculate(struct http_ctx *ctx)
{
    deals_calculate(ctx, compute);
}

/* inputs.companyName, or "Unknown Company". */
static int company_of(const json_t *inputs, const char **out, struct jsonv_err *e)
{
    int rc = deals_name(inputs, "companyName", UNKNOWN_COMPANY, LBO_NAME_MAX, out, e);
    if (rc != VALOR_OK)
        snprintf(e->field, sizeof(e->field), "inputs.companyName");
    return rc;
}

void lbo_runs_create(struct http_ctx *ctx)
{
    struct svc *s = deals_route_of(ctx)->svc;
    struct vjwt_claims claims;
    struct jsonv_err e;
    PGresult *res = NULL;
    json_t *body = NULL, *inputs = NULL, *results = NULL, *computed = NULL, *data = NULL;
    char *inputs_text = NULL, *results_text = NULL;
    const char *company = NULL;
    int do_compute = 0, rc;

    if (deals_auth(ctx, AUTHN_WRITE, &claims) != VALOR_OK ||
        deals_body_object(ctx, NULL, &body) != VALOR_OK)
        goto out;
    if (jsonv_object(body, "inputs", JSONV_REQUIRED, &inputs, &e) < 0 ||
        jsonv_object(body, "results", JSONV_OPTIONAL, &results, &e) < 0 ||
        jsonv_bool(body, "compute", JSONV_OPTIONAL, &do_compute, &e) < 0 ||
        company_of(inputs, &company, &e) != VALOR_OK) {
        jsonv_reply(ctx, &e);
        goto out;
    }
    /* saved inputs are the engine's, computed or not: a report or a load never breaks on them */
    if (do_compute) {
        if (compute(ctx, inputs, &computed) != VALOR_OK)
            goto out;
        results = computed;
    } else if (check(ctx, inputs, &(struct lbo_inputs){0}) != VALOR_OK) {
        goto out;
    }
    inputs_text = json_dumps(inputs, JSON_COMPACT);
    results_text = results != NULL ? json_dumps(results, JSON_COMPACT) : NULL;
    data = json_pack("{s:s}", "company_name", company);
    if (inputs_text == NULL || (results != NULL && results_text == NULL) || data == NULL) {
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        goto out;
    }
    {
        const char *params[6] = {ctx->tenant, ctx->user,    company,
                                 inputs_text, results_text, deals_username(&claims)};
        rc = deals_insert_run(ctx, s, "lbo_runs_insert", 6, params, "lbo_run.created", data, &res);
    }
    if (rc != VALOR_OK) {
        deals_reply_db(ctx, rc);
        goto out;
    }
    deals_reply_ok(ctx, 201,
                   json_pack("{s:s, s:s, s:O*}", "run_id", PQgetvalue(res, 0, 1), "message",
                             "LBO run saved successfully", "results", computed));
out:
    PQclear(res);
    free(inputs_text);
    free(results_text);
    json_decref(data);
    json_decref(computed);
    json_decref(body);
}

/* One scenario item: name, inputs (as the engine reads them) and company
 * name, or *e. */
static int scenario_item(const json_t *item, const char **name, json_t **inputs,
                         const char **company, struct jsonv_err *e)
{
    struct lbo_inputs in;

    if (!json_is_object(item))
        return jsonv_fail(e, "item", "must be an object");
    if (deals_name(item, "name", NULL, LBO_NAME_MAX, name, e) != VALOR_OK ||
        jsonv_object(item, "inputs", JSONV_REQUIRED, inputs, e) < 0 ||
        lbo_inputs_from_json(*inputs, &in, e) != VALOR_OK ||
        deals_name(item, "companyName", "", LBO_NAME_MAX, company, e) != VALOR_OK)
        return VALOR_E_INVALID;
    /* the item's companyName, else its inputs.companyName, else "Unknown Company" */
    return **company != '\0' ? VALOR_OK : company_of(*inputs, company, e);
}

/* Upserts one valid item and adds its event. */
static int save_one(struct http_ctx *ctx, struct db_conn *conn, const char *name, json_t *inputs,
                    const char *company)
{
    char *text = json_dumps(inputs, JSON_COMPACT);
    const char *params[5] = {ctx->tenant, ctx->user, name, company, text};
    PGresult *res = NULL;
    json_t *data = NULL;
    int rc = text != NULL ? db_exec(conn, "lbo_scenarios_upsert", 5, params, &res) : VALOR_E_NOMEM;

    if (rc == VALOR_OK) {
        data = json_pack("{s:s, s:s, s:b}", "name", name, "company_name", company, "created",
                         strcmp(PQgetvalue(res, 0, PQfnumber(res, "inserted")), "t") == 0);
        rc = deals_event(conn, ctx, "lbo_scenario.saved", PQgetvalue(res, 0, 1), data);
    }
    json_decref(data);
    PQclear(res);
    free(text);
    return rc;
}

void lbo_scenarios_save(struct http_ctx *ctx)
{
    struct svc *s = deals_route_of(ctx)->svc;
    struct vjwt_claims claims;
    struct db_conn *conn = NULL;
    json_t *body = NULL, *errors = json_array(), *item;
    size_t i, saved = 0;
    int rc = VALOR_OK;
    char msg[96];

    if (deals_auth(ctx, AUTHN_WRITE, &claims) != VALOR_OK || http_json_body(ctx, &body) != VALOR_OK)
        goto out;
    if (!json_is_array(body) || json_array_size(body) == 0 ||
        json_array_size(body) > DEALS_MAX_ITEMS) {
        json_t *err = valor_err_body(VALOR_E_INVALID, BAD_SCENARIOS, ctx->request_id);
        if (json_is_array(body) && json_array_size(body) > DEALS_MAX_ITEMS)
            json_object_set_new(
                err, "details",
                json_pack("[{s:s, s:s}]", "field", "scenarios", "msg", "at most 100 items"));
        http_reply_json(ctx, 400, err);
        goto out;
    }
    json_array_foreach(body, i, item)
    {
        const char *name = NULL, *company = NULL;
        json_t *inputs = NULL;
        struct jsonv_err e;

        if (scenario_item(item, &name, &inputs, &company, &e) != VALOR_OK) {
            deals_item_error(errors, i, &e);
            continue;
        }
        if (conn == NULL) {
            rc = db_acquire(s->db, &conn);
            if (rc == VALOR_OK)
                rc = db_begin(conn);
        }
        if (rc == VALOR_OK)
            rc = save_one(ctx, conn, name, inputs, company);
        if (rc != VALOR_OK)
            break;
        saved++;
    }
    if (rc == VALOR_OK && conn != NULL)
        rc = deals_commit(conn, s);
    if (rc != VALOR_OK) {
        deals_reply_db(ctx, rc);
        goto out;
    }
    snprintf(msg, sizeof(msg), "%zu LBO scenarios saved successfully", saved);
    deals_reply_ok(ctx, 200,
                   json_pack("{s:I, s:s, s:O}", "saved_count", (json_int_t)saved, "message", msg,
                             "errors", errors));
out:
    if (conn != NULL)
        db_release(conn);
    json_decref(errors);
    json_decref(body);
}
