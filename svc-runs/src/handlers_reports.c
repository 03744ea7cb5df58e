/* handlers_reports: GET /api/reports/dcf — a saved run as a PDF or HTML
 * report (report_dcf.c's layout, valor/report_http.h's contract). The run
 * is computed from its stored inputs when the report is made (the engines
 * are pure and Monte Carlo reuses the run's seed); nothing is stored. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcf_inputs.h"
#include "engine_sensitivity.h"
#include "handlers.h"
#include "report_dcf.h"
#include "store.h"
#include "valor/authn.h"
#include "valor/err.h"
#include "valor/log.h"
#include "valor/report_http.h"
#include "valor/svc.h"

/* Everything a report computes, on the heap (the result structs are large). */
struct dcf_work {
    struct dcf_inputs in;
    struct dcf_result r;
    struct mc_settings ms;
    struct mc_result mc;
    double wacc[DCF_REPORT_GRID], tg[DCF_REPORT_GRID], grid[DCF_REPORT_GRID * DCF_REPORT_GRID];
    char note[192];
};

/* 422: the stored inputs cannot be computed, naming the field. */
static void reply_uncomputable(struct http_ctx *ctx, const char *prefix, const struct jsonv_err *e)
{
    char field[96];
    snprintf(field, sizeof(field), "%s.%s", prefix, e->field);
    http_reply_json(ctx, 422,
                    json_pack("{s:s, s:[{s:s, s:s}], s:s}", "error",
                              "The run's inputs cannot be computed", "details", "field", field,
                              "msg", e->msg, "request_id", ctx->request_id));
}

/* The run's Monte Carlo seed: the one its stored results used, else the one
 * its settings name (already in ms), else a fresh one (then said in the
 * report). */
static void seed_of(const json_t *run, struct mc_settings *ms)
{
    const json_t *seed = json_object_get(
        json_object_get(json_object_get(json_object_get(run, "results"), "monte_carlo"), "stats"),
        "seed");
    if (json_is_string(seed) && json_string_length(seed) >= 1 &&
        json_string_length(seed) <= MC_SEED_MAX)
        snprintf(ms->seed, sizeof(ms->seed), "%s", json_string_value(seed));
    else if (ms->seed[0] == '\0')
        runs_random_seed(ms->seed, sizeof(ms->seed));
}

/* A note when the stored results name another per-share value than the
 * recomputation (results saved by a client, or by another engine version). */
static void compare_stored(const json_t *run, struct dcf_work *w)
{
    const json_t *ps = json_object_get(
        json_object_get(json_object_get(json_object_get(run, "results"), "dcf"), "totals"),
        "per_share");
    double v;
    char a[RPT_NUM_LEN], b[RPT_NUM_LEN];

    if (!json_is_number(ps))
        return;
    v = json_number_value(ps);
    if (fabs(v - w->r.per_share) <= 1e-6 * fmax(1.0, fabs(v)))
        return;
    snprintf(w->note, sizeof(w->note),
             "The run's saved results give a value per share of %s; recomputed from its inputs "
             "it is %s. This report shows the recomputation.",
             rpt_fmt_num(v, 2, a, sizeof(a)), rpt_fmt_num(w->r.per_share, 2, b, sizeof(b)));
}

void runs_report_author(const json_t *run, char *out, size_t len)
{
    const char *name = json_string_value(json_object_get(run, "user_name"));
    const char *id = json_string_value(json_object_get(run, "user_id"));

    if (name != NULL && name[0] != '\0')
        snprintf(out, len, "%s", name);
    else
        snprintf(out, len, "user %s", id != NULL ? id : "unknown");
}

/* Computes the report's figures; replies 422/500 itself on failure. */
static int compute(struct http_ctx *ctx, const json_t *run, struct dcf_work *w, int *with_mc)
{
    const struct svc *s = ctx->ud;
    const struct runs_priv *p = s->priv;
    const json_t *mc = json_object_get(run, "mc_settings");
    struct jsonv_err e;
    int rc;

    *with_mc = mc != NULL && !json_is_null(mc);
    if (dcf_inputs_parse(json_object_get(run, "inputs"), &w->in, &e) != VALOR_OK) {
        reply_uncomputable(ctx, "inputs", &e);
        return VALOR_E_INVALID;
    }
    if (*with_mc) {
        if (mc_settings_parse(mc, p != NULL ? p->mc_max_trials : MC_DEFAULT_MAX_TRIALS, &w->ms,
                              &e) != VALOR_OK) {
            reply_uncomputable(ctx, "mc_settings", &e);
            return VALOR_E_INVALID;
        }
        seed_of(run, &w->ms);
        if ((rc = mc_run(&w->in, &w->ms, &w->mc)) != VALOR_OK) {
            runs_reply_failure(ctx, rc, "report monte carlo");
            return rc;
        }
    }
    dcf_compute(&w->in, &w->r);
    sens_grid(&w->in, DCF_REPORT_GRID, w->wacc, w->tg, w->grid);
    compare_stored(run, w);
    return VALOR_OK;
}

void reports_h_dcf(struct http_ctx *ctx)
{
    struct svc *s = ctx->ud;
    struct vjwt_claims claims;
    struct db_conn *c = NULL;
    struct dcf_work *w = NULL;
    struct rpt_doc *doc = NULL;
    json_t *run = NULL;
    const char *run_id, *ticker;
    char author[96], now[32];
    enum rpt_format fmt;
    int rc, with_mc;

    if (authn_request(ctx, &s->jwt, s->revoke, AUTHN_READ, &claims) != VALOR_OK ||
        rpt_http_query(ctx, &run_id, &fmt) != VALOR_OK)
        return;
    if ((rc = db_acquire(s->db, &c)) == VALOR_OK)
        rc = store_run_report(c, ctx->tenant, run_id, &run);
    if (c != NULL)
        db_release(c);
    if (rc == VALOR_E_NOT_FOUND) {
        http_reply_error(ctx, rc, "Run not found");
        goto out;
    }
    if (rc != VALOR_OK) {
        runs_reply_failure(ctx, rc, "report run get");
        goto out;
    }
    if ((w = calloc(1, sizeof(*w))) == NULL) {
        runs_reply_failure(ctx, VALOR_E_NOMEM, "report");
        goto out;
    }
    if (compute(ctx, run, w, &with_mc) != VALOR_OK)
        goto out;
    ticker = json_string_value(json_object_get(run, "ticker"));
    runs_report_author(run, author, sizeof(author));
    http_timestamp(now, sizeof(now));
    {
        struct dcf_report_run rr = {
            .run_id = run_id,
            .ticker = ticker != NULL ? ticker : "UNKNOWN",
            .author = author,
            .generated_at = now,
            .in = &w->in,
            .r = &w->r,
            .ms = with_mc ? &w->ms : NULL,
            .mc = with_mc ? &w->mc : NULL,
            .grid_wacc = w->wacc,
            .grid_tg = w->tg,
            .grid = w->grid,
            .note = w->note[0] != '\0' ? w->note : NULL,
        };
        if ((rc = dcf_report_build(&rr, &doc)) != VALOR_OK) {
            runs_reply_failure(ctx, rc, "report layout");
            goto out;
        }
        rpt_http_reply(ctx, doc, fmt, "dcf_report", rr.ticker, run_id);
    }
out:
    rpt_doc_free(doc);
    free(w);
    json_decref(run);
}
