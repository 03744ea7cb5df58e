/* fin_util: tickers, number strings, JSON numbers, dates (see fin_util.h). */
#include "fin_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "valor/err.h"

int fin_ticker_norm(const char *in, char out[FIN_TICKER_MAX + 1])
{
    size_t n = in != NULL ? strlen(in) : 0;

    if (n == 0 || n > FIN_TICKER_MAX)
        return VALOR_E_INVALID;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!(isascii(c) && (isalnum(c) || c == '.' || c == '-')))
            return VALOR_E_INVALID;
        out[i] = (char)toupper(c);
    }
    out[n] = '\0';
    return VALOR_OK;
}

int fin_parse_number(const char *s, double *out)
{
    static const char *const none[] = {"", "none", "-", "null", "n/a", "nan"};
    char buf[64];
    size_t n;
    char *end = NULL;
    double v;

    if (s == NULL)
        return 0;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n >= sizeof(buf))
        return VALOR_E_INVALID;
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        if (strcasecmp(buf, none[i]) == 0)
            return 0;
    /* strtod also accepts hex, "inf" and "nan": allow only [+-]digits[.digits][e[+-]digits] */
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (!(isdigit((unsigned char)c) || c == '.' || c == '-' || c == '+' || c == 'e' ||
              c == 'E'))
            return VALOR_E_INVALID;
    }
    if (!isdigit((unsigned char)buf[0]) && !(buf[0] == '-' || buf[0] == '+' || buf[0] == '.'))
        return VALOR_E_INVALID;
    errno = 0;
    v = strtod(buf, &end);
    if (end == buf || *end != '\0' || errno == ERANGE || !isfinite(v))
        return VALOR_E_INVALID;
    *out = v;
    return 1;
}

json_t *fin_json_number(double v)
{
    if (!isfinite(v))
        return NULL;
    if (fabs(v) < 9007199254740992.0 && v == floor(v))
        return json_integer((json_int_t)v);
    return json_real(v);
}

int fin_date_valid(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    y = (int)strtol(s, NULL, 10);
    m = (int)strtol(s + 5, NULL, 10);
    d = (int)strtol(s + 8, NULL, 10);
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}
