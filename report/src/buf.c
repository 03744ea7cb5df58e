/* buf: the growing byte string of the renderers (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/err.h"

static int grow(struct rpt_buf *b, size_t n)
{
    size_t cap;
    char *p;

    if (b->oom)
        return -1;
    if (n < b->cap - b->len)
        return 0;
    cap = b->cap != 0 ? b->cap : 4096;
    while (cap - b->len <= n) {
        if (cap > ((size_t)1 << 30)) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void rpt_buf_put(struct rpt_buf *b, const void *s, size_t n)
{
    if (n == 0 || grow(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void rpt_buf_puts(struct rpt_buf *b, const char *s)
{
    rpt_buf_put(b, s, strlen(s));
}

void rpt_buf_printf(struct rpt_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap, again;
    int n;

    va_start(ap, fmt);
    va_copy(again, ap);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang-tidy 14 */
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        b->oom = 1;
    else if ((size_t)n < sizeof(small))
        rpt_buf_put(b, small, (size_t)n);
    else if (grow(b, (size_t)n) == 0) {
        /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): as above */
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void rpt_buf_html(struct rpt_buf *b, const char *s)
{
    const char *run = s;

    for (; *s != '\0'; s++) {
        const char *rep;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        rpt_buf_put(b, run, (size_t)(s - run));
        rpt_buf_puts(b, rep);
        run = s + 1;
    }
    rpt_buf_put(b, run, (size_t)(s - run));
}

int rpt_buf_take(struct rpt_buf *b, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (b->oom || b->p == NULL) {
        rpt_buf_free(b);
        return VALOR_E_NOMEM;
    }
    *out = b->p;
    *len = b->len;
    memset(b, 0, sizeof(*b));
    return VALOR_OK;
}

void rpt_buf_free(struct rpt_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}
