/* The gateway's pipeline in-process in front of a fake upstream: JWT (401
 * messages), rate limits (429 body and headers, auth bucket by client IP),
 * tenant (400/403), role (403), CORS and preflights, 404/405/413, request
 * ids, metrics. Every test uses its own tenant/user/IP, so the shared Redis
 * holds no state from another test or run. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "gwtest.h"
#include "valor/kv.h"

static struct gwt_upstream up = {"echo", NULL, 0};
static struct gw *gw;
static int port;
static char tenant[64];
static int seq;

static void setup(void)
{
    gwt_upstream_start(&up, 0);
    gwt_env(up.port);
    setenv("JWT_LEEWAY", "0", 1);
    /* the defaults of api.md §6, whatever the runner exported */
    static const char *const limits[] = {"RATE_LIMIT_API",
                                         "RATE_LIMIT_API_STANDARD",
                                         "RATE_LIMIT_API_PROFESSIONAL",
                                         "RATE_LIMIT_API_ENTERPRISE",
                                         "RATE_LIMIT_HEAVY",
                                         "RATE_LIMIT_FINANCIAL_DATA"};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
        unsetenv(limits[i]);
    setenv("RATE_LIMIT_AUTH", "5/60", 1);
    setenv("TRUSTED_PROXIES", "127.0.0.1/32", 1);
    setenv("CORS_ORIGINS", "http://app.test:8000,https://ui.example.com", 1);
    ck_assert_int_eq(gw_start(&gw), VALOR_OK);
    port = gw_port(gw);
    snprintf(tenant, sizeof(tenant), "t%d-%ld", (int)getpid(), (long)time(NULL));
}

static void teardown(void)
{
    gw_stop(gw);
    gw = NULL;
    gwt_upstream_stop(&up);
}

/* A fresh user id so that no other test shares its rate-limit key. */
static const char *fresh_user(char *buf, size_t len)
{
    snprintf(buf, len, "u%d-%d-%ld", ++seq, (int)getpid(), (long)time(NULL));
    return buf;
}

/* Request as `token` of `tid` (NULL = no such header) plus one extra header. */
static json_t *as(const char *token, const char *tid, const char *method, const char *path,
                  const char *extra, const char *body, struct tu_http_resp *r)
{
    char a[1200], t[128];
    const char *h[4];
    size_t n = 0;
    if (token != NULL) {
        snprintf(a, sizeof(a), "Authorization: Bearer %s", token);
        h[n++] = a;
    }
    if (tid != NULL) {
        snprintf(t, sizeof(t), "X-Tenant-ID: %s", tid);
        h[n++] = t;
    }
    if (extra != NULL)
        h[n++] = extra;
    h[n] = NULL;
    return gwt_call(port, method, path, h, body, r);
}

static void expect_error(json_t *j, struct tu_http_resp *r, long status, const char *msg)
{
    ck_assert_msg(r->status == status, "expected %ld got %ld: %s", status, r->status, r->body);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(gwt_str(j, "error"), msg);
    ck_assert_msg(gwt_str(j, "upstream") == NULL, "forwarded: %s", r->body);
    json_decref(j);
    tu_http_resp_free(r);
}

START_TEST(test_bad_tokens_401)
{
    char u[64], bad_sig[1200], none[1200];
    char *expired =
        gwt_token(tenant, fresh_user(u, sizeof(u)), "admin", NULL, NULL, NULL, -60, NULL);
    char *aud = gwt_token(tenant, u, "admin", NULL, NULL, "other-api", 600, NULL);
    char *refresh = gwt_token(tenant, u, "admin", NULL, "refresh", NULL, 600, NULL);
    char *good = gwt_token(tenant, u, "admin", NULL, NULL, NULL, 600, NULL);
    struct tu_http_resp r;
    const char *const basic[] = {"Authorization: Basic dXNlcjpwYXNz", NULL};
    const char *const bare[] = {"Authorization: Bearer", NULL};

    expect_error(as(NULL, tenant, "GET", "/api/runs", NULL, NULL, &r), &r, 401,
                 "Authorization header required");
    expect_error(gwt_call(port, "GET", "/api/runs", basic, NULL, &r), &r, 401,
                 "Invalid authorization header format");
    expect_error(gwt_call(port, "GET", "/api/runs", bare, NULL, &r), &r, 401,
                 "Invalid authorization header format");
    expect_error(as(expired, tenant, "GET", "/api/runs", NULL, NULL, &r), &r, 401, "Token expired");
    expect_error(as(aud, tenant, "GET", "/api/runs", NULL, NULL, &r), &r, 401, "Invalid token");
    expect_error(as(refresh, tenant, "GET", "/api/runs", NULL, NULL, &r), &r, 401, "Invalid token");
    expect_error(as("not.a.jwt", tenant, "GET", "/api/runs", NULL, NULL, &r), &r, 401,
                 "Invalid token");
    /* forged: the signature of another payload */
    snprintf(bad_sig, sizeof(bad_sig), "%s", good);
    char *last = strrchr(bad_sig, '.');
    last[1] = last[1] == 'A' ? 'B' : 'A';
    expect_error(as(bad_sig, tenant, "GET", "/api/runs", NULL, NULL, &r), &r, 401, "Invalid token");
    /* alg:none with the good payload and no signature */
    const char *payload = strchr(good, '.') + 1;
    size_t plen = (size_t)(strrchr(good, '.') - payload);
    snprintf(none, sizeof(none), "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%.*s.", (int)plen, payload);
    expect_error(as(none, tenant, "GET", "/api/runs", NULL, NULL, &r), &r, 401, "Invalid token");
    /* and the good one passes */
    json_t *j = as(good, tenant, "GET", "/api/runs", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(gwt_str(j, "upstream"), "echo");
    json_decref(j);
    tu_http_resp_free(&r);
    free(expired);
    free(aud);
    free(refresh);
    free(good);
}
END_TEST

START_TEST(test_denylisted_jti_401)
{
    char u[64], jti[40], key[128];
    struct kv_opts o = {.url = tu_env("REDIS_URL")};
    struct kv_client *c = NULL;
    redisReply *reply = NULL;
    struct tu_http_resp r;

    snprintf(jti, sizeof(jti), "6f1c0e1e-%04x-4000-8000-%012lx", (unsigned)getpid() & 0xffff,
             (long)time(NULL));
    char *tok = gwt_token(tenant, fresh_user(u, sizeof(u)), "admin", NULL, NULL, NULL, 600, jti);
    json_decref(as(tok, tenant, "GET", "/api/runs", NULL, NULL, &r));
    ck_assert_int_eq(r.status, 200);
    tu_http_resp_free(&r);

    ck_assert_int_eq(kv_denylist_key(jti, key, sizeof(key)), VALOR_OK);
    const char *argv[] = {"SET", key, "1", "EX", "600"};
    ck_assert_int_eq(kv_open(&o, &c), VALOR_OK);
    ck_assert_int_eq(kv_command_argv(c, 5, argv, NULL, &reply), VALOR_OK);
    freeReplyObject(reply);
    kv_close(c);
    expect_error(as(tok, tenant, "GET", "/api/runs", NULL, NULL, &r), &r, 401, "Invalid token");
    free(tok);
}
END_TEST

START_TEST(test_tenant_and_role_checks)
{
    char u[64];
    char *admin = gwt_token(tenant, fresh_user(u, sizeof(u)), "admin", NULL, NULL, NULL, 600, NULL);
    char *viewer =
        gwt_token(tenant, fresh_user(u, sizeof(u)), "viewer", NULL, NULL, NULL, 600, NULL);
    char *analyst =
        gwt_token(tenant, fresh_user(u, sizeof(u)), "analyst", NULL, NULL, NULL, 600, NULL);
    struct tu_http_resp r;
    json_t *j;

    expect_error(as(admin, NULL, "GET", "/api/runs", NULL, NULL, &r), &r, 400,
                 "Tenant ID required");
    expect_error(as(admin, "", "GET", "/api/runs", NULL, NULL, &r), &r, 400, "Tenant ID required");
    expect_error(as(admin, "other-tenant", "GET", "/api/runs", NULL, NULL, &r), &r, 403,
                 "Tenant mismatch");
    /* auth routes: the tenant header is optional but must match when sent */
    j = as(admin, NULL, "GET", "/api/auth/profile", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(j);
    tu_http_resp_free(&r);
    expect_error(as(admin, "other-tenant", "GET", "/api/auth/profile", NULL, NULL, &r), &r, 403,
                 "Tenant mismatch");

    /* viewers read, never write; calculations are not writes */
    expect_error(as(viewer, tenant, "POST", "/api/runs", NULL, "{}", &r), &r, 403,
                 "Insufficient permissions");
    expect_error(as(viewer, tenant, "DELETE", "/api/runs/abc", NULL, NULL, &r), &r, 403,
                 "Insufficient permissions");
    expect_error(as(viewer, tenant, "PUT", "/api/notes/AAPL", NULL, "{}", &r), &r, 403,
                 "Insufficient permissions");
    j = as(viewer, tenant, "GET", "/api/runs/abc", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(j);
    tu_http_resp_free(&r);
    /* HEAD reads like GET: a viewer may, and the token is still required */
    as(viewer, tenant, "HEAD", "/api/runs/abc", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.len, 0);
    tu_http_resp_free(&r);
    as(NULL, tenant, "HEAD", "/api/runs/abc", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_int_eq(r.len, 0);
    tu_http_resp_free(&r);
    j = as(viewer, tenant, "POST", "/api/dcf/calculate", NULL, "{}", &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(j);
    tu_http_resp_free(&r);
    j = as(viewer, NULL, "POST", "/api/auth/logout", NULL, "{}", &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(j);
    tu_http_resp_free(&r);
    /* admin routes */
    expect_error(as(analyst, NULL, "GET", "/api/audit", NULL, NULL, &r), &r, 403,
                 "Insufficient permissions");
    expect_error(as(analyst, NULL, "PATCH", "/api/auth/users/3", NULL, "{}", &r), &r, 403,
                 "Insufficient permissions");
    expect_error(as(analyst, tenant, "PUT", "/api/financial-data/AAPL", NULL, "{}", &r), &r, 403,
                 "Insufficient permissions");
    j = as(analyst, tenant, "POST", "/api/runs", NULL, "{}", &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(j);
    tu_http_resp_free(&r);
    j = as(admin, NULL, "GET", "/api/audit", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(gwt_str(j, "upstream"), "echo");
    json_decref(j);
    tu_http_resp_free(&r);
    free(admin);
    free(viewer);
    free(analyst);
}
END_TEST

static void expect_rl_headers(struct tu_http_resp *r, const char *limit, const char *policy)
{
    char v[128];
    ck_assert_int_eq(tu_http_header(r, "X-RateLimit-Limit", v, sizeof(v)), 0);
    ck_assert_str_eq(v, limit);
    ck_assert_int_eq(tu_http_header(r, "X-RateLimit-Remaining", v, sizeof(v)), 0);
    ck_assert_int_eq(tu_http_header(r, "X-RateLimit-Reset", v, sizeof(v)), 0);
    ck_assert_msg(atoll(v) >= (long long)time(NULL), "reset %s is not an epoch time", v);
    ck_assert_int_eq(tu_http_header(r, "RateLimit-Policy", v, sizeof(v)), 0);
    ck_assert_str_eq(v, policy);
    ck_assert_int_eq(tu_http_header(r, "RateLimit", v, sizeof(v)), 0);
    ck_assert_msg(strncmp(v, "limit=", 6) == 0 && strstr(v, ", remaining=") != NULL &&
                      strstr(v, ", reset=") != NULL,
                  "RateLimit: %s", v);
}

START_TEST(test_api_limit_101st_refused)
{
    char u[64], v[64];
    char *tok = gwt_token(tenant, fresh_user(u, sizeof(u)), "analyst", NULL, NULL, NULL, 600, NULL);
    struct tu_http_resp r;
    json_t *j;

    for (int i = 1; i <= 100; i++) {
        j = as(tok, tenant, "GET", "/api/runs", NULL, NULL, &r);
        ck_assert_msg(r.status == 200, "request %d: %ld %s", i, r.status, r.body);
        if (i == 1 || i == 100) {
            expect_rl_headers(&r, "100", "100;w=60");
            ck_assert_int_eq(tu_http_header(&r, "X-RateLimit-Remaining", v, sizeof(v)), 0);
            ck_assert_int_eq(atoi(v), 100 - i);
        }
        json_decref(j);
        tu_http_resp_free(&r);
    }
    j = as(tok, tenant, "GET", "/api/runs", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 429);
    ck_assert_str_eq(gwt_str(j, "error"), "Rate limit exceeded");
    ck_assert_str_eq(gwt_str(j, "message"),
                     "Too many requests. Limit: 100 requests per 60 seconds");
    json_int_t ra = json_integer_value(json_object_get(j, "retry_after"));
    ck_assert_int_ge(ra, 1);
    ck_assert_int_eq(json_object_size(j), 3);
    ck_assert_int_eq(tu_http_header(&r, "Retry-After", v, sizeof(v)), 0);
    ck_assert_int_eq(atoll(v), ra);
    expect_rl_headers(&r, "100", "100;w=60");
    ck_assert_int_eq(tu_http_header(&r, "X-RateLimit-Remaining", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "0");
    json_decref(j);
    tu_http_resp_free(&r);
    /* 429 comes before the tenant check (api.md §0 precedence) */
    j = as(tok, "other-tenant", "GET", "/api/runs", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 429);
    json_decref(j);
    tu_http_resp_free(&r);
    free(tok);

    /* another user of the same tenant is not affected; errors carry the headers too */
    tok = gwt_token(tenant, fresh_user(u, sizeof(u)), "viewer", NULL, NULL, NULL, 600, NULL);
    j = as(tok, tenant, "POST", "/api/runs", NULL, "{}", &r);
    ck_assert_int_eq(r.status, 403);
    expect_rl_headers(&r, "100", "100;w=60");
    json_decref(j);
    tu_http_resp_free(&r);
    free(tok);
}
END_TEST

START_TEST(test_buckets_by_route_and_plan)
{
    char u[64];
    char *pro = gwt_token(tenant, fresh_user(u, sizeof(u)), "analyst", "professional", NULL, NULL,
                          600, NULL);
    struct tu_http_resp r;

    json_decref(as(pro, tenant, "GET", "/api/runs", NULL, NULL, &r));
    expect_rl_headers(&r, "500", "500;w=60");
    tu_http_resp_free(&r);
    json_decref(as(pro, tenant, "GET", "/api/financial-data/AAPL", NULL, NULL, &r));
    expect_rl_headers(&r, "30", "30;w=60");
    tu_http_resp_free(&r);
    for (int i = 1; i <= 11; i++) {
        json_decref(as(pro, tenant, "POST", "/api/dcf/monte-carlo", NULL, "{}", &r));
        ck_assert_msg(r.status == (i <= 10 ? 200 : 429), "heavy request %d: %ld", i, r.status);
        expect_rl_headers(&r, "10", "10;w=60");
        tu_http_resp_free(&r);
    }
    /* the heavy bucket is separate from api */
    json_decref(as(pro, tenant, "POST", "/api/dcf/calculate", NULL, "{}", &r));
    ck_assert_int_eq(r.status, 200);
    tu_http_resp_free(&r);
    /* unlimited routes carry no rate-limit headers */
    json_decref(gwt_call(port, "GET", "/api/health", NULL, NULL, &r));
    char v[32];
    ck_assert_int_eq(tu_http_header(&r, "X-RateLimit-Limit", v, sizeof(v)), -1);
    tu_http_resp_free(&r);
    free(pro);
}
END_TEST

START_TEST(test_auth_bucket_by_client_ip)
{
    char xff[64], other[64];
    struct tu_http_resp r;
    /* the peer (127.0.0.1) is a trusted proxy: the client is X-Forwarded-For */
    snprintf(xff, sizeof(xff), "X-Forwarded-For: 10.%d.%d.%d", (int)(getpid() % 250),
             (int)(time(NULL) % 250), seq++ % 250);
    snprintf(other, sizeof(other), "X-Forwarded-For: 10.%d.%d.%d", (int)(getpid() % 250),
             (int)(time(NULL) % 250), (seq++ % 250) + 1);
    for (int i = 1; i <= 6; i++) {
        json_t *j = as(NULL, NULL, "POST", "/api/auth/login", xff, "{}", &r);
        ck_assert_msg(r.status == (i <= 5 ? 200 : 429), "login %d: %ld", i, r.status);
        expect_rl_headers(&r, "5", "5;w=60");
        if (i == 6)
            ck_assert_str_eq(gwt_str(j, "message"),
                             "Too many requests. Limit: 5 requests per 60 seconds");
        json_decref(j);
        tu_http_resp_free(&r);
    }
    /* register and refresh share the bucket; another client address does not */
    json_decref(as(NULL, NULL, "POST", "/api/auth/register", xff, "{}", &r));
    ck_assert_int_eq(r.status, 429);
    tu_http_resp_free(&r);
    json_decref(as(NULL, NULL, "POST", "/api/auth/refresh", other, "{}", &r));
    ck_assert_int_eq(r.status, 200);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_cors)
{
    char v[256];
    struct tu_http_resp r;
    const char *const pre[] = {"Origin: http://app.test:8000",
                               "Access-Control-Request-Method: POST", NULL};
    const char *const evil[] = {"Origin: http://evil.test", "Access-Control-Request-Method: POST",
                                NULL};
    const char *const get_ok[] = {"Origin: https://ui.example.com", NULL};
    const char *const get_evil[] = {"Origin: https://evil.example.com", NULL};

    gwt_call(port, "OPTIONS", "/api/runs", pre, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "http://app.test:8000");
    ck_assert_int_eq(tu_http_header(&r, "Vary", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "Origin");
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Allow-Credentials", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "true");
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)), 0);
    ck_assert_msg(strstr(v, "POST") && strstr(v, "PATCH") && strstr(v, "DELETE"), "%s", v);
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Allow-Headers", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "Authorization, Content-Type, X-Tenant-ID, X-Request-ID, If-Match, "
                        "If-None-Match");
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Max-Age", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "600");
    ck_assert_int_eq(tu_http_header(&r, "X-RateLimit-Limit", v, sizeof(v)), -1);
    ck_assert_int_eq(tu_http_header(&r, "X-Request-ID", v, sizeof(v)), 0);
    tu_http_resp_free(&r);

    gwt_call(port, "OPTIONS", "/api/runs", evil, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_msg(strstr(r.headers, "Access-Control-") == NULL, "%s", r.headers);
    tu_http_resp_free(&r);

    /* an OPTIONS that is not a preflight (no Access-Control-Request-Method):
     * 204 with the path's Allow, CORS headers as on any request, no preflight
     * answer; unknown path 404 */
    gwt_call(port, "OPTIONS", "/api/runs/abc", get_ok, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_int_eq(tu_http_header(&r, "Allow", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "DELETE, GET, HEAD, OPTIONS");
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)), 0);
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)), -1);
    ck_assert_int_eq(tu_http_header(&r, "X-RateLimit-Limit", v, sizeof(v)), -1); /* not limited */
    tu_http_resp_free(&r);
    gwt_call(port, "OPTIONS", "/api/health", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_int_eq(tu_http_header(&r, "Allow", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "GET, HEAD, OPTIONS");
    tu_http_resp_free(&r);
    json_decref(gwt_call(port, "OPTIONS", "/api/nothing-here", NULL, NULL, &r));
    ck_assert_int_eq(r.status, 404);
    tu_http_resp_free(&r);
    /* HEAD of a system route: the GET's status and length, no body */
    json_decref(gwt_call(port, "GET", "/", NULL, NULL, &r));
    char len_get[32];
    ck_assert_int_eq(tu_http_header(&r, "Content-Length", len_get, sizeof(len_get)), 0);
    tu_http_resp_free(&r);
    gwt_call(port, "HEAD", "/", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.len, 0);
    ck_assert_int_eq(tu_http_header(&r, "Content-Length", v, sizeof(v)), 0);
    ck_assert_str_eq(v, len_get);
    tu_http_resp_free(&r);

    /* actual requests: allowed origin, even on an error; other origin untouched */
    json_decref(gwt_call(port, "GET", "/api/runs", get_ok, NULL, &r));
    ck_assert_int_eq(r.status, 401);
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "https://ui.example.com");
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Expose-Headers", v, sizeof(v)), 0);
    ck_assert_msg(strstr(v, "X-RateLimit-Remaining") && strstr(v, "Retry-After") &&
                      strstr(v, "RateLimit-Policy") && strstr(v, "ETag"),
                  "%s", v);
    ck_assert_int_eq(tu_http_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)), -1);
    tu_http_resp_free(&r);
    json_decref(gwt_call(port, "GET", "/api/health", get_evil, NULL, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.headers, "Access-Control-") == NULL, "%s", r.headers);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_404_405_413_and_request_id)
{
    char u[64], v[128];
    char *tok = gwt_token(tenant, fresh_user(u, sizeof(u)), "admin", NULL, NULL, NULL, 600, NULL);
    struct tu_http_resp r;
    json_t *j;
    char *big;

    expect_error(gwt_call(port, "GET", "/api/nothing-here", NULL, NULL, &r), &r, 404, "Not found");
    j = gwt_call(port, "GET", "/api/dcf/calculate", NULL, NULL, &r);
    ck_assert_int_eq(tu_http_header(&r, "Allow", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "OPTIONS, POST");
    expect_error(j, &r, 405, "Method not allowed");
    j = gwt_call(port, "PATCH", "/api/runs", NULL, NULL, &r);
    ck_assert_int_eq(tu_http_header(&r, "Allow", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "GET, HEAD, OPTIONS, POST");
    expect_error(j, &r, 405, "Method not allowed");

    big = malloc(2u << 20);
    memset(big, 'a', 2u << 20);
    big[(2u << 20) - 1] = '\0';
    j = as(tok, tenant, "POST", "/api/runs", NULL, big, &r);
    free(big);
    expect_error(j, &r, 413, "Request body too large");

    /* refused from the headers alone: no body byte sent, the 413 (with its
     * CORS headers) comes back and the connection is closed, before the
     * token is even looked at */
    {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((unsigned short)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        struct timeval tv = {.tv_sec = 10}; /* hang guard */
        const char *head = "POST /api/runs HTTP/1.1\r\nHost: t\r\nOrigin: http://app.test:8000\r\n"
                           "Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n";
        char buf[8192];
        size_t n = 0;
        ssize_t got = -1;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge(fd, 0);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        ck_assert_int_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
        while (n < sizeof(buf) - 1 && (got = recv(fd, buf + n, sizeof(buf) - 1 - n, 0)) > 0)
            n += (size_t)got;
        buf[n] = '\0';
        ck_assert_msg(got == 0 || errno == ECONNRESET, "the connection stayed open: %s", buf);
        close(fd);
        ck_assert_msg(strncmp(buf, "HTTP/1.1 413 ", 13) == 0, "%s", buf);
        ck_assert_msg(strstr(buf, "\"error\":\"Request body too large\"") != NULL, "%s", buf);
        ck_assert_msg(strcasestr(buf, "\r\nAccess-Control-Allow-Origin: http://app.test:8000\r\n"),
                      "%s", buf);
        ck_assert_msg(strcasestr(buf, "\r\nConnection: close\r\n") != NULL, "%s", buf);
    }

    const char *const rid[] = {"X-Request-ID: pipe.test_1", NULL};
    json_decref(gwt_call(port, "GET", "/api/nothing", rid, NULL, &r));
    ck_assert_int_eq(tu_http_header(&r, "X-Request-ID", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "pipe.test_1");
    tu_http_resp_free(&r);
    json_decref(gwt_call(port, "GET", "/api/runs", NULL, NULL, &r));
    ck_assert_int_eq(tu_http_header(&r, "X-Request-ID", v, sizeof(v)), 0);
    ck_assert_int_eq(strlen(v), 36);
    tu_http_resp_free(&r);
    free(tok);
}
END_TEST

START_TEST(test_metrics_labels)
{
    char u[64], line[256];
    char *tok = gwt_token(tenant, fresh_user(u, sizeof(u)), "admin", NULL, NULL, NULL, 600, NULL);
    struct tu_http_resp r;

    json_decref(as(tok, tenant, "GET", "/api/runs/r-1", NULL, NULL, &r));
    ck_assert_int_eq(r.status, 200);
    tu_http_resp_free(&r);
    snprintf(line, sizeof(line),
             "http_requests_total{method=\"GET\",endpoint=\"/api/runs/{run_id}\",status=\"200\","
             "tenant=\"%s\"}",
             tenant);
    ck_assert_double_eq(tu_metric(port, line), 1);
    snprintf(line, sizeof(line), "rate_limit_allowed_total{limit_type=\"api\",tenant=\"%s\"}",
             tenant);
    ck_assert_double_eq(tu_metric(port, line), 1);
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 1);
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"local\"}"), 0);
    /* the pipelined limiter's counters: every decision went out in some batch */
    double cmds = tu_metric(port, "rate_limit_redis_commands_total");
    double batches = tu_metric(port, "rate_limit_redis_batches_total");
    ck_assert_msg(cmds >= 1 && batches >= 1 && batches <= cmds, "%g commands in %g batches", cmds,
                  batches);
    snprintf(line, sizeof(line), "upstream_up{service=\"runs\",address=\"127.0.0.1:%d\"}", up.port);
    ck_assert_double_eq(tu_metric(port, line), 1);
    free(tok);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_bad_tokens_401);
    tcase_add_test(tc, test_denylisted_jti_401);
    tcase_add_test(tc, test_tenant_and_role_checks);
    tcase_add_test(tc, test_api_limit_101st_refused);
    tcase_add_test(tc, test_buckets_by_route_and_plan);
    tcase_add_test(tc, test_auth_bucket_by_client_ip);
    tcase_add_test(tc, test_cors);
    tcase_add_test(tc, test_404_405_413_and_request_id);
    tcase_add_test(tc, test_metrics_labels);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
