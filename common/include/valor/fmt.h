/* fmt: decimal integers and string copies written without printf, for the
 * per-request paths (limit headers, the access line, Redis framing, request
 * state) where snprintf's format parsing costs more than the bytes. */
#ifndef VALOR_FMT_H
#define VALOR_FMT_H

#include <stddef.h>

/* The largest number of bytes fmt_uint / fmt_int write (no NUL). */
#define FMT_INT_MAX 20

/* Writes v's decimal digits at p (no NUL) and returns how many. */
size_t fmt_uint(char *p, unsigned long long v);
/* The same for a signed value ('-' first when negative; LLONG_MIN too). */
size_t fmt_int(char *p, long long v);

/* The largest number of bytes fmt_ms writes (no NUL). */
#define FMT_MS_MAX (FMT_INT_MAX + 4)

/* Writes a count of microseconds as milliseconds with up to three decimals,
 * trailing zeros dropped but at least one kept: 1168 → "1.168", 2000 → "2.0",
 * 50 → "0.05", -1500 → "-1.5". No NUL; returns how many bytes. */
size_t fmt_ms(char *p, long long us);

/* snprintf(dst, size, "%s", src) without the format parser: copies src,
 * truncated to size - 1 bytes, always NUL-terminated (size > 0). Returns the
 * bytes copied. */
size_t fmt_copy(char *dst, size_t size, const char *src);

/* snprintf(dst, size, "%s%s…", parts…) without the format parser: the n
 * parts one after the other, truncated to size - 1 bytes, NUL-terminated
 * (size > 0). Returns the length of the whole join, as snprintf does: size
 * or more means it was truncated. */
size_t fmt_join(char *dst, size_t size, const char *const *parts, size_t n);

#endif
