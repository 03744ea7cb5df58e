/* svc-auth in-process: admin user management (roles, deactivation, tenant
 * isolation), the audit trail through NATS, and start-up configuration. */
#include "auth_testlib.h"

#include <time.h>

#include "audit_consumer.h"
#include "valor/err.h"

static void patch_user(const char *token, const char *id, const char *body, struct at_resp *r)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/auth/users/%s", id);
    at_req("PATCH", path, token, body, r);
}

static void login(const struct at_account *a, struct at_resp *r)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}", a->username,
             a->password);
    at_req("POST", "/api/auth/login", NULL, body, r);
}

/* ---- roles -------------------------------------------------------------- */

START_TEST(test_non_admins_cannot_use_admin_routes)
{
    struct at_account admin, viewer, analyst;
    struct at_resp r;
    at_register("adm", &admin);
    at_member(&admin, "viewer", &viewer);
    at_member(&admin, "analyst", &analyst);
    long users = at_count("SELECT count(*) FROM users");

    const struct at_account *who[] = {&viewer, &analyst};
    for (int i = 0; i < 2; i++) {
        at_req("GET", "/api/auth/users", who[i]->access, NULL, &r);
        at_expect_error(&r, 403, "Insufficient permissions");
        at_free(&r);
        at_req("POST", "/api/auth/users", who[i]->access,
               "{\"username\":\"sneaky\",\"email\":\"s@example.com\",\"password\":"
               "\"Corr3ct-Horse-1\",\"role\":\"admin\"}",
               &r);
        at_expect_error(&r, 403, "Insufficient permissions");
        at_free(&r);
        patch_user(who[i]->access, who[i]->id, "{\"role\":\"admin\"}", &r);
        at_expect_error(&r, 403, "Insufficient permissions");
        at_free(&r);
        at_req("GET", "/api/audit", who[i]->access, NULL, &r);
        at_expect_error(&r, 403, "Insufficient permissions");
        at_free(&r);
    }
    at_req("GET", "/api/auth/users", NULL, NULL, &r);
    at_expect_error(&r, 401, "Authorization header required");
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM users"), users);
    ck_assert_int_eq(at_count("SELECT count(*) FROM users WHERE role = 'admin' AND id IN (%s, %s)",
                              viewer.id, analyst.id),
                     0);
}
END_TEST

START_TEST(test_admin_creates_and_lists_members)
{
    struct at_account admin, viewer;
    struct at_resp r;
    at_register("mk", &admin);
    long users = at_count("SELECT count(*) FROM users");

    /* bad input first: nothing written */
    at_req(
        "POST", "/api/auth/users", admin.access,
        "{\"username\":\"someone\",\"email\":\"s@example.com\",\"password\":\"Corr3ct-Horse-1\"}",
        &r);
    at_expect_validation(&r, "role", "required");
    at_free(&r);
    at_req("POST", "/api/auth/users", admin.access,
           "{\"username\":\"someone\",\"email\":\"s@example.com\",\"password\":\"Corr3ct-Horse-1\","
           "\"role\":\"owner\"}",
           &r);
    at_expect_validation(&r, "role", "must be one of admin, analyst, viewer");
    at_free(&r);
    at_req("POST", "/api/auth/users", admin.access,
           "{\"username\":\"so\",\"email\":\"bad\",\"password\":\"Corr3ct-Horse-1\","
           "\"role\":\"viewer\"}",
           &r);
    at_expect_error(&r, 400, "Username must be at least 3 characters long");
    at_free(&r);
    at_req("POST", "/api/auth/users", admin.access,
           "{\"username\":\"someone\",\"email\":\"s@example.com\",\"password\":\"Password123!\","
           "\"role\":\"viewer\"}",
           &r);
    at_expect_error(&r, 400, "Password is too common");
    at_free(&r);
    char body[512];
    snprintf(body, sizeof(body),
             "{\"username\":\"%s\",\"email\":\"new@example.com\",\"password\":\"Corr3ct-Horse-1\","
             "\"role\":\"viewer\"}",
             admin.username);
    at_req("POST", "/api/auth/users", admin.access, body, &r);
    at_expect_error(&r, 409, "Username already exists");
    at_free(&r);
    at_req("POST", "/api/auth/users", admin.access, "{\"username\":", &r);
    ck_assert_int_eq(r.status, 400);
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM users"), users);

    at_member(&admin, "viewer", &viewer);
    ck_assert_str_eq(viewer.tenant, admin.tenant);
    at_req("GET", "/api/auth/users", admin.access, NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert(json_is_true(json_object_get(r.json, "success")));
    json_t *list = json_object_get(r.json, "users");
    ck_assert_int_eq(json_array_size(list), 2);
    json_t *second = json_array_get(list, 1);
    ck_assert_int_eq(json_object_size(second), 7);
    ck_assert_str_eq(json_string_value(json_object_get(second, "role")), "viewer");
    ck_assert_str_eq(json_string_value(json_object_get(second, "tenant")), admin.tenant);
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE type = 'user.registered' "
                              "AND payload->>'entity_id' = '%s' AND payload->'data'->>'role' = "
                              "'viewer'",
                              viewer.id),
                     1);
}
END_TEST

START_TEST(test_admin_cannot_touch_another_tenant)
{
    struct at_account a, b, b_member;
    struct at_resp r;
    at_register("ta", &a);
    at_register("tb", &b);
    at_member(&b, "analyst", &b_member);

    at_req("GET", "/api/auth/users", a.access, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "users")), 1);
    ck_assert_ptr_null(strstr(r.body, b.username));
    at_free(&r);

    /* B's ids do not exist for A */
    patch_user(a.access, b_member.id, "{\"role\":\"viewer\"}", &r);
    at_expect_error(&r, 404, "User not found");
    at_free(&r);
    patch_user(a.access, b.id, "{\"active\":false}", &r);
    at_expect_error(&r, 404, "User not found");
    at_free(&r);
    ck_assert_int_eq(
        at_count("SELECT count(*) FROM users WHERE id = %s AND role = 'analyst'", b_member.id), 1);
    ck_assert_int_eq(at_count("SELECT count(*) FROM users WHERE id = %s AND active", b.id), 1);
    /* a token naming B's tenant is refused when X-Tenant-ID says otherwise */
    char header[96];
    snprintf(header, sizeof(header), "X-Tenant-ID: %s", b.tenant);
    at_req_h("GET", "/api/auth/users", a.access, NULL, header, &r);
    at_expect_error(&r, 403, "Tenant mismatch");
    at_free(&r);
}
END_TEST

START_TEST(test_patch_bad_input)
{
    struct at_account admin, viewer;
    struct at_resp r;
    at_register("pb", &admin);
    at_member(&admin, "viewer", &viewer);

    patch_user(admin.access, viewer.id, "{}", &r);
    at_expect_validation(&r, "role", "at least one of role, active is required");
    at_free(&r);
    patch_user(admin.access, viewer.id, "{\"active\":\"no\"}", &r);
    at_expect_validation(&r, "active", "must be a boolean");
    at_free(&r);
    patch_user(admin.access, viewer.id, "{\"role\":\"root\"}", &r);
    at_expect_validation(&r, "role", "must be one of admin, analyst, viewer");
    at_free(&r);
    patch_user(admin.access, viewer.id, "{\"role\":1}", &r);
    at_expect_validation(&r, "role", "must be a string");
    at_free(&r);
    patch_user(admin.access, viewer.id, "nope", &r);
    ck_assert_int_eq(r.status, 400);
    at_free(&r);
    patch_user(admin.access, "abc", "{\"role\":\"analyst\"}", &r);
    at_expect_error(&r, 404, "User not found");
    at_free(&r);
    patch_user(admin.access, "999999999", "{\"role\":\"analyst\"}", &r);
    at_expect_error(&r, 404, "User not found");
    at_free(&r);
    /* the tenant's only admin stays an active admin */
    patch_user(admin.access, admin.id, "{\"role\":\"viewer\"}", &r);
    at_expect_error(&r, 409, "Tenant must keep at least one active admin");
    at_free(&r);
    patch_user(admin.access, admin.id, "{\"active\":false}", &r);
    at_expect_error(&r, 409, "Tenant must keep at least one active admin");
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM users WHERE id = %s AND role = 'viewer' "
                              "AND active",
                              viewer.id),
                     1);
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE type = 'user.updated' AND "
                              "payload->>'tenant' = '%s'",
                              admin.tenant),
                     0);
}
END_TEST

START_TEST(test_role_change_applies_at_next_refresh)
{
    struct at_account admin, v;
    struct at_resp r;
    at_register("rc", &admin);
    at_member(&admin, "viewer", &v);

    patch_user(admin.access, v.id, "{\"role\":\"analyst\"}", &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "user"), "role")),
                     "analyst");
    at_free(&r);
    /* the token with the old role is dead; a refresh carries the new one */
    at_req("GET", "/api/auth/profile", v.access, NULL, &r);
    at_expect_error(&r, 401, "Invalid token");
    at_free(&r);
    char body[256];
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", v.refresh);
    at_req("POST", "/api/auth/refresh", NULL, body, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "user"), "role")),
                     "analyst");
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE type = 'user.updated' AND "
                              "payload->>'entity_id' = '%s' AND "
                              "payload->'data'->'changes'->>'role' = 'analyst'",
                              v.id),
                     1);
}
END_TEST

START_TEST(test_deactivated_user_is_locked_out)
{
    struct at_account admin, m;
    struct at_resp r;
    at_register("da", &admin);
    at_member(&admin, "analyst", &m);

    patch_user(admin.access, m.id, "{\"active\":false}", &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    at_free(&r);
    login(&m, &r);
    at_expect_error(&r, 401, "Invalid username or password");
    at_free(&r);
    char body[256];
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", m.refresh);
    at_req("POST", "/api/auth/refresh", NULL, body, &r);
    at_expect_error(&r, 401, "Invalid refresh token");
    at_free(&r);
    at_req("GET", "/api/auth/profile", m.access, NULL, &r);
    at_expect_error(&r, 401, "Invalid token");
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_families WHERE user_id = %s AND "
                              "revoked_at IS NULL",
                              m.id),
                     0);
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE type = 'session.revoked' AND "
                              "payload->>'entity_id' = '%s'",
                              m.id),
                     1);

    /* reactivated: can log in again */
    patch_user(admin.access, m.id, "{\"active\":true}", &r);
    ck_assert_int_eq(r.status, 200);
    at_free(&r);
    login(&m, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    at_free(&r);
}
END_TEST

/* ---- audit -------------------------------------------------------------- */

/* Polls GET /api/audit as `a` for up to 15 s until `type` for entity shows. */
static json_t *await_events(const struct at_account *a, const char *type, const char *entity)
{
    for (int i = 0; i < 150; i++) {
        struct at_resp r;
        at_req("GET", "/api/audit?limit=200", a->access, NULL, &r);
        ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
        json_t *events = json_object_get(r.json, "events"), *e;
        size_t k;
        json_array_foreach(events, k, e)
        {
            if (strcmp(json_string_value(json_object_get(e, "type")), type) == 0 &&
                strcmp(json_string_value(json_object_get(e, "entity_id")), entity) == 0) {
                json_incref(events);
                at_free(&r);
                return events;
            }
        }
        at_free(&r);
        usleep(100 * 1000);
    }
    ck_abort_msg("event %s for %s never reached the audit trail", type, entity);
    return NULL;
}

START_TEST(test_audit_shows_the_tenants_events_once)
{
    struct at_account a, b, m;
    struct at_resp r;
    at_register("aua", &a);
    at_register("aub", &b);
    at_member(&a, "viewer", &m);
    patch_user(a.access, m.id, "{\"role\":\"analyst\"}", &r);
    ck_assert_int_eq(r.status, 200);
    at_free(&r);

    json_t *events = await_events(&a, "user.updated", m.id);
    json_t *e;
    size_t i;
    int registered = 0, revoked = 0;
    json_array_foreach(events, i, e)
    {
        ck_assert_str_eq(json_string_value(json_object_get(e, "tenant")), a.tenant);
        ck_assert_msg(crypto_is_uuid(json_string_value(json_object_get(e, "id"))), "event id");
        ck_assert_ptr_nonnull(json_object_get(e, "occurred_at"));
        ck_assert_ptr_nonnull(json_object_get(e, "data"));
        if (strcmp(json_string_value(json_object_get(e, "type")), "user.registered") == 0)
            registered++;
        /* the role change ended the member's live access token (it carried the old role) */
        if (strcmp(json_string_value(json_object_get(e, "type")), "session.revoked") == 0) {
            json_t *d = json_object_get(e, "data");
            ck_assert_str_eq(json_string_value(json_object_get(d, "reason")), "role_changed");
            ck_assert_int_ge(json_array_size(json_object_get(d, "revoked_tokens")), 1);
            revoked++;
        }
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(json_string_value(json_object_get(e, "id")),
                             json_string_value(json_object_get(json_array_get(events, j), "id")));
    }
    /* the admin and the member; newest first: the update comes before them */
    ck_assert_int_eq(registered, 2);
    ck_assert_int_eq(revoked, 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, 0), "type")),
                     "user.updated");
    ck_assert_int_eq(json_array_size(events), 4);
    json_decref(events);
    ck_assert_int_eq(at_count("SELECT count(*) FROM audit_events WHERE tenant = '%s'", a.tenant),
                     4);

    /* B sees only B's */
    events = await_events(&b, "user.registered", b.id);
    ck_assert_int_eq(json_array_size(events), 1);
    json_decref(events);

    /* pages: limit and cursor */
    at_req("GET", "/api/audit?limit=3", a.access, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "events")), 3);
    char cursor[32], path[96];
    ck_assert_ptr_nonnull(at_str(&r, "next_cursor"));
    snprintf(cursor, sizeof(cursor), "%s", at_str(&r, "next_cursor"));
    at_free(&r);
    snprintf(path, sizeof(path), "/api/audit?limit=3&cursor=%s", cursor);
    at_req("GET", path, a.access, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "events")), 1);
    ck_assert(json_is_null(json_object_get(r.json, "next_cursor")));
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "events"), 0), "entity_id")),
                     a.id);
    at_free(&r);
}
END_TEST

START_TEST(test_audit_bad_query)
{
    struct at_account a;
    struct at_resp r;
    at_register("aq", &a);
    at_req("GET", "/api/audit?limit=201", a.access, NULL, &r);
    at_expect_validation(&r, "limit", NULL);
    at_free(&r);
    at_req("GET", "/api/audit?limit=0", a.access, NULL, &r);
    at_expect_validation(&r, "limit", NULL);
    at_free(&r);
    at_req("GET", "/api/audit?limit=ten", a.access, NULL, &r);
    at_expect_validation(&r, "limit", NULL);
    at_free(&r);
    at_req("GET", "/api/audit?cursor=abc", a.access, NULL, &r);
    at_expect_validation(&r, "cursor", "must be a next_cursor value");
    at_free(&r);
    at_req("GET", "/api/audit", NULL, NULL, &r);
    at_expect_error(&r, 401, "Authorization header required");
    at_free(&r);
}
END_TEST

/* The consumer's store step: an event once, however often it arrives. */
START_TEST(test_audit_store_is_idempotent)
{
    char id[CRYPTO_UUID_LEN], payload[512], tenant[64];
    at_name(tenant, sizeof(tenant), "idem");
    ck_assert_int_eq(crypto_uuid4(id), 0);
    snprintf(
        payload, sizeof(payload),
        "{\"id\":\"%s\",\"type\":\"run.created\",\"tenant\":\"%s\",\"user_id\":\"1\","
        "\"entity_id\":\"r1\",\"request_id\":null,\"occurred_at\":\"2026-01-02T03:04:05.678Z\","
        "\"data\":{}}",
        id, tenant);
    ck_assert_int_eq(audit_store(at_svc->db, payload, strlen(payload)), 0);
    ck_assert_int_eq(audit_store(at_svc->db, payload, strlen(payload)), 0);
    ck_assert_int_eq(at_count("SELECT count(*) FROM audit_events WHERE event_id = '%s'", id), 1);
    /* not events: dropped, never stored */
    ck_assert_int_eq(audit_store(at_svc->db, "not json", 8), VALOR_E_INVALID);
    ck_assert_int_eq(
        audit_store(at_svc->db, "{\"id\":\"x\",\"type\":\"a.b\",\"tenant\":\"t\"}", 36),
        VALOR_E_INVALID);
    ck_assert_int_eq(at_count("SELECT count(*) FROM audit_events WHERE tenant = '%s'", tenant), 1);
}
END_TEST

/* ---- configuration ------------------------------------------------------ */

START_TEST(test_bcrypt_cost_below_10_refused_in_production)
{
    struct svc *s = NULL;
    setenv("APP_ENV", "production", 1);
    setenv("BCRYPT_COST", "9", 1);
    ck_assert_int_eq(svc_start(&at_def, &s), VALOR_E_INVALID);
    ck_assert_ptr_null(s);
    setenv("BCRYPT_COST", "abc", 1);
    setenv("APP_ENV", "development", 1);
    ck_assert_int_eq(svc_start(&at_def, &s), VALOR_E_INVALID);
    setenv("BCRYPT_COST", "4", 1);
    setenv("ACCESS_TOKEN_TTL", "-5", 1);
    ck_assert_int_eq(svc_start(&at_def, &s), VALOR_E_INVALID);
}
END_TEST

START_TEST(test_token_ttls_are_configurable)
{
    struct at_account a;
    at_register("ttl", &a);
    struct vjwt_params p = {.secret = tu_env("JWT_SECRET_KEY"),
                            .issuer = "valor-ivx",
                            .audience = "valor-ivx-api",
                            .leeway_s = 0};
    struct vjwt_claims cl;
    ck_assert_int_eq(vjwt_verify(&p, a.access, "access", time(NULL), &cl), 0);
    ck_assert_int_eq(cl.exp - cl.iat, 120);
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_tokens t JOIN refresh_families f ON "
                              "f.id = t.family_id WHERE f.user_id = %s AND t.expires_at BETWEEN "
                              "now() + interval '3590 seconds' AND now() + interval '3610 seconds'",
                              a.id),
                     1);
}
END_TEST

static void ttl_setup(void)
{
    setenv("ACCESS_TOKEN_TTL", "120", 1);
    setenv("REFRESH_TOKEN_TTL", "3600", 1);
    at_start();
}

int main(void)
{
    Suite *s = suite_create("svc-auth api: admin, audit, configuration");
    TCase *tc = tcase_create("admin");
    TCase *tc_cfg = tcase_create("config");
    TCase *tc_ttl = tcase_create("ttl");
    int rc;

    at_init_schema("b");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, at_start, at_stop);
    tcase_add_test(tc, test_non_admins_cannot_use_admin_routes);
    tcase_add_test(tc, test_admin_creates_and_lists_members);
    tcase_add_test(tc, test_admin_cannot_touch_another_tenant);
    tcase_add_test(tc, test_patch_bad_input);
    tcase_add_test(tc, test_role_change_applies_at_next_refresh);
    tcase_add_test(tc, test_deactivated_user_is_locked_out);
    tcase_add_test(tc, test_audit_shows_the_tenants_events_once);
    tcase_add_test(tc, test_audit_bad_query);
    tcase_add_test(tc, test_audit_store_is_idempotent);
    suite_add_tcase(s, tc);
    tcase_set_timeout(tc_cfg, 30);
    tcase_add_test(tc_cfg, test_bcrypt_cost_below_10_refused_in_production);
    suite_add_tcase(s, tc_cfg);
    tcase_set_timeout(tc_ttl, 30);
    tcase_add_checked_fixture(tc_ttl, ttl_setup, at_stop);
    tcase_add_test(tc_ttl, test_token_ttls_are_configurable);
    suite_add_tcase(s, tc_ttl);
    rc = tu_run(s);
    at_drop_schema();
    return rc;
}
