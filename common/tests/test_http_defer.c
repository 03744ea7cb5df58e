/* http: deferred answers (http_route_deferrable / http_defer / http_resume)
 * on a real server, driven by libcurl and raw sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "testutil.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/metrics.h"

#define MAX_HELD 64

static struct http_server *srv;
static struct metrics_registry *reg;

/* The deferred requests, answered by the test (any thread). */
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t held_cond = PTHREAD_COND_INITIALIZER;
static struct http_ctx *held[MAX_HELD];
static int nheld;

static void hold(struct http_ctx *ctx)
{
    pthread_mutex_lock(&held_lock);
    held[nheld++] = ctx;
    pthread_cond_broadcast(&held_cond);
    pthread_mutex_unlock(&held_lock);
}

/* Waits until n requests are held (a hang guard of 60 s fails the case). */
static void wait_held(int n)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 60;
    pthread_mutex_lock(&held_lock);
    while (nheld < n)
        ck_assert_int_eq(pthread_cond_timedwait(&held_cond, &held_lock, &dl), 0);
    pthread_mutex_unlock(&held_lock);
}

static struct http_ctx *take_held(int i)
{
    pthread_mutex_lock(&held_lock);
    struct http_ctx *ctx = held[i];
    pthread_mutex_unlock(&held_lock);
    return ctx;
}

/* The answer of a held request: its path parameter, its body, who answered. */
static void answer(struct http_ctx *ctx, const char *by)
{
    const struct _u_request *req = ctx->req;
    http_reply_json(ctx, 201,
                    json_pack("{s:s, s:s%, s:s}", "n", http_param(ctx, "n"), "body",
                              req->binary_body != NULL ? (const char *)req->binary_body : "",
                              req->binary_body_length, "by", by));
    http_resume(ctx);
}

/* GET/POST /later/:n: deferred and held; ?now=1 answers at once; ?self=1
 * defers and resumes before the handler returns. */
static void h_later(struct http_ctx *ctx)
{
    if (http_query(ctx, "now") != NULL) {
        http_reply_json(ctx, 200, json_pack("{s:s}", "now", http_param(ctx, "n")));
        return;
    }
    ck_assert_int_eq(http_defer(ctx), VALOR_OK);
    ck_assert_int_eq(http_defer(ctx), VALOR_E_INVALID); /* once */
    if (http_query(ctx, "self") != NULL)
        answer(ctx, "handler");
    else
        hold(ctx);
}

static void h_plain(struct http_ctx *ctx)
{
    ck_assert_int_eq(http_defer(ctx), VALOR_E_INVALID); /* not a deferrable route */
    http_reply_json(ctx, 200, json_pack("{s:b}", "plain", 1));
}

static void setup(void)
{
    struct http_server_opts o = {.service = "test",
                                 .bind_host = "127.0.0.1",
                                 .port = 0,
                                 .threads = 1, /* one worker: a parked thread would block all */
                                 .max_connections = 256,
                                 .connection_timeout_s = 30,
                                 .max_body_bytes = 1 << 20};
    nheld = 0;
    reg = metrics_registry_new();
    ck_assert_ptr_nonnull(reg);
    o.metrics = reg;
    ck_assert_int_eq(http_server_new(&o, &srv), VALOR_OK);
    ck_assert_int_eq(http_route_deferrable(srv, "GET", "/later/:n", h_later, NULL), VALOR_OK);
    ck_assert_int_eq(http_route_deferrable(srv, "POST", "/later/:n", h_later, NULL), VALOR_OK);
    ck_assert_int_eq(http_route(srv, "GET", "/plain", h_plain, NULL), VALOR_OK);
    ck_assert_int_eq(http_add_service_routes(srv, "9.9.9", NULL, NULL, 1), VALOR_OK);
    ck_assert_int_eq(http_server_start(srv), VALOR_OK);
}

static void teardown(void)
{
    http_server_free(srv);
    srv = NULL;
    metrics_registry_free(reg);
    reg = NULL;
}

static void url(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%d%s", http_server_port(srv), path);
}

struct call {
    char path[64];
    const char *method, *body;
    struct tu_http_resp r;
};

static void *caller(void *p)
{
    struct call *c = p;
    char u[128];
    const char *hd[] = {"Content-Type: application/json", NULL};
    url(u, sizeof(u), c->path);
    tu_http(c->method, u, c->body ? hd : NULL, c->body, &c->r);
    return NULL;
}

/* 40 requests are deferred at once on a server with one worker thread,
 * then answered from this thread in reverse order: each gets its own
 * answer, and the worker went on accepting requests meanwhile. */
START_TEST(test_many_deferred_on_one_worker)
{
    enum { N = 40 };
    static struct call c[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        snprintf(c[i].path, sizeof(c[i].path), "/later/%d", i);
        c[i].method = i % 2 ? "POST" : "GET";
        c[i].body = i % 2 ? "{\"x\":1}" : NULL;
        ck_assert_int_eq(pthread_create(&t[i], NULL, caller, &c[i]), 0);
    }
    wait_held(N);
    /* while all of them wait, the one worker still answers others */
    char u[128];
    struct tu_http_resp r;
    url(u, sizeof(u), "/plain");
    ck_assert_int_eq(tu_http("GET", u, NULL, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    tu_http_resp_free(&r);
    for (int i = N - 1; i >= 0; i--)
        answer(take_held(i), "test");
    for (int i = 0; i < N; i++) {
        char want[128], rid[80];
        pthread_join(t[i], NULL);
        ck_assert_int_eq(c[i].r.status, 201);
        ck_assert_ptr_nonnull(c[i].r.body);
        json_t *j = json_loads(c[i].r.body, 0, NULL);
        ck_assert_ptr_nonnull(j);
        snprintf(want, sizeof(want), "%d", i);
        ck_assert_str_eq(json_string_value(json_object_get(j, "n")), want);
        ck_assert_str_eq(json_string_value(json_object_get(j, "body")), c[i].body ? c[i].body : "");
        ck_assert_str_eq(json_string_value(json_object_get(j, "by")), "test");
        json_decref(j);
        /* the wrapper's headers are on the deferred answer too */
        ck_assert_int_eq(tu_http_header(&c[i].r, "X-Request-ID", rid, sizeof(rid)), 0);
        ck_assert_int_eq(tu_http_header(&c[i].r, "X-Content-Type-Options", rid, sizeof(rid)), 0);
        tu_http_resp_free(&c[i].r);
    }
    ck_assert_int_eq(http_server_inflight(srv), 0);
    ck_assert(
        tu_metric(http_server_port(srv),
                  "http_requests_total{method=\"GET\",endpoint=\"/later/:n\",status=\"201\"") ==
        N / 2);
    ck_assert(
        tu_metric(http_server_port(srv),
                  "http_requests_total{method=\"POST\",endpoint=\"/later/:n\",status=\"201\"") ==
        N / 2);
}
END_TEST

/* A deferrable route may answer at once; a resume before the handler
 * returned is fine; HEAD runs the GET route and sends no body. */
START_TEST(test_immediate_self_and_head)
{
    char u[128], len[32];
    struct tu_http_resp r;
    url(u, sizeof(u), "/later/7?now=1");
    ck_assert_int_eq(tu_http("GET", u, NULL, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"now\":\"7\"}");
    tu_http_resp_free(&r);
    for (int i = 0; i < 20; i++) {
        url(u, sizeof(u), "/later/8?self=1");
        ck_assert_int_eq(tu_http("GET", u, NULL, NULL, &r), 0);
        ck_assert_int_eq(r.status, 201);
        ck_assert_ptr_nonnull(strstr(r.body, "\"by\":\"handler\""));
        tu_http_resp_free(&r);
    }
    url(u, sizeof(u), "/later/9?self=1");
    ck_assert_int_eq(tu_http("HEAD", u, NULL, NULL, &r), 0);
    ck_assert_int_eq(r.status, 201);
    ck_assert_uint_eq(r.len, 0);
    ck_assert_int_eq(tu_http_header(&r, "Content-Length", len, sizeof(len)), 0);
    ck_assert_int_gt(atoi(len), 0);
    tu_http_resp_free(&r);
}
END_TEST

/* Keep-alive: requests one after the other on one connection, each
 * deferred and answered by another thread, the next one only after the
 * previous answer arrived. */
static void *answerer(void *p)
{
    int *n = p;
    for (int i = 0; i < *n; i++) {
        wait_held(i + 1);
        answer(take_held(i), "answerer");
    }
    return NULL;
}

START_TEST(test_keep_alive_sequence)
{
    int n = 25, fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)http_server_port(srv)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 30}; /* a hang guard */
    pthread_t t;
    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, answerer, &n), 0);
    for (int i = 0; i < n; i++) {
        char req[128], buf[4096] = {0}, want[32];
        size_t got = 0;
        int len = snprintf(req, sizeof(req), "GET /later/%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
        ck_assert_int_eq(write(fd, req, (size_t)len), len);
        snprintf(want, sizeof(want), "\"n\":\"%d\"", i);
        while (strstr(buf, want) == NULL || strstr(buf, "}") == NULL) {
            ssize_t k = read(fd, buf + got, sizeof(buf) - 1 - got);
            ck_assert_int_gt(k, 0);
            got += (size_t)k;
            buf[got] = '\0';
        }
        ck_assert_int_eq(strncmp(buf, "HTTP/1.1 201", 12), 0);
    }
    pthread_join(t, NULL);
    close(fd);
}
END_TEST

/* A client that hangs up while its request is deferred: once resumed, the
 * request ends (libmicrohttpd finds the connection closed) and nothing of
 * it stays counted — the drain does not wait for it. */
START_TEST(test_client_gone_while_deferred)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)http_server_port(srv)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    static const char req[] = "GET /later/3 HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
    wait_held(1);
    close(fd);
    answer(take_held(0), "test");
    for (int i = 0; i < 6000 && http_server_inflight(srv) > 0; i++)
        usleep(5000);
    ck_assert_int_eq(http_server_inflight(srv), 0);
    http_server_stop(srv, 0); /* returns: nothing deferred is left */
}
END_TEST

static void *stopper(void *p)
{
    http_server_stop(p, 0);
    return NULL;
}

/* The drain waits for a deferred request however short its grace period,
 * and its answer is sent (with Connection: close). */
START_TEST(test_stop_waits_for_deferred)
{
    static struct call c;
    pthread_t tc, ts;
    char u[128];
    struct tu_http_resp r;
    memset(&c, 0, sizeof(c));
    snprintf(c.path, sizeof(c.path), "/later/1");
    c.method = "GET";
    ck_assert_int_eq(pthread_create(&tc, NULL, caller, &c), 0);
    wait_held(1);
    ck_assert_int_eq(pthread_create(&ts, NULL, stopper, srv), 0);
    /* draining: new connections are refused, the deferred one is kept */
    int refused = 0;
    url(u, sizeof(u), "/plain");
    for (int i = 0; i < 6000 && !refused; i++) {
        refused = tu_http("GET", u, NULL, NULL, &r) != 0 || r.status == 0;
        tu_http_resp_free(&r);
        if (!refused)
            usleep(5000);
    }
    ck_assert(refused);
    answer(take_held(0), "test");
    pthread_join(ts, NULL);
    pthread_join(tc, NULL);
    ck_assert_int_eq(c.r.status, 201);
    tu_http_resp_free(&c.r);
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("http_defer");
    TCase *tc = tcase_create("deferred");
    tcase_set_timeout(tc, 90);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_many_deferred_on_one_worker);
    tcase_add_test(tc, test_immediate_self_and_head);
    tcase_add_test(tc, test_keep_alive_sequence);
    tcase_add_test(tc, test_stop_waits_for_deferred);
    tcase_add_test(tc, test_client_gone_while_deferred);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
