/* The pipelined Redis limiter (rl_redis.c) against a private redis-server:
 *  - N threads × M decisions on one key and on a key each: exactly the
 *    limit allowed, and fewer batches than commands (pipelining happened);
 *  - a denylisted jti is reported revoked in batches with other commands,
 *    and its bucket is not counted;
 *  - SCRIPT FLUSH → NOSCRIPT → SCRIPT LOAD and retry, no decision fails;
 *  - Redis killed mid-load: every caller returns an error promptly;
 *    Redis SIGSTOPped: every caller returns within the timeout + margin;
 *    Redis back + gw_rl_redis_reset(): decisions succeed again;
 *  - the reply parser: partial input, wrong types, errors. */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "rl_redis.h"
#include "testutil.h"
#include "valor/err.h"
#include "valor/metrics.h"

#define TIMEOUT_MS 500
/* callers may wait for their queue turn and for their batch: 2 × the
 * timeout, plus a generous allowance for a loaded machine */
#define MARGIN_MS 3000
#define THREADS 16

static pid_t redis_pid = -1;
static int redis_port;
static char url[64];
static struct gw_rl_redis *rl;
static struct metrics_registry *reg;

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void redis_start(void)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", redis_port);
    char *const argv[] = {"redis-server", "--port", p,   "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no",     NULL};
    redis_pid = tu_spawn(argv, NULL);
    ck_assert_int_gt(redis_pid, 0);
    ck_assert_int_eq(tu_wait_port(redis_port, 30000), 0);
}

static redisReply *redis_cmd(const char *fmt, const char *arg)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
    ck_assert(c != NULL && c->err == 0);
    redisReply *r = arg != NULL ? redisCommand(c, fmt, arg) : redisCommand(c, fmt);
    ck_assert_ptr_nonnull(r);
    redisFree(c);
    return r;
}

static void setup(void)
{
    redis_port = tu_free_port();
    redis_start();
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", redis_port);
    reg = metrics_registry_new();
    ck_assert_ptr_nonnull(reg);
    ck_assert_int_eq(gw_rl_redis_new(url, TIMEOUT_MS, 2, reg, &rl), VALOR_OK);
    ck_assert_int_eq(gw_rl_redis_load(rl), VALOR_OK);
}

static void teardown(void)
{
    gw_rl_redis_free(rl);
    rl = NULL;
    metrics_registry_free(reg);
    reg = NULL;
    if (redis_pid > 0) {
        kill(redis_pid, SIGCONT);
        tu_stop(redis_pid, SIGTERM);
    }
    redis_pid = -1;
}

struct job {
    int id;
    int m;                      /* decisions */
    long n;                     /* limit per period */
    int shared;                 /* 1: one key for all, 0: a key per thread */
    const char *deny;           /* deny key, or NULL; odd ids only */
    atomic_int allowed, errors; /* read by the main thread while running */
    int refused, revoked;
    double slowest_ms;
    atomic_int *stop;      /* loop until *stop (m ignored) */
    double first_error_ms; /* mono time of the first error */
};

static void *worker(void *arg)
{
    struct job *j = arg;
    char key[128];
    snprintf(key, sizeof(key), "valor:rl:test:%d:%s", (int)getpid(), j->shared ? "shared" : "own");
    if (!j->shared)
        snprintf(key + strlen(key), sizeof(key) - strlen(key), ":%d", j->id);
    for (int i = 0; j->stop != NULL ? !*j->stop : i < j->m; i++) {
        struct gw_gcra g;
        int revoked = 0;
        double t0 = mono_ms();
        int rc = gw_rl_redis_check(rl, key, j->id % 2 ? j->deny : NULL, j->n, 3600 * 1000LL,
                                   &revoked, &g);
        double took = mono_ms() - t0;
        j->slowest_ms = took > j->slowest_ms ? took : j->slowest_ms;
        if (rc != VALOR_OK) {
            if (j->errors++ == 0)
                j->first_error_ms = mono_ms();
            if (j->stop != NULL)
                usleep(1000);
        } else if (revoked) {
            j->revoked++;
        } else if (g.allowed) {
            j->allowed++;
        } else {
            j->refused++;
        }
    }
    return NULL;
}

static void run(struct job *jobs, int nthreads)
{
    pthread_t t[THREADS];
    for (int i = 0; i < nthreads; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
}

START_TEST(test_exact_counts_and_batching)
{
    struct job jobs[THREADS];
    unsigned long long b0, c0, b1, c1;
    int allowed = 0, refused = 0, errors = 0;

    gw_rl_redis_stats(rl, &b0, &c0);
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < THREADS; i++)
        jobs[i] = (struct job){.id = i, .m = 50, .n = 100, .shared = 1};
    run(jobs, THREADS);
    for (int i = 0; i < THREADS; i++) {
        allowed += jobs[i].allowed;
        refused += jobs[i].refused;
        errors += jobs[i].errors;
    }
    ck_assert_int_eq(errors, 0);
    ck_assert_int_eq(allowed, 100); /* of 800 decisions on one key */
    ck_assert_int_eq(refused, THREADS * 50 - 100);

    /* a key per thread: 40 decisions under a limit of 25 → exactly 25 each */
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < THREADS; i++)
        jobs[i] = (struct job){.id = i, .m = 40, .n = 25, .shared = 0};
    run(jobs, THREADS);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(jobs[i].errors, 0);
        ck_assert_int_eq(jobs[i].allowed, 25);
        ck_assert_int_eq(jobs[i].refused, 15);
    }

    gw_rl_redis_stats(rl, &b1, &c1);
    ck_assert_uint_eq(c1 - c0, (unsigned long long)THREADS * 90);
    ck_assert_msg(b1 - b0 < c1 - c0, "%llu batches for %llu commands: no pipelining", b1 - b0,
                  c1 - c0);

    char *text = NULL;
    size_t len = 0;
    char want[96];
    ck_assert_int_eq(metrics_render(reg, &text, &len), VALOR_OK);
    snprintf(want, sizeof(want), "rate_limit_redis_commands_total %llu", c1);
    ck_assert_msg(strstr(text, want) != NULL, "no '%s' in\n%s", want, text);
    snprintf(want, sizeof(want), "rate_limit_redis_batches_total %llu", b1);
    ck_assert_msg(strstr(text, want) != NULL, "no '%s' in\n%s", want, text);
    free(text);
}
END_TEST

START_TEST(test_denylist_in_batch)
{
    char deny[128], other[128];
    struct job jobs[THREADS];
    snprintf(deny, sizeof(deny), "valor:denylist:jti:revoked-%d", (int)getpid());
    snprintf(other, sizeof(other), "valor:denylist:jti:fine-%d", (int)getpid());
    freeReplyObject(redis_cmd("SET %s 1 EX 600", deny));

    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < THREADS; i++) /* odd ids carry the revoked jti */
        jobs[i] = (struct job){.id = i, .m = 30, .n = 1000, .shared = 0, .deny = deny};
    run(jobs, THREADS);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(jobs[i].errors, 0);
        if (i % 2) {
            ck_assert_int_eq(jobs[i].revoked, 30);
            ck_assert_int_eq(jobs[i].allowed, 0);
        } else {
            ck_assert_int_eq(jobs[i].revoked, 0);
            ck_assert_int_eq(jobs[i].allowed, 30);
        }
    }
    /* a revoked token's bucket was never counted */
    char key[128];
    snprintf(key, sizeof(key), "valor:rl:test:%d:own:1", (int)getpid());
    redisReply *r = redis_cmd("EXISTS %s", key);
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);

    /* the other key on the same jti slot: not revoked */
    int revoked = 1;
    struct gw_gcra g;
    ck_assert_int_eq(gw_rl_redis_check(rl, "valor:rl:test:x", other, 10, 60000, &revoked, &g),
                     VALOR_OK);
    ck_assert_int_eq(revoked, 0);
    ck_assert(g.allowed);
}
END_TEST

START_TEST(test_noscript_recovers)
{
    struct job jobs[THREADS];
    freeReplyObject(redis_cmd("SCRIPT FLUSH", NULL));
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < THREADS; i++)
        jobs[i] = (struct job){.id = i, .m = 10, .n = 100, .shared = 1};
    run(jobs, THREADS);
    int allowed = 0;
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(jobs[i].errors, 0);
        allowed += jobs[i].allowed;
    }
    ck_assert_int_eq(allowed, 100);
    /* and the script is cached again */
    redisReply *r = redis_cmd("SCRIPT EXISTS %s", "0");
    freeReplyObject(r);
    struct gw_gcra g;
    int revoked;
    freeReplyObject(redis_cmd("SCRIPT FLUSH", NULL));
    ck_assert_int_eq(gw_rl_redis_check(rl, "valor:rl:test:single", NULL, 5, 60000, &revoked, &g),
                     VALOR_OK);
    ck_assert(g.allowed);
    ck_assert_int_eq(g.remaining, 4);
}
END_TEST

/* Threads deciding in a loop; sig hits Redis; every thread must see an
 * error and no call may take longer than the bound. */
static void outage(int sig)
{
    struct job jobs[THREADS];
    pthread_t t[THREADS];
    atomic_int stop = 0;

    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (struct job){.id = i, .n = 1000000, .shared = i % 2};
        jobs[i].stop = &stop;
    }
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    /* mid-load: until decisions flow on every thread */
    double t0 = mono_ms();
    for (int i = 0; i < THREADS && mono_ms() - t0 < 20000; i++)
        while (jobs[i].allowed == 0 && mono_ms() - t0 < 20000)
            usleep(1000);
    double hit = mono_ms();
    ck_assert_int_eq(kill(redis_pid, sig), 0);
    if (sig == SIGKILL) {
        tu_stop(redis_pid, SIGKILL); /* reaps it */
        redis_pid = -1;
    }
    /* every thread gets an error, bounded by elapsed time */
    for (int i = 0; i < THREADS; i++)
        while (jobs[i].errors == 0 && mono_ms() - hit < 2 * TIMEOUT_MS + MARGIN_MS)
            usleep(1000);
    stop = 1;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(jobs[i].allowed > 0, "thread %d decided nothing before the outage", i);
        ck_assert_msg(jobs[i].errors > 0, "thread %d saw no error after signal %d", i, sig);
        ck_assert_msg(jobs[i].first_error_ms - hit <= 2 * TIMEOUT_MS + MARGIN_MS,
                      "thread %d: first error %.0f ms after signal %d", i,
                      jobs[i].first_error_ms - hit, sig);
        ck_assert_msg(jobs[i].slowest_ms <= 2 * TIMEOUT_MS + MARGIN_MS,
                      "thread %d: a call took %.0f ms", i, jobs[i].slowest_ms);
    }
}

/* After Redis is back: decisions succeed again once reset (bounded wait). */
static void recovers(void)
{
    struct gw_gcra g;
    int revoked = 0, rc = VALOR_E_UNAVAILABLE;
    gw_rl_redis_reset(rl);
    double t0 = mono_ms();
    while (mono_ms() - t0 < 20000) {
        rc = gw_rl_redis_check(rl, "valor:rl:test:after", NULL, 100, 60000, &revoked, &g);
        if (rc == VALOR_OK)
            break;
        usleep(50 * 1000);
    }
    ck_assert_int_eq(rc, VALOR_OK);
    ck_assert(g.allowed);
    struct job jobs[THREADS];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < THREADS; i++)
        jobs[i] = (struct job){.id = i, .m = 10, .n = 1000, .shared = 0};
    run(jobs, THREADS);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(jobs[i].errors, 0);
}

START_TEST(test_redis_killed_mid_load)
{
    outage(SIGKILL);
    redis_start(); /* same port, empty: the script must be loaded again too */
    recovers();
}
END_TEST

START_TEST(test_redis_stopped_mid_load)
{
    outage(SIGSTOP);
    ck_assert_int_eq(kill(redis_pid, SIGCONT), 0);
    recovers();
}
END_TEST

/* --- the reply parser alone --- */

static size_t take(const char *bytes, struct gw_rl_reply *res, size_t n, int *rc)
{
    redisReader *rd = gw_rl_redis_reader_new();
    struct gw_rl_reply *p[8];
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        res[i] = (struct gw_rl_reply){.kind = GW_RL_EVAL, .rc = 12345};
        p[i] = &res[i];
    }
    redisReaderFeed(rd, bytes, strlen(bytes));
    *rc = gw_rl_redis_take_replies(rd, "0123456789012345678901234567890123456789", p, n, &got);
    redisReaderFree(rd);
    return got;
}

START_TEST(test_reply_parser)
{
    struct gw_rl_reply res[4];
    int rc;

    /* two replies, the second incomplete: one taken, the other untouched */
    ck_assert_uint_eq(take("*4\r\n:1\r\n:9\r\n:100\r\n:0\r\n*4\r\n:0\r\n", res, 2, &rc), 1);
    ck_assert_int_eq(rc, VALOR_OK);
    ck_assert_int_eq(res[0].rc, VALOR_OK);
    ck_assert(res[0].g.allowed);
    ck_assert_int_eq(res[0].g.remaining, 9);
    ck_assert_int_eq(res[1].rc, 12345);
    /* revoked, refused, NOSCRIPT, wrong type, wrong size, out-of-range verdict */
    ck_assert_uint_eq(take("*4\r\n:-1\r\n:0\r\n:0\r\n:0\r\n*4\r\n:0\r\n:0\r\n:5\r\n:7\r\n"
                           "-NOSCRIPT No matching script\r\n$2\r\nhi\r\n",
                           res, 4, &rc),
                      4);
    ck_assert_int_eq(rc, VALOR_OK);
    ck_assert(res[0].rc == VALOR_OK && res[0].revoked && !res[0].g.allowed);
    ck_assert(res[1].rc == VALOR_OK && !res[1].revoked && !res[1].g.allowed);
    ck_assert_int_eq(res[1].g.retry_ms, 7);
    ck_assert(res[2].rc == VALOR_E_UNAVAILABLE && res[2].noscript);
    ck_assert(res[3].rc == VALOR_E_UNAVAILABLE && !res[3].noscript);
    ck_assert_uint_eq(take("*3\r\n:1\r\n:1\r\n:1\r\n*4\r\n:2\r\n:0\r\n:0\r\n:0\r\n"
                           "*4\r\n:1\r\n$1\r\n1\r\n:0\r\n:0\r\n",
                           res, 3, &rc),
                      3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(res[i].rc, VALOR_E_UNAVAILABLE);
    /* a huge array count is refused, not allocated (found by the fuzzer) */
    take("*999999994\r\n:1\r\n", res, 1, &rc);
    ck_assert_int_eq(rc, VALOR_E_UNAVAILABLE);
    ck_assert_int_eq(res[0].rc, 12345);
    /* garbage: a protocol error */
    take("?what\r\n", res, 1, &rc);
    ck_assert_int_eq(rc, VALOR_E_UNAVAILABLE);
    ck_assert_int_eq(res[0].rc, 12345);
}
END_TEST

START_TEST(test_frame)
{
    char buf[768];
    size_t n = gw_rl_redis_frame(buf, sizeof(buf), "abc", "k", "d", 10, 60000);
    const char want[] = "*7\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n2\r\n$1\r\nk\r\n$1\r\nd\r\n"
                        "$2\r\n10\r\n$5\r\n60000\r\n";
    ck_assert_uint_eq(n, sizeof(want) - 1);
    ck_assert(memcmp(buf, want, n) == 0);
    n = gw_rl_redis_frame(buf, sizeof(buf), "abc", "key", NULL, -3, 0);
    const char want2[] = "*6\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n1\r\n$3\r\nkey\r\n"
                         "$2\r\n-3\r\n$1\r\n0\r\n";
    ck_assert_uint_eq(n, sizeof(want2) - 1);
    ck_assert(memcmp(buf, want2, n) == 0);
    char big[800];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_uint_eq(gw_rl_redis_frame(buf, sizeof(buf), "abc", big, NULL, 1, 1), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-limiter");
    TCase *units = tcase_create("units");
    TCase *redis = tcase_create("redis");

    tcase_add_test(units, test_reply_parser);
    tcase_add_test(units, test_frame);
    suite_add_tcase(s, units);

    tcase_add_checked_fixture(redis, setup, teardown);
    tcase_set_timeout(redis, 120);
    tcase_add_test(redis, test_exact_counts_and_batching);
    tcase_add_test(redis, test_denylist_in_batch);
    tcase_add_test(redis, test_noscript_recovers);
    tcase_add_test(redis, test_redis_killed_mid_load);
    tcase_add_test(redis, test_redis_stopped_mid_load);
    suite_add_tcase(s, redis);
    return tu_run(s);
}
