/* handlers_ma: POST /api/ma/runs, POST /api/ma/scenarios and
 * POST /api/ma/calculate (api.md §4). */
#ifndef VALOR_DEALS_HANDLERS_MA_H
#define VALOR_DEALS_HANDLERS_MA_H

#include "valor/http.h"

#define MA_NAME_MAX 100 /* deal, acquirer, target and scenario names, in characters */

void ma_runs_create(struct http_ctx *ctx);
void ma_scenarios_save(struct http_ctx *ctx);
void ma_calculate(struct http_ctx *ctx);

#endif
