/* svc-deals: an M&A calculate body → ma_inputs_from_json (as ma_calculate
 * reads "inputs"); validated inputs are computed and rendered. */
#include "engine_ma.h"
#include "fuzz_common.h"
#include "valor/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = fuzz_json(data, size), *inputs = NULL;
    struct ma_inputs in;
    struct ma_result r;
    struct jsonv_err e = {0};
    enum ma_error_kind kind = MA_ERR_VALIDATION;

    if (body == NULL)
        return 0;
    if (json_is_object(body) && jsonv_object(body, "inputs", JSONV_REQUIRED, &inputs, &e) >= 0) {
        if (ma_inputs_from_json(inputs, &in, &e, &kind) == VALOR_OK) {
            ma_compute(&in, &r);
            json_decref(ma_result_json(&r));
        } else {
            FUZZ_ASSERT(kind == MA_ERR_VALIDATION || kind == MA_ERR_MESSAGE);
            FUZZ_ASSERT(e.field[0] != '\0' || e.msg[0] != '\0');
        }
    }
    json_decref(body);
    return 0;
}
