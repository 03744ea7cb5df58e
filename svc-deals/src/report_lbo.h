/* report_lbo: the layout of the LBO report — sources & uses, the operating
 * model and debt schedule (table and chart), returns at exit by multiple
 * and by exit year (IRR and MOIC), target-IRR exits and warnings, as a
 * document of the shared report module (valor/report.h). */
#ifndef VALOR_DEALS_REPORT_LBO_H
#define VALOR_DEALS_REPORT_LBO_H

#include "engine_lbo.h"
#include "valor/report.h"

struct lbo_report_run {
    const char *run_id, *company, *author, *generated_at; /* borrowed */
    const struct lbo_inputs *in;
    const struct lbo_result *r;
    const char *note; /* an extra warning, or NULL */
};

/* Caller frees *out with rpt_doc_free(). VALOR_OK or VALOR_E_NOMEM. */
int lbo_report_build(const struct lbo_report_run *run, struct rpt_doc **out);

#endif
