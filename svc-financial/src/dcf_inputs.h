/* dcf_inputs: DCF engine inputs from a normalised <Company> (engines.md §6).
 * Pure; no I/O. */
#ifndef FIN_DCF_INPUTS_H
#define FIN_DCF_INPUTS_H

#include <stddef.h>
#include <jansson.h>

/* Builds {"ticker", "revenue", "growthY1", "growthDecay", "years",
 * "termGrowth", "ebitMargin", "taxRate", "salesToCap", "wacc", "shares",
 * "netDebt", "stage1End", "stage2End", "s1NWC", "s2NWC", "s3NWC",
 * "assumptions": [{"field","value","reason"}…]} — every value finite and
 * within the DCF engine's validation ranges. VALOR_E_INVALID (reason in why)
 * when revenue or shares cannot be determined. Caller json_decref()s *out. */
int fin_dcf_inputs(const json_t *company, json_t **out, char *why, size_t whylen);

#endif
