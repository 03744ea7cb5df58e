/* Idle shutdown: each real binary (the four services and the gateway,
 * from ../bin beside this test program, or $VALOR_BINDIR) is started
 * against the test stack, waited for until it is ready and its background
 * threads are in their steady state, left with one idle keep-alive client
 * connection, and sent SIGTERM. It must exit 0 within 200 ms.
 *
 * Why 200 ms is a property of the code and not of the machine: when nothing
 * is in flight, no thread of a stopping process waits on a timer any more.
 * Every wait is ended by the stop itself — condition variables broadcast
 * (outbox publisher, stream ensurer, revocation feed, re-seeder, resolver,
 * websocket subscriber), the audit consumer's pending JetStream fetch ends
 * because its subscription is closed, MHD's workers are woken through its
 * inter-thread channel — so the exit is a few thread joins, one outbox query
 * and the NATS close: about 10–20 ms on a busy 2-core machine. Before, the
 * audit consumer's 500 ms fetch wait alone made svc-auth take 350–450 ms.
 * A process that regressed to waiting for a timer misses the bound on any
 * machine. The drain under load (SHUTDOWN_GRACE_S) is tests/faults/50_sigterm.sh.
 *
 * This is the only timing assertion; the waits before it are conditions with
 * hang guards (docs/testing.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"

#define SHUTDOWN_BOUND_MS 200.0
#define READY_GUARD_MS 60000 /* hang guard for start-up, not a speed limit */
#define EXIT_GUARD_MS 10000  /* hang guard for the exit */

struct component {
    const char *bin;
    const char *ready_path; /* 200 once its dependencies are connected */
    const char *log_needle; /* a log line that says the steady state began, or NULL */
    const char *metric;     /* a metric line ("name value") that must read 1, or NULL */
};

static const struct component components[] = {
    /* svc-auth: the audit consumer's fetch is waiting once it subscribed, and
     * the start-up re-seed of an empty Redis is over (that is work, not idle) */
    {"svc-auth", "/ready", "durable consumer", "revocation_redis_seeded "},
    {"svc-runs", "/ready", NULL, NULL},
    {"svc-financial", "/ready", NULL, NULL},
    {"svc-deals", "/ready", NULL, NULL},
    /* the gateway: its event feed subscribed (websocket status "connected") */
    {"gateway", "/api/health", NULL, NULL},
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void bin_path(const char *name, char *out, size_t len)
{
    const char *dir = getenv("VALOR_BINDIR");
    char exe[PATH_MAX];
    if (dir != NULL && *dir != '\0') {
        snprintf(out, len, "%s/%s", dir, name);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    /* build/<mode>/tests/common-test_shutdown → build/<mode>/bin/<name> */
    snprintf(out, len, "%s/../bin/%s", dirname(exe), name);
}

static int http_status(int port, const char *path, char **body)
{
    struct tu_http_resp r;
    char url[128];
    int status;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    tu_http("GET", url, NULL, NULL, &r);
    status = (int)r.status;
    if (body != NULL)
        *body = r.body != NULL ? strdup(r.body) : NULL;
    tu_http_resp_free(&r);
    return status;
}

static int file_contains(const char *path, const char *needle)
{
    char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n;
    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strstr(buf, needle) != NULL;
}

static int ws_connected(int port)
{
    char *body = NULL;
    int ok = 0;
    if (http_status(port, "/api/websocket/status", &body) == 200 && body != NULL) {
        json_t *j = json_loads(body, 0, NULL);
        ok = json_is_true(json_object_get(json_object_get(j, "data"), "connected"));
        json_decref(j);
    }
    free(body);
    return ok;
}

/* One keep-alive request answered, the connection left open and idle. */
static int idle_keepalive(int port, const char *path)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char req[256], buf[4096];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    ssize_t got = read(fd, buf, sizeof(buf) - 1); /* a small answer: one read holds its head */
    ck_assert_int_gt(got, 12);
    buf[got] = '\0';
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "keep-alive request: %.40s", buf);
    return fd;
}

START_TEST(test_idle_sigterm_exits_0_within_200ms)
{
    const struct component *c = &components[_i];
    char bin[PATH_MAX], log[96], port_s[16], up[4][64];
    char *argv[] = {bin, NULL};
    int port = tu_free_port();

    tu_env("DATABASE_URL");
    tu_env("REDIS_URL");
    tu_env("NATS_URL");
    bin_path(c->bin, bin, sizeof(bin));
    ck_assert_msg(access(bin, X_OK) == 0, "%s is not built", bin);
    snprintf(port_s, sizeof(port_s), "%d", port);
    snprintf(log, sizeof(log), "/tmp/valor-test-shutdown-%d-%s.log", (int)getpid(), c->bin);
    unlink(log);
    setenv("PORT", port_s, 1);
    setenv("HOST", "127.0.0.1", 1);
    setenv("LOG_LEVEL", "INFO", 1); /* the steady-state line is at INFO */
    /* the gateway's upstreams: nothing listens there, the gateway does not care when idle */
    for (int i = 0; i < 4; i++)
        snprintf(up[i], sizeof(up[i]), "http://127.0.0.1:%d", tu_free_port());
    setenv("AUTH_SERVICE_URL", up[0], 1);
    setenv("RUNS_SERVICE_URL", up[1], 1);
    setenv("FINANCIAL_SERVICE_URL", up[2], 1);
    setenv("DEALS_SERVICE_URL", up[3], 1);
    /* Under AddressSanitizer the leak check at exit scans the heap, which
     * takes longer than the shutdown itself; leaks are the other tests' job. */
    if (getenv("ASAN_OPTIONS") != NULL) {
        char opts[512];
        snprintf(opts, sizeof(opts), "%s:detect_leaks=0", getenv("ASAN_OPTIONS"));
        setenv("ASAN_OPTIONS", opts, 1);
    }

    pid_t pid = tu_spawn(argv, log);
    ck_assert_int_gt(pid, 0);
    int pidfd = (int)pidfd_open(pid, 0);
    ck_assert_int_ge(pidfd, 0);

    /* ready: a condition, polled (docs/testing.md rule 2) */
    double t0 = now_ms();
    int ready = 0;
    while (!ready && now_ms() - t0 < READY_GUARD_MS) {
        struct pollfd pf = {.fd = pidfd, .events = POLLIN};
        ck_assert_msg(poll(&pf, 1, 0) == 0, "%s exited during start-up (log %s)", c->bin, log);
        ready = http_status(port, c->ready_path, NULL) == 200 &&
                (c->log_needle == NULL || file_contains(log, c->log_needle)) &&
                (c->metric == NULL || tu_metric(port, c->metric) == 1.0) &&
                (strcmp(c->bin, "gateway") != 0 || ws_connected(port));
        if (!ready)
            usleep(50 * 1000);
    }
    ck_assert_msg(ready, "%s not ready (log %s)", c->bin, log);
    int keepalive = idle_keepalive(port, c->ready_path);

    double t_term = now_ms();
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    struct pollfd pf = {.fd = pidfd, .events = POLLIN};
    int polled = poll(&pf, 1, EXIT_GUARD_MS);
    double elapsed = now_ms() - t_term;
    if (polled != 1)
        kill(pid, SIGKILL);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    close(pidfd);
    close(keepalive);
    printf("%s: idle SIGTERM → exit in %.1f ms\n", c->bin, elapsed);
    ck_assert_msg(polled == 1, "%s did not exit within %d ms of SIGTERM", c->bin, EXIT_GUARD_MS);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: exit status %d (log %s)",
                  c->bin, status, log);
    ck_assert_msg(elapsed <= SHUTDOWN_BOUND_MS,
                  "%s took %.1f ms from SIGTERM to exit (bound %.0f ms; log %s)", c->bin, elapsed,
                  SHUTDOWN_BOUND_MS, log);
    unlink(log);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shutdown");
    TCase *tc = tcase_create("idle");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_idle_sigterm_exits_0_within_200ms, 0,
                        (int)(sizeof(components) / sizeof(components[0])));
    suite_add_tcase(s, tc);
    return tu_run(s);
}
