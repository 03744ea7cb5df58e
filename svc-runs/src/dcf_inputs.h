/* dcf_inputs: engine inputs and Monte Carlo settings from JSON, validated
 * with field-named errors (engines.md §1–2, api.md §3).
 */
#ifndef RUNS_DCF_INPUTS_H
#define RUNS_DCF_INPUTS_H

#include <jansson.h>

#include "engine_dcf.h"
#include "engine_mc.h"
#include "valor/jsonv.h"

/* Reads the DCF inputs from `obj` (the "inputs" object). Without
 * "use_defaults": true the fields revenue, growthY1, years, termGrowth,
 * ebitMargin, taxRate, salesToCap, wacc, shares and netDebt are required;
 * with it every missing field takes the UI preset (stage overrides
 * included). Other fields always default when missing; a stage override
 * given as null is "not set". Unknown fields are ignored. VALOR_OK, or
 * VALOR_E_INVALID with *e naming the field. */
int dcf_inputs_parse(const json_t *obj, struct dcf_inputs *in, struct jsonv_err *e);

/* Reads Monte Carlo settings from `obj` (may be NULL: all defaults);
 * trials within [MC_MIN_TRIALS, max_trials]. seedStr (alias seed: a string
 * or an integer) is copied into s->seed; empty when absent (the caller picks
 * a random one). VALOR_OK or VALOR_E_INVALID with *e. */
int mc_settings_parse(const json_t *obj, long max_trials, struct mc_settings *s,
                      struct jsonv_err *e);

#endif
