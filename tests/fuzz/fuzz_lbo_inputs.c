/* svc-deals: an LBO calculate body → lbo_inputs_from_json (as lbo_calculate
 * reads "inputs"); validated inputs are computed and rendered. */
#include "engine_lbo.h"
#include "fuzz_common.h"
#include "valor/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = fuzz_json(data, size), *inputs = NULL;
    struct lbo_inputs in;
    struct jsonv_err e = {0};

    if (body == NULL)
        return 0;
    if (json_is_object(body) && jsonv_object(body, "inputs", JSONV_REQUIRED, &inputs, &e) >= 0) {
        if (lbo_inputs_from_json(inputs, &in, &e) == VALOR_OK) {
            struct lbo_result *r = malloc(sizeof(*r));
            FUZZ_ASSERT(lbo_validate(&in, &e) == VALOR_OK);
            if (r != NULL) {
                lbo_compute(&in, r);
                FUZZ_ASSERT(r->nwarnings >= 0 && r->nwarnings <= LBO_MAX_WARNINGS);
                json_decref(lbo_result_json(r));
                free(r);
            }
        } else {
            FUZZ_ASSERT(e.field[0] != '\0'); /* a refusal names its field */
        }
    }
    json_decref(body);
    return 0;
}
