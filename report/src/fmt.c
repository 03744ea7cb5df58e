/* fmt: numbers for people and safe file names (see report.h). Pure. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "valor/err.h"
#include "valor/report.h"

/* Digits of |v| with `decimals` decimals and thousands separators, wrapped in
 * parentheses when negative, followed by suffix. */
static const char *format(double v, int decimals, const char *suffix, char *out, size_t len)
{
    char digits[RPT_NUM_LEN], grouped[RPT_NUM_LEN + 16];
    size_t n, intlen, o = 0;
    int negative, zero = 1;

    if (len == 0)
        return out;
    if (!isfinite(v)) {
        snprintf(out, len, "n/a");
        return out;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 6)
        decimals = 6;
    negative = v < 0;
    /* Halves round away from zero as people expect: 0.975 is stored as 0.97499999…, so nudge
     * by a few units in the last place before printf rounds (0.975 → "0.98"). */
    v += copysign(fabs(v) * 8 * DBL_EPSILON, v);
    if (fabs(v) >= 1e15) {
        snprintf(digits, sizeof(digits), "%.*e", decimals > 2 ? decimals : 2, fabs(v));
        snprintf(out, len, negative ? "(%s%s)" : "%s%s", digits, suffix);
        return out;
    }
    snprintf(digits, sizeof(digits), "%.*f", decimals, fabs(v));
    for (const char *p = digits; *p != '\0'; p++)
        if (*p >= '1' && *p <= '9')
            zero = 0;
    if (zero)
        negative = 0; /* -0.001 shown with 2 decimals is "0.00", not "(0.00)" */
    n = strlen(digits);
    intlen = strcspn(digits, ".");
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i < intlen && (intlen - i) % 3 == 0)
            grouped[o++] = ',';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    snprintf(out, len, negative ? "(%s%s)" : "%s%s", grouped, suffix);
    return out;
}

const char *rpt_fmt_num(double v, int decimals, char *out, size_t len)
{
    return format(v, decimals, "", out, len);
}

const char *rpt_fmt_pct(double v, int decimals, char *out, size_t len)
{
    return format(isfinite(v) ? v * 100.0 : v, decimals, "%", out, len);
}

const char *rpt_fmt_mult(double v, int decimals, char *out, size_t len)
{
    return format(v, decimals, "x", out, len);
}

static int safe_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Appends s reduced to safe characters, at most max characters; a UTF-8
 * sequence (lead byte and its continuation bytes) becomes one '_'. */
static size_t append_safe(char *out, size_t o, size_t cap, const char *s, size_t max)
{
    size_t count = 0;
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0' && count < max && o + 1 < cap) {
        if (*p >= 0x80) {
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
            out[o++] = '_';
        } else {
            out[o++] = (char)(safe_char(*p) ? *p : '_');
            p++;
        }
        count++;
    }
    out[o] = '\0';
    return o;
}

int rpt_filename(const char *prefix, const char *name, const char *id, const char *ext, char *out,
                 size_t len)
{
    size_t need = strlen(prefix) + 64 + strlen(id) + strlen(ext) + 4, o;

    if (len < need) {
        if (len > 0)
            out[0] = '\0';
        return VALOR_E_INVALID;
    }
    o = append_safe(out, 0, len, prefix, 64);
    out[o++] = '_';
    o = append_safe(out, o, len, name != NULL && *name != '\0' ? name : "unnamed", 64);
    out[o++] = '_';
    o = append_safe(out, o, len, id, 64);
    out[o++] = '.';
    append_safe(out, o, len, ext, 8);
    return VALOR_OK;
}

char *rpt_vals_next(struct rpt_vals *s)
{
    return s->n < RPT_VALS_MAX ? s->v[s->n++] : NULL;
}

const char *rpt_vals_num(struct rpt_vals *s, double v, int decimals)
{
    char *b = rpt_vals_next(s);
    return b != NULL ? rpt_fmt_num(v, decimals, b, RPT_NUM_LEN) : "";
}

const char *rpt_vals_pct(struct rpt_vals *s, double v, int decimals)
{
    char *b = rpt_vals_next(s);
    return b != NULL ? rpt_fmt_pct(v, decimals, b, RPT_NUM_LEN) : "";
}

const char *rpt_vals_mult(struct rpt_vals *s, double v, int decimals)
{
    char *b = rpt_vals_next(s);
    return b != NULL ? rpt_fmt_mult(v, decimals, b, RPT_NUM_LEN) : "";
}
