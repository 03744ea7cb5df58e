/* fmt: decimal integers written without printf, for the per-request paths
 * (limit headers, the access line, Redis framing) where snprintf's format
 * parsing costs more than the digits. */
#ifndef VALOR_FMT_H
#define VALOR_FMT_H

#include <stddef.h>

/* The largest number of bytes fmt_uint / fmt_int write (no NUL). */
#define FMT_INT_MAX 20

/* Writes v's decimal digits at p (no NUL) and returns how many. */
size_t fmt_uint(char *p, unsigned long long v);
/* The same for a signed value ('-' first when negative; LLONG_MIN too). */
size_t fmt_int(char *p, long long v);

#endif
