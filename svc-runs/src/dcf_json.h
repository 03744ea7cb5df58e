/* dcf_json: engine results as the JSON of engines.md §1–3. NaN and
 * infinities become null — never a non-finite number in JSON.
 */
#ifndef RUNS_DCF_JSON_H
#define RUNS_DCF_JSON_H

#include <jansson.h>

#include "engine_dcf.h"
#include "engine_mc.h"

/* A real, or null when v is not finite. New reference. */
json_t *dcf_json_number(double v);

/* {"series":{…},"totals":{…},"kpis":{…},"warnings":[…]}. Caller owns
 * (json_decref); NULL when out of memory. */
json_t *dcf_result_json(const struct dcf_result *r);

/* {"stats":{…},"histogram":{"edges","counts"},"warnings":[…]}. Caller owns. */
json_t *mc_result_json(const struct mc_result *r);

/* {"wacc":[…],"term_growth":[…],"per_share":[[…]…]}. Caller owns. */
json_t *sens_result_json(int size, const double *wacc, const double *tg, const double *per_share);

#endif
