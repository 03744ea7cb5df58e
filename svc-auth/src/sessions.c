/* sessions: token pairs, rotation bookkeeping, revocation and the denylist
 * (see sessions.h). */
#include "sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/jwt.h"
#include "valor/kv.h"
#include "valor/log.h"
#include "valor/revoke.h"
#include "handlers.h"
#include "reseed.h"

#define REFRESH_TOKEN_BYTES 32
#define REFRESH_TOKEN_CHARS 45 /* 4 * ceil(32 / 3) + 1 */

int session_issue(const struct auth_state *st, struct db_conn *c, const struct auth_identity *who,
                  const char *family_id, const char *rotated_from, json_t *out)
{
    struct vjwt_claims cl = {0};
    char family[CRYPTO_UUID_LEN], refresh[REFRESH_TOKEN_CHARS], hash[65];
    char exp_s[24], ttl_s[24];
    char *access = NULL;
    time_t now = time(NULL);
    int rc;

    if ((rc = crypto_uuid4(cl.jti)) != VALOR_OK ||
        (rc = crypto_random_token(REFRESH_TOKEN_BYTES, refresh, sizeof(refresh))) != VALOR_OK ||
        (rc = crypto_sha256_hex(refresh, strlen(refresh), hash)) != VALOR_OK)
        goto out;
    if (family_id == NULL) {
        if ((rc = crypto_uuid4(family)) != VALOR_OK)
            goto out;
        const char *v[] = {family, who->id};
        rc = db_exec(c,
                     "INSERT INTO refresh_families (id, user_id, tenant_id) "
                     "SELECT $1::uuid, u.id, u.tenant_id FROM users u WHERE u.id = $2::bigint",
                     2, v, NULL);
        if (rc != VALOR_OK)
            goto out;
    } else {
        snprintf(family, sizeof(family), "%s", family_id);
    }

    snprintf(cl.sub, sizeof(cl.sub), "%s", who->id);
    snprintf(cl.tid, sizeof(cl.tid), "%s", who->tenant);
    snprintf(cl.role, sizeof(cl.role), "%s", who->role);
    snprintf(cl.plan, sizeof(cl.plan), "%s", who->plan);
    snprintf(cl.username, sizeof(cl.username), "%s", who->username);
    snprintf(cl.typ, sizeof(cl.typ), "access");
    cl.iat = cl.nbf = (long long)now;
    cl.exp = (long long)now + st->access_ttl_s;
    if ((rc = vjwt_sign(&st->svc->jwt, &cl, &access)) != VALOR_OK)
        goto out;

    snprintf(exp_s, sizeof(exp_s), "%lld", cl.exp);
    snprintf(ttl_s, sizeof(ttl_s), "%ld", st->refresh_ttl_s);
    const char *v[] = {family, hash, rotated_from, cl.jti, exp_s, ttl_s};
    rc = db_exec(c,
                 "INSERT INTO refresh_tokens "
                 "(family_id, token_hash, rotated_from, access_jti, access_exp, expires_at) "
                 "VALUES ($1::uuid, $2, $3::bigint, $4::uuid, to_timestamp($5::bigint), "
                 "now() + $6::bigint * interval '1 second')",
                 6, v, NULL);
    if (rc != VALOR_OK)
        goto out;
    json_object_set_new(out, "access_token", json_string(access));
    json_object_set_new(out, "refresh_token", json_string(refresh));
    json_object_set_new(out, "token_type", json_string("Bearer"));
    json_object_set_new(out, "expires_in", json_integer(st->access_ttl_s));
out:
    free(access);
    return rc;
}

/* Appends [jti, exp] for each row (jti text, exp epoch seconds) of res. */
static void append_jtis(PGresult *res, json_t *jtis)
{
    for (int i = 0; jtis != NULL && i < PQntuples(res); i++)
        json_array_append_new(jtis,
                              json_pack("[s, I]", PQgetvalue(res, i, 0),
                                        (json_int_t)strtoll(PQgetvalue(res, i, 1), NULL, 10)));
}

int session_revoke(struct db_conn *c, enum session_scope scope, const char *key, const char *reason,
                   int *revoked, json_t *jtis)
{
    PGresult *res = NULL;
    const char *v[] = {key, reason};
    int by_user = scope == SESSION_USER, rc;

    if (revoked != NULL)
        *revoked = 0;
    rc = db_exec(c,
                 by_user ? "UPDATE refresh_families SET revoked_at = now(), revoked_reason = $2 "
                           "WHERE user_id = $1::bigint AND revoked_at IS NULL RETURNING id"
                         : "UPDATE refresh_families SET revoked_at = now(), revoked_reason = $2 "
                           "WHERE id = $1::uuid AND revoked_at IS NULL RETURNING id",
                 2, v, &res);
    if (rc != VALOR_OK)
        goto out;
    if (revoked != NULL)
        *revoked = PQntuples(res);
    PQclear(res);
    res = NULL;
    rc = db_exec(c,
                 by_user ? "UPDATE refresh_tokens t SET revoked_at = now() FROM refresh_families f "
                           "WHERE f.id = t.family_id AND f.user_id = $1::bigint "
                           "AND t.revoked_at IS NULL"
                         : "UPDATE refresh_tokens SET revoked_at = now() "
                           "WHERE family_id = $1::uuid AND revoked_at IS NULL",
                 1, v, NULL);
    if (rc != VALOR_OK || jtis == NULL)
        goto out;
    rc = db_exec(c,
                 by_user ? "SELECT t.access_jti::text, extract(epoch FROM t.access_exp)::bigint "
                           "FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
                           "WHERE f.user_id = $1::bigint AND t.access_exp > now()"
                         : "SELECT access_jti::text, extract(epoch FROM access_exp)::bigint "
                           "FROM refresh_tokens WHERE family_id = $1::uuid "
                           "AND access_exp > now()",
                 1, v, &res);
    if (rc == VALOR_OK)
        append_jtis(res, jtis);
out:
    PQclear(res);
    return rc;
}

int session_live_jtis(struct db_conn *c, const char *user_id, json_t *jtis)
{
    PGresult *res = NULL;
    const char *v[] = {user_id};
    int rc = db_exec(c,
                     "SELECT t.access_jti::text, extract(epoch FROM t.access_exp)::bigint "
                     "FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
                     "WHERE f.user_id = $1::bigint AND t.access_exp > now()",
                     1, v, &res);
    if (rc == VALOR_OK)
        append_jtis(res, jtis);
    PQclear(res);
    return rc;
}

void session_jtis_add(json_t *jtis, const char *jti, long long exp)
{
    size_t i;
    json_t *pair;
    json_array_foreach(jtis, i, pair)
    {
        if (strcmp(json_string_value(json_array_get(pair, 0)), jti) == 0)
            return;
    }
    json_array_append_new(jtis, json_pack("[s, I]", jti, (json_int_t)exp));
}

/* The event's [{"jti","exp"}…] of jtis' UUID jtis. */
static json_t *revoked_tokens(const json_t *jtis)
{
    json_t *tokens = json_array(), *pair;
    size_t i;

    json_array_foreach(jtis, i, pair)
    {
        const char *jti = json_string_value(json_array_get(pair, 0));
        if (tokens != NULL && jti != NULL && crypto_is_uuid(jti)) /* every jti svc-auth signs */
            json_array_append_new(
                tokens, json_pack("{s:s, s:O}", "jti", jti, "exp", json_array_get(pair, 1)));
    }
    return tokens;
}

int session_record_revoked(struct http_ctx *ctx, struct db_conn *c, const char *tenant,
                           const char *actor, const char *user_id, const char *reason, int sessions,
                           const json_t *jtis)
{
    json_t *tokens = NULL, *data = NULL;
    char *text = NULL;
    int rc = VALOR_E_NOMEM;

    if (json_array_size(jtis) == 0 && sessions == 0)
        return VALOR_OK;
    if ((tokens = revoked_tokens(jtis)) == NULL ||
        (text = json_dumps(tokens, JSON_COMPACT)) == NULL)
        goto out;
    const char *v[] = {user_id, reason, text};
    rc = db_exec(
        c,
        "INSERT INTO revoked_tokens (jti, tenant_id, user_id, reason, expires_at) "
        "SELECT (t->>'jti')::uuid, u.tenant_id, u.id, $2, to_timestamp((t->>'exp')::bigint) "
        "FROM users u, jsonb_array_elements($3::jsonb) AS t "
        "WHERE u.id = $1::bigint ON CONFLICT (jti) DO NOTHING",
        3, v, NULL);
    if (rc != VALOR_OK)
        goto out;
    data = json_pack("{s:s, s:i, s:O}", "reason", reason, "sessions", sessions, REVOKE_EVENT_FIELD,
                     tokens);
    rc = data != NULL ? auth_emit(ctx, c, REVOKE_EVENT_TYPE, tenant, actor, user_id, data)
                      : VALOR_E_NOMEM;
out:
    free(text);
    json_decref(tokens);
    json_decref(data);
    return rc;
}

int session_denylist_all(const struct auth_state *st, const json_t *jtis)
{
    size_t i, n = json_array_size(jtis);
    const char **ids = calloc(n + 1, sizeof(*ids));
    long long *ttl = calloc(n + 1, sizeof(*ttl)), now = (long long)time(NULL);
    json_t *pair;
    int rc = VALOR_E_NOMEM;

    if (ids != NULL && ttl != NULL) {
        json_array_foreach(jtis, i, pair)
        {
            long long exp = (long long)json_integer_value(json_array_get(pair, 1));
            ids[i] = json_string_value(json_array_get(pair, 0));
            ttl[i] = exp + st->svc->jwt.leeway_s - now;
            revoke_local_add(st->svc->revoke, ids[i], exp); /* this process knows at once */
        }
        rc = kv_denylist_put(kv_pool_get(st->denylist_kv), n, ids, ttl);
    }
    if (rc != VALOR_OK) {
        reseed_mark_dirty(st->reseed);
        log_warn(NULL, "denylist_deferred",
                 "%zu revoked access token(s) not yet in Redis (%s): recorded, sent to every "
                 "process over NATS, and re-seeded into Redis when it answers",
                 n, valor_err_name(rc));
    }
    free(ids);
    free(ttl);
    return rc;
}
