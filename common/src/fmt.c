/* fmt: decimal integers and string copies without printf (fmt.h). */
#include "valor/fmt.h"

#include <string.h>

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

size_t fmt_ms(char *p, long long us)
{
    size_t n = 0;
    unsigned long long u = us < 0 ? 0ULL - (unsigned long long)us : (unsigned long long)us;
    unsigned frac = (unsigned)(u % 1000);
    if (us < 0)
        p[n++] = '-';
    n += fmt_uint(p + n, u / 1000);
    p[n++] = '.';
    p[n++] = (char)('0' + frac / 100);
    if (frac % 100 != 0) {
        p[n++] = (char)('0' + frac / 10 % 10);
        if (frac % 10 != 0)
            p[n++] = (char)('0' + frac % 10);
    }
    return n;
}

size_t fmt_copy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}

size_t fmt_join(char *dst, size_t size, const char *const *parts, size_t n)
{
    size_t total = 0, used = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(parts[i]), room = size - 1 - used;
        size_t k = len < room ? len : room;
        memcpy(dst + used, parts[i], k);
        used += k;
        total += len;
    }
    dst[used] = '\0';
    return total;
}
