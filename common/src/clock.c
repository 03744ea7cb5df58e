/* clock: monotonic durations, deadlines and RFC 3339 timestamps (see clock.h). */
#include <string.h>

#include "valor/clock.h"
#include "valor/fmt.h"

long long clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

double clock_mono_ms(void)
{
    return (double)clock_mono_ns() / 1e6;
}

void clock_deadline(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void clock_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

void clock_rfc3339(char *buf, size_t len)
{
    /* the seconds part is formatted once per second and thread: every log
     * line takes a timestamp, and gmtime_r + strftime cost more than the line */
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char base[24];
    static _Thread_local size_t base_len;
    struct timespec ts;
    char out[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        base_len = strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000L);
    memcpy(out, base, base_len);
    char *p = out + base_len;
    *p++ = '.';
    *p++ = (char)('0' + ms / 100);
    *p++ = (char)('0' + ms / 10 % 10);
    *p++ = (char)('0' + ms % 10);
    *p++ = 'Z';
    *p = '\0';
    fmt_copy(buf, len, out);
}
