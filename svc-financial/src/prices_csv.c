/* prices_csv: CSV price parsing with line-numbered errors (see prices_csv.h). */
#include "prices_csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fin_util.h"
#include "valor/err.h"

enum { COL_TICKER, COL_DATE, COL_OPEN, COL_HIGH, COL_LOW, COL_CLOSE, COL_VOLUME, NCOLS };
static const char *const col_names[NCOLS] = {"ticker", "date",  "open",  "high",
                                             "low",    "close", "volume"};
#define MAX_FIELDS 16

struct parser {
    const char *name;
    FILE *report;
    int problems;
};

__attribute__((format(printf, 3, 4))) static void problem(struct parser *p, long line,
                                                          const char *fmt, ...)
{
    va_list ap;
    p->problems++;
    if (p->report == NULL || p->problems > FIN_CSV_MAX_ERRORS)
        return;
    fprintf(p->report, "%s:%ld: ", p->name, line);
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang-tidy 14 */
    vfprintf(p->report, fmt, ap);
    va_end(ap);
    fputc('\n', p->report);
}

/* Splits line (modified in place) on commas; trims blanks; returns the count
 * or -1 when there are more than MAX_FIELDS. Quotes are not supported. */
static int split(char *line, char **f)
{
    int n = 0;
    char *s = line;
    for (;;) {
        char *comma = strchr(s, ',');
        if (n == MAX_FIELDS)
            return -1;
        if (comma != NULL)
            *comma = '\0';
        while (*s == ' ' || *s == '\t')
            s++;
        size_t l = strlen(s);
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
            s[--l] = '\0';
        f[n++] = s;
        if (comma == NULL)
            return n;
        s = comma + 1;
    }
}

static int parse_price(struct parser *p, long line, const char *col, const char *s, double *v)
{
    int rc = fin_parse_number(s, v);
    if (rc != 1 || !(*v > 0)) {
        problem(p, line, "%s must be a positive number, got \"%.32s\"", col, s);
        return -1;
    }
    return 0;
}

static int parse_volume(struct parser *p, long line, const char *s, long long *v)
{
    char *end = NULL;
    errno = 0;
    *v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || *v < 0 || !isdigit((unsigned char)*s)) {
        problem(p, line, "volume must be a non-negative integer, got \"%.32s\"", s);
        return -1;
    }
    return 0;
}

/* Header → column index per field; -1 when absent. */
static int header(struct parser *p, long line, char **f, int n, int *idx, int has_default)
{
    for (int c = 0; c < NCOLS; c++)
        idx[c] = -1;
    for (int i = 0; i < n; i++) {
        int c;
        for (c = 0; c < NCOLS; c++)
            if (strcasecmp(f[i], col_names[c]) == 0)
                break;
        if (c == NCOLS) {
            problem(p, line, "unknown column \"%.32s\" (expected %s)", f[i],
                    "ticker,date,open,high,low,close,volume");
            return -1;
        }
        if (idx[c] >= 0) {
            problem(p, line, "column \"%s\" appears twice", col_names[c]);
            return -1;
        }
        idx[c] = i;
    }
    for (int c = COL_DATE; c < NCOLS; c++)
        if (idx[c] < 0) {
            problem(p, line, "missing column \"%s\"", col_names[c]);
            return -1;
        }
    if (idx[COL_TICKER] < 0 && !has_default) {
        problem(p, line, "no ticker column and the file name is not a ticker");
        return -1;
    }
    return 0;
}

static int row(struct parser *p, long line, char **f, int n, int ncols, const int *idx,
               const char *default_ticker, json_t *rows, json_t *seen)
{
    char t[FIN_TICKER_MAX + 1], key[32];
    double o, h, l, c;
    long long vol;
    json_t *r;

    if (n != ncols) {
        problem(p, line, "expected %d columns, got %d", ncols, n);
        return 0;
    }
    const char *ts = idx[COL_TICKER] >= 0 ? f[idx[COL_TICKER]] : default_ticker;
    if (fin_ticker_norm(ts, t) != VALOR_OK) {
        problem(p, line, "bad ticker \"%.32s\"", ts);
        return 0;
    }
    const char *date = f[idx[COL_DATE]];
    if (!fin_date_valid(date)) {
        problem(p, line, "date must be YYYY-MM-DD, got \"%.32s\"", date);
        return 0;
    }
    if (parse_price(p, line, "open", f[idx[COL_OPEN]], &o) || //
        parse_price(p, line, "high", f[idx[COL_HIGH]], &h) || //
        parse_price(p, line, "low", f[idx[COL_LOW]], &l) ||   //
        parse_price(p, line, "close", f[idx[COL_CLOSE]], &c) ||
        parse_volume(p, line, f[idx[COL_VOLUME]], &vol))
        return 0;
    if (l > h || o < l || o > h || c < l || c > h) {
        problem(p, line, "prices inconsistent: need low <= open, close <= high");
        return 0;
    }
    snprintf(key, sizeof(key), "%s|%s", t, date);
    if (json_object_get(seen, key) != NULL) {
        problem(p, line, "duplicate row for %s on %s (first on line %lld)", t, date,
                (long long)json_integer_value(json_object_get(seen, key)));
        return 0;
    }
    json_object_set_new(seen, key, json_integer(line));
    r = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:I}", "ticker", t, "date", date, "open", o,
                  "high", h, "low", l, "close", c, "volume", (json_int_t)vol);
    if (r == NULL || json_array_append_new(rows, r) != 0)
        return VALOR_E_NOMEM;
    return 0;
}

int fin_prices_csv_parse(const char *name, const char *text, size_t len, const char *default_ticker,
                         FILE *report, json_t **rows)
{
    struct parser p = {.name = name, .report = report};
    json_t *out = json_array(), *seen = json_object();
    char *buf = malloc(len + 1), *line, *next;
    char *f[MAX_FIELDS];
    int idx[NCOLS], ncols = 0, have_header = 0, rc = VALOR_E_NOMEM;
    long lineno = 0;

    *rows = NULL;
    if (out == NULL || seen == NULL || buf == NULL)
        goto out;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (strlen(buf) != len) {
        problem(&p, 1, "file contains NUL bytes");
        goto done;
    }
    for (line = buf; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        const char *s = line;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        int n = split(line, f);
        if (n < 0) {
            problem(&p, lineno, "too many columns");
            if (!have_header)
                break;
            continue;
        }
        if (!have_header) {
            if (header(&p, lineno, f, n, idx, default_ticker != NULL) != 0)
                break;
            have_header = 1;
            ncols = n;
            continue;
        }
        if ((rc = row(&p, lineno, f, n, ncols, idx, default_ticker, out, seen)) != 0)
            goto out;
    }
    if (!have_header && p.problems == 0)
        problem(&p, lineno > 0 ? lineno : 1, "no header line (date,open,high,low,close,volume)");
done:
    if (p.problems > FIN_CSV_MAX_ERRORS && report != NULL)
        fprintf(report, "%s: %d problems in all\n", name, p.problems);
    rc = p.problems;
    if (rc == 0) {
        *rows = out;
        out = NULL;
    }
out:
    json_decref(out);
    json_decref(seen);
    free(buf);
    return rc;
}
