/* report_http: the query and reply of the report routes (see report_http.h). */
#include "valor/report_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/log.h"

int rpt_http_query(struct http_ctx *ctx, const char **run_id, enum rpt_format *fmt)
{
    const char *id = http_query(ctx, "run_id"), *f = http_query(ctx, "format");

    *run_id = NULL;
    *fmt = RPT_FORMAT_PDF;
    if (id == NULL || id[0] == '\0') {
        http_reply_error(ctx, VALOR_E_INVALID, "run_id is required");
        return VALOR_E_INVALID;
    }
    if (!crypto_is_uuid(id)) {
        http_reply_validation(ctx, "run_id", "must be a UUID");
        return VALOR_E_INVALID;
    }
    if (f != NULL && f[0] != '\0') {
        if (strcmp(f, "html") == 0) {
            *fmt = RPT_FORMAT_HTML;
        } else if (strcmp(f, "pdf") != 0) {
            http_reply_validation(ctx, "format", "must be pdf or html");
            return VALOR_E_INVALID;
        }
    }
    *run_id = id;
    return VALOR_OK;
}

int rpt_http_reply(struct http_ctx *ctx, const struct rpt_doc *d, enum rpt_format fmt,
                   const char *prefix, const char *name, const char *run_id)
{
    const int html = fmt == RPT_FORMAT_HTML;
    char file[256], disposition[320];
    char *body = NULL;
    size_t len = 0;
    int rc;

    rc = rpt_filename(prefix, name, run_id, html ? "html" : "pdf", file, sizeof(file));
    if (rc == VALOR_OK)
        rc = html ? rpt_render_html(d, &body, &len) : rpt_render_pdf(d, &body, &len);
    if (rc != VALOR_OK) {
        log_error(&ctx->log, "report_failed", "%s report did not render (%s)", prefix,
                  valor_err_name(rc));
        http_reply_error(ctx, VALOR_E_INTERNAL, NULL);
        return rc;
    }
    snprintf(disposition, sizeof(disposition), "inline; filename=\"%s\"", file);
    http_reply_bytes(ctx, 200, body, len, html ? "text/html; charset=utf-8" : "application/pdf");
    u_map_put(ctx->resp->map_header, "Content-Disposition", disposition);
    if (html)
        u_map_put(ctx->resp->map_header, "Content-Security-Policy", rpt_html_csp());
    return VALOR_OK;
}
