/* buf: a growing byte string for the renderers (HTML text, PDF stream).
 * Out of memory is sticky: b->oom is set and later appends do nothing. */
#ifndef VALOR_REPORT_BUF_H
#define VALOR_REPORT_BUF_H

#include <stddef.h>

struct rpt_buf {
    char *p; /* owned, NUL-terminated when len > 0 */
    size_t len, cap;
    int oom;
};

void rpt_buf_put(struct rpt_buf *b, const void *s, size_t n);
void rpt_buf_puts(struct rpt_buf *b, const char *s);
void rpt_buf_printf(struct rpt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with & < > " ' as character references (s is already free of controls). */
void rpt_buf_html(struct rpt_buf *b, const char *s);
/* Hands the bytes to the caller (*out free()d by them); VALOR_E_NOMEM after an
 * allocation failure (the buffer is freed either way). */
int rpt_buf_take(struct rpt_buf *b, char **out, size_t *len);
void rpt_buf_free(struct rpt_buf *b);

#endif
