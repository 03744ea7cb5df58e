/* report_ma: the layout of the M&A report — deal terms, the pro-forma
 * combination and EPS, accretion/dilution per year (synergies for their
 * duration, none after), synergy value, deal multiples and warnings
 * (among them the share-price fallback), as a document of the shared
 * report module (valor/report.h). */
#ifndef VALOR_DEALS_REPORT_MA_H
#define VALOR_DEALS_REPORT_MA_H

#include "engine_ma.h"
#include "valor/report.h"

#define MA_REPORT_MAX_YEARS 10

struct ma_report_run {
    const char *run_id, *deal, *acquirer, *target, *author, *generated_at; /* borrowed */
    const struct ma_inputs *in;
    const struct ma_result *r;
    const char *note; /* an extra warning, or NULL */
};

/* Years of the per-year table: the synergy years and one after them, at
 * least 3 and at most MA_REPORT_MAX_YEARS. */
int ma_report_years(const struct ma_inputs *in);

/* The engine for year `year` (1-based): the run's inputs with the synergies
 * counted only while year ≤ synergies.duration. Pure. */
void ma_report_year(const struct ma_inputs *in, int year, struct ma_result *out);

/* Caller frees *out with rpt_doc_free(). VALOR_OK or VALOR_E_NOMEM. */
int ma_report_build(const struct ma_report_run *run, struct rpt_doc **out);

#endif
