/* fmt: decimal integers without printf (fmt.h). */
#include "valor/fmt.h"

size_t fmt_uint(char *p, unsigned long long v)
{
    char t[FMT_INT_MAX];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        p[i] = t[n - 1 - i];
    return n;
}

size_t fmt_int(char *p, long long v)
{
    if (v < 0) {
        *p = '-';
        return 1 + fmt_uint(p + 1, 0ULL - (unsigned long long)v);
    }
    return fmt_uint(p, (unsigned long long)v);
}
