/* handlers: the HTTP handlers of api.md §3 and what they share. Every
 * handler gets the struct svc as its route user data and authenticates
 * first with authn_request (AUTHN_WRITE on writes).
 */
#ifndef RUNS_HANDLERS_H
#define RUNS_HANDLERS_H

#include <jansson.h>

#include "store.h"
#include "valor/http.h"
#include "valor/jsonv.h"

#define RUNS_TICKER_MAX 20

/* The service's own configuration (svc->priv), read once at start-up. */
struct runs_priv {
    long mc_max_trials; /* MC_MAX_TRIALS, default 100000 */
};

/* The ticker of a run or scenario: v upper-cased, 1–20 characters of
 * [A-Z0-9.-]; v NULL or JSON null → "UNKNOWN". VALOR_OK or VALOR_E_INVALID
 * with *e naming `field`. */
int runs_ticker(const json_t *v, const char *field, char out[RUNS_TICKER_MAX + 1],
                struct jsonv_err *e);

/* Replies 503 for VALOR_E_UNAVAILABLE, 500 for anything else (logged). */
void runs_reply_failure(struct http_ctx *ctx, int rc, const char *what);

/* Fills `seed` with a random 16-hex-character seed. */
void runs_random_seed(char *seed, size_t len);

/* Computes results for `inputs` (and Monte Carlo with `mc_settings` when
 * not NULL): {"dcf": <DCF result>[, "monte_carlo": <MC result>]}. On a
 * validation error replies 400 and returns VALOR_E_INVALID; *out is owned
 * by the caller on VALOR_OK. */
int runs_compute(struct http_ctx *ctx, const json_t *inputs, const json_t *mc_settings,
                 json_t **out);

/* A listing of api.md §3: GET /api/runs and GET /api/scenarios take the same
 * query — page (≥ 1), per_page (1 … per_page_max), sort_by (created_at,
 * updated_at, ticker), sort_order (asc, desc; default desc), ticker (exact,
 * upper-cased) and q (substring of the ticker) — and differ only in these. */
struct runs_list_spec {
    enum store_listing what;
    long per_page_default, per_page_max;
    enum store_sort sort_default;
};

/* After authentication: reads the query (400 naming the parameter), lists
 * one page of the tenant's rows (503/500 on failure, logged). On VALOR_OK
 * the caller owns *rows (the array) and *page_info ({"page", "per_page",
 * "total", "pages", "has_next", "has_prev", "next_num", "prev_num",
 * "sort_by", "sort_order"}); otherwise it has replied. */
int runs_list(struct http_ctx *ctx, const struct runs_list_spec *spec, json_t **rows,
              json_t **page_info);

void runs_h_create(struct http_ctx *ctx);
void runs_h_list(struct http_ctx *ctx);
void runs_h_last(struct http_ctx *ctx);
void runs_h_get(struct http_ctx *ctx);
void runs_h_delete(struct http_ctx *ctx);

void scenarios_h_save(struct http_ctx *ctx);
void scenarios_h_list(struct http_ctx *ctx);
void scenarios_h_delete(struct http_ctx *ctx);

void dcf_h_calculate(struct http_ctx *ctx);
void dcf_h_monte_carlo(struct http_ctx *ctx);
void dcf_h_sensitivity(struct http_ctx *ctx);

/* GET /api/reports/dcf?run_id=&format=pdf|html (handlers_reports.c). */
/* The author a report names: the run's user_name, else "user <user_id>". */
void runs_report_author(const json_t *run, char *out, size_t len);
void reports_h_dcf(struct http_ctx *ctx);

#endif
