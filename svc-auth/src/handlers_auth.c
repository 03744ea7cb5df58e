/* handlers_auth: register, login, refresh, logout and profile (api.md §2). */
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "auth_rules.h"
#include "service.h"
#include "sessions.h"
#include "store_users.h"
#include "valor/authn.h"
#include "valor/bus.h"
#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/jsonv.h"
#include "valor/log.h"

#define LOGIN_FIELD_MAX 1024
#define REFRESH_FIELD_MAX 512

static const char *const bad_login = "Invalid username or password";
static const char *const bad_refresh = "Invalid refresh token";

/* {"success":true, "user":user, …tokens} — steals tokens and user. */
static void reply_tokens(struct http_ctx *ctx, unsigned status, json_t *tokens, json_t *user)
{
    json_t *body = json_pack("{s:b, s:o}", "success", 1, "user", user);
    json_object_update(body, tokens);
    json_decref(tokens);
    http_reply_json(ctx, status, body);
}

void auth_register(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct auth_new_user nu;
    struct auth_identity who = {0};
    struct db_conn *c = NULL;
    json_t *body = NULL, *user = NULL, *tokens = NULL, *data = NULL;
    PGresult *res = NULL;
    char slug[AUTH_SLUG_MAX + 1], hash[CRYPTO_BCRYPT_HASH_LEN];
    const char *taken = NULL;
    int rc;

    if (auth_body_object(ctx, &body) != VALOR_OK ||
        auth_new_user_read(ctx, body, AUTH_NEW_REGISTER, &nu) != VALOR_OK)
        goto out;
    if (nu.tenant != NULL) {
        if (!auth_slug_valid(nu.tenant)) {
            http_reply_validation(ctx, "tenant", "must match ^[a-z0-9][a-z0-9-]{1,62}$");
            goto out;
        }
        snprintf(slug, sizeof(slug), "%s", nu.tenant);
    } else if (auth_slug_derive(nu.username, slug) != VALOR_OK) {
        http_reply_validation(ctx, "tenant",
                              "required: no tenant slug can be derived from "
                              "this username");
        goto out;
    }
    if ((rc = db_acquire(st->svc->db, &c)) != VALOR_OK ||
        (rc = users_taken(c, nu.username, nu.email, slug, &taken)) != VALOR_OK) {
        auth_reply_failure(ctx, rc, "register lookup");
        goto out;
    }
    if (taken != NULL) {
        http_reply_error(ctx, VALOR_E_CONFLICT, taken);
        goto out;
    }
    if ((rc = crypto_bcrypt_hash(nu.password, st->bcrypt_cost, hash)) != VALOR_OK) {
        auth_reply_failure(ctx, rc, "bcrypt");
        goto out;
    }
    const char *tv[] = {slug};
    if ((rc = db_begin(c)) != VALOR_OK ||
        (rc = db_exec(c,
                      "INSERT INTO tenants (slug, name) VALUES ($1, $1) "
                      "ON CONFLICT (slug) DO NOTHING RETURNING id",
                      1, tv, &res)) != VALOR_OK) {
        auth_reply_failure(ctx, rc, "register tenant");
        goto out;
    }
    if (PQntuples(res) == 0) {
        http_reply_error(ctx, VALOR_E_CONFLICT, "Tenant already exists");
        goto out;
    }
    rc = users_insert(c, slug, nu.username, nu.email, hash, "admin", &who, &user);
    if (rc == VALOR_E_CONFLICT) {
        /* lost a race with another registration: say which value is taken */
        db_rollback(c);
        if (users_taken(c, nu.username, nu.email, NULL, &taken) != VALOR_OK || taken == NULL)
            taken = "Username already exists";
        http_reply_error(ctx, VALOR_E_CONFLICT, taken);
        goto out;
    }
    rc = rc != VALOR_OK ? rc : (tokens = json_object()) == NULL ? VALOR_E_NOMEM : VALOR_OK;
    if (rc == VALOR_OK)
        rc = session_issue(st, c, &who, NULL, NULL, tokens);
    if (rc == VALOR_OK) {
        data = json_pack("{s:s, s:s}", "username", nu.username, "role", "admin");
        rc = auth_emit(ctx, c, "user.registered", slug, who.id, who.id, data);
    }
    if (rc == VALOR_OK)
        rc = db_commit(c);
    if (rc != VALOR_OK) {
        auth_reply_failure(ctx, rc, "register");
        goto out;
    }
    bus_publisher_kick(st->svc->publisher);
    log_info(&ctx->log, "user_registered", "tenant %s created with its admin (user %s)", slug,
             who.id);
    reply_tokens(ctx, 201, tokens, user);
    tokens = user = NULL;
out:
    PQclear(res);
    if (c != NULL)
        db_release(c);
    json_decref(data);
    json_decref(tokens);
    json_decref(user);
    json_decref(body);
}

void auth_login(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct auth_identity who = {0};
    struct db_conn *c = NULL;
    struct jsonv_err e;
    json_t *body = NULL, *user = NULL, *tokens = NULL;
    const char *login = NULL, *password = NULL;
    char hash[CRYPTO_BCRYPT_HASH_LEN] = "";
    int rc, active = 0, found;

    if (auth_body_object(ctx, &body) != VALOR_OK)
        goto out;
    if (jsonv_string(body, "username", JSONV_REQUIRED, 0, LOGIN_FIELD_MAX, &login, &e) < 0 ||
        jsonv_string(body, "password", JSONV_REQUIRED, 0, LOGIN_FIELD_MAX, &password, &e) < 0) {
        jsonv_reply(ctx, &e);
        goto out;
    }
    if ((rc = db_acquire(st->svc->db, &c)) != VALOR_OK) {
        auth_reply_failure(ctx, rc, "login");
        goto out;
    }
    rc = users_find_login(c, login, &who, hash, &active);
    if (rc != VALOR_OK && rc != VALOR_E_NOT_FOUND) {
        auth_reply_failure(ctx, rc, "login lookup");
        goto out;
    }
    found = rc == VALOR_OK;
    /* The same bcrypt work whether or not the user exists or the password
     * can be checked at all (over 72 bytes). */
    if (!found || strlen(password) > CRYPTO_BCRYPT_MAX_PASSWORD) {
        crypto_bcrypt_verify("not the password", st->dummy_hash);
        found = 0;
    } else if (crypto_bcrypt_verify(password, hash) != VALOR_OK) {
        found = 0;
    }
    if (!found || !active) {
        http_reply_error(ctx, VALOR_E_UNAUTHORIZED, bad_login);
        goto out;
    }
    const char *v[] = {who.id};
    if ((tokens = json_object()) == NULL) {
        rc = VALOR_E_NOMEM;
    } else if ((rc = db_begin(c)) == VALOR_OK &&
               (rc = db_exec(c, "UPDATE users SET last_login = now() WHERE id = $1::bigint", 1, v,
                             NULL)) == VALOR_OK &&
               (rc = session_issue(st, c, &who, NULL, NULL, tokens)) == VALOR_OK &&
               (rc = db_commit(c)) == VALOR_OK) {
        rc = users_get(c, who.id, who.tenant, 0, &user);
    }
    if (rc != VALOR_OK) {
        auth_reply_failure(ctx, rc, "login");
        goto out;
    }
    reply_tokens(ctx, 200, tokens, user);
    tokens = user = NULL;
out:
    if (c != NULL)
        db_release(c);
    json_decref(tokens);
    json_decref(user);
    json_decref(body);
}

/* The row of a presented refresh token, locked with its family. */
struct presented {
    char id[24], family[CRYPTO_UUID_LEN];
    int rotated, revoked, expired, active;
    struct auth_identity who;
};

static int find_presented(struct db_conn *c, const char *token, struct presented *p)
{
    PGresult *res = NULL;
    char hash[65];
    int rc;

    if ((rc = crypto_sha256_hex(token, strlen(token), hash)) != VALOR_OK)
        return rc;
    const char *v[] = {hash};
    rc = db_exec(c,
                 "SELECT t.id, t.family_id::text, t.rotated_at IS NOT NULL, "
                 "t.revoked_at IS NOT NULL OR f.revoked_at IS NOT NULL, t.expires_at <= now(), "
                 "u.active, u.id, ts.slug, u.role, ts.plan, u.username "
                 "FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
                 "JOIN users u ON u.id = f.user_id JOIN tenants ts ON ts.id = u.tenant_id "
                 "WHERE t.token_hash = $1 FOR UPDATE OF t, f",
                 1, v, &res);
    if (rc == VALOR_OK && PQntuples(res) != 1)
        rc = VALOR_E_NOT_FOUND;
    if (rc == VALOR_OK) {
        snprintf(p->id, sizeof(p->id), "%s", PQgetvalue(res, 0, 0));
        snprintf(p->family, sizeof(p->family), "%s", PQgetvalue(res, 0, 1));
        p->rotated = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
        p->revoked = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        p->expired = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
        p->active = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
        snprintf(p->who.id, sizeof(p->who.id), "%s", PQgetvalue(res, 0, 6));
        snprintf(p->who.tenant, sizeof(p->who.tenant), "%s", PQgetvalue(res, 0, 7));
        snprintf(p->who.role, sizeof(p->who.role), "%s", PQgetvalue(res, 0, 8));
        snprintf(p->who.plan, sizeof(p->who.plan), "%s", PQgetvalue(res, 0, 9));
        snprintf(p->who.username, sizeof(p->who.username), "%s", PQgetvalue(res, 0, 10));
    }
    PQclear(res);
    return rc;
}

/* A rotated token came back: someone holds a copy. Revoke the family and
 * every access token it issued that is still alive. */
static int revoke_replayed(struct http_ctx *ctx, struct auth_state *st, struct db_conn *c,
                           const struct presented *p)
{
    json_t *jtis = json_array();
    int revoked = 0;
    int rc = session_revoke(c, SESSION_FAMILY, p->family, "replay", &revoked, jtis);
    if (rc == VALOR_OK)
        rc = session_record_revoked(ctx, c, p->who.tenant, p->who.id, p->who.id, "replay", revoked,
                                    jtis);
    if (rc == VALOR_OK)
        rc = db_commit(c);
    if (rc == VALOR_OK) {
        bus_publisher_kick(st->svc->publisher);
        session_denylist_all(st, jtis);
        log_warn(&ctx->log, "refresh_replay",
                 "a rotated refresh token was presented again: family revoked (user %s)",
                 p->who.id);
    }
    json_decref(jtis);
    return rc;
}

void auth_refresh(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct presented p;
    struct db_conn *c = NULL;
    struct jsonv_err e;
    json_t *body = NULL, *user = NULL, *tokens = NULL;
    const char *token = NULL;
    int rc;

    if (auth_body_object(ctx, &body) != VALOR_OK)
        goto out;
    if (jsonv_string(body, "refresh_token", JSONV_REQUIRED, 1, REFRESH_FIELD_MAX, &token, &e) < 0) {
        jsonv_reply(ctx, &e);
        goto out;
    }
    if ((rc = db_acquire(st->svc->db, &c)) != VALOR_OK || (rc = db_begin(c)) != VALOR_OK) {
        auth_reply_failure(ctx, rc, "refresh");
        goto out;
    }
    rc = find_presented(c, token, &p);
    if (rc == VALOR_E_NOT_FOUND || (rc == VALOR_OK && p.revoked)) {
        http_reply_error(ctx, VALOR_E_UNAUTHORIZED, bad_refresh);
        goto out;
    }
    if (rc == VALOR_OK && p.rotated) {
        rc = revoke_replayed(ctx, st, c, &p);
        if (rc == VALOR_OK)
            http_reply_error(ctx, VALOR_E_UNAUTHORIZED, bad_refresh);
        else
            auth_reply_failure(ctx, rc, "refresh replay");
        goto out;
    }
    if (rc == VALOR_OK && p.expired) {
        http_reply_error(ctx, VALOR_E_UNAUTHORIZED, "Refresh token expired");
        goto out;
    }
    if (rc == VALOR_OK && !p.active) {
        http_reply_error(ctx, VALOR_E_UNAUTHORIZED, bad_refresh);
        goto out;
    }
    const char *v[] = {p.id};
    if (rc == VALOR_OK && (tokens = json_object()) == NULL)
        rc = VALOR_E_NOMEM;
    if (rc == VALOR_OK)
        rc = db_exec(c, "UPDATE refresh_tokens SET rotated_at = now() WHERE id = $1::bigint", 1, v,
                     NULL);
    if (rc == VALOR_OK)
        rc = session_issue(st, c, &p.who, p.family, p.id, tokens);
    if (rc == VALOR_OK)
        rc = db_commit(c);
    if (rc == VALOR_OK)
        rc = users_get(c, p.who.id, p.who.tenant, 0, &user);
    if (rc != VALOR_OK) {
        auth_reply_failure(ctx, rc, "refresh");
        goto out;
    }
    reply_tokens(ctx, 200, tokens, user);
    tokens = user = NULL;
out:
    if (c != NULL)
        db_release(c);
    json_decref(tokens);
    json_decref(user);
    json_decref(body);
}

/* Families to end at logout: the one that issued this access token, and the
 * one of the refresh token in the body when it is the caller's. */
static int logout_families(struct db_conn *c, const struct vjwt_claims *cl, const char *refresh,
                           json_t *families)
{
    PGresult *res = NULL;
    char hash[65] = "";
    int rc;

    if (refresh != NULL && (rc = crypto_sha256_hex(refresh, strlen(refresh), hash)) != VALOR_OK)
        return rc;
    const char *v[] = {cl->jti, cl->sub, refresh != NULL ? hash : NULL};
    rc = db_exec(c,
                 "SELECT DISTINCT t.family_id::text FROM refresh_tokens t "
                 "JOIN refresh_families f ON f.id = t.family_id "
                 "WHERE f.user_id = $2::bigint AND (t.access_jti = $1::uuid OR t.token_hash = $3)",
                 3, v, &res);
    for (int i = 0; rc == VALOR_OK && i < PQntuples(res); i++)
        json_array_append_new(families, json_string(PQgetvalue(res, i, 0)));
    PQclear(res);
    return rc;
}

void auth_logout(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct vjwt_claims cl;
    struct db_conn *c = NULL;
    struct jsonv_err e;
    json_t *body = NULL, *families = json_array(), *jtis = json_array(), *f;
    const char *refresh = NULL;
    size_t i;
    int rc, revoked = 0;

    if (authn_request(ctx, &st->svc->jwt, st->svc->revoke, AUTHN_READ | AUTHN_NO_TENANT, &cl) !=
        VALOR_OK)
        goto out;
    /* The body is optional: {"refresh_token"?} */
    if (ctx->req->binary_body_length > 0) {
        if (auth_body_object(ctx, &body) != VALOR_OK)
            goto out;
        if (jsonv_string(body, "refresh_token", JSONV_OPTIONAL, 1, REFRESH_FIELD_MAX, &refresh,
                         &e) < 0) {
            jsonv_reply(ctx, &e);
            goto out;
        }
    }
    rc = auth_is_id(cl.sub) ? VALOR_OK : VALOR_E_NOT_FOUND;
    if (rc == VALOR_OK && (rc = db_acquire(st->svc->db, &c)) == VALOR_OK &&
        (rc = db_begin(c)) == VALOR_OK)
        rc = logout_families(c, &cl, refresh, families);
    json_array_foreach(families, i, f)
    {
        int n = 0;
        if (rc == VALOR_OK)
            rc = session_revoke(c, SESSION_FAMILY, json_string_value(f), "logout", &n, jtis);
        revoked += n;
    }
    /* This access token in any case, even when its family was already gone. */
    session_jtis_add(jtis, cl.jti, cl.exp);
    if (rc == VALOR_OK)
        rc = session_record_revoked(ctx, c, cl.tid, cl.sub, cl.sub, "logout", revoked, jtis);
    if (rc == VALOR_OK)
        rc = db_commit(c);
    if (rc != VALOR_OK) {
        /* not recorded: nothing would re-seed it, so Redis must take it now */
        if (rc != VALOR_E_NOT_FOUND || session_denylist_all(st, jtis) != VALOR_OK) {
            auth_reply_failure(ctx, rc == VALOR_E_NOT_FOUND ? VALOR_E_UNAVAILABLE : rc, "logout");
            goto out;
        }
    } else {
        bus_publisher_kick(st->svc->publisher);
        session_denylist_all(st, jtis); /* Redis' copy; re-seeded if it fails now */
    }
    http_reply_json(ctx, 200, json_pack("{s:b}", "success", 1));
out:
    if (c != NULL)
        db_release(c);
    json_decref(jtis);
    json_decref(families);
    json_decref(body);
}

void auth_profile(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct vjwt_claims cl;
    struct db_conn *c = NULL;
    json_t *user = NULL;
    int rc;

    if (authn_request(ctx, &st->svc->jwt, st->svc->revoke, AUTHN_READ | AUTHN_NO_TENANT, &cl) !=
        VALOR_OK)
        goto out;
    rc = auth_is_id(cl.sub) ? VALOR_OK : VALOR_E_NOT_FOUND;
    if (rc == VALOR_OK && (rc = db_acquire(st->svc->db, &c)) == VALOR_OK)
        rc = users_get(c, cl.sub, cl.tid, 1, &user);
    if (rc == VALOR_E_NOT_FOUND) {
        /* a deleted or deactivated account: the token no longer stands for anyone */
        http_reply_error(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");
        goto out;
    }
    if (rc != VALOR_OK) {
        auth_reply_failure(ctx, rc, "profile");
        goto out;
    }
    http_reply_json(ctx, 200, json_pack("{s:b, s:o}", "success", 1, "user", user));
    user = NULL;
out:
    if (c != NULL)
        db_release(c);
    json_decref(user);
}
