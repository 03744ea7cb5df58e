/* handlers: the HTTP routes of api.md §5 (route user data: struct fin_service). */
#ifndef FIN_HANDLERS_H
#define FIN_HANDLERS_H

#include "valor/http.h"

#define FIN_MSG_NO_DATA "No financial data found for this ticker"
#define FIN_MSG_NO_PRICES "No historical price data found for this ticker"

void fin_h_search(struct http_ctx *ctx);      /* GET /api/financial-data?q= */
void fin_h_company(struct http_ctx *ctx);     /* GET /api/financial-data/:ticker */
void fin_h_put_company(struct http_ctx *ctx); /* PUT /api/financial-data/:ticker (admin) */
void fin_h_dcf_inputs(struct http_ctx *ctx);  /* GET …/:ticker/dcf-inputs */
void fin_h_prices(struct http_ctx *ctx);      /* GET …/:ticker/historical-prices */

#endif
