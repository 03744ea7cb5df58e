/* handlers_users: an admin's management of the users of their own tenant
 * (GET/POST /api/auth/users, PATCH /api/auth/users/{id}). */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
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

#define ADMIN_ONLY (AUTHN_ADMIN | AUTHN_NO_TENANT)

void auth_users_list(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct vjwt_claims cl;
    struct db_conn *c = NULL;
    PGresult *res = NULL;
    json_t *users = NULL;
    int rc;

    if (authn_request(ctx, &st->svc->jwt, st->svc->revoke, ADMIN_ONLY, &cl) != VALOR_OK)
        goto out;
    const char *v[] = {cl.tid};
    if ((rc = db_acquire(st->svc->db, &c)) != VALOR_OK ||
        (rc = db_exec(c, "SELECT " USERS_COLS USERS_FROM "WHERE t.slug = $1 ORDER BY u.id", 1, v,
                      &res)) != VALOR_OK) {
        auth_reply_failure(ctx, rc, "users list");
        goto out;
    }
    users = json_array();
    for (int i = 0; users != NULL && i < PQntuples(res); i++)
        json_array_append_new(users, db_row_json(res, i));
    http_reply_json(ctx, 200, json_pack("{s:b, s:o}", "success", 1, "users", users));
    users = NULL;
out:
    PQclear(res);
    if (c != NULL)
        db_release(c);
    json_decref(users);
}

void auth_users_create(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct vjwt_claims cl;
    struct auth_new_user nu;
    struct auth_identity who = {0};
    struct db_conn *c = NULL;
    json_t *body = NULL, *user = NULL, *data = NULL;
    char hash[CRYPTO_BCRYPT_HASH_LEN];
    const char *taken = NULL;
    int rc;

    if (authn_request(ctx, &st->svc->jwt, st->svc->revoke, ADMIN_ONLY, &cl) != VALOR_OK ||
        auth_body_object(ctx, &body) != VALOR_OK ||
        auth_new_user_read(ctx, body, AUTH_NEW_MEMBER, &nu) != VALOR_OK)
        goto out;
    if ((rc = db_acquire(st->svc->db, &c)) != VALOR_OK ||
        (rc = users_taken(c, nu.username, nu.email, NULL, &taken)) != VALOR_OK) {
        auth_reply_failure(ctx, rc, "user create lookup");
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
    if ((rc = db_begin(c)) == VALOR_OK)
        rc = users_insert(c, cl.tid, nu.username, nu.email, hash, nu.role, &who, &user);
    if (rc == VALOR_E_CONFLICT) {
        db_rollback(c);
        if (users_taken(c, nu.username, nu.email, NULL, &taken) != VALOR_OK || taken == NULL)
            taken = "Username already exists";
        http_reply_error(ctx, VALOR_E_CONFLICT, taken);
        goto out;
    }
    if (rc == VALOR_E_NOT_FOUND) {
        /* the caller's tenant is gone: the token stands for nothing */
        http_reply_error(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");
        goto out;
    }
    if (rc == VALOR_OK) {
        data = json_pack("{s:s, s:s, s:s}", "username", nu.username, "role", nu.role, "created_by",
                         cl.sub);
        rc = auth_emit(ctx, c, "user.registered", cl.tid, cl.sub, who.id, data);
    }
    if (rc == VALOR_OK)
        rc = db_commit(c);
    if (rc != VALOR_OK) {
        auth_reply_failure(ctx, rc, "user create");
        goto out;
    }
    bus_publisher_kick(st->svc->publisher);
    http_reply_json(ctx, 201, json_pack("{s:b, s:o}", "success", 1, "user", user));
    user = NULL;
out:
    if (c != NULL)
        db_release(c);
    json_decref(data);
    json_decref(user);
    json_decref(body);
}

/* The target user, locked, with the tenant's other active admins counted. */
struct target {
    char role[16];
    int active;
    int other_admins;
};

static int lock_target(struct db_conn *c, const char *id, const char *tenant, struct target *t)
{
    PGresult *res = NULL;
    const char *v[] = {id, tenant};
    int rc;

    /* Locking the tenant row serialises admin changes within a tenant, so
     * two admins cannot demote each other at once and leave none. */
    rc = db_exec(c, "SELECT id FROM tenants WHERE slug = $1 FOR UPDATE", 1, v + 1, &res);
    if (rc == VALOR_OK && PQntuples(res) != 1)
        rc = VALOR_E_NOT_FOUND;
    PQclear(res);
    res = NULL;
    if (rc != VALOR_OK)
        return rc;
    rc = db_exec(c,
                 "SELECT u.role, u.active, (SELECT count(*) FROM users o WHERE o.tenant_id = "
                 "u.tenant_id AND o.id <> u.id AND o.role = 'admin' AND o.active) "
                 "FROM users u JOIN tenants t ON t.id = u.tenant_id "
                 "WHERE u.id = $1::bigint AND t.slug = $2 FOR UPDATE OF u",
                 2, v, &res);
    if (rc == VALOR_OK && PQntuples(res) != 1)
        rc = VALOR_E_NOT_FOUND;
    if (rc == VALOR_OK) {
        snprintf(t->role, sizeof(t->role), "%s", PQgetvalue(res, 0, 0));
        t->active = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
        t->other_admins = (int)strtol(PQgetvalue(res, 0, 2), NULL, 10);
    }
    PQclear(res);
    return rc;
}

void auth_users_patch(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct vjwt_claims cl;
    struct db_conn *c = NULL;
    struct jsonv_err e;
    struct target t;
    json_t *body = NULL, *user = NULL, *changes = NULL, *jtis = json_array();
    const char *id = http_param(ctx, "id"), *role = NULL;
    int has_role, has_active, active = 1, rc, revoked = 0;

    if (authn_request(ctx, &st->svc->jwt, st->svc->revoke, ADMIN_ONLY, &cl) != VALOR_OK ||
        auth_body_object(ctx, &body) != VALOR_OK)
        goto out;
    if ((has_role = jsonv_string(body, "role", JSONV_OPTIONAL, 0, 32, &role, &e)) < 0 ||
        (has_active = jsonv_bool(body, "active", JSONV_OPTIONAL, &active, &e)) < 0) {
        jsonv_reply(ctx, &e);
        goto out;
    }
    if (has_role && !auth_role_valid(role)) {
        http_reply_validation(ctx, "role", "must be one of admin, analyst, viewer");
        goto out;
    }
    if (!has_role && !has_active) {
        http_reply_validation(ctx, "role", "at least one of role, active is required");
        goto out;
    }
    if (!auth_is_id(id)) {
        http_reply_error(ctx, VALOR_E_NOT_FOUND, "User not found");
        goto out;
    }
    if ((rc = db_acquire(st->svc->db, &c)) == VALOR_OK && (rc = db_begin(c)) == VALOR_OK)
        rc = lock_target(c, id, cl.tid, &t);
    if (rc == VALOR_E_NOT_FOUND) {
        http_reply_error(ctx, VALOR_E_NOT_FOUND, "User not found");
        goto out;
    }
    if (rc != VALOR_OK) {
        auth_reply_failure(ctx, rc, "user patch");
        goto out;
    }
    if (!has_role)
        role = t.role;
    if (!has_active)
        active = t.active;
    if (t.active && strcmp(t.role, "admin") == 0 && (!active || strcmp(role, "admin") != 0) &&
        t.other_admins == 0) {
        http_reply_error(ctx, VALOR_E_CONFLICT, "Tenant must keep at least one active admin");
        goto out;
    }
    const char *v[] = {id, role, active ? "true" : "false"};
    changes = json_object();
    if (strcmp(role, t.role) != 0)
        json_object_set_new(changes, "role", json_string(role));
    if (active != t.active)
        json_object_set_new(changes, "active", json_boolean(active));
    rc = db_exec(c,
                 "UPDATE users SET role = $2, active = $3::boolean, deactivated_at = CASE WHEN "
                 "$3::boolean THEN NULL ELSE coalesce(deactivated_at, now()) END "
                 "WHERE id = $1::bigint",
                 3, v, NULL);
    /* Deactivated: every session ends. Role changed: the live access tokens
     * (carrying the old role) die; a refresh issues one with the new role. */
    if (rc == VALOR_OK && t.active && !active) {
        rc = session_revoke(c, SESSION_USER, id, "deactivated", &revoked, jtis);
        if (rc == VALOR_OK)
            rc = session_record_revoked(ctx, c, cl.tid, cl.sub, id, "deactivated", revoked, jtis);
    } else if (rc == VALOR_OK && json_object_get(changes, "role") != NULL) {
        rc = session_live_jtis(c, id, jtis);
        if (rc == VALOR_OK)
            rc = session_record_revoked(ctx, c, cl.tid, cl.sub, id, "role_changed", 0, jtis);
    }
    if (rc == VALOR_OK && json_object_size(changes) > 0) {
        json_t *ev = json_pack("{s:O}", "changes", changes);
        rc = auth_emit(ctx, c, "user.updated", cl.tid, cl.sub, id, ev);
        json_decref(ev);
    }
    if (rc == VALOR_OK)
        rc = db_commit(c);
    if (rc == VALOR_OK)
        rc = users_get(c, id, cl.tid, 0, &user);
    if (rc != VALOR_OK) {
        auth_reply_failure(ctx, rc, "user patch");
        goto out;
    }
    if (json_object_size(changes) > 0)
        bus_publisher_kick(st->svc->publisher);
    session_denylist_all(st, jtis);
    http_reply_json(ctx, 200, json_pack("{s:b, s:o}", "success", 1, "user", user));
    user = NULL;
out:
    if (c != NULL)
        db_release(c);
    json_decref(jtis);
    json_decref(changes);
    json_decref(user);
    json_decref(body);
}
