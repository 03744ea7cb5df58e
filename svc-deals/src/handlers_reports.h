/* handlers_reports: GET /api/reports/lbo and GET /api/reports/ma — a saved
 * LBO or M&A run as a PDF or HTML report (report_lbo.c / report_ma.c's
 * layouts, valor/report_http.h's contract), computed from the run's stored
 * inputs when the report is made; nothing is stored. */
#ifndef VALOR_DEALS_HANDLERS_REPORTS_H
#define VALOR_DEALS_HANDLERS_REPORTS_H

#include <jansson.h>

#include "valor/http.h"

void lbo_report(struct http_ctx *ctx);
void ma_report(struct http_ctx *ctx);

/* The author a report names: the row's user_name, else "user <user_id>". */
void deals_report_author(const json_t *row, char *out, size_t len);

#endif
