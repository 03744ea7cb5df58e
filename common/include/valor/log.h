/* log: structured logging through yder.
 *
 * One JSON object per line on stdout (LOG_JSON=true, the default), readable
 * text otherwise. Every line carries ts, level, service, event and msg, plus
 * request_id / tenant_id / user_id when a context is given. Library messages
 * (ulfius, yder) are captured by the same callback and wrapped the same way.
 * User-supplied strings are escaped; never pass them as the format.
 */
#ifndef VALOR_LOG_H
#define VALOR_LOG_H

#include <jansson.h>

struct log_ctx {
    const char *request_id; /* borrowed, may be NULL */
    const char *tenant_id;  /* borrowed, may be NULL */
    const char *user_id;    /* borrowed, may be NULL */
};

/* level: enum cfg_log_level. Call once at start-up before any thread starts.
 * From here to log_close(), info and debug lines are batched: written when
 * the buffer fills and at least every 100 ms; error and warning lines flush
 * the buffer and are written at once. */
int log_init(const char *service, int json, int level);
/* Flushes and stops batching (a shutdown ends here: nothing is lost). */
void log_close(void);
/* Writes what is buffered now (also run at exit()). */
void log_flush(void);

/* event: a short machine name ("startup", "db_error"); fmt is printf-style. */
void log_msg(int level, const struct log_ctx *ctx, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Emits `fields` (borrowed) merged with ts/level/service. */
void log_fields(int level, const struct log_ctx *ctx, const char *event, json_t *fields);

/* One field of log_kv(). */
enum log_field_type { LOG_F_STR, LOG_F_INT, LOG_F_MS };
struct log_field {
    const char *key;
    enum log_field_type type;
    const char *s; /* LOG_F_STR; NULL: null */
    long long i;   /* LOG_F_INT; LOG_F_MS: microseconds, written as a number of
                      milliseconds with up to three decimals (fmt_ms) */
};
/* log_fields() with the fields in an array (keys distinct), the line written
 * without building a jansson object: the access line of every request. */
void log_kv(int level, const struct log_ctx *ctx, const char *event, const struct log_field *f,
            size_t n);

#define log_error(ctx, ev, ...) log_msg(0, (ctx), (ev), __VA_ARGS__)
#define log_warn(ctx, ev, ...) log_msg(1, (ctx), (ev), __VA_ARGS__)
#define log_info(ctx, ev, ...) log_msg(2, (ctx), (ev), __VA_ARGS__)
#define log_debug(ctx, ev, ...) log_msg(3, (ctx), (ev), __VA_ARGS__)

#endif
