/* handlers_dcf: POST /api/dcf/calculate, /monte-carlo and /sensitivity —
 * the engines without storage (api.md §3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcf_inputs.h"
#include "dcf_json.h"
#include "engine_dcf.h"
#include "engine_mc.h"
#include "engine_sensitivity.h"
#include "handlers.h"
#include "valor/authn.h"
#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/log.h"
#include "valor/svc.h"

void runs_random_seed(char *seed, size_t len)
{
    unsigned char b[8] = {0};
    size_t o = 0;
    crypto_random(b, sizeof(b));
    for (size_t i = 0; i < sizeof(b) && o + 3 <= len; i++, o += 2)
        snprintf(seed + o, len - o, "%02x", b[i]);
}

static long max_trials(struct http_ctx *ctx)
{
    const struct svc *s = ctx->ud;
    const struct runs_priv *p = s->priv;
    return p != NULL ? p->mc_max_trials : MC_DEFAULT_MAX_TRIALS;
}

/* Runs Monte Carlo; replies on failure. */
static int run_mc(struct http_ctx *ctx, const struct dcf_inputs *in, const json_t *settings,
                  json_t **out)
{
    struct mc_settings ms;
    struct mc_result *mr = NULL;
    struct jsonv_err e;
    int rc;

    *out = NULL;
    if (mc_settings_parse(settings, max_trials(ctx), &ms, &e) != VALOR_OK)
        return jsonv_reply(ctx, &e);
    if (ms.seed[0] == '\0')
        runs_random_seed(ms.seed, sizeof(ms.seed));
    rc = VALOR_E_NOMEM;
    if ((mr = malloc(sizeof(*mr))) != NULL && (rc = mc_run(in, &ms, mr)) == VALOR_OK &&
        (*out = mc_result_json(mr)) == NULL)
        rc = VALOR_E_NOMEM;
    free(mr);
    if (rc != VALOR_OK)
        runs_reply_failure(ctx, rc, "monte carlo");
    return rc;
}

int runs_compute(struct http_ctx *ctx, const json_t *inputs, const json_t *mc_settings,
                 json_t **out)
{
    struct dcf_inputs in;
    struct dcf_result *r = NULL;
    struct jsonv_err e;
    json_t *mc = NULL, *dcf = NULL;
    int rc;

    *out = NULL;
    if (dcf_inputs_parse(inputs, &in, &e) != VALOR_OK)
        return jsonv_reply(ctx, &e);
    if (mc_settings != NULL && (rc = run_mc(ctx, &in, mc_settings, &mc)) != VALOR_OK)
        return rc;
    rc = VALOR_E_NOMEM;
    if ((r = malloc(sizeof(*r))) == NULL)
        goto out;
    dcf_compute(&in, r);
    if ((dcf = dcf_result_json(r)) == NULL || (*out = json_object()) == NULL)
        goto out;
    json_object_set(*out, "dcf", dcf);
    if (mc != NULL)
        json_object_set(*out, "monte_carlo", mc);
    rc = VALOR_OK;
out:
    if (rc != VALOR_OK)
        runs_reply_failure(ctx, rc, "dcf");
    free(r);
    json_decref(dcf);
    json_decref(mc);
    return rc;
}

/* Authenticates, parses the body and reads the required "inputs" object.
 * *body owned by the caller on VALOR_OK; replies otherwise. */
static int engine_request(struct http_ctx *ctx, json_t **body, struct dcf_inputs *in)
{
    const struct svc *s = ctx->ud;
    struct vjwt_claims claims;
    struct jsonv_err e;
    json_t *inputs = NULL;
    int rc;

    *body = NULL;
    if ((rc = authn_request(ctx, &s->jwt, s->revoke, AUTHN_READ, &claims)) != VALOR_OK)
        return rc;
    if ((rc = http_json_body(ctx, body)) != VALOR_OK)
        return rc;
    if (!json_is_object(*body))
        rc = jsonv_fail(&e, "body", "must be an object");
    else if (jsonv_object(*body, "inputs", JSONV_REQUIRED, &inputs, &e) < 0 ||
             dcf_inputs_parse(inputs, in, &e) != VALOR_OK)
        rc = VALOR_E_INVALID;
    if (rc != VALOR_OK) {
        jsonv_reply(ctx, &e);
        json_decref(*body);
        *body = NULL;
    }
    return rc;
}

static void reply_data(struct http_ctx *ctx, json_t *data)
{
    if (data == NULL) {
        runs_reply_failure(ctx, VALOR_E_NOMEM, "engine result");
        return;
    }
    http_reply_json(ctx, 200, json_pack("{s:b, s:o}", "success", 1, "data", data));
}

void dcf_h_calculate(struct http_ctx *ctx)
{
    struct dcf_inputs in;
    struct dcf_result *r;
    json_t *body = NULL;

    if (engine_request(ctx, &body, &in) != VALOR_OK)
        return;
    r = malloc(sizeof(*r));
    if (r != NULL)
        dcf_compute(&in, r);
    reply_data(ctx, r != NULL ? dcf_result_json(r) : NULL);
    free(r);
    json_decref(body);
}

void dcf_h_monte_carlo(struct http_ctx *ctx)
{
    struct dcf_inputs in;
    struct jsonv_err e;
    json_t *body = NULL, *settings = NULL, *data = NULL;

    if (engine_request(ctx, &body, &in) != VALOR_OK)
        return;
    if (jsonv_object(body, "mc_settings", JSONV_OPTIONAL, &settings, &e) < 0)
        jsonv_reply(ctx, &e);
    else if (run_mc(ctx, &in, settings, &data) == VALOR_OK)
        reply_data(ctx, data);
    json_decref(body);
}

void dcf_h_sensitivity(struct http_ctx *ctx)
{
    struct dcf_inputs in;
    struct jsonv_err e;
    json_t *body = NULL, *grid = NULL;
    long long size = SENS_DEFAULT_SIZE;
    double *wacc = NULL, *tg = NULL, *cells = NULL;

    if (engine_request(ctx, &body, &in) != VALOR_OK)
        return;
    if (jsonv_object(body, "grid", JSONV_OPTIONAL, &grid, &e) < 0 ||
        (grid != NULL && jsonv_integer(grid, "size", JSONV_OPTIONAL, SENS_MIN_SIZE, SENS_MAX_SIZE,
                                       &size, &e) < 0)) {
        if (strcmp(e.field, "size") == 0)
            snprintf(e.field, sizeof(e.field), "grid.size");
        jsonv_reply(ctx, &e);
        goto out;
    }
    wacc = malloc(sizeof(double) * (size_t)size);
    tg = malloc(sizeof(double) * (size_t)size);
    cells = malloc(sizeof(double) * (size_t)(size * size));
    if (wacc == NULL || tg == NULL || cells == NULL) {
        runs_reply_failure(ctx, VALOR_E_NOMEM, "sensitivity");
        goto out;
    }
    sens_grid(&in, (int)size, wacc, tg, cells);
    reply_data(ctx, sens_result_json((int)size, wacc, tg, cells));
out:
    free(wacc);
    free(tg);
    free(cells);
    json_decref(body);
}
