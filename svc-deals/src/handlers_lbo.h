/* handlers_lbo: POST /api/lbo/runs, POST /api/lbo/scenarios and
 * POST /api/lbo/calculate (api.md §4). */
#ifndef VALOR_DEALS_HANDLERS_LBO_H
#define VALOR_DEALS_HANDLERS_LBO_H

#include "valor/http.h"

#define LBO_NAME_MAX 200    /* company and scenario names, in characters */
#define DEALS_MAX_ITEMS 100 /* scenarios per save request */

void lbo_runs_create(struct http_ctx *ctx);
void lbo_scenarios_save(struct http_ctx *ctx);
void lbo_calculate(struct http_ctx *ctx);

#endif
