/* svc-auth in-process against the real PostgreSQL/Redis/NATS: register,
 * login, refresh (rotation, replay, expiry), logout and profile — every row
 * of api.md §2 for these routes, bad input first, "nothing written" checked
 * with SQL counts. */
#include "auth_testlib.h"

#include <time.h>

#include "valor/jwt.h"
#include "valor/kv.h"

static const char *const strong = "Corr3ct-Horse-Battery";

/* ---- register: bad input ---------------------------------------------- */

START_TEST(test_register_bad_input_writes_nothing)
{
    struct at_resp r;
    long users = at_count("SELECT count(*) FROM users");
    long tenants = at_count("SELECT count(*) FROM tenants");

    at_req("POST", "/api/auth/register", NULL, "{\"username\": \"abc\",", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(strncmp(at_str(&r, "error"), "Invalid JSON: ", 14) == 0 &&
                      strstr(at_str(&r, "error"), " at position ") != NULL,
                  "%s", r.body);
    at_free(&r);

    at_req_h("POST", "/api/auth/register", NULL, NULL, NULL, &r);
    at_expect_error(&r, 415, "Content-Type must be application/json");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL, "[1, 2]", &r);
    at_expect_validation(&r, "body", "must be a JSON object");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL, "{\"email\":\"a@b.cd\",\"password\":\"x\"}", &r);
    at_expect_validation(&r, "username", "required");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL, "{\"username\":\"alice\",\"password\":\"x\"}", &r);
    at_expect_validation(&r, "email", "required");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL, "{\"username\":\"alice\",\"email\":\"a@b.cd\"}", &r);
    at_expect_validation(&r, "password", "required");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL,
           "{\"username\":5,\"email\":\"a@b.cd\",\"password\":\"Corr3ct-Horse-Battery\"}", &r);
    at_expect_validation(&r, "username", "must be a string");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL,
           "{\"username\":\"alice\",\"email\":[\"a@b.cd\"],\"password\":\"Corr3ct-Horse-1\"}", &r);
    at_expect_validation(&r, "email", "must be a string");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL,
           "{\"username\":\"alice\",\"email\":\"a@b.cd\",\"password\":true}", &r);
    at_expect_validation(&r, "password", "must be a string");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL,
           "{\"username\":\"alice\",\"email\":\"a@b.cd\",\"password\":\"Corr3ct-Horse-1\","
           "\"tenant\":7}",
           &r);
    at_expect_validation(&r, "tenant", "must be a string");
    at_free(&r);

    at_req("POST", "/api/auth/register", NULL,
           "{\"username\":\"alice\",\"email\":\"a@b.cd\",\"password\":\"Corr3ct-Horse-1\","
           "\"tenant\":\"Bad_Slug\"}",
           &r);
    at_expect_validation(&r, "tenant", NULL);
    at_free(&r);

    /* a username from which no slug can be derived, and no tenant given */
    at_req("POST", "/api/auth/register", NULL,
           "{\"username\":\"___\",\"email\":\"a@b.cd\",\"password\":\"Corr3ct-Horse-1\"}", &r);
    at_expect_validation(&r, "tenant", NULL);
    at_free(&r);

    /* 73 bytes: bcrypt would ignore the excess */
    char body[512], pw[74];
    memset(pw, 'a', 73);
    pw[73] = '\0';
    memcpy(pw, "A1!", 3);
    snprintf(body, sizeof(body),
             "{\"username\":\"alice\",\"email\":\"a@b.cd\",\"password\":\"%s\"}", pw);
    at_req("POST", "/api/auth/register", NULL, body, &r);
    at_expect_error(&r, 400, "Password must be at most 72 bytes");
    at_free(&r);

    /* over MAX_BODY_BYTES (1 MiB) */
    size_t big = 1100 * 1024;
    char *huge = malloc(big + 64);
    ck_assert_ptr_nonnull(huge);
    int n = snprintf(huge, 64, "{\"username\":\"");
    memset(huge + n, 'a', big);
    strcpy(huge + n + big, "\"}");
    at_req("POST", "/api/auth/register", NULL, huge, &r);
    at_expect_error(&r, 413, "Request body too large");
    at_free(&r);
    free(huge);

    ck_assert_int_eq(at_count("SELECT count(*) FROM users"), users);
    ck_assert_int_eq(at_count("SELECT count(*) FROM tenants"), tenants);
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox"), at_count("SELECT count(*) FROM "
                                                                       "outbox"));
}
END_TEST

/* Each rule's exact message, and for each rule a body that also breaks a
 * later rule still gets the earlier rule's message. */
START_TEST(test_register_validation_order)
{
    static const struct {
        const char *username, *email, *password, *msg;
    } cases[] = {
        /* rule 1 (also breaks 2, 3, 4) */
        {"a!", "nope", "short", "Username must be at least 3 characters long"},
        {"ab", "a@b.cd", "Corr3ct-Horse-1", "Username must be at least 3 characters long"},
        {"", "a@b.cd", "Corr3ct-Horse-1", "Username must be at least 3 characters long"},
        /* rule 2 (also breaks 3, 5) */
        {"bad name", "nope", "alllowercase",
         "Username can only contain letters, numbers, "
         "underscores, and hyphens"},
        {"dot.ted", "a@b.cd", "Corr3ct-Horse-1",
         "Username can only contain letters, numbers, "
         "underscores, and hyphens"},
        /* rule 3 (also breaks 4) */
        {"alice", "alice@localhost", "short", "Please provide a valid email address"},
        {"alice", "no-at-sign.com", "Corr3ct-Horse-1", "Please provide a valid email address"},
        {"alice", "a@b.c", "Corr3ct-Horse-1", "Please provide a valid email address"},
        {"alice", "a@@b.cd", "Corr3ct-Horse-1", "Please provide a valid email address"},
        {"alice", "a b@c.de", "Corr3ct-Horse-1", "Please provide a valid email address"},
        /* rule 4 (also breaks 5 and 6: "password" is the most common) */
        {"alice", "a@b.cd", "password", "Password must be at least 12 characters long"},
        {"alice", "a@b.cd", "Sh0rt!pass", "Password must be at least 12 characters long"},
        /* rule 5, each missing class named in the documented order */
        {"alice", "a@b.cd", "password1234",
         "Password must contain: uppercase letters, special characters"},
        {"alice", "a@b.cd", "ALLUPPERCASEPASS",
         "Password must contain: lowercase letters, numbers, special characters"},
        {"alice", "a@b.cd", "NoDigitsHere!!", "Password must contain: numbers"},
        {"alice", "a@b.cd", "NoSpecials1234", "Password must contain: special characters"},
        {"alice", "a@b.cd", "123456789012",
         "Password must contain: lowercase letters, uppercase letters, special characters"},
        /* rule 6, case-insensitive */
        {"alice", "a@b.cd", "Password123!", "Password is too common"},
        {"alice", "a@b.cd", "P@ssw0rd1234", "Password is too common"},
        {"alice", "a@b.cd", "qWERTY@123456", "Password is too common"},
    };
    long users = at_count("SELECT count(*) FROM users");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct at_resp r;
        json_t *b = json_pack("{s:s, s:s, s:s}", "username", cases[i].username, "email",
                              cases[i].email, "password", cases[i].password);
        char *body = json_dumps(b, 0);
        at_req("POST", "/api/auth/register", NULL, body, &r);
        ck_assert_msg(r.status == 400 && at_str(&r, "error") != NULL &&
                          strcmp(at_str(&r, "error"), cases[i].msg) == 0,
                      "case %zu: expected '%s' got %ld %s", i, cases[i].msg, r.status, r.body);
        at_free(&r);
        free(body);
        json_decref(b);
    }
    ck_assert_int_eq(at_count("SELECT count(*) FROM users"), users);
}
END_TEST

/* ---- register: success and conflicts ------------------------------------ */

START_TEST(test_register_creates_tenant_and_admin)
{
    struct at_resp r;
    struct vjwt_claims cl;
    struct vjwt_params p = {.secret = tu_env("JWT_SECRET_KEY"),
                            .issuer = "valor-ivx",
                            .audience = "valor-ivx-api",
                            .leeway_s = 0};
    char name[64], body[512], want_slug[80];
    at_name(name, sizeof(name), "Mixed_Case_");
    snprintf(body, sizeof(body),
             "{\"username\":\"%s\",\"email\":\"%s@Example.COM\",\"password\":\"%s\"}", name, name,
             strong);
    at_req("POST", "/api/auth/register", NULL, body, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert(json_is_true(json_object_get(r.json, "success")));
    ck_assert_str_eq(at_str(&r, "token_type"), "Bearer");
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "expires_in")), 900);
    ck_assert_int_eq(json_object_size(r.json), 6);
    json_t *u = json_object_get(r.json, "user");
    ck_assert_int_eq(json_object_size(u), 7);
    static const char *const keys[] = {"id",   "username",   "email",     "tenant",
                                       "role", "created_at", "last_login"};
    for (size_t i = 0; i < 7; i++)
        ck_assert_msg(json_object_get(u, keys[i]) != NULL, "user lacks %s", keys[i]);
    ck_assert(json_is_integer(json_object_get(u, "id")));
    ck_assert_str_eq(json_string_value(json_object_get(u, "username")), name);
    ck_assert_str_eq(json_string_value(json_object_get(u, "role")), "admin");
    ck_assert(json_is_null(json_object_get(u, "last_login")));
    ck_assert_msg(strlen(json_string_value(json_object_get(u, "created_at"))) == 24 &&
                      json_string_value(json_object_get(u, "created_at"))[23] == 'Z',
                  "%s", r.body);
    /* the slug: lower-cased, '_' → '-', trailing '-' trimmed */
    snprintf(want_slug, sizeof(want_slug), "mixed-case-%dx%d", (int)getpid(), at_seq);
    ck_assert_str_eq(json_string_value(json_object_get(u, "tenant")), want_slug);

    /* the access token's claims (api.md §2) */
    ck_assert_int_eq(vjwt_verify(&p, at_str(&r, "access_token"), "access", time(NULL), &cl), 0);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(u, "id")));
    ck_assert_str_eq(cl.sub, id);
    ck_assert_str_eq(cl.tid, want_slug);
    ck_assert_str_eq(cl.role, "admin");
    ck_assert_str_eq(cl.plan, "standard");
    ck_assert_str_eq(cl.typ, "access");
    /* the username, for the reports that name a run's author */
    ck_assert_str_eq(cl.username, json_string_value(json_object_get(u, "username")));
    ck_assert(crypto_is_uuid(cl.jti));
    ck_assert_int_eq(cl.exp - cl.iat, 900);
    ck_assert_int_eq(cl.nbf, cl.iat);
    /* the refresh token: 256 random bits, base64url, stored only as a hash */
    const char *rt = at_str(&r, "refresh_token");
    ck_assert_int_eq(strlen(rt), 43);
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_tokens WHERE token_hash = '%s'", rt),
                     0);
    char hash[65];
    crypto_sha256_hex(rt, strlen(rt), hash);
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_tokens WHERE token_hash = '%s'", hash),
                     1);
    /* the password only as a $2b$ hash at BCRYPT_COST */
    ck_assert_int_eq(at_count("SELECT count(*) FROM users WHERE id = %s AND password_hash LIKE "
                              "'$2b$04$%%'",
                              id),
                     1);
    /* user.registered went into the outbox with the tenant and user */
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE type = 'user.registered' AND "
                              "payload->>'tenant' = '%s' AND payload->>'user_id' = '%s'",
                              want_slug, id),
                     1);
    at_free(&r);

    /* an explicit tenant */
    at_name(name, sizeof(name), "bob");
    snprintf(body, sizeof(body),
             "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"%s\","
             "\"tenant\":\"acme-%s\"}",
             name, name, strong, name);
    at_req("POST", "/api/auth/register", NULL, body, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    snprintf(want_slug, sizeof(want_slug), "acme-%s", name);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "user"), "tenant")),
                     want_slug);
    at_free(&r);
}
END_TEST

START_TEST(test_register_conflicts)
{
    struct at_account a;
    struct at_resp r;
    char body[512], other[64];
    at_register("conf", &a);
    long users = at_count("SELECT count(*) FROM users");
    long tenants = at_count("SELECT count(*) FROM tenants");
    at_name(other, sizeof(other), "other");

    /* the same username in another case, another tenant */
    for (char *p = a.username; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    snprintf(body, sizeof(body),
             "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"%s\","
             "\"tenant\":\"%s\"}",
             a.username, other, strong, other);
    at_req("POST", "/api/auth/register", NULL, body, &r);
    at_expect_error(&r, 409, "Username already exists");
    at_free(&r);

    /* the same email, upper-cased */
    snprintf(body, sizeof(body),
             "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"%s\",\"tenant\":\"%s\"}", other,
             "X", strong, other);
    char email_up[128];
    snprintf(email_up, sizeof(email_up), "%s", a.email);
    for (char *p = email_up; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    snprintf(body, sizeof(body),
             "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"%s\",\"tenant\":\"%s\"}", other,
             email_up, strong, other);
    at_req("POST", "/api/auth/register", NULL, body, &r);
    at_expect_error(&r, 409, "Email already registered");
    at_free(&r);

    /* the existing tenant: members are added by its admin */
    snprintf(body, sizeof(body),
             "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"%s\","
             "\"tenant\":\"%s\"}",
             other, other, strong, a.tenant);
    at_req("POST", "/api/auth/register", NULL, body, &r);
    at_expect_error(&r, 409, "Tenant already exists");
    at_free(&r);

    ck_assert_int_eq(at_count("SELECT count(*) FROM users"), users);
    ck_assert_int_eq(at_count("SELECT count(*) FROM tenants"), tenants);
}
END_TEST

/* The preferred_username claim of an access token (reports name a run's author with it). */
static void expect_username_claim(const char *access, const char *username)
{
    struct vjwt_params p = {.secret = tu_env("JWT_SECRET_KEY"),
                            .issuer = "valor-ivx",
                            .audience = "valor-ivx-api",
                            .leeway_s = 0};
    struct vjwt_claims cl;
    ck_assert_int_eq(vjwt_verify(&p, access, "access", time(NULL), &cl), 0);
    ck_assert_str_eq(cl.username, username);
}

/* ---- login -------------------------------------------------------------- */

START_TEST(test_login_refusals)
{
    struct at_account a;
    struct at_resp r;
    char body[512];
    at_register("lr", &a);

    at_req("POST", "/api/auth/login", NULL, "{\"username\":\"x\"", &r);
    ck_assert_int_eq(r.status, 400);
    at_free(&r);
    at_req("POST", "/api/auth/login", NULL, "{\"password\":\"x\"}", &r);
    at_expect_validation(&r, "username", "required");
    at_free(&r);
    at_req("POST", "/api/auth/login", NULL, "{\"username\":\"x\"}", &r);
    at_expect_validation(&r, "password", "required");
    at_free(&r);
    at_req("POST", "/api/auth/login", NULL, "{\"username\":\"x\",\"password\":12}", &r);
    at_expect_validation(&r, "password", "must be a string");
    at_free(&r);

    /* wrong password, unknown user, unknown email, 73-byte password: one answer */
    const char *bodies[4];
    char b0[256], b1[256], b2[256], b3[300];
    snprintf(b0, sizeof(b0), "{\"username\":\"%s\",\"password\":\"Wrong-Pass-123!\"}", a.username);
    snprintf(b1, sizeof(b1), "{\"username\":\"nobody%d\",\"password\":\"%s\"}", (int)getpid(),
             a.password);
    snprintf(b2, sizeof(b2), "{\"username\":\"nobody%d@example.com\",\"password\":\"%s\"}",
             (int)getpid(), a.password);
    snprintf(b3, sizeof(b3),
             "{\"username\":\"%s\",\"password\":\"%s"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
             a.username, a.password);
    bodies[0] = b0, bodies[1] = b1, bodies[2] = b2, bodies[3] = b3;
    for (int i = 0; i < 4; i++) {
        at_req("POST", "/api/auth/login", NULL, bodies[i], &r);
        at_expect_error(&r, 401, "Invalid username or password");
        ck_assert_ptr_null(json_object_get(r.json, "access_token"));
        at_free(&r);
    }
    ck_assert_int_eq(
        at_count("SELECT count(*) FROM users WHERE id = %s AND last_login IS NULL", a.id), 1);
    (void)body;
}
END_TEST

START_TEST(test_login_by_username_or_email_stamps_last_login)
{
    struct at_account a;
    struct at_resp r;
    char body[512], upper[128];
    at_register("li", &a);
    long families = at_count("SELECT count(*) FROM refresh_families");

    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}", a.username,
             a.password);
    at_req("POST", "/api/auth/login", NULL, body, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert(json_is_true(json_object_get(r.json, "success")));
    ck_assert_str_eq(at_str(&r, "token_type"), "Bearer");
    ck_assert_ptr_nonnull(at_str(&r, "access_token"));
    ck_assert_ptr_nonnull(at_str(&r, "refresh_token"));
    ck_assert(json_is_string(json_object_get(json_object_get(r.json, "user"), "last_login")));
    expect_username_claim(at_str(&r, "access_token"), a.username);
    at_free(&r);

    snprintf(upper, sizeof(upper), "%s", a.email);
    for (char *p = upper; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}", upper, a.password);
    at_req("POST", "/api/auth/login", NULL, body, &r);
    ck_assert_msg(r.status == 200, "by email: %ld %s", r.status, r.body);
    at_free(&r);
    ck_assert_int_eq(
        at_count("SELECT count(*) FROM users WHERE id = %s AND last_login IS NOT NULL", a.id), 1);
    /* every login starts a family */
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_families"), families + 2);
}
END_TEST

/* ---- refresh ------------------------------------------------------------ */

static void refresh(const char *token, struct at_resp *r)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", token);
    at_req("POST", "/api/auth/refresh", NULL, body, r);
}

START_TEST(test_refresh_bad_input)
{
    struct at_resp r;
    at_req("POST", "/api/auth/refresh", NULL, "{}", &r);
    at_expect_validation(&r, "refresh_token", "required");
    at_free(&r);
    at_req("POST", "/api/auth/refresh", NULL, "{\"refresh_token\":42}", &r);
    at_expect_validation(&r, "refresh_token", "must be a string");
    at_free(&r);
    at_req("POST", "/api/auth/refresh", NULL, "not json", &r);
    ck_assert_int_eq(r.status, 400);
    at_free(&r);
    refresh("no-such-token-at-all", &r);
    at_expect_error(&r, 401, "Invalid refresh token");
    at_free(&r);
}
END_TEST

START_TEST(test_refresh_rotates_and_replay_revokes_family)
{
    struct at_account a;
    struct at_resp r;
    char second[128], second_access[1024];
    at_register("rot", &a);

    refresh(a.refresh, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert(json_is_true(json_object_get(r.json, "success")));
    ck_assert_str_eq(at_str(&r, "token_type"), "Bearer");
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "expires_in")), 900);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(r.json, "user"), "username")),
        a.username);
    snprintf(second, sizeof(second), "%s", at_str(&r, "refresh_token"));
    snprintf(second_access, sizeof(second_access), "%s", at_str(&r, "access_token"));
    ck_assert_str_ne(second, a.refresh);
    expect_username_claim(second_access, a.username);
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_tokens WHERE rotated_from IS NOT NULL "
                              "AND family_id = (SELECT family_id FROM refresh_tokens t JOIN "
                              "refresh_families f ON f.id = t.family_id WHERE f.user_id = %s "
                              "LIMIT 1)",
                              a.id),
                     1);

    at_req("GET", "/api/auth/profile", second_access, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    at_free(&r);

    /* the old token is dead; presenting it again (a replay) ends the family */
    refresh(a.refresh, &r);
    at_expect_error(&r, 401, "Invalid refresh token");
    at_free(&r);
    refresh(second, &r);
    at_expect_error(&r, 401, "Invalid refresh token");
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_families WHERE user_id = %s AND "
                              "revoked_reason = 'replay'",
                              a.id),
                     1);
    /* and the access tokens that family issued */
    at_req("GET", "/api/auth/profile", second_access, NULL, &r);
    at_expect_error(&r, 401, "Invalid token");
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE type = 'session.revoked' AND "
                              "payload->>'user_id' = '%s'",
                              a.id),
                     1);
}
END_TEST

START_TEST(test_refresh_expired)
{
    struct at_account a;
    struct at_resp r;
    char sql[256];
    at_register("exp", &a);
    snprintf(sql, sizeof(sql),
             "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE family_id "
             "IN (SELECT id FROM refresh_families WHERE user_id = %s)",
             a.id);
    at_sql(sql);
    refresh(a.refresh, &r);
    at_expect_error(&r, 401, "Refresh token expired");
    at_free(&r);
}
END_TEST

/* ---- logout and profile ------------------------------------------------- */

START_TEST(test_profile_refusals)
{
    struct at_account a;
    struct at_resp r;
    at_register("pr", &a);

    at_req("GET", "/api/auth/profile", NULL, NULL, &r);
    at_expect_error(&r, 401, "Authorization header required");
    at_free(&r);
    at_req_h("GET", "/api/auth/profile", NULL, NULL, "Authorization: Token abc", &r);
    at_expect_error(&r, 401, "Invalid authorization header format");
    at_free(&r);
    at_req("GET", "/api/auth/profile", "not.a.jwt", NULL, &r);
    at_expect_error(&r, 401, "Invalid token");
    at_free(&r);
    char *expired = tu_token(a.tenant, a.id, "admin", -60);
    at_req("GET", "/api/auth/profile", expired, NULL, &r);
    at_expect_error(&r, 401, "Token expired");
    at_free(&r);
    free(expired);
    at_req_h("GET", "/api/auth/profile", a.access, NULL, "X-Tenant-ID: someone-else", &r);
    at_expect_error(&r, 403, "Tenant mismatch");
    at_free(&r);
    /* a valid signature for a user of another tenant: nobody there */
    char *forged = tu_token("no-such-tenant", a.id, "admin", 60);
    at_req("GET", "/api/auth/profile", forged, NULL, &r);
    at_expect_error(&r, 401, "Invalid token");
    at_free(&r);
    free(forged);
}
END_TEST

START_TEST(test_profile_and_logout)
{
    struct at_account a;
    struct at_resp r;
    char header[96], key[128];
    at_register("lo", &a);

    snprintf(header, sizeof(header), "X-Tenant-ID: %s", a.tenant);
    at_req_h("GET", "/api/auth/profile", a.access, NULL, header, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert(json_is_true(json_object_get(r.json, "success")));
    json_t *u = json_object_get(r.json, "user");
    ck_assert_int_eq(json_object_size(u), 7);
    ck_assert_str_eq(json_string_value(json_object_get(u, "email")), a.email);
    at_free(&r);

    at_req("POST", "/api/auth/logout", NULL, NULL, &r);
    at_expect_error(&r, 401, "Authorization header required");
    at_free(&r);
    at_req("POST", "/api/auth/logout", a.access, "{\"refresh_token\":5}", &r);
    at_expect_validation(&r, "refresh_token", "must be a string");
    at_free(&r);

    at_req_h("POST", "/api/auth/logout", a.access, NULL, header, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert(json_is_true(json_object_get(r.json, "success")));
    at_free(&r);

    /* the access token is refused at once, long before it expires */
    at_req_h("GET", "/api/auth/profile", a.access, NULL, header, &r);
    at_expect_error(&r, 401, "Invalid token");
    at_free(&r);
    /* its jti is in Redis for the rest of its life */
    struct vjwt_params p = {.secret = tu_env("JWT_SECRET_KEY"),
                            .issuer = "valor-ivx",
                            .audience = "valor-ivx-api",
                            .leeway_s = 0};
    struct vjwt_claims cl;
    ck_assert_int_eq(vjwt_verify(&p, a.access, "access", time(NULL), &cl), 0);
    ck_assert_int_eq(kv_denylist_key(cl.jti, key, sizeof(key)), 0);
    const char *argv[] = {"TTL", key};
    size_t lens[] = {3, strlen(key)};
    redisReply *rep = NULL;
    ck_assert_int_eq(kv_command_argv(kv_pool_get(at_svc->kv), 2, argv, lens, &rep), 0);
    ck_assert_msg(rep->type == REDIS_REPLY_INTEGER && rep->integer > 800 && rep->integer <= 930,
                  "TTL %lld", rep->integer);
    freeReplyObject(rep);
    /* and the family is gone */
    refresh(a.refresh, &r);
    at_expect_error(&r, 401, "Invalid refresh token");
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_families WHERE user_id = %s AND "
                              "revoked_reason = 'logout'",
                              a.id),
                     1);
}
END_TEST

START_TEST(test_logout_revokes_the_named_refresh_family)
{
    struct at_account a;
    struct at_resp r;
    char body[512], other_refresh[128];
    at_register("lf", &a);
    /* a second session (another device) */
    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}", a.username,
             a.password);
    at_req("POST", "/api/auth/login", NULL, body, &r);
    ck_assert_int_eq(r.status, 200);
    snprintf(other_refresh, sizeof(other_refresh), "%s", at_str(&r, "refresh_token"));
    at_free(&r);

    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", other_refresh);
    at_req("POST", "/api/auth/logout", a.access, body, &r);
    ck_assert_int_eq(r.status, 200);
    at_free(&r);
    refresh(other_refresh, &r);
    at_expect_error(&r, 401, "Invalid refresh token");
    at_free(&r);
    refresh(a.refresh, &r);
    at_expect_error(&r, 401, "Invalid refresh token");
    at_free(&r);
    ck_assert_int_eq(at_count("SELECT count(*) FROM refresh_families WHERE user_id = %s AND "
                              "revoked_at IS NULL",
                              a.id),
                     0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-auth api: accounts and sessions");
    TCase *tc = tcase_create("auth");
    int rc;

    at_init_schema("a");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, at_start, at_stop);
    tcase_add_test(tc, test_register_bad_input_writes_nothing);
    tcase_add_test(tc, test_register_validation_order);
    tcase_add_test(tc, test_register_creates_tenant_and_admin);
    tcase_add_test(tc, test_register_conflicts);
    tcase_add_test(tc, test_login_refusals);
    tcase_add_test(tc, test_login_by_username_or_email_stamps_last_login);
    tcase_add_test(tc, test_refresh_bad_input);
    tcase_add_test(tc, test_refresh_rotates_and_replay_revokes_family);
    tcase_add_test(tc, test_refresh_expired);
    tcase_add_test(tc, test_profile_refusals);
    tcase_add_test(tc, test_profile_and_logout);
    tcase_add_test(tc, test_logout_revokes_the_named_refresh_family);
    suite_add_tcase(s, tc);
    rc = tu_run(s);
    at_drop_schema();
    return rc;
}
