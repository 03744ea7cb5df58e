/* Helpers shared by the gateway's integration tests (header-only: every test
 * program is built from one .c file). A fake upstream built on the common
 * http module echoes what reached it; the gateway runs in-process. */
#ifndef VALOR_GW_TEST_H
#define VALOR_GW_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "gateway.h"
#include "testutil.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/jwt.h"

struct gwt_upstream {
    const char *name;
    struct http_server *http;
    int port;
};

/* {"upstream": name, "method", "url"} for any path and method. */
static inline void gwt_echo(struct http_ctx *ctx)
{
    const struct gwt_upstream *up = ctx->ud;
    http_reply_json(ctx, 200,
                    json_pack("{s:s, s:s, s:s}", "upstream", up->name, "method",
                              ctx->req->http_verb, "url", ctx->req->http_url));
}

/* Starts u on `port` (0 = ephemeral); u->port is the bound port. */
static inline void gwt_upstream_start(struct gwt_upstream *u, int port)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    struct http_server_opts o = {.service = u->name,
                                 .bind_host = "127.0.0.1",
                                 .port = port,
                                 .threads = 2,
                                 .max_connections = 64,
                                 .connection_timeout_s = 30,
                                 .max_body_bytes = 4 << 20};
    ck_assert_int_eq(http_server_new(&o, &u->http), VALOR_OK);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        ck_assert_int_eq(http_route(u->http, methods[i], "/*", gwt_echo, u), VALOR_OK);
    ck_assert_int_eq(http_server_start(u->http), VALOR_OK);
    u->port = http_server_port(u->http);
}

static inline void gwt_upstream_stop(struct gwt_upstream *u)
{
    if (u->http == NULL)
        return;
    http_server_stop(u->http, 0);
    http_server_free(u->http);
    u->http = NULL;
}

/* Points every *_SERVICE_URL at `port` and sets the usual test variables. */
static inline void gwt_env(int port)
{
    static const char *const vars[] = {"AUTH_SERVICE_URL", "RUNS_SERVICE_URL",
                                       "FINANCIAL_SERVICE_URL", "DEALS_SERVICE_URL"};
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    for (size_t i = 0; i < 4; i++)
        setenv(vars[i], url, 1);
    tu_env("REDIS_URL");
    tu_env("NATS_URL");
    setenv("WORKER_THREADS", "4", 1);
    setenv("PORT", "0", 1);
    setenv("HOST", "127.0.0.1", 1);
    setenv("SHUTDOWN_GRACE_S", "2", 1);
    setenv("LOG_LEVEL", "ERROR", 1);
}

/* A token signed with $JWT_SECRET_KEY; NULL aud/typ/plan → the defaults. */
__attribute__((unused, noinline)) static char *gwt_token(const char *tenant, const char *sub,
                                                         const char *role, const char *plan,
                                                         const char *typ, const char *aud,
                                                         long ttl_s, const char *jti)
{
    struct vjwt_params p = {.secret = tu_env("JWT_SECRET_KEY"),
                            .issuer = "valor-ivx",
                            .audience = aud ? aud : "valor-ivx-api"};
    struct vjwt_claims c = {0};
    char *token = NULL;
    time_t now = time(NULL);

    snprintf(c.sub, sizeof(c.sub), "%s", sub);
    snprintf(c.tid, sizeof(c.tid), "%s", tenant);
    snprintf(c.role, sizeof(c.role), "%s", role);
    snprintf(c.plan, sizeof(c.plan), "%s", plan ? plan : "standard");
    snprintf(c.typ, sizeof(c.typ), "%s", typ ? typ : "access");
    snprintf(c.jti, sizeof(c.jti), "%s", jti ? jti : "6f1c0e1e-0000-4000-8000-000000000001");
    c.iat = c.nbf = (long long)now - (ttl_s < 0 ? 3600 : 0);
    c.exp = (long long)now + ttl_s;
    ck_assert_int_eq(vjwt_sign(&p, &c, &token), 0);
    return token;
}

/* One request; headers NULL-terminated. Caller frees r. Returns parsed JSON or NULL. */
static inline json_t *gwt_call(int port, const char *method, const char *path,
                               const char *const *headers, const char *body, struct tu_http_resp *r)
{
    char url[2048];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    ck_assert_msg(tu_http(method, url, headers, body, r) == 0, "%s %s: no response", method, path);
    return json_loads(r->body, 0, NULL);
}

static inline const char *gwt_str(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

#endif
