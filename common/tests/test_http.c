/* http: a real server on an ephemeral port, driven by libcurl. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <fcntl.h>
#include <malloc.h>
#include <orcania.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "testutil.h"
#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/metrics.h"

#define MIB (1024 * 1024)

static struct http_server *srv;
static struct metrics_registry *reg;
static atomic_int echo_calls;
static atomic_int ready_ok;

/* ---- handlers ---------------------------------------------------------- */

static void h_echo(struct http_ctx *ctx)
{
    json_t *body = NULL;
    atomic_fetch_add(&echo_calls, 1);
    if (http_json_body(ctx, &body) != VALOR_OK)
        return;
    http_reply_json(ctx, 200, json_pack("{s:o}", "echo", body));
}

static void h_last(struct http_ctx *ctx)
{
    http_reply_json(ctx, 200, json_pack("{s:s}", "which", "last"));
}

static void h_run(struct http_ctx *ctx)
{
    const char *q = http_query(ctx, "q");
    snprintf(ctx->tenant, sizeof(ctx->tenant), "acme");
    http_reply_json(ctx, 200,
                    json_pack("{s:s, s:s, s:s?}", "which", "param", "run_id",
                              http_param(ctx, "run_id"), "q", q));
}

static void h_delete(struct http_ctx *ctx)
{
    http_reply_json(ctx, 200, json_pack("{s:b}", "deleted", 1));
}

static void h_files(struct http_ctx *ctx)
{
    http_reply_json(ctx, 200, json_pack("{s:s}", "route", ctx->route));
}

static void h_slow(struct http_ctx *ctx)
{
    usleep(500 * 1000);
    http_reply_json(ctx, 200, json_pack("{s:b}", "slow", 1));
}

static int ready_cb(void *ud, json_t *checks)
{
    (void)ud;
    int ok = atomic_load(&ready_ok);
    json_object_set_new(
        checks, "thing",
        json_pack("{s:b, s:s, s:i}", "ok", ok, "detail", ok ? "ok" : "down", "latency_ms", 1));
    return ok ? VALOR_OK : VALOR_E_UNAVAILABLE;
}

static struct http_server *start_server(struct metrics_registry *m, int threads,
                                        int metrics_enabled)
{
    struct http_server *s = NULL;
    struct http_server_opts o = {.service = "test",
                                 .bind_host = "127.0.0.1",
                                 .port = 0,
                                 .threads = threads,
                                 .max_connections = 256,
                                 .connection_timeout_s = 10,
                                 .max_body_bytes = MIB,
                                 .metrics = m};
    ck_assert_int_eq(http_server_new(&o, &s), VALOR_OK);
    ck_assert_int_eq(http_route(s, "POST", "/echo", h_echo, NULL), VALOR_OK);
    ck_assert_int_eq(http_route(s, "GET", "/api/runs/:run_id", h_run, NULL), VALOR_OK);
    ck_assert_int_eq(http_route(s, "GET", "/api/runs/last", h_last, NULL), VALOR_OK);
    ck_assert_int_eq(http_route(s, "DELETE", "/api/runs/:run_id", h_delete, NULL), VALOR_OK);
    ck_assert_int_eq(http_route(s, "GET", "/slow", h_slow, NULL), VALOR_OK);
    ck_assert_int_eq(http_route(s, "GET", "/files/*", h_files, NULL), VALOR_OK);
    ck_assert_int_eq(http_add_service_routes(s, "9.9.9", ready_cb, NULL, metrics_enabled),
                     VALOR_OK);
    ck_assert_int_eq(http_server_start(s), VALOR_OK);
    ck_assert_int_gt(http_server_port(s), 0);
    return s;
}

static void setup(void)
{
    atomic_store(&echo_calls, 0);
    atomic_store(&ready_ok, 1);
    reg = metrics_registry_new();
    ck_assert_ptr_nonnull(reg);
    srv = start_server(reg, 4, 1);
}

static void teardown(void)
{
    http_server_free(srv);
    srv = NULL;
    metrics_registry_free(reg);
    reg = NULL;
}

/* ---- client ------------------------------------------------------------ */

struct buf {
    char *p;
    size_t n;
};

struct resp {
    CURLcode rc;
    long status;
    struct buf body, headers;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *ud)
{
    struct buf *b = ud;
    char *np = realloc(b->p, b->n + sz * nm + 1);
    if (np == NULL)
        return 0;
    memcpy(np + b->n, d, sz * nm);
    b->n += sz * nm;
    np[b->n] = '\0';
    b->p = np;
    return sz * nm;
}

struct upload {
    const char *p;
    size_t left;
};

static size_t on_read(char *d, size_t sz, size_t nm, void *ud)
{
    struct upload *u = ud;
    size_t n = sz * nm < u->left ? sz * nm : u->left;
    memcpy(d, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* One request. headers: NULL-terminated "Name: value" list. body NULL → none.
 * chunked: send the body with Transfer-Encoding: chunked. */
static struct resp request(CURL *h, const char *method, const char *path,
                           const char *const *headers, const char *body, size_t len, int chunked)
{
    struct resp r = {0};
    struct curl_slist *hl = NULL;
    struct upload up = {body, len};
    char url[256];
    int own = h == NULL;
    if (own)
        h = curl_easy_init();
    curl_easy_reset(h);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", http_server_port(srv), path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
    for (int i = 0; headers != NULL && headers[i] != NULL; i++)
        hl = curl_slist_append(hl, headers[i]);
    if (body != NULL && chunked) {
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
    } else if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    r.rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    if (own)
        curl_easy_cleanup(h);
    return r;
}

static struct resp get(const char *path, const char *const *headers)
{
    return request(NULL, "GET", path, headers, NULL, 0, 0);
}

static struct resp post_json(const char *path, const char *body)
{
    const char *hd[] = {"Content-Type: application/json", NULL};
    return request(NULL, "POST", path, hd, body, strlen(body), 0);
}

static void resp_free(struct resp *r)
{
    free(r->body.p);
    free(r->headers.p);
}

/* Value of a response header (static buffer) or NULL. */
static const char *header(const struct resp *r, const char *name)
{
    static char val[512];
    size_t nl = strlen(name);
    for (const char *l = r->headers.p; l != NULL && *l != '\0';) {
        const char *eol = strstr(l, "\r\n");
        size_t ll = eol ? (size_t)(eol - l) : strlen(l);
        if (ll > nl && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(val, sizeof(val), "%.*s", (int)(ll - (size_t)(v - l)), v);
            return val;
        }
        l = eol ? eol + 2 : l + ll;
    }
    return NULL;
}

static json_t *body_json(const struct resp *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.n, 0, &e);
    ck_assert_msg(j != NULL, "response body is not JSON: %s", r->body.p ? r->body.p : "");
    return j;
}

static void assert_security_headers(const struct resp *r)
{
    ck_assert_ptr_nonnull(header(r, "X-Request-ID"));
    ck_assert_str_eq(header(r, "X-Content-Type-Options"), "nosniff");
    ck_assert_str_eq(header(r, "X-Frame-Options"), "DENY");
    ck_assert_str_eq(header(r, "Referrer-Policy"), "strict-origin-when-cross-origin");
    ck_assert_str_eq(header(r, "Cache-Control"), "no-store");
}

static void assert_error(const struct resp *r, long status, const char *message)
{
    ck_assert_int_eq(r->rc, CURLE_OK);
    ck_assert_int_eq(r->status, status);
    ck_assert_str_eq(header(r, "Content-Type"), "application/json; charset=utf-8");
    assert_security_headers(r);
    json_t *j = body_json(r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), message);
    char rid[80];
    snprintf(rid, sizeof(rid), "%s", header(r, "X-Request-ID"));
    ck_assert_str_eq(json_string_value(json_object_get(j, "request_id")), rid);
    json_decref(j);
}

/* ---- negative cases ---------------------------------------------------- */

START_TEST(test_unknown_path_404)
{
    struct resp r = get("/nope/nothing", NULL);
    assert_error(&r, 404, "Not found");
    json_t *j = body_json(&r);
    ck_assert_uint_eq(json_object_size(j), 2); /* {"error":"Not found","request_id":…} */
    json_decref(j);
    resp_free(&r);
}
END_TEST

START_TEST(test_wrong_method_405)
{
    struct resp r = request(NULL, "PUT", "/api/runs/abc", NULL, "{}", 2, 0);
    assert_error(&r, 405, "Method not allowed");
    ck_assert_str_eq(header(&r, "Allow"), "DELETE, GET, HEAD, OPTIONS");
    resp_free(&r);
    r = get("/echo", NULL);
    assert_error(&r, 405, "Method not allowed");
    ck_assert_str_eq(header(&r, "Allow"), "OPTIONS, POST");
    resp_free(&r);
    r = request(NULL, "DELETE", "/files/a/b/c", NULL, NULL, 0, 0);
    assert_error(&r, 405, "Method not allowed");
    ck_assert_str_eq(header(&r, "Allow"), "GET, HEAD, OPTIONS");
    resp_free(&r);
    /* a parameter needs a segment: /api/runs/ is not /api/runs/:run_id */
    r = request(NULL, "PUT", "/api/runs/", NULL, NULL, 0, 0);
    assert_error(&r, 404, "Not found");
    resp_free(&r);
}
END_TEST

/* The response headers without the ones that differ between any two
 * answers (Date, X-Request-ID), in order, one per line. */
static void stable_headers(const struct resp *r, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *l = r->headers.p; l != NULL && *l != '\0';) {
        const char *eol = strstr(l, "\r\n");
        size_t ll = eol ? (size_t)(eol - l) : strlen(l);
        if (ll > 0 && strncasecmp(l, "Date:", 5) != 0 && strncasecmp(l, "X-Request-ID:", 13) != 0 &&
            used + ll + 2 < len) {
            memcpy(out + used, l, ll);
            used += ll;
            out[used++] = '\n';
            out[used] = '\0';
        }
        l = eol ? eol + 2 : l + ll;
    }
}

/* HEAD on every GET route: the same status and headers (Content-Length
 * included) and no body; OPTIONS: 204 with the path's Allow. */
START_TEST(test_head_and_options)
{
    static const char *const paths[] = {"/health", "/api/runs/42?q=x", "/api/runs/last",
                                        "/files/a/b", "/metrics"};
    char g[2048], h[2048];
    struct resp r, hr;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        r = get(paths[i], NULL);
        hr = request(NULL, "HEAD", paths[i], NULL, NULL, 0, 0);
        ck_assert_int_eq(hr.rc, CURLE_OK);
        ck_assert_int_eq(hr.status, r.status);
        ck_assert_int_eq(hr.body.n, 0);
        stable_headers(&r, g, sizeof(g));
        stable_headers(&hr, h, sizeof(h));
        if (strcmp(paths[i], "/metrics") != 0) /* the metrics text grows between the two */
            ck_assert_str_eq(h, g);
        ck_assert_msg(strstr(h, "Content-Length: ") != NULL, "%s: %s", paths[i], h);
        ck_assert_ptr_nonnull(header(&hr, "X-Request-ID"));
        resp_free(&r);
        resp_free(&hr);
        char next[16];
        tu_head_then_get(http_server_port(srv), paths[i], "", next, sizeof(next));
        ck_assert_msg(strncmp(next, "HTTP/1.1 ", 9) == 0, "%s: a body after HEAD: %s", paths[i],
                      next);
    }
    /* a HEAD whose path has no GET: 405, the same Allow as for any other method */
    hr = request(NULL, "HEAD", "/echo", NULL, NULL, 0, 0);
    ck_assert_int_eq(hr.status, 405);
    ck_assert_str_eq(header(&hr, "Allow"), "OPTIONS, POST");
    ck_assert_int_eq(hr.body.n, 0);
    resp_free(&hr);
    hr = request(NULL, "HEAD", "/nope", NULL, NULL, 0, 0);
    ck_assert_int_eq(hr.status, 404);
    resp_free(&hr);

    r = request(NULL, "OPTIONS", "/api/runs/7", NULL, NULL, 0, 0);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(header(&r, "Allow"), "DELETE, GET, HEAD, OPTIONS");
    ck_assert_int_eq(r.body.n, 0);
    ck_assert_ptr_nonnull(header(&r, "X-Request-ID"));
    ck_assert_str_eq(header(&r, "X-Content-Type-Options"), "nosniff");
    resp_free(&r);
    r = request(NULL, "OPTIONS", "/echo", NULL, NULL, 0, 0);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(header(&r, "Allow"), "OPTIONS, POST");
    resp_free(&r);
    r = request(NULL, "OPTIONS", "/nope/nothing", NULL, NULL, 0, 0);
    assert_error(&r, 404, "Not found");
    resp_free(&r);
    ck_assert_int_eq(atomic_load(&echo_calls), 0);
}
END_TEST

/* ---- raw sockets: what the server does before and while a body arrives ---- */

static int raw_connect(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 10}; /* hang guard on every read */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Reads until the server closes (EOF, or a reset after its answer): returns
 * what arrived (caller frees); *closed 1 when the end was a close, 0 when the
 * hang guard expired with the connection still open. */
static char *raw_read_to_close(int fd, size_t *len, int *closed)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    ck_assert_ptr_nonnull(buf);
    *closed = 0;
    for (;;) {
        ssize_t got = recv(fd, buf + n, cap - n, 0);
        if (got > 0) {
            n += (size_t)got;
            if (n == cap) {
                cap *= 2;
                buf = realloc(buf, cap + 1);
                ck_assert_ptr_nonnull(buf);
            }
            continue;
        }
        *closed = got == 0 || errno == ECONNRESET;
        break;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A body declared far over the limit is refused from its headers: the 413 of
 * the pipeline (JSON, request id, security headers) comes back although not
 * one body byte was sent, no 100 Continue comes first, and the server closes
 * the connection instead of waiting for the body. */
START_TEST(test_413_before_the_body)
{
    static const char *const heads[] = {
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Content-Length: 1073741824\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Expect: 100-continue\r\nContent-Length: 1073741824\r\n\r\n",
        /* a path no route serves: its 404, just as early */
        "PUT /nope HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        int fd = raw_connect(http_server_port(srv)), closed = 0;
        size_t len = 0;
        ck_assert_int_eq(write(fd, heads[i], strlen(heads[i])), (ssize_t)strlen(heads[i]));
        char *got = raw_read_to_close(fd, &len, &closed);
        close(fd);
        ck_assert_msg(closed, "case %zu: the connection stayed open (waiting for the body): %s", i,
                      got);
        if (i < 2) {
            ck_assert_msg(strncmp(got, "HTTP/1.1 413 ", 13) == 0, "case %zu: %s", i, got);
            ck_assert_msg(strstr(got, "{\"error\":\"Request body too large\",\"request_id\":\"") !=
                              NULL,
                          "%s", got);
            ck_assert_msg(strstr(got, "100 Continue") == NULL, "%s", got);
        } else {
            ck_assert_msg(strncmp(got, "HTTP/1.1 404 ", 13) == 0, "case %zu: %s", i, got);
        }
        ck_assert_msg(strcasestr(got, "\r\nConnection: close\r\n") != NULL, "%s", got);
        ck_assert_msg(strcasestr(got, "\r\nX-Request-ID: ") != NULL, "%s", got);
        ck_assert_msg(strcasestr(got, "\r\nX-Content-Type-Options: nosniff\r\n") != NULL, "%s",
                      got);
        free(got);
    }
    ck_assert_int_eq(atomic_load(&echo_calls), 0);
}
END_TEST

/* A chunked body (no length) is refused as soon as the total passes the
 * limit: the 413 arrives and the connection is closed while the client is
 * still sending — it never gets to send the 64 MiB it meant to. */
START_TEST(test_413_chunked_once_over_the_limit)
{
    const char *head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    const size_t chunk = 64 * 1024, want = 64 * (size_t)MIB;
    char *piece = malloc(chunk + 32);
    int fd = raw_connect(http_server_port(srv)), closed = 0, n;
    size_t sent = 0, len = 0;

    ck_assert_ptr_nonnull(piece);
    n = snprintf(piece, 32, "%zx\r\n", chunk);
    memset(piece + n, ' ', chunk);
    memcpy(piece + n + chunk, "\r\n", 2);
    ck_assert_int_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    while (sent < want) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 0) > 0)
            break; /* the answer (or the close) is there */
        ssize_t w = send(fd, piece, (size_t)n + chunk + 2, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* reset: the server closed */
        sent += chunk;
    }
    char *got = raw_read_to_close(fd, &len, &closed);
    close(fd);
    free(piece);
    ck_assert_msg(sent < want, "the server read the whole %zu-byte body", want);
    ck_assert_msg(sent > MIB, "refused after only %zu bytes (the limit is %d)", sent, MIB);
    ck_assert_msg(strncmp(got, "HTTP/1.1 413 ", 13) == 0, "after %zu bytes: %s", sent, got);
    ck_assert_msg(strstr(got, "{\"error\":\"Request body too large\"") != NULL, "%s", got);
    ck_assert_msg(strcasestr(got, "\r\nConnection: close\r\n") != NULL, "%s", got);
    ck_assert_msg(strcasestr(got, "\r\nX-Request-ID: ") != NULL, "%s", got);
    ck_assert_msg(closed, "the connection stayed open");
    free(got);
    ck_assert_int_eq(atomic_load(&echo_calls), 0);

    /* the server is fine afterwards: a body at the limit still goes through */
    struct resp r = post_json("/echo", "{\"a\":1}");
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
}
END_TEST

START_TEST(test_too_large_413)
{
    char *big = malloc(2 * MIB);
    memset(big, ' ', 2 * MIB);
    const char *hd[] = {"Content-Type: application/json", NULL};
    struct resp r = request(NULL, "POST", "/echo", hd, big, 2 * MIB, 0);
    assert_error(&r, 413, "Request body too large");
    resp_free(&r);
    /* chunked: no Content-Length, caught from the received length */
    r = request(NULL, "POST", "/echo", hd, big, MIB + 10, 1);
    assert_error(&r, 413, "Request body too large");
    resp_free(&r);
    ck_assert_int_eq(atomic_load(&echo_calls), 0); /* the handler never ran */

    /* exactly the limit is fine */
    memcpy(big, "{\"a\":\"", 6);
    memset(big + 6, 'x', MIB - 8);
    memcpy(big + MIB - 2, "\"}", 2);
    r = request(NULL, "POST", "/echo", hd, big, MIB, 0);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    r = request(NULL, "POST", "/echo", hd, big, MIB, 1);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    ck_assert_int_eq(atomic_load(&echo_calls), 2);
    free(big);
}
END_TEST

START_TEST(test_invalid_json_400)
{
    struct resp r = post_json("/echo", "{\"a\": 1,");
    ck_assert_int_eq(r.status, 400);
    assert_security_headers(&r);
    json_t *j = body_json(&r);
    const char *msg = json_string_value(json_object_get(j, "error"));
    ck_assert_msg(strncmp(msg, "Invalid JSON: ", 14) == 0, "got %s", msg);
    ck_assert_ptr_nonnull(strstr(msg, " at position 8"));
    json_decref(j);
    resp_free(&r);

    r = post_json("/echo", "");
    ck_assert_int_eq(r.status, 400);
    j = body_json(&r);
    msg = json_string_value(json_object_get(j, "error"));
    ck_assert_msg(strncmp(msg, "Invalid JSON: ", 14) == 0, "got %s", msg);
    ck_assert_msg(strstr(msg, " at position 0") != NULL, "got %s", msg);
    json_decref(j);
    resp_free(&r);
}
END_TEST

START_TEST(test_duplicate_keys_400)
{
    struct resp r = post_json("/echo", "{\"a\":1,\"a\":2}");
    ck_assert_int_eq(r.status, 400);
    json_t *j = body_json(&r);
    const char *msg = json_string_value(json_object_get(j, "error"));
    ck_assert_msg(strncmp(msg, "Invalid JSON: ", 14) == 0 && strstr(msg, "duplicate"), "got %s",
                  msg);
    json_decref(j);
    resp_free(&r);
}
END_TEST

START_TEST(test_wrong_content_type_415)
{
    const char *hd[] = {"Content-Type: text/plain", NULL};
    struct resp r = request(NULL, "POST", "/echo", hd, "{}", 2, 0);
    assert_error(&r, 415, "Content-Type must be application/json");
    resp_free(&r);
    const char *none[] = {"Content-Type:", NULL};
    r = request(NULL, "POST", "/echo", none, "{}", 2, 0);
    ck_assert_int_eq(r.status, 415);
    resp_free(&r);
    const char *jsonish[] = {"Content-Type: application/jsonp", NULL};
    r = request(NULL, "POST", "/echo", jsonish, "{}", 2, 0);
    ck_assert_int_eq(r.status, 415);
    resp_free(&r);
    const char *ok[] = {"Content-Type: Application/JSON; charset=UTF-8", NULL};
    r = request(NULL, "POST", "/echo", ok, "{}", 2, 0);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
}
END_TEST

START_TEST(test_ready_503_when_check_fails)
{
    atomic_store(&ready_ok, 0);
    struct resp r = get("/ready", NULL);
    ck_assert_int_eq(r.status, 503);
    json_t *j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "degraded");
    ck_assert(json_is_false(
        json_object_get(json_object_get(json_object_get(j, "checks"), "thing"), "ok")));
    json_decref(j);
    resp_free(&r);

    atomic_store(&ready_ok, 1);
    r = get("/ready", NULL);
    ck_assert_int_eq(r.status, 200);
    j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ready");
    json_decref(j);
    resp_free(&r);
}
END_TEST

/* ---- behaviour --------------------------------------------------------- */

START_TEST(test_echo_200)
{
    struct resp r = post_json("/echo", "{\"n\":1.5,\"s\":\"h\\u00e9\",\"a\":[1,2]}");
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(header(&r, "Content-Type"), "application/json; charset=utf-8");
    assert_security_headers(&r);
    ck_assert_str_eq(r.body.p, "{\"echo\":{\"n\":1.5,\"s\":\"h\xc3\xa9\",\"a\":[1,2]}}");
    resp_free(&r);
}
END_TEST

START_TEST(test_request_id)
{
    const char *valid[] = {"X-Request-ID: abc.DEF_123-x", NULL};
    struct resp r = get("/api/runs/1", valid);
    ck_assert_str_eq(header(&r, "X-Request-ID"), "abc.DEF_123-x");
    resp_free(&r);

    char h65[100];
    snprintf(h65, sizeof(h65), "X-Request-ID: %065d", 7);
    const char *too_long[] = {h65, NULL};
    const char *spaced[] = {"X-Request-ID: has space", NULL};
    const char *bad_char[] = {"X-Request-ID: a/b", NULL};
    const char *const *cases[] = {too_long, spaced, bad_char, NULL};
    for (int i = 0; i < 4; i++) {
        r = get("/api/runs/1", cases[i]);
        ck_assert_int_eq(r.status, 200);
        ck_assert_msg(crypto_is_uuid(header(&r, "X-Request-ID")), "case %d: not a UUID: %s", i,
                      header(&r, "X-Request-ID"));
        resp_free(&r);
    }
    /* 64 chars is still accepted */
    snprintf(h65, sizeof(h65), "X-Request-ID: %064d", 7);
    r = get("/api/runs/1", too_long);
    ck_assert_uint_eq(strlen(header(&r, "X-Request-ID")), 64);
    resp_free(&r);
}
END_TEST

START_TEST(test_wildcard_prefix)
{
    struct resp r = get("/files/a/b/c.txt", NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body.p, "{\"route\":\"/files/*\"}");
    resp_free(&r);
    r = get("/filesystem", NULL); /* a prefix is a whole segment */
    ck_assert_int_eq(r.status, 404);
    resp_free(&r);
}
END_TEST

START_TEST(test_literal_template_wins)
{
    for (int i = 0; i < 3; i++) { /* whatever the registration order, every time */
        struct resp r = get("/api/runs/last", NULL);
        ck_assert_str_eq(r.body.p, "{\"which\":\"last\"}");
        resp_free(&r);
        r = get("/api/runs/3f2a?q=x%20y", NULL);
        json_t *j = body_json(&r);
        ck_assert_str_eq(json_string_value(json_object_get(j, "which")), "param");
        ck_assert_str_eq(json_string_value(json_object_get(j, "run_id")), "3f2a");
        ck_assert_str_eq(json_string_value(json_object_get(j, "q")), "x y");
        json_decref(j);
        resp_free(&r);
    }
}
END_TEST

/* The parameters are filled as ulfius' dispatcher fills them: url-decoded,
 * and a query parameter of the same name comes first, joined with ','. */
START_TEST(test_route_params_decoded)
{
    struct resp r = get("/api/runs/x%20y", NULL);
    json_t *j = body_json(&r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "run_id")), "x y");
    json_decref(j);
    resp_free(&r);
    r = get("/api/runs/7?run_id=q", NULL);
    j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "run_id")), "q,7");
    json_decref(j);
    resp_free(&r);
    r = get("/api/runs/7/extra", NULL); /* one segment too many */
    ck_assert_int_eq(r.status, 404);
    resp_free(&r);
}
END_TEST

START_TEST(test_health_and_metrics)
{
    struct resp r = get("/health", NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "healthy");
    ck_assert_str_eq(json_string_value(json_object_get(j, "service")), "test");
    ck_assert_str_eq(json_string_value(json_object_get(j, "version")), "9.9.9");
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(j, "timestamp"))), 24);
    json_decref(j);
    resp_free(&r);

    r = get("/api/runs/abc123", NULL);
    resp_free(&r);
    r = get("/nowhere/at/all", NULL);
    resp_free(&r);
    r = get("/metrics", NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_msg(strstr(r.body.p, "http_requests_total{method=\"GET\",endpoint=\"/api/runs/"
                                   ":run_id\",status=\"200\",tenant=\"acme\"} 1") != NULL,
                  "metrics:\n%s", r.body.p);
    ck_assert_ptr_nonnull(strstr(r.body.p, "endpoint=\"unmatched\",status=\"404\""));
    ck_assert_ptr_nonnull(strstr(r.body.p, "http_request_duration_seconds_bucket{"));
    ck_assert_ptr_null(strstr(r.body.p, "abc123"));
    ck_assert_ptr_null(strstr(r.body.p, "nowhere"));
    resp_free(&r);
}
END_TEST

START_TEST(test_metrics_disabled_404)
{
    struct http_server *keep = srv;
    struct metrics_registry *m = metrics_registry_new();
    srv = start_server(m, 1, 0);
    struct resp r = get("/metrics", NULL);
    assert_error(&r, 404, "Not found");
    resp_free(&r);
    http_server_free(srv);
    metrics_registry_free(m);
    srv = keep;
}
END_TEST

START_TEST(test_access_log_has_no_secrets)
{
    char path[] = "/tmp/valor-http-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(1);
    ck_assert_int_ge(fd, 0);
    fflush(stdout);
    dup2(fd, 1);
    const char *hd[] = {"Content-Type: application/json",
                        "Authorization: Bearer sekrit-token-value", NULL};
    struct resp r = request(NULL, "POST", "/echo", hd, "{\"password\":\"body-sekrit\"}", 26, 0);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    usleep(50 * 1000);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    char log[8192] = "";
    ssize_t n = pread(fd, log, sizeof(log) - 1, 0);
    close(fd);
    unlink(path);
    ck_assert_int_gt(n, 0);
    log[n] = '\0';
    ck_assert_msg(strstr(log, "\"event\":\"request\"") != NULL, "log: %s", log);
    ck_assert_ptr_nonnull(strstr(log, "\"route\":\"/echo\""));
    ck_assert_ptr_nonnull(strstr(log, "\"status\":200"));
    ck_assert_ptr_nonnull(strstr(log, "\"client_ip\":\"127.0.0.1\""));
    ck_assert_ptr_nonnull(strstr(log, "\"bytes_out\":"));
    ck_assert_ptr_null(strstr(log, "sekrit"));
    ck_assert_ptr_null(strstr(log, "Bearer"));
}
END_TEST

struct slow_arg {
    struct resp r;
};

static void *slow_client(void *p)
{
    struct slow_arg *a = p;
    a->r = get("/slow", NULL);
    return NULL;
}

static void *stopper(void *p)
{
    http_server_stop(p, 5);
    return NULL;
}

START_TEST(test_graceful_stop)
{
    struct slow_arg a;
    pthread_t tc, ts;
    ck_assert_int_eq(pthread_create(&tc, NULL, slow_client, &a), 0);
    for (int i = 0; i < 200 && http_server_inflight(srv) == 0; i++)
        usleep(5000);
    ck_assert_int_eq(http_server_inflight(srv), 1);
    ck_assert_int_eq(pthread_create(&ts, NULL, stopper, srv), 0);
    usleep(100 * 1000);
    /* draining: the slow request is still running, new connections are refused */
    struct resp r = get("/health", NULL);
    ck_assert_int_eq(r.rc, CURLE_COULDNT_CONNECT);
    resp_free(&r);
    pthread_join(ts, NULL);
    pthread_join(tc, NULL);
    ck_assert_int_eq(a.r.rc, CURLE_OK);
    ck_assert_int_eq(a.r.status, 200);
    ck_assert_str_eq(a.r.body.p, "{\"slow\":true}");
    resp_free(&a.r);
    r = get("/health", NULL);
    ck_assert_int_eq(r.rc, CURLE_COULDNT_CONNECT);
    resp_free(&r);
}
END_TEST

/* Clients that connect, ask /health and hang up, over and over, until told
 * to stop (port: the server of this round). */
static atomic_int churn_port, churn_stop, churn_served;

static void *churn_client(void *p)
{
    (void)p;
    while (!atomic_load(&churn_stop)) {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((unsigned short)atomic_load(&churn_port)),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        struct timeval tv = {.tv_sec = 10}; /* a hang guard */
        static const char req[] = "GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        char buf[4096];
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1) &&
            read(fd, buf, sizeof(buf)) > 0)
            atomic_fetch_add(&churn_served, 1);
        close(fd);
    }
    return NULL;
}

/* Stopping while connections come and go never aborts the process: with
 * MHD's epoll loop, MHD_quiesce_daemon() races the workers' own removal of
 * the listening socket from their epoll sets and MHD_PANIC()s (libmicrohttpd
 * 0.9.75, "Failed to remove listen FD from epoll set"), which is why the
 * server polls. Counted in rounds, not time. */
START_TEST(test_stop_under_connection_churn)
{
    for (int round = 0; round < 150; round++) {
        struct http_server *s = start_server(NULL, 4, 0);
        pthread_t t[3];
        atomic_store(&churn_port, http_server_port(s));
        atomic_store(&churn_stop, 0);
        atomic_store(&churn_served, 0);
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, churn_client, NULL), 0);
        while (atomic_load(&churn_served) < 20) /* the workers are busy now */
            usleep(1000);
        http_server_stop(s, 1);
        atomic_store(&churn_stop, 1);
        for (int i = 0; i < 3; i++)
            pthread_join(t[i], NULL);
        http_server_free(s);
    }
}
END_TEST

static atomic_int concurrent_ok;

static void *hammer(void *p)
{
    (void)p;
    CURL *h = curl_easy_init(); /* one handle: keep-alive reuse */
    for (int i = 0; i < 8; i++) {
        char body[64];
        int n = snprintf(body, sizeof(body), "{\"i\":%d}", i);
        const char *hd[] = {"Content-Type: application/json", NULL};
        struct resp r = request(h, "POST", "/echo", hd, body, (size_t)n, 0);
        char want[80];
        snprintf(want, sizeof(want), "{\"echo\":%s}", body);
        if (r.rc == CURLE_OK && r.status == 200 && r.body.p && strcmp(r.body.p, want) == 0)
            atomic_fetch_add(&concurrent_ok, 1);
        resp_free(&r);
    }
    curl_easy_cleanup(h);
    return NULL;
}

START_TEST(test_concurrent_requests)
{
    pthread_t t[8];
    atomic_store(&concurrent_ok, 0);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&concurrent_ok), 64);
    ck_assert_int_eq(atomic_load(&echo_calls), 64);
    ck_assert_int_eq(http_server_inflight(srv), 0);
}
END_TEST

START_TEST(test_bad_options_rejected)
{
    struct http_server *s = (struct http_server *)1;
    struct http_server_opts o = {.bind_host = "not-an-ip", .threads = 1, .max_connections = 1};
    ck_assert_int_eq(http_server_new(&o, &s), VALOR_E_INVALID);
    ck_assert_ptr_null(s);
    o.bind_host = "127.0.0.1";
    o.threads = 0;
    ck_assert_int_eq(http_server_new(&o, &s), VALOR_E_INVALID);
    o.threads = 1;
    ck_assert_int_eq(http_server_new(&o, &s), VALOR_OK);
    ck_assert_int_eq(http_route(s, "GET", "no-slash", h_last, NULL), VALOR_E_INVALID);
    ck_assert_int_eq(http_route(s, "GET", "/x", NULL, NULL), VALOR_E_INVALID);
    http_server_free(s); /* never started */
}
END_TEST

/* Once a server exists, ulfius' o_realloc grows blocks geometrically and
 * never shrinks them; the contents survive and the blocks stay malloc's. */
START_TEST(test_ulfius_realloc_grows_and_keeps)
{
    struct http_server *s = NULL;
    struct http_server_opts o = {.bind_host = "127.0.0.1", .threads = 1, .max_connections = 1};
    ck_assert_int_eq(http_server_new(&o, &s), VALOR_OK);
    char *p = o_malloc(1000);
    ck_assert_ptr_nonnull(p);
    memcpy(p, "abcdefg", 8);
    size_t usable = malloc_usable_size(p);
    p = o_realloc(p, usable + 1); /* one byte more: twice the block */
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_ge(malloc_usable_size(p), 2 * usable);
    ck_assert_str_eq(p, "abcdefg");
    usable = malloc_usable_size(p);
    char *same = o_realloc(p, 16); /* never shrunk */
    ck_assert_ptr_eq(same, p);
    ck_assert_uint_eq(malloc_usable_size(same), usable);
    ck_assert_str_eq(same, "abcdefg");
    free(same); /* still a malloc block */
    http_server_free(s);
}
END_TEST

START_TEST(test_ipv6_bind)
{
    struct http_server *s6 = NULL;
    struct http_server_opts o = {.service = "v6",
                                 .bind_host = "::1",
                                 .threads = 2,
                                 .max_connections = 8,
                                 .connection_timeout_s = 5,
                                 .max_body_bytes = 1024};
    ck_assert_int_eq(http_server_new(&o, &s6), VALOR_OK);
    ck_assert_int_eq(http_route(s6, "GET", "/api/runs/last", h_last, NULL), VALOR_OK);
    ck_assert_int_eq(http_server_start(s6), VALOR_OK);
    char url[96];
    struct tu_http_resp r;
    snprintf(url, sizeof(url), "http://[::1]:%d/api/runs/last", http_server_port(s6));
    ck_assert_int_eq(tu_http("GET", url, NULL, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"which\":\"last\"}");
    tu_http_resp_free(&r);
    http_server_free(s6);
}
END_TEST

START_TEST(test_timestamp_format)
{
    char ts[32];
    http_timestamp(ts, sizeof(ts));
    ck_assert_uint_eq(strlen(ts), 24);
    ck_assert_int_eq(ts[4], '-');
    ck_assert_int_eq(ts[10], 'T');
    ck_assert_int_eq(ts[19], '.');
    ck_assert_int_eq(ts[23], 'Z');
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("http");
    TCase *neg = tcase_create("negative");
    tcase_set_timeout(neg, 30);
    tcase_add_checked_fixture(neg, setup, teardown);
    tcase_add_test(neg, test_unknown_path_404);
    tcase_add_test(neg, test_wrong_method_405);
    tcase_add_test(neg, test_too_large_413);
    tcase_add_test(neg, test_413_before_the_body);
    tcase_add_test(neg, test_413_chunked_once_over_the_limit);
    tcase_add_test(neg, test_invalid_json_400);
    tcase_add_test(neg, test_duplicate_keys_400);
    tcase_add_test(neg, test_wrong_content_type_415);
    tcase_add_test(neg, test_ready_503_when_check_fails);
    tcase_add_test(neg, test_bad_options_rejected);
    suite_add_tcase(s, neg);
    TCase *tc = tcase_create("behaviour");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_echo_200);
    tcase_add_test(tc, test_head_and_options);
    tcase_add_test(tc, test_request_id);
    tcase_add_test(tc, test_literal_template_wins);
    tcase_add_test(tc, test_route_params_decoded);
    tcase_add_test(tc, test_wildcard_prefix);
    tcase_add_test(tc, test_health_and_metrics);
    tcase_add_test(tc, test_metrics_disabled_404);
    tcase_add_test(tc, test_access_log_has_no_secrets);
    tcase_add_test(tc, test_graceful_stop);
    tcase_add_test(tc, test_concurrent_requests);
    tcase_add_test(tc, test_stop_under_connection_churn);
    tcase_add_test(tc, test_timestamp_format);
    tcase_add_test(tc, test_ipv6_bind);
    tcase_add_test(tc, test_ulfius_realloc_grows_and_keeps);
    suite_add_tcase(s, tc);
    int rc = tu_run(s);
    curl_global_cleanup();
    return rc;
}
