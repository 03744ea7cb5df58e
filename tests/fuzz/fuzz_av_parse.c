/* svc-financial: Alpha Vantage payloads → fin_av_classify / fin_av_company,
 * and the raw bytes → fin_parse_number (the number strings of those
 * payloads). A JSON array is read as [overview, income, balance, cash]; any
 * other JSON value is the overview. */
#include <math.h>

#include "av_parse.h"
#include "company.h"
#include "fin_util.h"
#include "fuzz_common.h"
#include "valor/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    json_t *doc, *company = NULL;
    const json_t *p[4] = {NULL, NULL, NULL, NULL};
    static const char *const fn[4] = {"OVERVIEW", "INCOME_STATEMENT", "BALANCE_SHEET", "CASH_FLOW"};
    struct fin_upstream_err err;
    double v = 0;

    if (s == NULL)
        return 0;
    if (fin_parse_number(s, &v) == 1)
        FUZZ_ASSERT(isfinite(v));
    free(s);

    if ((doc = fuzz_json(data, size)) == NULL)
        return 0;
    if (json_is_array(doc))
        for (size_t i = 0; i < 4; i++)
            p[i] = json_array_get(doc, i);
    else
        p[0] = doc;
    for (size_t i = 0; i < 4; i++) {
        memset(&err, 0, sizeof(err));
        if (p[i] != NULL && fin_av_classify(p[i], fn[i], &err) != VALOR_OK)
            FUZZ_ASSERT(err.status == 404 || err.status == 502 || err.status == 503);
    }
    memset(&err, 0, sizeof(err));
    if (fin_av_company("AAPL", p[0], p[1], p[2], p[3], &company, &err) == VALOR_OK) {
        json_t *again = NULL;
        const char *cite = NULL;
        struct jsonv_err e = {0};
        /* what the importer builds is a valid <Company> */
        FUZZ_ASSERT(fin_company_normalize(company, "AAPL", &again, &cite, &e) == VALOR_OK);
        json_decref(again);
    } else {
        FUZZ_ASSERT(err.status == 502 || err.status == 404 || err.status == 503);
    }
    json_decref(company);
    json_decref(doc);
    return 0;
}
