/* handlers_scenarios: /api/scenarios (api.md §3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "store.h"
#include "valor/authn.h"
#include "valor/bus.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/svc.h"

#define SCENARIOS_MAX 100
#define SCENARIO_NAME_MAX 100

static int invalid_data(struct http_ctx *ctx, const char *msg)
{
    json_t *body =
        json_pack("{s:s, s:s}", "error", "Invalid scenarios data", "request_id", ctx->request_id);
    if (body != NULL && msg != NULL)
        json_object_set_new(body, "details",
                            json_pack("[{s:s, s:s}]", "field", "scenarios", "msg", msg));
    http_reply_json(ctx, 400, body);
    return VALOR_E_INVALID;
}

/* Validates item i into *out (ticker stored in tickers[i]); VALOR_E_INVALID
 * with *e otherwise. */
static int scenario_item(const json_t *item, struct store_scenario *out,
                         char ticker[RUNS_TICKER_MAX + 1], struct jsonv_err *e)
{
    json_t *inputs = NULL, *mc = NULL;
    const char *name = NULL;

    if (!json_is_object(item))
        return jsonv_fail(e, "item", "must be an object");
    if (jsonv_string(item, "name", JSONV_REQUIRED, 1, SCENARIO_NAME_MAX, &name, e) < 0)
        return VALOR_E_INVALID;
    if (json_object_get(item, "ticker") == NULL || json_is_null(json_object_get(item, "ticker")))
        return jsonv_fail(e, "ticker", "required");
    if (runs_ticker(json_object_get(item, "ticker"), "ticker", ticker, e) != VALOR_OK ||
        jsonv_object(item, "inputs", JSONV_REQUIRED, &inputs, e) < 0 ||
        jsonv_object(item, "mc_settings", JSONV_OPTIONAL, &mc, e) < 0)
        return VALOR_E_INVALID;
    out->name = name;
    out->ticker = ticker;
    out->inputs = inputs;
    out->mc_settings = mc;
    return VALOR_OK;
}

void scenarios_h_save(struct http_ctx *ctx)
{
    struct svc *s = ctx->ud;
    struct vjwt_claims claims;
    struct store_actor a;
    struct db_conn *c = NULL;
    struct store_scenario *items = NULL;
    char(*tickers)[RUNS_TICKER_MAX + 1] = NULL;
    json_t *body = NULL, *errors = NULL;
    size_t n, nvalid = 0;
    int rc;
    char msg[64];

    if (authn_request(ctx, &s->jwt, s->revoke, AUTHN_WRITE, &claims) != VALOR_OK ||
        http_json_body(ctx, &body) != VALOR_OK)
        return;
    if (!json_is_array(body) || (n = json_array_size(body)) == 0) {
        invalid_data(ctx, NULL);
        goto out;
    }
    if (n > SCENARIOS_MAX) {
        invalid_data(ctx, "must have at most 100 items");
        goto out;
    }
    items = calloc(n, sizeof(*items));
    tickers = calloc(n, sizeof(*tickers));
    errors = json_array();
    if (items == NULL || tickers == NULL || errors == NULL) {
        runs_reply_failure(ctx, VALOR_E_NOMEM, "scenarios");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct jsonv_err e;
        if (scenario_item(json_array_get(body, i), &items[nvalid], tickers[i], &e) == VALOR_OK) {
            nvalid++;
            continue;
        }
        char text[sizeof(e.field) + sizeof(e.msg) + 4];
        snprintf(text, sizeof(text), "%s: %s", e.field, e.msg);
        json_array_append_new(errors,
                              json_pack("{s:I, s:s}", "index", (json_int_t)i, "error", text));
    }
    if (nvalid == 0) {
        http_reply_json(ctx, 400,
                        json_pack("{s:b, s:s, s:i, s:O, s:s}", "success", 0, "error",
                                  "Invalid scenarios data", "saved_count", 0, "errors", errors,
                                  "request_id", ctx->request_id));
        goto out;
    }
    a = (struct store_actor){.tenant = ctx->tenant,
                             .user_id = ctx->user,
                             .request_id = ctx->request_id,
                             .is_admin = strcmp(claims.role, "admin") == 0};
    if ((rc = db_acquire(s->db, &c)) != VALOR_OK ||
        (rc = store_scenarios_save(c, &a, items, nvalid)) != VALOR_OK) {
        runs_reply_failure(ctx, rc, "scenarios save");
        goto out;
    }
    bus_publisher_kick(s->publisher);
    snprintf(msg, sizeof(msg), "%zu scenarios saved successfully", nvalid);
    http_reply_json(ctx, 200,
                    json_pack("{s:b, s:I, s:s, s:O}", "success", 1, "saved_count",
                              (json_int_t)nvalid, "message", msg, "errors", errors));
out:
    if (c != NULL)
        db_release(c);
    free(items);
    free(tickers);
    json_decref(errors);
    json_decref(body);
}

/* Newest-updated first and up to 1,000 at once unless the query says
 * otherwise (the listing before it shared the runs' query). */
static const struct runs_list_spec scenarios_listing = {
    .what = STORE_LIST_SCENARIOS,
    .per_page_default = 1000,
    .per_page_max = 1000,
    .sort_default = STORE_SORT_UPDATED,
};

void scenarios_h_list(struct http_ctx *ctx)
{
    struct svc *s = ctx->ud;
    struct vjwt_claims claims;
    json_t *list = NULL, *page = NULL;

    if (authn_request(ctx, &s->jwt, s->revoke, AUTHN_READ, &claims) != VALOR_OK ||
        runs_list(ctx, &scenarios_listing, &list, &page) != VALOR_OK)
        return;
    http_reply_json(
        ctx, 200,
        json_pack("{s:b, s:o, s:o}", "success", 1, "scenarios", list, "pagination", page));
}

void scenarios_h_delete(struct http_ctx *ctx)
{
    struct svc *s = ctx->ud;
    struct vjwt_claims claims;
    struct store_actor a;
    struct db_conn *c = NULL;
    int rc;

    if (authn_request(ctx, &s->jwt, s->revoke, AUTHN_WRITE, &claims) != VALOR_OK)
        return;
    a = (struct store_actor){.tenant = ctx->tenant,
                             .user_id = ctx->user,
                             .request_id = ctx->request_id,
                             .is_admin = strcmp(claims.role, "admin") == 0};
    if ((rc = db_acquire(s->db, &c)) == VALOR_OK)
        rc = store_scenario_delete(c, &a, http_param(ctx, "scenario_id"));
    if (rc == VALOR_E_NOT_FOUND)
        http_reply_error(ctx, rc, "Scenario not found");
    else if (rc != VALOR_OK)
        runs_reply_failure(ctx, rc, "scenario delete");
    else {
        bus_publisher_kick(s->publisher);
        http_reply_json(
            ctx, 200,
            json_pack("{s:b, s:s}", "success", 1, "message", "Scenario deleted successfully"));
    }
    if (c != NULL)
        db_release(c);
}
