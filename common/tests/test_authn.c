/* authn: a real server whose routes authenticate with authn_request, a real
 * Redis for the denylist, tokens signed with the test stack's secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "valor/authn.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/kv.h"
#include "valor/revoke.h"

static struct http_server *srv;
static struct kv_pool *kv;
static struct revoke *rv;
static struct vjwt_params jwt;
static char base[64];
static const unsigned need_read = AUTHN_READ, need_write = AUTHN_WRITE, need_admin = AUTHN_ADMIN,
                      need_no_tenant = AUTHN_NO_TENANT;

static void h_who(struct http_ctx *ctx)
{
    struct vjwt_claims c;
    if (authn_request(ctx, &jwt, rv, *(const unsigned *)ctx->ud, &c) != VALOR_OK)
        return;
    http_reply_json(
        ctx, 200,
        json_pack("{s:s, s:s, s:s}", "tenant", ctx->tenant, "user", ctx->user, "role", c.role));
}

static void setup(void)
{
    struct http_server_opts o = {.service = "authn-test",
                                 .bind_host = "127.0.0.1",
                                 .threads = 2,
                                 .max_connections = 64,
                                 .connection_timeout_s = 10,
                                 .max_body_bytes = 1 << 20};
    struct kv_opts ko = {.url = tu_env("REDIS_URL"), .command_timeout_ms = 500};

    jwt = (struct vjwt_params){.secret = tu_env("JWT_SECRET_KEY"),
                               .issuer = "valor-ivx",
                               .audience = "valor-ivx-api",
                               .leeway_s = 0};
    ck_assert_int_eq(kv_pool_new(&ko, &kv), VALOR_OK);
    struct revoke_opts ro = {.kv = kv, .max_entries = 100, .replay_s = 60, .leeway_s = 0};
    ck_assert_int_eq(revoke_new(&ro, &rv), VALOR_OK);
    ck_assert_int_eq(http_server_new(&o, &srv), VALOR_OK);
    ck_assert_int_eq(http_route(srv, "GET", "/read", h_who, (void *)&need_read), VALOR_OK);
    ck_assert_int_eq(http_route(srv, "GET", "/write", h_who, (void *)&need_write), VALOR_OK);
    ck_assert_int_eq(http_route(srv, "GET", "/admin", h_who, (void *)&need_admin), VALOR_OK);
    ck_assert_int_eq(http_route(srv, "GET", "/profile", h_who, (void *)&need_no_tenant), VALOR_OK);
    ck_assert_int_eq(http_server_start(srv), VALOR_OK);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", http_server_port(srv));
}

static void teardown(void)
{
    http_server_free(srv);
    revoke_free(rv);
    kv_pool_free(kv);
}

/* GET path with an optional Authorization value and X-Tenant-ID; asserts
 * the status and that the body contains `want`. */
static void expect(const char *path, const char *authorization, const char *tenant, long status,
                   const char *want)
{
    char url[128], auth_h[8300], tenant_h[128];
    const char *headers[3] = {NULL, NULL, NULL};
    int n = 0;
    struct tu_http_resp r;

    if (authorization != NULL) {
        snprintf(auth_h, sizeof(auth_h), "Authorization: %s", authorization);
        headers[n++] = auth_h;
    }
    if (tenant != NULL) {
        snprintf(tenant_h, sizeof(tenant_h), "X-Tenant-ID: %s", tenant);
        headers[n++] = tenant_h;
    }
    snprintf(url, sizeof(url), "%s%s", base, path);
    ck_assert_int_eq(tu_http("GET", url, headers, NULL, &r), 0);
    ck_assert_msg(r.status == status, "%s: status %ld, want %ld (%s)", path, r.status, status,
                  r.body);
    ck_assert_msg(strstr(r.body, want) != NULL, "%s: body %s lacks %s", path, r.body, want);
    tu_http_resp_free(&r);
}

static char *bearer(const char *tenant, const char *role, long ttl)
{
    char *token = tu_token(tenant, "42", role, ttl), *h = NULL;
    ck_assert_int_gt(asprintf(&h, "Bearer %s", token), 0);
    free(token);
    return h;
}

START_TEST(missing_and_malformed_headers)
{
    expect("/read", NULL, "acme", 401, "\"Authorization header required\"");
    expect("/read", "Basic dXNlcjpwYXNz", "acme", 401, "\"Invalid authorization header format\"");
    expect("/read", "Bearer", "acme", 401, "\"Invalid authorization header format\"");
    expect("/read", "Bearer not.a.token", "acme", 401, "\"Invalid token\"");
}
END_TEST

START_TEST(expired_and_forged_tokens)
{
    char *expired = bearer("acme", "analyst", -60), *good = bearer("acme", "analyst", 300);
    expect("/read", expired, "acme", 401, "\"Token expired\"");
    good[strlen(good) - 2] = good[strlen(good) - 2] == 'A' ? 'B' : 'A'; /* break the signature */
    expect("/read", good, "acme", 401, "\"Invalid token\"");
    free(expired);
    free(good);
}
END_TEST

START_TEST(tenant_header_rules)
{
    char *h = bearer("acme", "analyst", 300);
    expect("/read", h, NULL, 400, "\"Tenant ID required\"");
    expect("/read", h, "", 400, "\"Tenant ID required\"");
    expect("/read", h, "other", 403, "\"Tenant mismatch\"");
    expect("/read", h, "acme", 200, "\"tenant\":\"acme\"");
    expect("/profile", h, NULL, 200, "\"user\":\"42\"");
    expect("/profile", h, "other", 403, "\"Tenant mismatch\"");
    free(h);
}
END_TEST

START_TEST(roles)
{
    char *viewer = bearer("acme", "viewer", 300), *analyst = bearer("acme", "analyst", 300),
         *admin = bearer("acme", "admin", 300), *odd = bearer("acme", "root", 300);
    expect("/read", viewer, "acme", 200, "\"role\":\"viewer\"");
    expect("/write", viewer, "acme", 403, "\"Insufficient permissions\"");
    expect("/write", analyst, "acme", 200, "\"role\":\"analyst\"");
    expect("/admin", analyst, "acme", 403, "\"Insufficient permissions\"");
    expect("/admin", admin, "acme", 200, "\"role\":\"admin\"");
    expect("/read", odd, "acme", 403, "\"Insufficient permissions\"");
    free(viewer);
    free(analyst);
    free(admin);
    free(odd);
}
END_TEST

START_TEST(denylisted_jti_is_refused)
{
    char *token = tu_token("acme", "42", "analyst", 300), *h = NULL, key[128];
    struct vjwt_claims c;
    redisReply *reply = NULL;

    ck_assert_int_eq(vjwt_verify(&jwt, token, "access", time(NULL), &c), VALOR_OK);
    ck_assert_int_gt(asprintf(&h, "Bearer %s", token), 0);
    expect("/read", h, "acme", 200, "\"tenant\":\"acme\"");
    ck_assert_int_eq(revoke_check(rv, c.jti, c.exp), 0);

    ck_assert_int_eq(kv_denylist_key(c.jti, key, sizeof(key)), VALOR_OK);
    const char *argv[] = {"SET", key, "1", "EX", "60"};
    size_t lens[] = {3, strlen(key), 1, 2, 2};
    ck_assert_int_eq(kv_command_argv(kv_pool_get(kv), 5, argv, lens, &reply), VALOR_OK);
    freeReplyObject(reply);
    ck_assert_int_eq(revoke_check(rv, c.jti, c.exp), 1);
    expect("/read", h, "acme", 401, "\"Invalid token\"");
    /* Redis' answer is remembered locally: still refused once Redis forgets it */
    const char *del[] = {"DEL", key};
    size_t dlens[] = {3, strlen(key)};
    ck_assert_int_eq(kv_command_argv(kv_pool_get(kv), 2, del, dlens, &reply), VALOR_OK);
    freeReplyObject(reply);
    ck_assert_int_eq(revoke_local_has(rv, c.jti), 1);
    expect("/read", h, "acme", 401, "\"Invalid token\"");
    free(token);
    free(h);
}
END_TEST

/* A session.revoked event's tokens are refused although Redis never heard
 * of them (it was down, or lost its data). */
START_TEST(locally_revoked_jti_is_refused)
{
    char *token = tu_token("acme", "42", "analyst", 300),
         *other = tu_token("acme", "7", "admin", 300);
    char *h = NULL, *ev = NULL;
    struct vjwt_claims c, o;

    ck_assert_int_eq(vjwt_verify(&jwt, token, "access", time(NULL), &c), VALOR_OK);
    ck_assert_int_eq(vjwt_verify(&jwt, other, "access", time(NULL), &o), VALOR_OK);
    ck_assert_int_gt(asprintf(&h, "Bearer %s", token), 0);
    expect("/read", h, "acme", 200, "\"tenant\":\"acme\"");
    ck_assert_int_gt(asprintf(&ev,
                              "{\"type\":\"session.revoked\",\"tenant\":\"acme\",\"data\":{"
                              "\"reason\":\"logout\",\"revoked_tokens\":[{\"jti\":\"%s\","
                              "\"exp\":%lld},{\"jti\":\"expired\",\"exp\":1},{\"exp\":5},"
                              "{\"jti\":\"%s\",\"exp\":\"soon\"}]}}",
                              c.jti, c.exp, o.jti),
                     0);
    /* the malformed entries are skipped, the expired one is taken but not kept */
    ck_assert_int_eq(revoke_take_event(rv, ev, strlen(ev)), 2);
    ck_assert_int_eq(revoke_local_has(rv, c.jti), 1);
    ck_assert_int_eq(revoke_local_has(rv, "expired"), 0);
    ck_assert_int_eq(revoke_local_has(rv, o.jti), 0);
    expect("/read", h, "acme", 401, "\"Invalid token\"");
    ck_assert_int_eq(revoke_take_event(rv, "not json", 8), 0);
    free(ev);
    free(token);
    free(other);
    free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("authn");
    TCase *tc = tcase_create("authn");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, missing_and_malformed_headers);
    tcase_add_test(tc, expired_and_forged_tokens);
    tcase_add_test(tc, tenant_header_rules);
    tcase_add_test(tc, locally_revoked_jti_is_refused);
    tcase_add_test(tc, roles);
    tcase_add_test(tc, denylisted_jti_is_refused);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
