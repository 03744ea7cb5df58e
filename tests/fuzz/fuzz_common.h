/* fuzz_common: what every libFuzzer target shares — the entry point's
 * prototype (-Wmissing-prototypes) and the JSON body as http_json_body reads
 * it (duplicates refused). */
#ifndef VALOR_FUZZ_COMMON_H
#define VALOR_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes as a request body; NULL when they are not JSON. */
static inline json_t *fuzz_json(const uint8_t *data, size_t size)
{
    return json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
}

/* The bytes as a NUL-terminated string (caller frees); stops at an embedded
 * NUL, as a C string from a header or a JSON value would. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s != NULL) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* Aborts (a crash libFuzzer reports) when an invariant does not hold. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#endif
