/* log: structured logging through yder (platform.md §6).
 *
 * Our own lines are built here (JSON or text) and written to stdout.
 * Library messages (ulfius, yder itself) reach log_yder_cb through yder and
 * are wrapped as event "library".
 *
 * Batching: between log_init() and log_close(), info and debug lines (the
 * access line above all) are appended to one LOG_BUF_BYTES buffer, written
 * with one write(2) when the next line would not fit, by a flusher thread at
 * least every LOG_FLUSH_MS, by log_flush(), by log_close() (every shutdown
 * path, SIGTERM included, ends there) and at exit(). Error and warning lines
 * first flush what is buffered, then are written at once: they are rare, the
 * order of lines is kept, and the line that explains a crash is never left in
 * a buffer. Only a process killed without running its exit (SIGKILL, abort)
 * can lose the last LOG_FLUSH_MS of info lines. A fork()ed child starts with
 * an empty buffer (the parent flushed it just before).
 */
#include "valor/clock.h"
#include "valor/log.h"

#include "valor/cfg.h"
#include "valor/err.h"
#include "valor/fmt.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <yder.h>

#define LOG_BUF_BYTES 65536
#define LOG_FLUSH_MS 100

/* Set once by log_init() before any thread starts, read-only after. */
static struct {
    int inited;
    int json;
    int level; /* enum cfg_log_level */
    char service[32];
} log_state = {0, 1, CFG_LOG_INFO, "valor"};

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static const char *const level_names_upper[] = {"ERROR", "WARNING", "INFO", "DEBUG"};

static int clamp_level(int level)
{
    return level < CFG_LOG_ERROR ? CFG_LOG_ERROR : level > CFG_LOG_DEBUG ? CFG_LOG_DEBUG : level;
}

static unsigned long to_yder_level(int level)
{
    static const unsigned long map[] = {Y_LOG_LEVEL_ERROR, Y_LOG_LEVEL_WARNING, Y_LOG_LEVEL_INFO,
                                        Y_LOG_LEVEL_DEBUG};
    return map[clamp_level(level)];
}

static int from_yder_level(unsigned long ylevel)
{
    if (ylevel <= Y_LOG_LEVEL_ERROR)
        return CFG_LOG_ERROR;
    if (ylevel <= Y_LOG_LEVEL_WARNING)
        return CFG_LOG_WARNING;
    if (ylevel <= Y_LOG_LEVEL_INFO)
        return CFG_LOG_INFO;
    return CFG_LOG_DEBUG;
}

/* The line buffer (see the top). lock guards everything in it. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cv; /* wakes the flusher: stop */
    char buf[LOG_BUF_BYTES];
    size_t len;
    int batching; /* between log_init() and log_close() */
    int running;  /* the flusher thread exists (in this process) */
    int stop;
    pthread_t flusher;
} lb = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t lb_once = PTHREAD_ONCE_INIT;

/* Writes iov completely (EINTR and short writes retried). */
static void write_all(struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        ssize_t n = writev(STDOUT_FILENO, iov, cnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        while (cnt > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
}

static void flush_locked(void)
{
    struct iovec iov = {lb.buf, lb.len};
    if (lb.len > 0)
        write_all(&iov, 1);
    lb.len = 0;
}

/* Sleeps while nothing is buffered (no timer on an idle process); once a
 * line is, writes the buffer LOG_FLUSH_MS later. */
static void *flusher_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lb.lock);
    while (!lb.stop) {
        if (lb.len == 0) {
            pthread_cond_wait(&lb.cv, &lb.lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += LOG_FLUSH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!lb.stop && pthread_cond_timedwait(&lb.cv, &lb.lock, &until) != ETIMEDOUT)
            ;
        flush_locked();
    }
    pthread_mutex_unlock(&lb.lock);
    return NULL;
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&lb.lock);
    flush_locked();
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&lb.lock);
}

static void atfork_child(void)
{
    /* only the forking thread exists here: no flusher, nothing buffered */
    pthread_mutex_init(&lb.lock, NULL);
    lb.len = 0;
    lb.running = 0;
}

static void flush_at_exit(void)
{
    log_flush();
}

static void lb_init_once(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&lb.cv, &a);
    pthread_condattr_destroy(&a);
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    atexit(flush_at_exit);
}

void log_flush(void)
{
    pthread_mutex_lock(&lb.lock);
    flush_locked();
    pthread_mutex_unlock(&lb.lock);
}

/* Writes the whole line plus '\n': buffered (info, debug) or at once (error,
 * warning, a line larger than the buffer, or outside log_init/log_close).
 * Lines never interleave: every write happens under lb.lock. */
static void write_line(int level, const char *line)
{
    size_t len = strlen(line);
    struct iovec iov[2] = {{(void *)line, len}, {(void *)"\n", 1}};

    pthread_mutex_lock(&lb.lock);
    if (!lb.batching || level <= CFG_LOG_WARNING || len + 1 > sizeof(lb.buf)) {
        flush_locked();
        write_all(iov, 2);
        pthread_mutex_unlock(&lb.lock);
        return;
    }
    if (lb.len + len + 1 > sizeof(lb.buf))
        flush_locked();
    int was_empty = lb.len == 0;
    memcpy(lb.buf + lb.len, line, len);
    lb.buf[lb.len + len] = '\n';
    lb.len += len + 1;
    if (!lb.running) {
        lb.stop = 0;
        if (pthread_create(&lb.flusher, NULL, flusher_main, NULL) == 0)
            lb.running = 1;
        else
            flush_locked(); /* no thread: never leave a line behind */
    } else if (was_empty) {
        pthread_cond_signal(&lb.cv); /* the flusher's 100 ms start now */
    }
    pthread_mutex_unlock(&lb.lock);
}

/* A json string from arbitrary bytes: invalid UTF-8 sequences and NUL become
 * U+FFFD, so a user string can never make the line disappear. */
static json_t *safe_string(const char *s)
{
    if (s == NULL)
        return json_null();
    json_t *j = json_string(s);
    if (j != NULL)
        return j;
    size_t len = strlen(s);
    char *out = malloc(3 * len + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        size_t n = 0;
        unsigned c = *p;
        if (c < 0x80)
            n = 1;
        else if (c >= 0xc2 && c <= 0xdf)
            n = 2;
        else if (c >= 0xe0 && c <= 0xef)
            n = 3;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 4;
        int ok = n > 0;
        for (size_t k = 1; ok && k < n; k++)
            ok = (p[k] & 0xc0) == 0x80;
        if (ok && n == 3) /* no overlongs, no surrogates */
            ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
        if (ok && n == 4)
            ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] >= 0x90);
        if (ok) {
            memcpy(out + o, p, n);
            o += n;
            p += n;
        } else {
            out[o++] = '\xef'; /* U+FFFD REPLACEMENT CHARACTER */
            out[o++] = '\xbf';
            out[o++] = '\xbd';
            p++;
        }
    }
    j = json_stringn(out, o);
    free(out);
    return j;
}

static void set_str(json_t *obj, const char *key, const char *value)
{
    json_t *v = safe_string(value);
    if (v != NULL)
        json_object_set_new(obj, key, v);
}

/* Appends `s` to the text line, quoted JSON-style when it contains blanks,
 * quotes, '=' or control characters (so one entry stays one line). */
static int text_append_value(FILE *f, const char *s, int quote_if_needed)
{
    int needs = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\' ||
            (quote_if_needed && (*p == ' ' || *p == '=')))
            needs = 1;
    }
    if (!needs && !(quote_if_needed && *s == '\0'))
        return fputs(s, f) < 0 ? -1 : 0;
    json_t *j = safe_string(s);
    char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (q == NULL)
        return -1;
    /* unquoted message: drop the surrounding quotes, keep the escapes */
    int rc;
    if (quote_if_needed)
        rc = fputs(q, f);
    else
        rc = fprintf(f, "%.*s", (int)(strlen(q) - 2), q + 1);
    free(q);
    return rc < 0 ? -1 : 0;
}

/* "ts LEVEL service event: msg key=value ..." from a built object. */
static char *render_text(json_t *obj)
{
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    if (f == NULL)
        return NULL;
    const char *lvl = json_string_value(json_object_get(obj, "level"));
    const char *upper = "INFO";
    for (int i = 0; i <= CFG_LOG_DEBUG; i++)
        if (lvl != NULL && strcmp(lvl, level_names[i]) == 0)
            upper = level_names_upper[i];
    fprintf(f, "%s %s %s %s: ", json_string_value(json_object_get(obj, "ts")), upper,
            json_string_value(json_object_get(obj, "service")),
            json_string_value(json_object_get(obj, "event")));
    const char *msg = json_string_value(json_object_get(obj, "msg"));
    text_append_value(f, msg ? msg : "", 0);
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (strcmp(key, "ts") == 0 || strcmp(key, "level") == 0 || strcmp(key, "service") == 0 ||
            strcmp(key, "event") == 0 || strcmp(key, "msg") == 0)
            continue;
        fprintf(f, " %s=", key);
        if (json_is_string(val)) {
            text_append_value(f, json_string_value(val), 1);
        } else {
            char *d = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
            if (d != NULL)
                fputs(d, f);
            free(d);
        }
    }
    if (fclose(f) != 0) {
        free(line);
        return NULL;
    }
    return line;
}

/* ---- JSON lines written directly ------------------------------------------
 * The same bytes json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(6)) gives for
 * the object build_line_obj() would build, without building it: the access
 * log runs on every request and the jansson round trip was a sixth of the
 * gateway's CPU per request. */

/* A growing line; it may start in the caller's (stack) buffer, and moves to
 * the heap (heap = 1) only when it outgrows it. */
struct jbuf {
    char *p;
    size_t len, cap;
    int failed, heap;
};

/* Room for n more bytes and the NUL; 0, or -1 (b->failed) when memory ran out. */
static int jb_reserve(struct jbuf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = b->heap ? realloc(b->p, cap) : malloc(cap);
        if (np == NULL) {
            b->failed = 1;
            return -1;
        }
        if (!b->heap && b->len > 0)
            memcpy(np, b->p, b->len);
        b->p = np;
        b->cap = cap;
        b->heap = 1;
    }
    return 0;
}

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
    if (jb_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void jb_puts(struct jbuf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at p (the rules of safe_string and of
 * jansson: no overlongs, no surrogates, nothing above U+10FFFF), 0 if none. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n = c < 0x80                 ? 1
               : c >= 0xc2 && c <= 0xdf ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    for (size_t k = 1; k < n; k++)
        if ((p[k] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
        return 0;
    if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
        return 0;
    return n;
}

/* 1 when none of the 8 bytes at p needs a look of its own: no control
 * character, '"', '\\' or byte above 0x7f (each test is exact for "some byte
 * is…": a subtraction borrows only out of a byte that matched). */
static int plain8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t x, q, bs;
    memcpy(&x, p, sizeof(x));
    q = x ^ (ones * '"');
    bs = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs) | x) & highs ? 0 : 1;
}

/* The length of the prefix of s that JSON takes as it is (printable ASCII
 * but '"' and '\\'). */
static size_t plain_prefix(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i + 8 <= len && plain8(s + i))
        i += 8;
    while (i < len && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/* pre, then s in quotes, then post (each of pre/post one byte or none):
 * one copy, for a string that needs no escape. */
static void jb_quoted(struct jbuf *b, char pre, const char *s, size_t len, char post)
{
    if (jb_reserve(b, len + 4) != 0)
        return;
    char *w = b->p + b->len;
    if (pre != '\0')
        *w++ = pre;
    *w++ = '"';
    memcpy(w, s, len);
    w += len;
    *w++ = '"';
    if (post != '\0')
        *w++ = post;
    *w = '\0';
    b->len = (size_t)(w - b->p);
}

/* A JSON string as jansson dumps it; invalid UTF-8 becomes U+FFFD (safe_string). */
static void jb_string(struct jbuf *b, const char *s, size_t len)
{
    size_t plain = plain_prefix((const unsigned char *)s, len);
    if (plain == len) {
        jb_quoted(b, '\0', s, len, '\0');
        return;
    }
    const unsigned char *p = (const unsigned char *)s + plain, *end = p + (len - plain),
                        *run = (const unsigned char *)s;
    jb_put(b, "\"", 1);
    while (p < end) {
        if (end - p >= 8 && plain8(p)) {
            p += 8;
            continue;
        }
        unsigned c = *p;
        const char *esc = NULL;
        char seq[8];
        size_t n = 1;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0x80 && (n = utf8_seq(p)) != 0 && p + n <= end) {
            p += n;
            continue;
        }
        jb_put(b, (const char *)run, (size_t)(p - run));
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                snprintf(seq, sizeof(seq), "\\u%04X", c);
                esc = seq;
            } else {
                esc = "\xef\xbf\xbd"; /* U+FFFD REPLACEMENT CHARACTER */
            }
        }
        jb_puts(b, esc);
        p++;
        run = p;
    }
    jb_put(b, (const char *)run, (size_t)(p - run));
    jb_put(b, "\"", 1);
}

static void jb_cstring(struct jbuf *b, const char *s)
{
    if (s == NULL)
        jb_put(b, "null", 4);
    else
        jb_string(b, s, strlen(s));
}

/* jansson's real format: "%.6g", at least one '.' or 'e', no '+' and no
 * leading zeros in the exponent. */
static void jb_real(struct jbuf *b, double v)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%.6g", v);
    if (n < 0 || (size_t)n >= sizeof(buf) - 3)
        return;
    size_t len = (size_t)n;
    if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    char *start = strchr(buf, 'e');
    if (start != NULL) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - buf) + 1);
            len -= (size_t)(end - start);
        }
    }
    jb_put(b, buf, len);
}

static void jb_value(struct jbuf *b, json_t *v)
{
    char num[32];
    switch (json_typeof(v)) {
    case JSON_STRING:
        jb_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        jb_puts(b, num);
        break;
    case JSON_REAL:
        jb_real(b, json_real_value(v));
        break;
    case JSON_TRUE:
        jb_puts(b, "true");
        break;
    case JSON_FALSE:
        jb_puts(b, "false");
        break;
    case JSON_NULL:
        jb_puts(b, "null");
        break;
    default: {
        char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
        if (d == NULL)
            b->failed = 1;
        else
            jb_puts(b, d);
        free(d);
    }
    }
}

static void jb_key(struct jbuf *b, const char *key)
{
    size_t len = strlen(key);
    char comma = b->len > 1 ? ',' : '\0';
    if (plain_prefix((const unsigned char *)key, len) == len) {
        jb_quoted(b, comma, key, len, ':');
        return;
    }
    jb_put(b, &comma, comma != '\0');
    jb_string(b, key, len);
    jb_put(b, ":", 1);
}

/* ts, level, service, event, msg, and the context's keys it sets (asked for
 * every field of every line: one comparison per key, by its first byte). */
static int is_fixed_key(const char *k, const struct log_ctx *ctx)
{
    switch (k[0]) {
    case 't':
        return strcmp(k, "ts") == 0 ||
               (ctx != NULL && ctx->tenant_id != NULL && strcmp(k, "tenant_id") == 0);
    case 'l':
        return strcmp(k, "level") == 0;
    case 's':
        return strcmp(k, "service") == 0;
    case 'e':
        return strcmp(k, "event") == 0;
    case 'm':
        return strcmp(k, "msg") == 0;
    case 'r':
        return ctx != NULL && ctx->request_id != NULL && strcmp(k, "request_id") == 0;
    case 'u':
        return ctx != NULL && ctx->user_id != NULL && strcmp(k, "user_id") == 0;
    default:
        return 0;
    }
}

/* The fields of one entry besides the fixed ones: a jansson object
 * (log_fields) or an array (log_kv); either may be empty. */
struct fields {
    json_t *obj;
    const struct log_field *kv;
    size_t n;
};

static void jb_field(struct jbuf *b, const struct log_field *f)
{
    char num[32];
    switch (f->type) {
    case LOG_F_STR:
        jb_cstring(b, f->s);
        break;
    case LOG_F_INT:
        jb_put(b, num, fmt_int(num, f->i));
        break;
    case LOG_F_MS:
        jb_put(b, num, fmt_ms(num, f->i));
        break;
    }
}

/* The "msg" of the fields, when it is a string: its field (kv) or value (obj). */
static const struct log_field *kv_msg(const struct fields *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->kv[i].key, "msg") == 0)
            return fs->kv[i].type == LOG_F_STR && fs->kv[i].s != NULL ? &fs->kv[i] : NULL;
    return NULL;
}

/* The array as a jansson object (text mode). */
static json_t *kv_object(const struct fields *fs)
{
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < fs->n; i++) {
        const struct log_field *f = &fs->kv[i];
        json_t *v = f->type == LOG_F_INT  ? json_integer(f->i)
                    : f->type == LOG_F_MS ? json_real((double)f->i / 1e3)
                    : f->s != NULL        ? safe_string(f->s)
                                          : json_null();
        json_object_set_new(o, f->key, v);
    }
    return o;
}

/* The JSON line of one entry into b; 0, or -1 when memory ran out (b is
 * then released). */
static int build_json_line(struct jbuf *bp, int level, const struct log_ctx *ctx, const char *event,
                           const char *msg, const struct fields *fs, const char *service)
{
    json_t *fields = fs->obj;
    const struct log_field *kmsg = kv_msg(fs);
    struct jbuf b = *bp;
    char ts[40];
    clock_rfc3339(ts, sizeof(ts));
    jb_put(&b, "{", 1);
    jb_key(&b, "ts");
    jb_cstring(&b, ts);
    jb_key(&b, "level");
    jb_cstring(&b, level_names[clamp_level(level)]);
    jb_key(&b, "service");
    jb_cstring(&b, service);
    jb_key(&b, "event");
    jb_cstring(&b, event ? event : "log");
    json_t *fmsg = fields ? json_object_get(fields, "msg") : NULL;
    jb_key(&b, "msg");
    if (msg != NULL)
        jb_cstring(&b, msg);
    else if (json_is_string(fmsg))
        jb_value(&b, fmsg);
    else if (kmsg != NULL)
        jb_field(&b, kmsg);
    else
        jb_cstring(&b, event ? event : "");
    if (ctx != NULL) {
        if (ctx->request_id != NULL) {
            jb_key(&b, "request_id");
            jb_cstring(&b, ctx->request_id);
        }
        if (ctx->tenant_id != NULL) {
            jb_key(&b, "tenant_id");
            jb_cstring(&b, ctx->tenant_id);
        }
        if (ctx->user_id != NULL) {
            jb_key(&b, "user_id");
            jb_cstring(&b, ctx->user_id);
        }
    }
    if (json_is_object(fields)) {
        const char *key;
        json_t *val;
        json_object_foreach(fields, key, val)
        {
            if (is_fixed_key(key, ctx))
                continue; /* never overrides the keys above */
            jb_key(&b, key);
            jb_value(&b, val);
        }
    }
    for (size_t i = 0; i < fs->n; i++) {
        if (is_fixed_key(fs->kv[i].key, ctx))
            continue;
        jb_key(&b, fs->kv[i].key);
        jb_field(&b, &fs->kv[i]);
    }
    jb_put(&b, "}", 1);
    if (b.failed && b.heap)
        free(b.p);
    *bp = b;
    return b.failed ? -1 : 0;
}

/* Builds the line for one entry (fields borrowed, may be NULL). Caller frees. */
static char *build_line(int level, const struct log_ctx *ctx, const char *event, const char *msg,
                        const struct fields *fs, const char *service)
{
    char ts[40];
    char *line = NULL;
    if (log_state.json) {
        struct jbuf b = {0};
        return build_json_line(&b, level, ctx, event, msg, fs, service) == 0 ? b.p : NULL;
    }
    json_t *fields = fs->n > 0 ? kv_object(fs) : fs->obj;
    json_t *obj = json_object();
    if (obj == NULL || (fs->n > 0 && fields == NULL)) {
        json_decref(obj);
        if (fs->n > 0)
            json_decref(fields);
        return NULL;
    }
    clock_rfc3339(ts, sizeof(ts));
    set_str(obj, "ts", ts);
    set_str(obj, "level", level_names[clamp_level(level)]);
    set_str(obj, "service", service);
    set_str(obj, "event", event ? event : "log");
    json_t *fmsg = fields ? json_object_get(fields, "msg") : NULL;
    if (msg != NULL)
        set_str(obj, "msg", msg);
    else if (json_is_string(fmsg))
        json_object_set(obj, "msg", fmsg);
    else
        set_str(obj, "msg", event ? event : "");
    if (ctx != NULL) {
        if (ctx->request_id != NULL)
            set_str(obj, "request_id", ctx->request_id);
        if (ctx->tenant_id != NULL)
            set_str(obj, "tenant_id", ctx->tenant_id);
        if (ctx->user_id != NULL)
            set_str(obj, "user_id", ctx->user_id);
    }
    if (json_is_object(fields))
        json_object_update_missing(obj, fields); /* never overrides the keys above */
    line = render_text(obj);
    json_decref(obj);
    if (fs->n > 0)
        json_decref(fields);
    return line;
}

/* Hands one of our lines to yder (or writes it directly before log_init()). */
static void emit(int level, const struct log_ctx *ctx, const char *event, const char *msg,
                 const struct fields *fs)
{
    /* Written directly: the level is already filtered (yder's level is the
     * same), and through yder the finished line was formatted once more into
     * a new buffer only to come back to log_yder_cb. A JSON line is built on
     * the stack unless it is long (the access line of every request). */
    if (log_state.json) {
        char stack[1024];
        struct jbuf b = {.p = stack, .cap = sizeof(stack)};
        if (build_json_line(&b, level, ctx, event, msg, fs, log_state.service) != 0)
            return;
        write_line(clamp_level(level), b.p);
        if (b.heap)
            free(b.p);
        return;
    }
    char *line = build_line(level, ctx, event, msg, fs, log_state.service);
    if (line == NULL)
        return;
    write_line(clamp_level(level), line);
    free(line);
}

static void log_yder_cb(void *cls, const char *app_name, const time_t date,
                        const unsigned long level, const char *message)
{
    (void)cls;
    (void)date;
    if (message == NULL)
        return;
    /* a library message: wrap it and write it here (yder already filtered it) */
    struct fields none = {0};
    char *line = build_line(from_yder_level(level), NULL, "library", message, &none,
                            app_name != NULL ? app_name : log_state.service);
    if (line != NULL)
        write_line(from_yder_level(level), line);
    free(line);
}

int log_init(const char *service, int json, int level)
{
    if (log_state.inited)
        log_close();
    snprintf(log_state.service, sizeof(log_state.service), "%s", service ? service : "valor");
    log_state.json = json ? 1 : 0;
    log_state.level = clamp_level(level);
    if (!y_init_logs(log_state.service, Y_LOG_MODE_CALLBACK, to_yder_level(log_state.level), NULL,
                     NULL))
        return VALOR_E_INTERNAL;
    if (!y_set_logs_callback(log_yder_cb, NULL, NULL)) {
        y_close_logs();
        return VALOR_E_INTERNAL;
    }
    log_state.inited = 1;
    pthread_once(&lb_once, lb_init_once);
    pthread_mutex_lock(&lb.lock);
    lb.batching = 1;
    pthread_mutex_unlock(&lb.lock);
    return VALOR_OK;
}

void log_close(void)
{
    if (!log_state.inited)
        return;
    pthread_mutex_lock(&lb.lock);
    lb.batching = 0;
    int join = lb.running;
    lb.stop = 1;
    lb.running = 0;
    pthread_cond_signal(&lb.cv);
    flush_locked();
    pthread_mutex_unlock(&lb.lock);
    if (join)
        pthread_join(lb.flusher, NULL);
    y_close_logs();
    log_state.inited = 0;
}

void log_msg(int level, const struct log_ctx *ctx, const char *event, const char *fmt, ...)
{
    if (clamp_level(level) > log_state.level || fmt == NULL)
        return;
    char stackbuf[512];
    char *heap = NULL;
    const char *msg = stackbuf;
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang 14 */
    int n = vsnprintf(stackbuf, sizeof(stackbuf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(stackbuf)) {
        heap = malloc((size_t)n + 1);
        if (heap == NULL)
            return;
        va_start(ap, fmt);
        vsnprintf(heap, (size_t)n + 1, fmt, ap);
        va_end(ap);
        msg = heap;
    }
    struct fields none = {0};
    emit(level, ctx, event, msg, &none);
    free(heap);
}

void log_fields(int level, const struct log_ctx *ctx, const char *event, json_t *fields)
{
    if (clamp_level(level) > log_state.level)
        return;
    struct fields fs = {.obj = fields};
    emit(level, ctx, event, NULL, &fs);
}

void log_kv(int level, const struct log_ctx *ctx, const char *event, const struct log_field *f,
            size_t n)
{
    if (clamp_level(level) > log_state.level)
        return;
    struct fields fs = {.kv = f, .n = n};
    emit(level, ctx, event, NULL, &fs);
}
