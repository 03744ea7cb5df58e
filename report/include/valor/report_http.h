/* report_http: what every report route shares — the query (?run_id,
 * ?format) and the reply (the document, its type and a safe file name).
 *
 * GET /api/reports/<kind>?run_id=<uuid>&format=pdf|html answers:
 *   400 {"error":"run_id is required"} (absent or empty);
 *   400 ValidationError naming run_id (not a UUID) or format (not pdf/html);
 *   200 with Content-Type application/pdf or text/html; charset=utf-8 and
 *   Content-Disposition: inline; filename="<prefix>_<name>_<run_id>.<ext>"
 *   reduced to [A-Za-z0-9._-] (rpt_filename), the HTML with its own
 *   Content-Security-Policy (rpt_html_csp). */
#ifndef VALOR_REPORT_HTTP_H
#define VALOR_REPORT_HTTP_H

#include "valor/http.h"
#include "valor/report.h"

enum rpt_format { RPT_FORMAT_PDF = 0, RPT_FORMAT_HTML = 1 };

/* On success *run_id is borrowed from the request. Otherwise it has replied
 * 400 and returns VALOR_E_INVALID. */
int rpt_http_query(struct http_ctx *ctx, const char **run_id, enum rpt_format *fmt);

/* Renders d in fmt and replies 200 (500, logged, when rendering fails). */
int rpt_http_reply(struct http_ctx *ctx, const struct rpt_doc *d, enum rpt_format fmt,
                   const char *prefix, const char *name, const char *run_id);

#endif
