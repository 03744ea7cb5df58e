/* handlers_runs: /api/runs (api.md §3). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "store.h"
#include "valor/authn.h"
#include "valor/bus.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/log.h"
#include "valor/svc.h"

int runs_ticker(const json_t *v, const char *field, char out[RUNS_TICKER_MAX + 1],
                struct jsonv_err *e)
{
    const char *s;
    size_t n;

    if (v == NULL || json_is_null(v)) {
        snprintf(out, RUNS_TICKER_MAX + 1, "UNKNOWN");
        return VALOR_OK;
    }
    if (!json_is_string(v))
        return jsonv_fail(e, field, "must be a string");
    s = json_string_value(v);
    n = json_string_length(v);
    if (n < 1 || n > RUNS_TICKER_MAX)
        return jsonv_fail(e, field, "must be 1 to %d characters", RUNS_TICKER_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = (char)toupper((unsigned char)s[i]);
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return jsonv_fail(e, field, "may contain only letters, digits, '.' and '-'");
        out[i] = c;
    }
    out[n] = '\0';
    return VALOR_OK;
}

void runs_reply_failure(struct http_ctx *ctx, int rc, const char *what)
{
    if (rc == VALOR_E_UNAVAILABLE) {
        log_warn(&ctx->log, "db_unavailable", "%s: database unavailable", what);
        http_reply_error(ctx, rc, NULL);
        return;
    }
    log_error(&ctx->log, "internal", "%s failed (%s)", what, valor_err_name(rc));
    http_reply_error(ctx, VALOR_E_INTERNAL, NULL);
}

static struct svc *svc_of(struct http_ctx *ctx)
{
    return ctx->ud;
}

static void actor_of(struct http_ctx *ctx, const struct vjwt_claims *claims, struct store_actor *a)
{
    a->tenant = ctx->tenant;
    a->user_id = ctx->user;
    a->user_name = claims->username[0] != '\0' ? claims->username : NULL;
    a->request_id = ctx->request_id;
    a->is_admin = strcmp(claims->role, "admin") == 0;
}

/* Validates the body of POST /api/runs; replies 400 on error. */
static int create_body(struct http_ctx *ctx, json_t *body, struct store_run_new *r,
                       char ticker[RUNS_TICKER_MAX + 1], int *compute)
{
    struct jsonv_err e;
    json_t *inputs = NULL, *mc = NULL, *results = NULL;

    *compute = 0;
    if (!json_is_object(body))
        return jsonv_reply(ctx, (jsonv_fail(&e, "body", "must be an object"), &e));
    if (jsonv_object(body, "inputs", JSONV_REQUIRED, &inputs, &e) < 0 ||
        jsonv_object(body, "mc_settings", JSONV_OPTIONAL, &mc, &e) < 0 ||
        jsonv_object(body, "results", JSONV_OPTIONAL, &results, &e) < 0 ||
        jsonv_bool(body, "compute", JSONV_OPTIONAL, compute, &e) < 0 ||
        runs_ticker(json_object_get(inputs, "ticker"), "inputs.ticker", ticker, &e) != VALOR_OK)
        return jsonv_reply(ctx, &e);
    r->ticker = ticker;
    r->inputs = inputs;
    r->mc_settings = mc;
    r->results = results;
    return VALOR_OK;
}

void runs_h_create(struct http_ctx *ctx)
{
    struct svc *s = svc_of(ctx);
    struct vjwt_claims claims;
    struct store_actor a;
    struct store_run_new r = {0};
    struct db_conn *c = NULL;
    char ticker[RUNS_TICKER_MAX + 1], run_id[CRYPTO_UUID_LEN];
    json_t *body = NULL, *computed = NULL, *reply;
    int compute, rc;

    if (authn_request(ctx, &s->jwt, s->revoke, AUTHN_WRITE, &claims) != VALOR_OK ||
        http_json_body(ctx, &body) != VALOR_OK)
        return;
    if (create_body(ctx, body, &r, ticker, &compute) != VALOR_OK)
        goto out;
    if (compute) {
        if (runs_compute(ctx, r.inputs, r.mc_settings, &computed) != VALOR_OK)
            goto out;
        r.results = computed;
    }
    actor_of(ctx, &claims, &a);
    if ((rc = db_acquire(s->db, &c)) != VALOR_OK ||
        (rc = store_run_insert(c, &a, &r, run_id)) != VALOR_OK) {
        runs_reply_failure(ctx, rc, "run insert");
        goto out;
    }
    bus_publisher_kick(s->publisher);
    reply = json_pack("{s:b, s:s, s:s}", "success", 1, "run_id", run_id, "message",
                      "Run saved successfully");
    if (reply != NULL && computed != NULL)
        json_object_set(reply, "results", computed);
    http_reply_json(ctx, 201, reply);
out:
    if (c != NULL)
        db_release(c);
    json_decref(computed);
    json_decref(body);
}

static const struct runs_list_spec runs_listing = {
    .what = STORE_LIST_RUNS,
    .per_page_default = 20,
    .per_page_max = 100,
    .sort_default = STORE_SORT_CREATED,
};

void runs_h_list(struct http_ctx *ctx)
{
    struct svc *s = svc_of(ctx);
    struct vjwt_claims claims;
    json_t *runs = NULL, *page = NULL;

    if (authn_request(ctx, &s->jwt, s->revoke, AUTHN_READ, &claims) != VALOR_OK ||
        runs_list(ctx, &runs_listing, &runs, &page) != VALOR_OK)
        return;
    http_reply_json(
        ctx, 200,
        json_pack("{s:b, s:{s:o, s:o}}", "success", 1, "data", "runs", runs, "pagination", page));
}

/* GET one run: by id, or the last one when run_id is NULL. */
static void reply_run(struct http_ctx *ctx, const char *run_id)
{
    struct svc *s = svc_of(ctx);
    struct vjwt_claims claims;
    struct db_conn *c = NULL;
    json_t *run = NULL;
    int rc;

    if (authn_request(ctx, &s->jwt, s->revoke, AUTHN_READ, &claims) != VALOR_OK)
        return;
    if ((rc = db_acquire(s->db, &c)) == VALOR_OK)
        rc = run_id != NULL ? store_run_get(c, ctx->tenant, run_id, &run)
                            : store_run_last(c, ctx->tenant, &run);
    if (rc == VALOR_E_NOT_FOUND)
        http_reply_error(ctx, rc, run_id != NULL ? "Run not found" : "No runs found");
    else if (rc != VALOR_OK)
        runs_reply_failure(ctx, rc, "run get");
    else
        http_reply_json(ctx, 200, json_pack("{s:b, s:o}", "success", 1, "data", run));
    if (c != NULL)
        db_release(c);
}

void runs_h_last(struct http_ctx *ctx)
{
    reply_run(ctx, NULL);
}

void runs_h_get(struct http_ctx *ctx)
{
    const char *id = http_param(ctx, "run_id");
    reply_run(ctx, id != NULL ? id : "");
}

void runs_h_delete(struct http_ctx *ctx)
{
    struct svc *s = svc_of(ctx);
    struct vjwt_claims claims;
    struct store_actor a;
    struct db_conn *c = NULL;
    int rc;

    if (authn_request(ctx, &s->jwt, s->revoke, AUTHN_WRITE, &claims) != VALOR_OK)
        return;
    actor_of(ctx, &claims, &a);
    if ((rc = db_acquire(s->db, &c)) == VALOR_OK)
        rc = store_run_delete(c, &a, http_param(ctx, "run_id"));
    if (rc == VALOR_E_NOT_FOUND)
        http_reply_error(ctx, rc, "Run not found");
    else if (rc == VALOR_E_FORBIDDEN)
        http_reply_error(ctx, rc, "Insufficient permissions");
    else if (rc != VALOR_OK)
        runs_reply_failure(ctx, rc, "run delete");
    else {
        bus_publisher_kick(s->publisher);
        http_reply_json(
            ctx, 200, json_pack("{s:b, s:s}", "success", 1, "message", "Run deleted successfully"));
    }
    if (c != NULL)
        db_release(c);
}
