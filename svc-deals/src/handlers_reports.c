/* handlers_reports: the LBO and M&A report routes (see handlers_reports.h). */
#include "handlers_reports.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deals.h"
#include "report_lbo.h"
#include "report_ma.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/log.h"
#include "valor/report_http.h"

/* What the two kinds differ in. */
struct report_kind {
    const char *stmt;      /* "<table>_report" */
    const char *not_found; /* 404 message */
    const char *prefix;    /* file name prefix */
    const char *name_col;  /* the row's name column: the report's title and file name */
    /* computes and lays out; on an input error fills *e and returns VALOR_E_INVALID */
    int (*build)(const json_t *row, const char *run_id, const char *author, const char *now,
                 struct jsonv_err *e, struct rpt_doc **out);
};

void deals_report_author(const json_t *row, char *out, size_t len)
{
    const char *name = json_string_value(json_object_get(row, "user_name"));
    const char *id = json_string_value(json_object_get(row, "user_id"));

    if (name != NULL && name[0] != '\0')
        snprintf(out, len, "%s", name);
    else
        snprintf(out, len, "user %s", id != NULL ? id : "unknown");
}

/* The stored results' figure at results.<a>.<b>, NAN when absent. */
static double stored(const json_t *row, const char *a, const char *b)
{
    const json_t *v = json_object_get(json_object_get(json_object_get(row, "results"), a), b);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A note when the stored figure differs from the recomputation. */
static const char *differs(char *buf, size_t len, const char *what, double saved, double now)
{
    char a[RPT_NUM_LEN], b[RPT_NUM_LEN];
    if (!isfinite(saved) || fabs(saved - now) <= 1e-6 * fmax(1.0, fabs(saved)))
        return NULL;
    snprintf(buf, len,
             "The run's saved results give %s %s; recomputed from its inputs it is %s. This report "
             "shows the recomputation.",
             what, rpt_fmt_num(saved, 4, a, sizeof(a)), rpt_fmt_num(now, 4, b, sizeof(b)));
    return buf;
}

static int build_lbo(const json_t *row, const char *run_id, const char *author, const char *now,
                     struct jsonv_err *e, struct rpt_doc **out)
{
    struct lbo_inputs in;
    struct lbo_result *r = NULL;
    char note[256];
    const char *company = json_string_value(json_object_get(row, "company_name"));
    int rc;

    *out = NULL;
    if (lbo_inputs_from_json(json_object_get(row, "inputs"), &in, e) != VALOR_OK)
        return VALOR_E_INVALID;
    if ((r = malloc(sizeof(*r))) == NULL)
        return VALOR_E_NOMEM;
    lbo_compute(&in, r);
    {
        struct lbo_report_run run = {
            run_id,
            company != NULL ? company : "Unknown Company",
            author,
            now,
            &in,
            r,
            differs(note, sizeof(note), "a final debt of", stored(row, "metrics", "final_debt"),
                    r->final_debt),
        };
        rc = lbo_report_build(&run, out);
    }
    free(r);
    return rc;
}

static int build_ma(const json_t *row, const char *run_id, const char *author, const char *now,
                    struct jsonv_err *e, struct rpt_doc **out)
{
    struct ma_inputs in;
    struct ma_result r;
    enum ma_error_kind kind;
    char note[256];
    const char *deal = json_string_value(json_object_get(row, "deal_name"));
    const char *acq = json_string_value(json_object_get(row, "acquirer_name"));
    const char *tgt = json_string_value(json_object_get(row, "target_name"));

    *out = NULL;
    if (ma_inputs_from_json(json_object_get(row, "inputs"), &in, e, &kind) != VALOR_OK)
        return VALOR_E_INVALID;
    ma_compute(&in, &r);
    {
        struct ma_report_run run = {
            run_id,
            deal != NULL ? deal : "",
            acq != NULL ? acq : "",
            tgt != NULL ? tgt : "",
            author,
            now,
            &in,
            &r,
            differs(note, sizeof(note), "a pro-forma EPS of",
                    stored(row, "accretion_dilution", "post_deal_eps"), r.eps),
        };
        return ma_report_build(&run, out);
    }
}

static const struct report_kind lbo_kind = {"lbo_runs_report", "LBO run not found", "lbo_report",
                                            "company_name", build_lbo};
static const struct report_kind ma_kind = {"ma_runs_report", "M&A run not found", "ma_report",
                                           "deal_name", build_ma};

static void report(struct http_ctx *ctx, const struct report_kind *k)
{
    struct svc *s = deals_route_of(ctx)->svc;
    struct vjwt_claims claims;
    struct db_conn *conn = NULL;
    struct rpt_doc *doc = NULL;
    struct jsonv_err e = {{0}, {0}};
    PGresult *res = NULL;
    json_t *row = NULL;
    const char *run_id, *params[2];
    char author[96], now[32], field[96];
    enum rpt_format fmt;
    int rc;

    if (deals_auth(ctx, AUTHN_READ, &claims) != VALOR_OK ||
        rpt_http_query(ctx, &run_id, &fmt) != VALOR_OK)
        return;
    params[0] = ctx->tenant;
    params[1] = run_id;
    if ((rc = db_acquire(s->db, &conn)) == VALOR_OK)
        rc = db_exec(conn, k->stmt, 2, params, &res);
    if (rc == VALOR_OK && PQntuples(res) > 0 && (row = db_row_json(res, 0)) == NULL)
        rc = VALOR_E_NOMEM;
    PQclear(res);
    if (conn != NULL)
        db_release(conn);
    if (rc != VALOR_OK) {
        deals_reply_db(ctx, rc);
        goto out;
    }
    if (row == NULL) {
        http_reply_error(ctx, VALOR_E_NOT_FOUND, k->not_found);
        goto out;
    }
    deals_report_author(row, author, sizeof(author));
    http_timestamp(now, sizeof(now));
    rc = k->build(row, run_id, author, now, &e, &doc);
    if (rc == VALOR_E_INVALID) {
        snprintf(field, sizeof(field), "inputs.%s", e.field);
        http_reply_json(ctx, 422,
                        json_pack("{s:s, s:[{s:s, s:s}], s:s}", "error",
                                  "The run's inputs cannot be computed", "details", "field", field,
                                  "msg", e.msg, "request_id", ctx->request_id));
        goto out;
    }
    if (rc != VALOR_OK) {
        log_error(&ctx->log, "internal", "%s layout failed (%s)", k->prefix, valor_err_name(rc));
        http_reply_error(ctx, VALOR_E_INTERNAL, NULL);
        goto out;
    }
    rpt_http_reply(ctx, doc, fmt, k->prefix, json_string_value(json_object_get(row, k->name_col)),
                   run_id);
out:
    rpt_doc_free(doc);
    json_decref(row);
}

void lbo_report(struct http_ctx *ctx)
{
    report(ctx, &lbo_kind);
}

void ma_report(struct http_ctx *ctx)
{
    report(ctx, &ma_kind);
}
