/* svc-deals: the If-Match / If-None-Match parser notes_etag_matches and the
 * path ticker check notes_ticker. The first byte picks weak comparison and
 * whether a current representation exists; the rest is the header value. */
#include "fuzz_common.h"
#include "handlers_notes.h"
#include "valor/err.h"

#define ETAG "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *h, ticker[NOTES_TICKER_MAX + 1];
    int weak, m;

    if (size == 0)
        return 0;
    weak = data[0] & 1;
    if ((h = fuzz_str(data + 1, size - 1)) == NULL)
        return 0;
    m = notes_etag_matches(h, (data[0] & 2) ? NULL : ETAG, weak);
    FUZZ_ASSERT(m == 0 || m == 1);
    if (data[0] & 2)
        FUZZ_ASSERT(m == 0 || strchr(h, '*') != NULL); /* nothing to match but "*" */
    FUZZ_ASSERT(notes_etag_matches(h, ETAG, 1) >= notes_etag_matches(h, ETAG, 0));
    if (notes_ticker(h, ticker, sizeof(ticker)) == VALOR_OK)
        FUZZ_ASSERT(strlen(ticker) >= 1 && strlen(ticker) <= NOTES_TICKER_MAX &&
                    strlen(ticker) == strlen(h));
    free(h);
    return 0;
}
