/* http_match: the route templates' segment matcher and priorities (the same
 * rules ulfius applies), used for 405 detection and endpoint ordering. */
#include <string.h>

#include "http_internal.h"

#define HTTP_PRIORITY_PARAM 1u
#define HTTP_PRIORITY_WILDCARD 1000u

/* Next non-empty '/'-separated segment of *p; its length in *len. */
static const char *next_segment(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == '/')
        s++;
    if (*s == '\0')
        return NULL;
    *len = strcspn(s, "/");
    *p = s + *len;
    return s;
}

/* Same rules as ulfius: ":x"/"@x" match one non-empty segment, a trailing
 * "*" matches the rest (also nothing), empty segments are ignored. */
int http__template_match(const char *tmpl, const char *path)
{
    const char *t = tmpl, *p = path, *ts, *ps;
    size_t tl = 0, pl = 0;
    for (;;) {
        ts = next_segment(&t, &tl);
        if (ts == NULL)
            return next_segment(&p, &pl) == NULL;
        if (ts[0] == '*') {
            const char *rest = t;
            size_t rl = 0;
            if (next_segment(&rest, &rl) == NULL)
                return 1; /* a middle "*" is compared literally, as ulfius does */
        }
        ps = next_segment(&p, &pl);
        if (ps == NULL)
            return 0;
        if (ts[0] != ':' && ts[0] != '@' && (tl != pl || memcmp(ts, ps, tl) != 0))
            return 0;
    }
}

unsigned http__template_priority(const char *tmpl)
{
    const char *t = tmpl, *seg;
    size_t len = 0;
    unsigned prio = 0;
    while ((seg = next_segment(&t, &len)) != NULL) {
        if (seg[0] == ':' || seg[0] == '@')
            prio += HTTP_PRIORITY_PARAM;
        else if (seg[0] == '*')
            prio += HTTP_PRIORITY_WILDCARD;
    }
    return prio;
}
