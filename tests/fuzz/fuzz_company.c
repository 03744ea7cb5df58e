/* svc-financial: a PUT /api/financial-data/{ticker} body (and a bulk-import
 * item) → fin_company_normalize, with and without the path's ticker. A
 * normalised company is accepted again unchanged (what the store holds and
 * export/import round-trips). */
#include "company.h"
#include "fuzz_common.h"
#include "valor/err.h"

static void check(const json_t *body, const char *ticker)
{
    json_t *out = NULL, *again = NULL;
    const char *cite = NULL;
    struct jsonv_err e = {0};

    if (fin_company_normalize(body, ticker, &out, &cite, &e) != VALOR_OK) {
        FUZZ_ASSERT(out == NULL || json_is_object(out));
        json_decref(out);
        return;
    }
    FUZZ_ASSERT(json_is_object(out));
    FUZZ_ASSERT(fin_company_normalize(out, ticker, &again, &cite, &e) == VALOR_OK);
    FUZZ_ASSERT(json_equal(out, again));
    json_decref(again);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = fuzz_json(data, size);

    if (body == NULL)
        return 0;
    check(body, NULL);
    check(body, "AAPL");
    json_decref(body);
    return 0;
}
