#include "valor/cfg.h"
#include "valor/log.h"
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "valor/app.h"
#include "valor/clock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yder.h>

/* stdout captured through a pipe (what a container runtime gives a service)
 * drained by a reader thread for the duration of a test */
static int saved_stdout = -1;
static int cap_pipe[2] = {-1, -1};
static pthread_t cap_reader;
static char *cap_buf;
static size_t cap_len;

static void *cap_drain(void *arg)
{
    (void)arg;
    FILE *mem = open_memstream(&cap_buf, &cap_len);
    char chunk[65536];
    ssize_t n;
    while ((n = read(cap_pipe[0], chunk, sizeof(chunk))) > 0)
        fwrite(chunk, 1, (size_t)n, mem);
    fclose(mem);
    return NULL;
}

static void capture_start(void)
{
    fflush(stdout);
    ck_assert_int_eq(pipe(cap_pipe), 0);
    saved_stdout = dup(STDOUT_FILENO);
    ck_assert_int_ge(dup2(cap_pipe[1], STDOUT_FILENO), 0);
    close(cap_pipe[1]);
    ck_assert_int_eq(pthread_create(&cap_reader, NULL, cap_drain, NULL), 0);
}

/* Stops capturing; returns everything written (caller frees). */
static char *capture_end(void)
{
    log_flush();                       /* what is still batched belongs to this capture */
    dup2(saved_stdout, STDOUT_FILENO); /* closes the last write end: reader sees EOF */
    close(saved_stdout);
    pthread_join(cap_reader, NULL);
    close(cap_pipe[0]);
    ck_assert_ptr_nonnull(cap_buf);
    char *out = cap_buf;
    cap_buf = NULL;
    return out;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Parses a captured text that must be exactly one JSON line. */
static json_t *one_json_line(const char *out)
{
    ck_assert_msg(count_lines(out) == 1, "expected one line, got: %s", out);
    ck_assert_msg(out[strlen(out) - 1] == '\n', "line not terminated");
    json_error_t e;
    json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", e.text, out);
    ck_assert(json_is_object(j));
    return j;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    ck_assert_msg(v != NULL, "missing string field %s", k);
    return v;
}

static void assert_ts(const char *ts)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    ck_assert_msg(regexec(&re, ts, 0, NULL, 0) == 0, "bad ts %s", ts);
    regfree(&re);
}

/* clock_rfc3339 (the ts of every line) is the wall clock, whether its
 * seconds part was just formatted or reused from the thread's last call. */
START_TEST(test_timestamp_is_now)
{
    for (int i = 0; i < 3; i++) {
        struct timespec a, b;
        char ts[32];
        struct tm tm = {0};
        clock_gettime(CLOCK_REALTIME, &a);
        clock_rfc3339(ts, sizeof(ts));
        clock_gettime(CLOCK_REALTIME, &b);
        assert_ts(ts);
        ck_assert_ptr_nonnull(strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm));
        long long ms = (long long)timegm(&tm) * 1000 + atoi(ts + 20);
        ck_assert_int_ge(ms, (long long)a.tv_sec * 1000 + a.tv_nsec / 1000000);
        ck_assert_int_le(ms, (long long)b.tv_sec * 1000 + b.tv_nsec / 1000000);
    }
    char small[8];
    clock_rfc3339(small, sizeof(small));
    ck_assert_uint_eq(strlen(small), 7); /* truncated, terminated */
}
END_TEST

START_TEST(test_user_string_is_escaped_not_a_format)
{
    const char *evil = "say \"hi\"\nFAKE {\"level\":\"error\"} %s %n %x \\ \t end";
    ck_assert_int_eq(log_init("gateway", 1, CFG_LOG_INFO), 0);
    capture_start();
    log_info(NULL, "evil", "%s", evil);
    char *out = capture_end();
    log_close();
    json_t *j = one_json_line(out);
    ck_assert_str_eq(jstr(j, "msg"), evil);
    ck_assert_str_eq(jstr(j, "level"), "info");
    json_decref(j);
    free(out);
}
END_TEST

START_TEST(test_invalid_utf8_still_valid_json)
{
    ck_assert_int_eq(log_init("gateway", 1, CFG_LOG_INFO), 0);
    capture_start();
    struct log_ctx ctx = {.request_id = "r\xff", .tenant_id = NULL, .user_id = NULL};
    log_warn(&ctx, "bad_bytes", "name=%s", "caf\xe9 \xed\xa0\x80 ok");
    char *out = capture_end();
    log_close();
    json_t *j = one_json_line(out);
    ck_assert_str_eq(jstr(j, "msg"),
                     "name=caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok");
    ck_assert_str_eq(jstr(j, "request_id"), "r\xef\xbf\xbd");
    json_decref(j);
    free(out);
}
END_TEST

START_TEST(test_level_filtering)
{
    ck_assert_int_eq(log_init("auth", 1, CFG_LOG_WARNING), 0);
    capture_start();
    log_debug(NULL, "d", "debug line");
    log_info(NULL, "i", "info line");
    y_log_message(Y_LOG_LEVEL_INFO, "library info %d", 1);
    log_warn(NULL, "w", "warn line");
    log_error(NULL, "e", "error line");
    char *out = capture_end();
    log_close();
    ck_assert_uint_eq(count_lines(out), 2);
    ck_assert_ptr_null(strstr(out, "info line"));
    ck_assert_ptr_null(strstr(out, "debug line"));
    ck_assert_ptr_null(strstr(out, "library info"));
    ck_assert_ptr_nonnull(strstr(out, "\"level\":\"warning\""));
    ck_assert_ptr_nonnull(strstr(out, "\"level\":\"error\""));
    free(out);

    ck_assert_int_eq(log_init("auth", 1, CFG_LOG_DEBUG), 0);
    capture_start();
    log_debug(NULL, "d", "debug line");
    char *out2 = capture_end();
    log_close();
    json_t *j = one_json_line(out2);
    ck_assert_str_eq(jstr(j, "level"), "debug");
    json_decref(j);
    free(out2);
}
END_TEST

START_TEST(test_json_line_fields)
{
    ck_assert_int_eq(log_init("runs", 1, CFG_LOG_INFO), 0);
    capture_start();
    struct log_ctx ctx = {.request_id = "req-42", .tenant_id = "acme", .user_id = "u-1"};
    log_info(&ctx, "startup", "listening on %s:%d", "127.0.0.1", 5003);
    char *out = capture_end();
    log_close();
    json_t *j = one_json_line(out);
    assert_ts(jstr(j, "ts"));
    ck_assert_str_eq(jstr(j, "level"), "info");
    ck_assert_str_eq(jstr(j, "service"), "runs");
    ck_assert_str_eq(jstr(j, "event"), "startup");
    ck_assert_str_eq(jstr(j, "msg"), "listening on 127.0.0.1:5003");
    ck_assert_str_eq(jstr(j, "request_id"), "req-42");
    ck_assert_str_eq(jstr(j, "tenant_id"), "acme");
    ck_assert_str_eq(jstr(j, "user_id"), "u-1");
    json_decref(j);
    free(out);
}
END_TEST

START_TEST(test_log_fields_access_line)
{
    ck_assert_int_eq(log_init("gateway", 1, CFG_LOG_INFO), 0);
    json_t *f =
        json_pack("{s:s, s:s, s:i, s:f, s:s, s:s}", "method", "GET", "route", "/api/runs/{run_id}",
                  "status", 200, "duration_ms", 1.5, "level", "spoofed", "service", "spoofed");
    struct log_ctx ctx = {.request_id = "rid", .tenant_id = "t1", .user_id = NULL};
    capture_start();
    log_fields(CFG_LOG_INFO, &ctx, "request", f);
    char *out = capture_end();
    log_close();
    json_t *j = one_json_line(out);
    ck_assert_str_eq(jstr(j, "event"), "request");
    ck_assert_str_eq(jstr(j, "level"), "info");      /* not overridden by the fields */
    ck_assert_str_eq(jstr(j, "service"), "gateway"); /* idem */
    ck_assert_str_eq(jstr(j, "method"), "GET");
    ck_assert_str_eq(jstr(j, "route"), "/api/runs/{run_id}");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 200);
    ck_assert_str_eq(jstr(j, "request_id"), "rid");
    ck_assert_str_eq(jstr(j, "tenant_id"), "t1");
    ck_assert_ptr_null(json_object_get(j, "user_id"));
    ck_assert_ptr_nonnull(json_object_get(j, "msg"));
    ck_assert_int_eq(json_object_get(f, "level") != NULL, 1); /* fields borrowed, intact */
    json_decref(f);
    json_decref(j);
    free(out);
}
END_TEST

/* Reals in log_fields are written as jansson writes them ("%.6g", a '.' or
 * an exponent always); LOG_F_MS keeps every microsecond whatever the size. */
START_TEST(test_reals_and_milliseconds)
{
    static const double reals[] = {1.25e-7, 3.0, 0.1, -0.5, 123456789.0, 1e21, 2.5e-300};
    ck_assert_int_eq(log_init("gateway", 1, CFG_LOG_INFO), 0);
    for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
        json_t *f = json_pack("{s:f}", "r", reals[i]);
        char *want = json_dumps(f, JSON_COMPACT | JSON_REAL_PRECISION(6));
        capture_start();
        log_fields(CFG_LOG_INFO, NULL, "x", f);
        char *out = capture_end();
        ck_assert_msg(strstr(out, want + 1) != NULL, "%s not in %s", want, out);
        free(out);
        free(want);
        json_decref(f);
    }
    const struct log_field kv[] = {
        {.key = "a", .type = LOG_F_MS, .i = 12345678901LL},
        {.key = "b", .type = LOG_F_MS, .i = 50},
    };
    capture_start();
    log_kv(CFG_LOG_INFO, NULL, "x", kv, 2);
    char *out = capture_end();
    log_close();
    ck_assert_ptr_nonnull(strstr(out, "\"a\":12345678.901,\"b\":0.05}"));
    free(out);
}
END_TEST

/* The line after its ts (the only part two calls may not share). */
static const char *after_ts(const char *line, int json)
{
    const char *p = json ? strstr(line, "\"level\"") : strchr(line, ' ');
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Strings escaped as jansson escapes them, whatever the position of the
 * byte to escape in the 8-byte steps of the fast path. */
START_TEST(test_strings_escaped_as_jansson)
{
    static const char *const pieces[] = {
        "x",    "x",    "x",    "x", "x", "\"",       "\\",           "\n",
        "\x01", "\x1f", "\x7f", " ", "/", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    char str[200];
    srand(5);
    ck_assert_int_eq(log_init("gateway", 1, CFG_LOG_INFO), 0);
    for (int i = 0; i < 2000; i++) {
        size_t n = 0;
        for (int k = rand() % 40; k > 0; k--) {
            const char *pc = pieces[rand() % (int)(sizeof(pieces) / sizeof(pieces[0]))];
            memcpy(str + n, pc, strlen(pc));
            n += strlen(pc);
        }
        str[n] = '\0';
        json_t *js = json_stringn(str, n);
        ck_assert_ptr_nonnull(js);
        char *want = json_dumps(js, JSON_ENCODE_ANY);
        const struct log_field kv[] = {{.key = "s", .s = str}};
        capture_start();
        log_kv(CFG_LOG_INFO, NULL, "x", kv, 1);
        char *line = capture_end();
        const char *got = strstr(line, "\"s\":");
        ck_assert_ptr_nonnull(got);
        ck_assert_msg(strncmp(got + 4, want, strlen(want)) == 0 && got[4 + strlen(want)] == '}',
                      "%s: want %s", line, want);
        free(line);
        free(want);
        json_decref(js);
    }
    log_close();
}
END_TEST

/* log_kv writes what log_fields writes for the same fields, in both modes. */
START_TEST(test_log_kv_same_as_log_fields)
{
    for (int json = 0; json <= 1; json++) {
        ck_assert_int_eq(log_init("gateway", json, CFG_LOG_INFO), 0);
        const struct log_field kv[] = {
            {.key = "msg", .s = "GET /api/runs 200"},
            {.key = "level", .s = "spoofed"},
            {.key = "tenant_id", .s = NULL},
            {.key = "route", .s = "/api/runs/{run_id} \"q\"\n\t\x01 \xc3\xa9"},
            {.key = "status", .type = LOG_F_INT, .i = -200},
            {.key = "duration_ms", .type = LOG_F_MS, .i = 1250},
            {.key = "upstream_ms", .type = LOG_F_MS, .i = 3000},
            {.key = "big", .type = LOG_F_INT, .i = 9007199254740993LL},
        };
        json_t *f =
            json_pack("{s:s, s:s, s:n, s:s, s:i, s:f, s:f, s:I}", "msg", kv[0].s, "level",
                      "spoofed", "tenant_id", "route", kv[3].s, "status", -200, "duration_ms", 1.25,
                      "upstream_ms", 3.0, "big", (json_int_t)9007199254740993LL);
        ck_assert_ptr_nonnull(f);
        struct log_ctx ctx = {.request_id = "rid", .tenant_id = NULL, .user_id = "u"};
        capture_start();
        log_fields(CFG_LOG_INFO, &ctx, "request", f);
        char *a = capture_end();
        capture_start();
        log_kv(CFG_LOG_INFO, &ctx, "request", kv, sizeof(kv) / sizeof(kv[0]));
        char *b = capture_end();
        log_close();
        ck_assert_uint_eq(count_lines(a), 1);
        ck_assert_str_eq(after_ts(b, json), after_ts(a, json));
        json_decref(f);
        free(a);
        free(b);
    }
}
END_TEST

/* A string that is not UTF-8 still gives a valid JSON line (U+FFFD), and the
 * fields below the level are not written. */
START_TEST(test_log_kv_invalid_utf8_and_level)
{
    ck_assert_int_eq(log_init("gateway", 1, CFG_LOG_WARNING), 0);
    const struct log_field kv[] = {{.key = "client", .s = "a\xff\xc3(b"}};
    capture_start();
    log_kv(CFG_LOG_INFO, NULL, "request", kv, 1);
    log_kv(CFG_LOG_WARNING, NULL, "request", kv, 1);
    char *out = capture_end();
    log_close();
    json_t *j = one_json_line(out);
    ck_assert_str_eq(jstr(j, "client"), "a\xef\xbf\xbd\xef\xbf\xbd(b");
    ck_assert_str_eq(jstr(j, "msg"), "request");
    json_decref(j);
    free(out);
}
END_TEST

START_TEST(test_library_messages_wrapped)
{
    ck_assert_int_eq(log_init("deals", 1, CFG_LOG_INFO), 0);
    capture_start();
    y_log_message(Y_LOG_LEVEL_ERROR, "ulfius: bind failed on port %d \"x\"", 80);
    char *out = capture_end();
    log_close();
    json_t *j = one_json_line(out);
    assert_ts(jstr(j, "ts"));
    ck_assert_str_eq(jstr(j, "level"), "error");
    ck_assert_str_eq(jstr(j, "service"), "deals");
    ck_assert_str_eq(jstr(j, "event"), "library");
    ck_assert_str_eq(jstr(j, "msg"), "ulfius: bind failed on port 80 \"x\"");
    json_decref(j);
    free(out);
}
END_TEST

START_TEST(test_text_mode)
{
    ck_assert_int_eq(log_init("auth", 0, CFG_LOG_INFO), 0);
    struct log_ctx ctx = {.request_id = "rid-1", .tenant_id = NULL, .user_id = NULL};
    capture_start();
    log_warn(&ctx, "login_failed", "bad password for %s", "bob\nINFO forged");
    json_t *f = json_pack("{s:s, s:i}", "route", "/api/auth login", "status", 401);
    log_fields(CFG_LOG_ERROR, NULL, "request", f);
    y_log_message(Y_LOG_LEVEL_INFO, "lib says hi");
    char *out = capture_end();
    log_close();
    json_decref(f);
    ck_assert_uint_eq(count_lines(out), 3);
    regex_t re;
    ck_assert_int_eq(
        regcomp(&re,
                "^[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z WARNING auth login_failed: bad password for "
                "bob\\\\nINFO forged request_id=rid-1\n",
                REG_EXTENDED | REG_NOSUB),
        0);
    ck_assert_msg(regexec(&re, out, 0, NULL, 0) == 0, "unexpected text line: %s", out);
    regfree(&re);
    ck_assert_ptr_nonnull(strstr(out, " ERROR auth request: request route=\"/api/auth login\" "
                                      "status=401\n"));
    ck_assert_ptr_nonnull(strstr(out, " INFO auth library: lib says hi\n"));
    free(out);
}
END_TEST

/* before log_init() (a cfg_load failure) or after log_close(), lines are
 * written directly, in the last configured format */
START_TEST(test_without_yder_still_writes)
{
    ck_assert_int_eq(log_init("auth", 1, CFG_LOG_INFO), 0);
    log_close();
    capture_start();
    log_error(NULL, "config", "JWT_SECRET_KEY is not set");
    char *out = capture_end();
    json_t *j = one_json_line(out);
    ck_assert_str_eq(jstr(j, "msg"), "JWT_SECRET_KEY is not set");
    ck_assert_str_eq(jstr(j, "level"), "error");
    json_decref(j);
    free(out);
}
END_TEST

START_TEST(test_long_message)
{
    size_t n = 100000;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    ck_assert_int_eq(log_init("runs", 1, CFG_LOG_INFO), 0);
    capture_start();
    log_info(NULL, "big", "%s", big);
    char *out = capture_end();
    log_close();
    json_t *j = one_json_line(out);
    ck_assert_uint_eq(strlen(jstr(j, "msg")), n);
    json_decref(j);
    free(out);
    free(big);
}
END_TEST

#define THREADS 4
#define PER_THREAD 2000

static void *log_worker(void *arg)
{
    long id = (long)arg;
    struct log_ctx ctx = {.request_id = "thread", .tenant_id = NULL, .user_id = NULL};
    for (int i = 0; i < PER_THREAD; i++)
        log_info(&ctx, "spam", "thread %ld line %d %s", id, i,
                 "padding-padding-padding-padding-padding-padding-padding-padding");
    return NULL;
}

START_TEST(test_threads_never_interleave)
{
    pthread_t t[THREADS];
    ck_assert_int_eq(log_init("runs", 1, CFG_LOG_INFO), 0);
    capture_start();
    for (long i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, log_worker, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *out = capture_end();
    log_close();
    ck_assert_uint_eq(count_lines(out), THREADS * PER_THREAD);
    char *save = NULL;
    size_t parsed = 0;
    for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(l, 0, NULL);
        ck_assert_msg(j != NULL, "corrupt line: %s", l);
        ck_assert_str_eq(jstr(j, "event"), "spam");
        json_decref(j);
        parsed++;
    }
    ck_assert_uint_eq(parsed, THREADS * PER_THREAD);
    free(out);
}
END_TEST

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Reads fd until EOF or until `needle` count lines are in; hang guard only. */
static char *read_until(int fd, size_t want_lines, double guard_ms)
{
    size_t cap = 1 << 20, len = 0;
    char *out = calloc(1, cap);
    double t0 = now_ms();
    ck_assert_ptr_nonnull(out);
    while (count_lines(out) < want_lines && now_ms() - t0 < guard_ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = read(fd, out + len, cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        out[len] = '\0';
        ck_assert_uint_lt(len, cap - 1);
    }
    return out;
}

#define SHUTDOWN_LINES 3000

/* A process that logged lines just before SIGTERM (the way every service
 * waits for it: app_wait_signal(), then its stop ends in log_close()) has
 * every one of them in its output, though most were still batched. */
START_TEST(test_lines_survive_sigterm)
{
    char path[64];
    int ready[2];
    snprintf(path, sizeof(path), "/tmp/valor-test-log-%d.out", (int)getpid());
    /* a file, not a pipe: nobody has to read while the child logs */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pipe(ready), 0);
    fflush(stdout);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
        close(ready[0]);
        if (app_signals_init() != 0 || log_init("gateway", 1, CFG_LOG_INFO) != 0)
            _exit(3);
        for (int i = 0; i < SHUTDOWN_LINES; i++)
            log_info(NULL, "request", "line %d", i);
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        if (app_wait_signal() != SIGTERM)
            _exit(5);
        log_close();
        exit(0);
    }
    close(fd);
    close(ready[1]);
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    char *got = read_until(fd, SHUTDOWN_LINES, 30000);
    close(fd);
    unlink(path);
    ck_assert_uint_eq(count_lines(got), SHUTDOWN_LINES);
    char want[64];
    for (int i = 0; i < SHUTDOWN_LINES; i += 499) {
        snprintf(want, sizeof(want), "\"msg\":\"line %d\"}", i);
        ck_assert_msg(strstr(got, want) != NULL, "line %d missing", i);
    }
    snprintf(want, sizeof(want), "\"msg\":\"line %d\"}", SHUTDOWN_LINES - 1);
    ck_assert_msg(strstr(got, want) != NULL, "the last line is missing");
    free(got);
    close(ready[0]);
}
END_TEST

/* One info line and nothing after it: the flusher writes it on its own
 * (within 100 ms by design; the wait here is only a hang guard). */
START_TEST(test_single_line_flushed_without_more_logging)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    ck_assert_int_ge(dup2(p[1], STDOUT_FILENO), 0);
    close(p[1]);
    ck_assert_int_eq(log_init("runs", 1, CFG_LOG_INFO), 0);
    log_info(NULL, "request", "the only line");
    char *got = read_until(p[0], 1, 10000);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    log_close();
    close(p[0]);
    json_t *j = one_json_line(got);
    ck_assert_str_eq(jstr(j, "msg"), "the only line");
    json_decref(j);
    free(got);
}
END_TEST

/* An error line is written at once, after what was batched before it. */
START_TEST(test_error_line_immediate_and_in_order)
{
    ck_assert_int_eq(log_init("runs", 1, CFG_LOG_INFO), 0);
    capture_start();
    log_info(NULL, "request", "first");
    log_error(NULL, "boom", "second");
    /* no log_flush(): the error line flushed the info line before itself */
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    pthread_join(cap_reader, NULL);
    close(cap_pipe[0]);
    char *out = cap_buf;
    cap_buf = NULL;
    log_close();
    ck_assert_uint_eq(count_lines(out), 2);
    char *a = strstr(out, "\"first\""), *b = strstr(out, "\"second\"");
    ck_assert(a != NULL && b != NULL && a < b);
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *neg = tcase_create("escaping");
    tcase_set_timeout(neg, 20);
    tcase_add_test(neg, test_user_string_is_escaped_not_a_format);
    tcase_add_test(neg, test_invalid_utf8_still_valid_json);
    tcase_add_test(neg, test_level_filtering);
    suite_add_tcase(s, neg);

    TCase *tc = tcase_create("lines");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_json_line_fields);
    tcase_add_test(tc, test_log_fields_access_line);
    tcase_add_test(tc, test_log_kv_same_as_log_fields);
    tcase_add_test(tc, test_reals_and_milliseconds);
    tcase_add_test(tc, test_strings_escaped_as_jansson);
    tcase_add_test(tc, test_timestamp_is_now);
    tcase_add_test(tc, test_log_kv_invalid_utf8_and_level);
    tcase_add_test(tc, test_library_messages_wrapped);
    tcase_add_test(tc, test_text_mode);
    tcase_add_test(tc, test_without_yder_still_writes);
    tcase_add_test(tc, test_long_message);
    tcase_add_test(tc, test_threads_never_interleave);
    tcase_add_test(tc, test_lines_survive_sigterm);
    tcase_add_test(tc, test_single_line_flushed_without_more_logging);
    tcase_add_test(tc, test_error_line_immediate_and_in_order);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
