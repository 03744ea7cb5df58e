/* The gateway in-process in front of fake upstreams (the common http module
 * on ephemeral ports): routing, forwarded and dropped headers, copied
 * response headers, 503/504, keep-alive reuse and readiness.
 *
 * Checked fixtures: every test starts and stops its own upstreams and gateway
 * in the forked child, so ASan's leak check at the child's exit sees a
 * clean process (servers started in the parent leave threads the child lacks,
 * and LeakSanitizer then reports their memory as leaked). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "gateway.h"
#include "testutil.h"
#include "valor/err.h"
#include "valor/http.h"

#define GW_THREADS 4
#define SLOW_MS 1000
#define HUGE_BYTES (17u << 20)
#define SLOW_READY_MS 1500
#define HOLD_N 24 /* concurrent requests /hold keeps until all of them arrived */

/* One fake upstream per service; ud of its routes is its name. */
struct upstream {
    const char *name;
    struct http_server *http;
    int slow_ready; /* GET /ready sleeps SLOW_READY_MS */
};

static struct upstream ups[GW_SVC_COUNT] = {
    {"auth", NULL, 0}, {"runs", NULL, 0}, {"financial", NULL, 0}, {"deals", NULL, 0}};
static struct gw *gw;
static int gw_port_no;
static char fixed_method[16]; /* the method /fixed last arrived with (an upstream thread writes) */
static char tenant[64];
static char *token; /* an admin of `tenant` */
static char auth_hdr[1024], tenant_hdr[128];

static int path_ends_with(const char *path, const char *suffix)
{
    size_t pl = strlen(path), sl = strlen(suffix);
    return pl >= sl && strcmp(path + pl - sl, suffix) == 0;
}

/* Echoes what arrived: upstream name, method, raw url, body, every header
 * (lower-cased names) and the client's source port. */
/* The body of /huge: 'x's, produced as MHD asks for them. */
static ssize_t huge_block(void *ud, uint64_t offset, char *out, size_t max)
{
    (void)ud;
    if (offset >= HUGE_BYTES)
        return U_STREAM_END;
    size_t n = HUGE_BYTES - offset < max ? (size_t)(HUGE_BYTES - offset) : max;
    memset(out, 'x', n);
    return (ssize_t)n;
}

static void echo(struct http_ctx *ctx)
{
    const struct _u_request *req = ctx->req;
    const char *path = req->url_path;
    const char **keys = u_map_enum_keys(req->map_header);
    const struct sockaddr_in *sa = (const struct sockaddr_in *)req->client_address;
    const struct upstream *up = ctx->ud;
    json_t *hdrs, *body;

    if (up->slow_ready && strcmp(path, "/ready") == 0)
        usleep(SLOW_READY_MS * 1000);
    if (path_ends_with(path, "/slow"))
        usleep(SLOW_MS * 1000);
    if (path_ends_with(path, "/fixed")) { /* the same answer, byte for byte, every time */
        snprintf(fixed_method, sizeof(fixed_method), "%s", req->http_verb);
        u_map_put(ctx->resp->map_header, "ETag", "\"fixed-1\"");
        http_reply_json(ctx, 200, json_pack("{s:s, s:s}", "upstream", up->name, "data", "fixed"));
        return;
    }
    if (path_ends_with(path, "/huge")) {
        /* streamed: the head (Content-Length: 17 MiB) goes out at once, however
         * slow the build, and the gateway must refuse on it */
        ulfius_set_stream_response(ctx->resp, 200, huge_block, NULL, HUGE_BYTES, 64 << 10, NULL);
        return;
    }
    hdrs = json_object();
    for (size_t i = 0; keys != NULL && keys[i] != NULL; i++) {
        char lower[128];
        snprintf(lower, sizeof(lower), "%s", keys[i]);
        for (char *p = lower; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        json_object_set_new(hdrs, lower, json_string(u_map_get(req->map_header, keys[i])));
    }
    body = json_pack(
        "{s:s, s:s, s:s, s:s%, s:o, s:i}", "upstream", up->name, "method", req->http_verb, "url",
        req->http_url, "body", req->binary_body ? (const char *)req->binary_body : "",
        req->binary_body_length, "headers", hdrs, "port", sa != NULL ? ntohs(sa->sin_port) : 0);
    if (path_ends_with(path, "/etag")) {
        u_map_put(ctx->resp->map_header, "ETag", "\"v1-abc\"");
        u_map_put(ctx->resp->map_header, "Location", "/api/notes/AAPL");
        u_map_put(ctx->resp->map_header, "Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT");
        u_map_put(ctx->resp->map_header, "X-Upstream-Secret", "leak");
        http_reply_json(ctx, 201, body);
        return;
    }
    http_reply_json(ctx, 200, body);
}

/* GET /api/runs/hold: deferred until HOLD_N of them are held, then all
 * answered at once — only a gateway with that many requests in flight at
 * once ever gets an answer. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_ctx *held[HOLD_N];
static int nheld;

static void hold(struct http_ctx *ctx)
{
    pthread_mutex_lock(&hold_lock);
    ck_assert_int_eq(http_defer(ctx), VALOR_OK);
    held[nheld++] = ctx;
    if (nheld == HOLD_N)
        for (int i = 0; i < HOLD_N; i++) {
            http_reply_json(held[i], 200, json_pack("{s:i}", "held", HOLD_N));
            http_resume(held[i]);
        }
    pthread_mutex_unlock(&hold_lock);
}

static void upstream_start(struct upstream *u)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    struct http_server_opts o = {.service = u->name,
                                 .bind_host = "127.0.0.1",
                                 .port = 0,
                                 .threads = 4,
                                 .max_connections = 64,
                                 .connection_timeout_s = 30,
                                 .max_body_bytes = 1 << 20};
    ck_assert_int_eq(http_server_new(&o, &u->http), VALOR_OK);
    ck_assert_int_eq(http_route_deferrable(u->http, "GET", "/api/runs/hold", hold, u), VALOR_OK);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        ck_assert_int_eq(http_route(u->http, methods[i], "/*", echo, u), VALOR_OK);
    ck_assert_int_eq(http_server_start(u->http), VALOR_OK);
}

static void set_url(const char *var, int port)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    setenv(var, url, 1);
}

/* Starts the four upstreams (except `down`, whose URL is a free port with
 * nothing listening; GW_SVC_COUNT → none) and the gateway in front. */
static void stack_start(int down)
{
    static const char *const vars[GW_SVC_COUNT] = {"AUTH_SERVICE_URL", "RUNS_SERVICE_URL",
                                                   "FINANCIAL_SERVICE_URL", "DEALS_SERVICE_URL"};
    char threads[16];

    tu_env("REDIS_URL");
    tu_env("NATS_URL");
    for (int i = 0; i < GW_SVC_COUNT; i++) {
        if (i == down) {
            set_url(vars[i], tu_free_port());
            continue;
        }
        upstream_start(&ups[i]);
        set_url(vars[i], http_server_port(ups[i].http));
    }
    snprintf(threads, sizeof(threads), "%d", GW_THREADS);
    setenv("WORKER_THREADS", threads, 1);
    setenv("PORT", "0", 1);
    setenv("HOST", "127.0.0.1", 1);
    if (getenv("UPSTREAM_TIMEOUT_MS") == NULL) /* a fixture may set its own */
        setenv("UPSTREAM_TIMEOUT_MS", "300", 1);
    setenv("UPSTREAM_CONNECT_TIMEOUT_MS", "1000", 1);
    setenv("SHUTDOWN_GRACE_S", "2", 1);
    setenv("LOG_LEVEL", "WARNING", 1);
    setenv("RATE_LIMIT_API", "100000/60", 1);
    snprintf(tenant, sizeof(tenant), "fwd-%d", (int)getpid());
    token = tu_token(tenant, "u1", "admin", 600);
    snprintf(auth_hdr, sizeof(auth_hdr), "Authorization: Bearer %s", token);
    snprintf(tenant_hdr, sizeof(tenant_hdr), "X-Tenant-ID: %s", tenant);
    ck_assert_int_eq(gw_start(&gw), VALOR_OK);
    gw_port_no = gw_port(gw);
}

static void stack_stop(void)
{
    gw_stop(gw);
    gw = NULL;
    free(token);
    token = NULL;
    for (int i = 0; i < GW_SVC_COUNT; i++) {
        if (ups[i].http != NULL) {
            http_server_stop(ups[i].http, 2);
            http_server_free(ups[i].http);
            ups[i].http = NULL;
        }
    }
}

/* Forwarding on the worker threads, blocking (FORWARD_LOOPS=0); the
 * environment is the forked child's. */
static void setup_financial_down(void)
{
    setenv("FORWARD_LOOPS", "0", 1);
    stack_start(GW_SVC_FINANCIAL);
}

static void setup_all_up(void)
{
    setenv("FORWARD_LOOPS", "0", 1);
    stack_start(GW_SVC_COUNT);
}

/* The same stacks with forwarding on event loops (forward_loop.c, the
 * default). */
static void setup_financial_down_loops(void)
{
    setenv("FORWARD_LOOPS", "2", 1);
    stack_start(GW_SVC_FINANCIAL);
}

static void setup_all_up_loops(void)
{
    setenv("FORWARD_LOOPS", "2", 1);
    stack_start(GW_SVC_COUNT);
}

/* One loop, 4 workers, a timeout far above what HOLD_N requests need. */
static void setup_one_loop(void)
{
    setenv("FORWARD_LOOPS", "1", 1);
    setenv("UPSTREAM_TIMEOUT_MS", "20000", 1);
    stack_start(GW_SVC_COUNT);
}

/* One loop with at most 2 connections per replica, time to spare. */
static void setup_two_connections(void)
{
    setenv("FORWARD_LOOPS", "1", 1);
    setenv("FORWARD_LOOP_CONNECTIONS", "2", 1);
    setenv("UPSTREAM_TIMEOUT_MS", "10000", 1);
    stack_start(GW_SVC_COUNT);
}

/* One loop with one connection per replica and the 300 ms timeout. */
static void setup_one_connection(void)
{
    setenv("FORWARD_LOOPS", "1", 1);
    setenv("FORWARD_LOOP_CONNECTIONS", "1", 1);
    stack_start(GW_SVC_COUNT);
}

/* runs answers /ready after 1.5 s; Redis is a port with nothing listening. */
static void setup_degraded(void)
{
    char url[64];
    ups[GW_SVC_RUNS].slow_ready = 1;
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", tu_free_port());
    setenv("REDIS_URL", url, 1); /* the forked child's environment only */
    stack_start(GW_SVC_COUNT);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One request to the gateway as the tenant's admin (plus `headers`);
 * returns the parsed body (NULL if not JSON). */
static json_t *call(const char *method, const char *path, const char *const *headers,
                    const char *body, struct tu_http_resp *r)
{
    const char *all[32] = {auth_hdr, tenant_hdr};
    size_t n = 2;
    char url[512];

    for (size_t i = 0; headers != NULL && headers[i] != NULL && n < 31; i++)
        all[n++] = headers[i];
    all[n] = NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", gw_port_no, path);
    ck_assert_msg(tu_http(method, url, all, body, r) == 0, "%s %s: no response", method, path);
    return json_loads(r->body, 0, NULL);
}

static const char *jstr(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static const char *jhdr(json_t *echo_body, const char *name)
{
    return json_string_value(json_object_get(json_object_get(echo_body, "headers"), name));
}

/* ---- one service down ---------------------------------------------------- */

START_TEST(test_down_service_503_names_it)
{
    struct tu_http_resp r;
    double t0 = now_ms();
    json_t *j = call("GET", "/api/financial-data/AAPL", NULL, NULL, &r);
    double took = now_ms() - t0;

    ck_assert_int_eq(r.status, 503);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(jstr(j, "error"), "Service unavailable");
    ck_assert_str_eq(jstr(j, "service"), "financial");
    ck_assert_msg(took < 1000, "503 took %.0f ms, more than the connect timeout", took);
    ck_assert_msg(strstr(r.headers, "application/json") != NULL, "headers: %s", r.headers);
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_down_service_leaves_others_working)
{
    struct tu_http_resp r;
    json_t *j = call("GET", "/api/runs", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(j, "upstream"), "runs");
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_readiness_503_names_failed_service)
{
    struct tu_http_resp r;
    json_t *j = call("GET", "/api/readiness", NULL, NULL, &r), *checks, *fin;

    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(jstr(j, "status"), "degraded");
    checks = json_object_get(j, "checks");
    fin = json_object_get(checks, "financial");
    ck_assert(json_is_false(json_object_get(fin, "ok")));
    ck_assert_str_eq(jstr(fin, "detail"), "connection refused");
    ck_assert(json_is_true(json_object_get(json_object_get(checks, "auth"), "ok")));
    ck_assert(json_is_true(json_object_get(json_object_get(checks, "deals"), "ok")));
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

/* ---- slow and missing dependencies -------------------------------------- */

START_TEST(test_readiness_slow_and_down_checks_fail)
{
    struct tu_http_resp r;
    double t0 = now_ms();
    json_t *j = call("GET", "/api/readiness", NULL, NULL, &r), *checks, *c;
    double took = now_ms() - t0;

    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(jstr(j, "status"), "degraded");
    ck_assert_msg(took < SLOW_READY_MS, "readiness took %.0f ms: checks not bounded to 1 s", took);
    checks = json_object_get(j, "checks");
    c = json_object_get(checks, "runs");
    ck_assert(json_is_false(json_object_get(c, "ok")));
    ck_assert_str_eq(jstr(c, "detail"), "timeout after 1000 ms");
    c = json_object_get(checks, "redis");
    ck_assert(json_is_false(json_object_get(c, "ok")));
    ck_assert_str_eq(jstr(c, "detail"), "PING failed");
    ck_assert(json_is_true(json_object_get(json_object_get(checks, "deals"), "ok")));
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

/* ---- all upstreams up ---------------------------------------------------- */

START_TEST(test_unrouted_paths_not_forwarded)
{
    static const char *const paths[] = {"/api/authx", "/api/unknown", "/api", "/runs",
                                        "/api/notesx/AAPL"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct tu_http_resp r;
        json_t *j = call("GET", paths[i], NULL, NULL, &r);
        ck_assert_msg(r.status == 404, "%s: %ld", paths[i], r.status);
        ck_assert_msg(j != NULL && jstr(j, "upstream") == NULL, "%s forwarded", paths[i]);
        ck_assert_str_eq(jstr(j, "error"), "Not found");
        json_decref(j);
        tu_http_resp_free(&r);
    }
}
END_TEST

START_TEST(test_dot_segments_rejected)
{
    static const char *const paths[] = {"/api/notes/../runs", "/api/notes/%2e%2e/runs",
                                        "/api/auth/./x"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char url[256];
        struct tu_http_resp r;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", gw_port_no, paths[i]);
        /* tu_http would let libcurl squash the dots: send the path as is */
        ck_assert_int_eq(tu_http("GET", url, NULL, NULL, &r), 0);
        ck_assert_msg(r.status == 400 || r.status == 404, "%s: %ld", paths[i], r.status);
        ck_assert_msg(strstr(r.body, "\"upstream\"") == NULL, "%s forwarded: %s", paths[i], r.body);
        tu_http_resp_free(&r);
    }
}
END_TEST

/* Sends `head` (a request line; the token and tenant headers are added) on
 * a fresh TCP connection and reads the answer until the gateway closes. */
static void raw_request(const char *line, char *out, size_t outlen)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)gw_port_no),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char req[4096];
    size_t got = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int n = snprintf(req, sizeof(req), "%s\r\nHost: gw\r\n%s\r\n%s\r\nConnection: close\r\n\r\n",
                     line, auth_hdr, tenant_hdr);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    for (;;) {
        ssize_t k = recv(fd, out + got, outlen - 1 - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    out[got] = '\0';
    close(fd);
}

START_TEST(test_control_bytes_in_target_not_forwarded)
{
    /* bytes that would end or split the request line written to the service */
    static const char *const lines[] = {"GET /api/runs/a\x7f"
                                        "b HTTP/1.1",
                                        "GET /api/runs/a\x01"
                                        "b HTTP/1.1",
                                        "GET /api/runs?q=\x7f HTTP/1.1"};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        char resp[8192];
        raw_request(lines[i], resp, sizeof(resp));
        ck_assert_msg(strncmp(resp, "HTTP/1.1 400", 12) == 0, "request %zu: %.40s", i, resp);
        ck_assert_msg(strstr(resp, "\"upstream\"") == NULL, "request %zu forwarded: %s", i, resp);
        ck_assert_msg(strstr(resp, "Invalid request path") != NULL, "request %zu: %s", i, resp);
    }
    /* the same path without the control byte is forwarded */
    char resp[8192];
    raw_request("GET /api/runs/ab HTTP/1.1", resp, sizeof(resp));
    ck_assert_msg(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%.40s", resp);
    ck_assert_ptr_nonnull(strstr(resp, "\"upstream\":\"runs\""));
}
END_TEST

START_TEST(test_upstream_response_too_large_502)
{
    struct tu_http_resp r;
    json_t *j = call("GET", "/api/runs/huge", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 502);
    ck_assert_str_eq(jstr(j, "error"), "Upstream response too large");
    ck_assert_str_eq(jstr(j, "service"), "runs");
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_slow_upstream_504)
{
    struct tu_http_resp r;
    double t0 = now_ms();
    json_t *j = call("GET", "/api/runs/slow", NULL, NULL, &r);
    double took = now_ms() - t0;

    ck_assert_int_eq(r.status, 504);
    ck_assert_str_eq(jstr(j, "error"), "Upstream timeout");
    ck_assert_str_eq(jstr(j, "service"), "runs");
    ck_assert_msg(took < SLOW_MS, "504 after %.0f ms: the 300 ms timeout was not applied", took);
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_each_prefix_reaches_its_service)
{
    static const struct {
        const char *path, *service;
    } cases[] = {
        {"/api/auth/profile", "auth"},
        {"/api/auth/users", "auth"},
        {"/api/audit", "auth"},
        {"/api/runs", "runs"},
        {"/api/runs/last", "runs"},
        {"/api/runs/abc", "runs"},
        {"/api/scenarios", "runs"},
        {"/api/financial-data", "financial"},
        {"/api/financial-data/AAPL/dcf-inputs", "financial"},
        {"/api/financial-data/AAPL/historical-prices", "financial"},
        {"/api/lbo/runs", "deals"},
        {"/api/lbo/runs/last", "deals"},
        {"/api/ma/runs/x1", "deals"},
        {"/api/ma/scenarios", "deals"},
        {"/api/notes/AAPL", "deals"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tu_http_resp r;
        json_t *j = call("GET", cases[i].path, NULL, NULL, &r);
        ck_assert_msg(r.status == 200, "%s: %ld %s", cases[i].path, r.status, r.body);
        ck_assert_msg(j != NULL && jstr(j, "upstream") != NULL &&
                          strcmp(jstr(j, "upstream"), cases[i].service) == 0,
                      "%s reached %s, expected %s", cases[i].path, r.body, cases[i].service);
        ck_assert_str_eq(jstr(j, "url"), cases[i].path);
        json_decref(j);
        tu_http_resp_free(&r);
    }
}
END_TEST

START_TEST(test_request_forwarded_with_listed_headers_only)
{
    static const char *const hdrs[] = {
        "Content-Type: application/json",
        "Accept: application/json",
        "If-Match: \"v1\"",
        "If-None-Match: \"v0\"",
        "X-Request-ID: test-req-1",
        "Cookie: session=secret",
        "Connection: close",
        "X-Evil: 1",
        "X-Forwarded-For: 6.6.6.6",
        "Proxy-Authorization: Basic Zm9vOmJhcg==",
        "TE: trailers",
        NULL,
    };
    static const char *const dropped[] = {"cookie", "x-evil", "proxy-authorization", "te",
                                          "connection"};
    struct tu_http_resp r;
    char rid[80] = "";
    json_t *j = call("POST", "/api/runs?b=2&a=%20z&q", hdrs, "{\"k\":[1,2]}", &r);

    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(j, "upstream"), "runs");
    ck_assert_str_eq(jstr(j, "method"), "POST");
    ck_assert_str_eq(jstr(j, "url"), "/api/runs?b=2&a=%20z&q");
    ck_assert_str_eq(jstr(j, "body"), "{\"k\":[1,2]}");
    ck_assert_str_eq(jhdr(j, "authorization"), auth_hdr + strlen("Authorization: "));
    ck_assert_str_eq(jhdr(j, "content-type"), "application/json");
    ck_assert_str_eq(jhdr(j, "accept"), "application/json");
    ck_assert_str_eq(jhdr(j, "if-match"), "\"v1\"");
    ck_assert_str_eq(jhdr(j, "if-none-match"), "\"v0\"");
    ck_assert_str_eq(jhdr(j, "x-tenant-id"), tenant);
    ck_assert_str_eq(jhdr(j, "x-request-id"), "test-req-1");
    ck_assert_str_eq(jhdr(j, "x-forwarded-for"), "127.0.0.1");
    ck_assert_str_eq(jhdr(j, "x-forwarded-proto"), "http");
    for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
        ck_assert_msg(jhdr(j, dropped[i]) == NULL, "%s forwarded: %s", dropped[i], r.body);
    ck_assert_int_eq(tu_http_header(&r, "X-Request-ID", rid, sizeof(rid)), 0);
    ck_assert_str_eq(rid, "test-req-1");
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_methods_and_request_id_generated)
{
    static const char *const methods[] = {"PUT", "POST", "GET"};
    static const char *const bad_id[] = {"X-Request-ID: bad id!", NULL};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct tu_http_resp r;
        char rid[80] = "";
        json_t *j = call(methods[i], "/api/notes/AAPL", bad_id, NULL, &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_str_eq(jstr(j, "method"), methods[i]);
        /* no client Content-Type: libcurl's form default must not appear */
        ck_assert_msg(jhdr(j, "content-type") == NULL, "%s: %s", methods[i], r.body);
        ck_assert_int_eq(tu_http_header(&r, "X-Request-ID", rid, sizeof(rid)), 0);
        ck_assert_int_eq(strlen(rid), 36); /* a fresh UUID */
        ck_assert_str_eq(jhdr(j, "x-request-id"), rid);
        json_decref(j);
        tu_http_resp_free(&r);
    }
}
END_TEST

START_TEST(test_response_headers_copied_back)
{
    struct tu_http_resp r;
    char v[128];
    json_t *j = call("GET", "/api/notes/etag", NULL, NULL, &r);

    ck_assert_int_eq(r.status, 201);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(tu_http_header(&r, "ETag", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "\"v1-abc\"");
    ck_assert_int_eq(tu_http_header(&r, "Location", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "/api/notes/AAPL");
    ck_assert_int_eq(tu_http_header(&r, "Last-Modified", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "Tue, 01 Dec 2026 10:00:00 GMT");
    ck_assert_int_eq(tu_http_header(&r, "Content-Type", v, sizeof(v)), 0);
    ck_assert_msg(strstr(v, "application/json") != NULL, "Content-Type %s", v);
    ck_assert_int_eq(tu_http_header(&r, "X-Upstream-Secret", v, sizeof(v)), -1);
    ck_assert_int_eq(tu_http_header(&r, "X-Content-Type-Options", v, sizeof(v)), 0);
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

/* HEAD on a GET route is forwarded as HEAD, and the answer has the status and
 * headers of the GET — the service's Content-Length included — and no body. */
START_TEST(test_head_forwarded_as_head)
{
    struct tu_http_resp g, h;
    char gv[128], hv[128];
    static const char *const names[] = {
        "Content-Length", "Content-Type",           "ETag",
        "Cache-Control",  "X-Content-Type-Options", "X-RateLimit-Limit"};

    json_decref(call("GET", "/api/runs/fixed", NULL, NULL, &g));
    ck_assert_int_eq(g.status, 200);
    ck_assert_str_eq(fixed_method, "GET");
    fixed_method[0] = '\0';
    call("HEAD", "/api/runs/fixed", NULL, NULL, &h);
    ck_assert_int_eq(h.status, 200);
    ck_assert_str_eq(fixed_method, "HEAD");
    ck_assert_int_eq(h.len, 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ck_assert_msg(tu_http_header(&g, names[i], gv, sizeof(gv)) == 0, "GET lacks %s", names[i]);
        ck_assert_msg(tu_http_header(&h, names[i], hv, sizeof(hv)) == 0, "HEAD lacks %s", names[i]);
        if (strcmp(names[i], "X-RateLimit-Limit") != 0)
            ck_assert_str_eq(hv, gv);
    }
    ck_assert_int_eq(tu_http_header(&g, "Content-Length", gv, sizeof(gv)), 0);
    ck_assert_int_eq(atoi(gv), (int)g.len);
    tu_http_resp_free(&g);
    tu_http_resp_free(&h);
    char extra[1400], next[16];
    snprintf(extra, sizeof(extra), "%s\r\n%s\r\n", auth_hdr, tenant_hdr);
    tu_head_then_get(gw_port_no, "/api/runs/fixed", extra, next, sizeof(next));
    ck_assert_msg(strncmp(next, "HTTP/1.1 200", 12) == 0, "a body after HEAD: %s", next);

    /* a HEAD on a route without GET: 405 from the gateway itself */
    call("HEAD", "/api/dcf/calculate", NULL, NULL, &h);
    ck_assert_int_eq(h.status, 405);
    ck_assert_int_eq(tu_http_header(&h, "Allow", hv, sizeof(hv)), 0);
    ck_assert_str_eq(hv, "OPTIONS, POST");
    tu_http_resp_free(&h);
}
END_TEST

START_TEST(test_keepalive_reuses_upstream_connections)
{
    int ports[50], distinct = 0;
    for (int i = 0; i < 50; i++) {
        struct tu_http_resp r;
        json_t *j = call("GET", "/api/runs/last", NULL, NULL, &r);
        ck_assert_int_eq(r.status, 200);
        ports[i] = (int)json_integer_value(json_object_get(j, "port"));
        ck_assert_int_gt(ports[i], 0);
        int seen = 0;
        for (int k = 0; k < i; k++)
            seen |= ports[k] == ports[i];
        distinct += !seen;
        json_decref(j);
        tu_http_resp_free(&r);
    }
    ck_assert_msg(distinct <= GW_THREADS,
                  "50 requests used %d upstream connections (> %d worker threads)", distinct,
                  GW_THREADS);
}
END_TEST

/* Sockets of this network namespace connected to 127.0.0.1:port in TCP
 * state st (/proc/net/tcp: 01 established, 08 close-wait). */
static int sockets_to(int port, int st)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[256];
    int n = 0;
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned rport, state;
        if (sscanf(line, " %*d: %*x:%*x %*x:%x %x", &rport, &state) == 2 && (int)rport == port &&
            (int)state == st)
            n++;
    }
    fclose(f);
    return n;
}

/* A replica that closes its idle keep-alive connections (here: it stops)
 * has them closed on the gateway's side too, at once: the loops watch idle
 * connections; they are not left half-closed until the next request. */
START_TEST(test_idle_connections_closed_by_replica_are_dropped)
{
    int port = http_server_port(ups[GW_SVC_RUNS].http);
    for (int i = 0; i < 8; i++) {
        struct tu_http_resp r;
        json_decref(call("GET", "/api/runs/last", NULL, NULL, &r));
        ck_assert_int_eq(r.status, 200);
        tu_http_resp_free(&r);
    }
    ck_assert_int_gt(sockets_to(port, 0x01), 0);
    http_server_stop(ups[GW_SVC_RUNS].http, 0);
    double t0 = now_ms();
    while ((sockets_to(port, 0x01) > 0 || sockets_to(port, 0x08) > 0) && now_ms() - t0 < 10000)
        usleep(10000);
    ck_assert_int_eq(sockets_to(port, 0x01), 0);
    ck_assert_msg(sockets_to(port, 0x08) == 0, "%d upstream connections left half-closed",
                  sockets_to(port, 0x08));
}
END_TEST

START_TEST(test_readiness_all_ok)
{
    static const char *const names[] = {"redis", "nats", "auth", "runs", "financial", "deals"};
    struct tu_http_resp r;
    json_t *j = NULL;

    /* NATS connects in the background: allow it a few seconds */
    for (int i = 0; i < 50; i++) {
        json_decref(j);
        j = call("GET", i % 2 ? "/api/ready" : "/api/readiness", NULL, NULL, &r);
        if (r.status == 200)
            break;
        tu_http_resp_free(&r);
        usleep(100 * 1000);
    }
    ck_assert_msg(r.status == 200, "readiness: %ld %s", r.status, r.body);
    ck_assert_str_eq(jstr(j, "status"), "ready");
    ck_assert_ptr_nonnull(jstr(j, "timestamp"));
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *c = json_object_get(json_object_get(j, "checks"), names[i]);
        ck_assert_msg(json_is_true(json_object_get(c, "ok")), "%s not ok: %s", names[i], r.body);
        ck_assert(json_is_integer(json_object_get(c, "latency_ms")));
        ck_assert_ptr_nonnull(jstr(c, "detail"));
    }
    json_decref(j);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_system_routes_and_metrics)
{
    struct tu_http_resp r;
    json_t *j = call("GET", "/", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(j, "name"), "Valor IVX API");
    ck_assert_str_eq(jstr(j, "docs"), "/api/openapi.json");
    ck_assert_str_eq(jstr(j, "health"), "/api/health");
    ck_assert_ptr_nonnull(jstr(j, "version"));
    json_decref(j);
    tu_http_resp_free(&r);

    j = call("GET", "/api/health", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(j, "status"), "healthy");
    ck_assert_ptr_nonnull(jstr(j, "timestamp"));
    json_decref(j);
    tu_http_resp_free(&r);

    json_decref(call("GET", "/api/runs", NULL, NULL, &r));
    tu_http_resp_free(&r);
    call("GET", "/metrics", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.body, "http_requests_total") != NULL, "%s", r.body);
    ck_assert_msg(strstr(r.body, "upstream_request_duration_seconds_count{service=\"runs\"") !=
                      NULL,
                  "%s", r.body);
    tu_http_resp_free(&r);
}
END_TEST

/* ---- event loops ---------------------------------------------------------- */

struct get_arg {
    const char *path;
    struct tu_http_resp r;
};

static void *get_thread(void *p)
{
    struct get_arg *a = p;
    json_decref(call("GET", a->path, NULL, NULL, &a->r));
    return NULL;
}

/* n concurrent GETs of path; each status must be `status`; the upstream
 * source ports seen are counted into *distinct (may be NULL). */
static void concurrent_gets(const char *path, int n, long status, int *distinct)
{
    struct get_arg a[HOLD_N];
    pthread_t t[HOLD_N];
    int ports[HOLD_N], nd = 0;
    ck_assert_int_le(n, HOLD_N);
    for (int i = 0; i < n; i++) {
        a[i].path = path;
        memset(&a[i].r, 0, sizeof(a[i].r));
        ck_assert_int_eq(pthread_create(&t[i], NULL, get_thread, &a[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(a[i].r.status == status, "GET %s: %ld, not %ld", path, a[i].r.status, status);
        json_t *j = json_loads(a[i].r.body, 0, NULL);
        ports[i] = (int)json_integer_value(json_object_get(j, "port"));
        int seen = 0;
        for (int k = 0; k < i; k++)
            seen |= ports[k] == ports[i];
        nd += !seen;
        json_decref(j);
        tu_http_resp_free(&a[i].r);
    }
    if (distinct != NULL)
        *distinct = nd;
}

/* HOLD_N requests in flight at once through a gateway with GW_THREADS
 * workers: forwarding parks no worker. (Blocking workers would have at most
 * GW_THREADS at the upstream, which then never answers: 504s.) */
START_TEST(test_requests_in_flight_exceed_workers)
{
    concurrent_gets("/api/runs/hold", HOLD_N, 200, NULL);
}
END_TEST

/* More concurrent requests than connections allowed: they queue for the
 * two connections and all succeed. */
START_TEST(test_requests_queue_for_a_connection)
{
    int distinct = 0;
    concurrent_gets("/api/runs/last", 16, 200, &distinct);
    ck_assert_msg(distinct <= 2, "16 requests used %d upstream connections (at most 2)", distinct);
}
END_TEST

/* A request waiting for a connection still times out in UPSTREAM_TIMEOUT_MS:
 * a slow request on the one connection, three more waiting: all 504. */
START_TEST(test_waiting_request_times_out)
{
    concurrent_gets("/api/runs/slow", 4, 504, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-forward");
    TCase *down = tcase_create("one upstream down");
    TCase *degraded = tcase_create("slow and missing dependencies");
    TCase *up = tcase_create("all upstreams up");

    tcase_add_checked_fixture(down, setup_financial_down, stack_stop);
    tcase_set_timeout(down, 30);
    tcase_add_test(down, test_down_service_503_names_it);
    tcase_add_test(down, test_down_service_leaves_others_working);
    tcase_add_test(down, test_readiness_503_names_failed_service);
    suite_add_tcase(s, down);

    tcase_add_checked_fixture(degraded, setup_degraded, stack_stop);
    tcase_set_timeout(degraded, 30);
    tcase_add_test(degraded, test_readiness_slow_and_down_checks_fail);
    suite_add_tcase(s, degraded);

    tcase_add_checked_fixture(up, setup_all_up, stack_stop);
    tcase_set_timeout(up, 30);
    tcase_add_test(up, test_unrouted_paths_not_forwarded);
    tcase_add_test(up, test_dot_segments_rejected);
    tcase_add_test(up, test_control_bytes_in_target_not_forwarded);
    tcase_add_test(up, test_upstream_response_too_large_502);
    tcase_add_test(up, test_slow_upstream_504);
    tcase_add_test(up, test_each_prefix_reaches_its_service);
    tcase_add_test(up, test_request_forwarded_with_listed_headers_only);
    tcase_add_test(up, test_methods_and_request_id_generated);
    tcase_add_test(up, test_response_headers_copied_back);
    tcase_add_test(up, test_head_forwarded_as_head);
    tcase_add_test(up, test_keepalive_reuses_upstream_connections);
    tcase_add_test(up, test_readiness_all_ok);
    tcase_add_test(up, test_system_routes_and_metrics);
    suite_add_tcase(s, up);

    /* the same cases, forwarding on event loops */
    TCase *down_l = tcase_create("loops: one upstream down");
    tcase_add_checked_fixture(down_l, setup_financial_down_loops, stack_stop);
    tcase_set_timeout(down_l, 30);
    tcase_add_test(down_l, test_down_service_503_names_it);
    tcase_add_test(down_l, test_down_service_leaves_others_working);
    suite_add_tcase(s, down_l);
    TCase *up_l = tcase_create("loops: all upstreams up");
    tcase_add_checked_fixture(up_l, setup_all_up_loops, stack_stop);
    tcase_set_timeout(up_l, 30);
    tcase_add_test(up_l, test_unrouted_paths_not_forwarded);
    tcase_add_test(up_l, test_dot_segments_rejected);
    tcase_add_test(up_l, test_control_bytes_in_target_not_forwarded);
    tcase_add_test(up_l, test_upstream_response_too_large_502);
    tcase_add_test(up_l, test_slow_upstream_504);
    tcase_add_test(up_l, test_each_prefix_reaches_its_service);
    tcase_add_test(up_l, test_request_forwarded_with_listed_headers_only);
    tcase_add_test(up_l, test_methods_and_request_id_generated);
    tcase_add_test(up_l, test_response_headers_copied_back);
    tcase_add_test(up_l, test_head_forwarded_as_head);
    tcase_add_test(up_l, test_keepalive_reuses_upstream_connections);
    tcase_add_test(up_l, test_system_routes_and_metrics);
    tcase_add_test(up_l, test_idle_connections_closed_by_replica_are_dropped);
    suite_add_tcase(s, up_l);
    TCase *one = tcase_create("loops: one loop");
    tcase_add_checked_fixture(one, setup_one_loop, stack_stop);
    tcase_set_timeout(one, 60);
    tcase_add_test(one, test_requests_in_flight_exceed_workers);
    suite_add_tcase(s, one);
    TCase *cap = tcase_create("loops: two connections");
    tcase_add_checked_fixture(cap, setup_two_connections, stack_stop);
    tcase_set_timeout(cap, 30);
    tcase_add_test(cap, test_requests_queue_for_a_connection);
    suite_add_tcase(s, cap);
    TCase *cap1 = tcase_create("loops: one connection");
    tcase_add_checked_fixture(cap1, setup_one_connection, stack_stop);
    tcase_set_timeout(cap1, 30);
    tcase_add_test(cap1, test_waiting_request_times_out);
    suite_add_tcase(s, cap1);
    return tu_run(s);
}
