/* svc-runs: a DCF calculate / run-create body → dcf_inputs_parse and
 * mc_settings_parse, as runs_compute does; validated inputs are computed and
 * rendered (the validator promises the engine finite, in-range values). */
#include <math.h>

#include "dcf_inputs.h"
#include "dcf_json.h"
#include "engine_dcf.h"
#include "fuzz_common.h"
#include "valor/err.h"

#define FUZZ_MAX_TRIALS 1000L /* keeps Monte Carlo settings parsing cheap */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = fuzz_json(data, size), *inputs = NULL, *mc = NULL;
    struct dcf_inputs in;
    struct mc_settings ms;
    struct jsonv_err e = {0};

    if (body == NULL)
        return 0;
    if (json_is_object(body) && jsonv_object(body, "inputs", JSONV_REQUIRED, &inputs, &e) >= 0 &&
        dcf_inputs_parse(inputs, &in, &e) == VALOR_OK) {
        struct dcf_result *r = malloc(sizeof(*r));
        if (r != NULL) {
            dcf_compute(&in, r);
            json_t *j = dcf_result_json(r);
            if (j != NULL) {
                char *text = json_dumps(j, JSON_COMPACT);
                FUZZ_ASSERT(text != NULL); /* NaN/inf would make jansson fail */
                free(text);
            }
            json_decref(j);
            free(r);
        }
    } else if (json_is_object(body)) {
        FUZZ_ASSERT(e.field[0] != '\0'); /* a refusal names its field */
    }
    if (json_is_object(body) && jsonv_object(body, "mc_settings", JSONV_OPTIONAL, &mc, &e) >= 0 &&
        mc_settings_parse(mc, FUZZ_MAX_TRIALS, &ms, &e) == VALOR_OK)
        FUZZ_ASSERT(ms.trials >= MC_MIN_TRIALS && ms.trials <= FUZZ_MAX_TRIALS &&
                    memchr(ms.seed, '\0', sizeof(ms.seed)) != NULL);
    json_decref(body);
    return 0;
}
