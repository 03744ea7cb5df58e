/* clock: the monotonic and wall-clock helpers every module needs. */
#ifndef VALOR_CLOCK_H
#define VALOR_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

/* Monotonic time (for durations and deadlines). */
long long clock_mono_ns(void);
double clock_mono_ms(void);

/* Absolute CLOCK_MONOTONIC time `ms` from now, for pthread_cond_timedwait on
 * a condition variable made by clock_cond_init(). */
void clock_deadline(struct timespec *ts, int ms);
/* A condition variable whose timed waits use CLOCK_MONOTONIC. */
void clock_cond_init(pthread_cond_t *c);

/* Now as RFC 3339 UTC with milliseconds and Z ("2026-11-28T10:00:00.123Z");
 * buf needs at least 25 bytes. */
void clock_rfc3339(char *buf, size_t len);

#endif
