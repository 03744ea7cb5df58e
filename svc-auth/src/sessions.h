/* sessions: access tokens, refresh-token families (rotation, revocation) and
 * the jti denylist (api.md §2 "Tokens").
 *
 * A family starts at login or registration; each refresh rotates the token
 * within it. Each refresh_tokens row also records the jti and expiry of the
 * access token issued with it, so that revoking a family can denylist the
 * access tokens still alive.
 */
#ifndef VALOR_AUTH_SESSIONS_H
#define VALOR_AUTH_SESSIONS_H

#include <jansson.h>

#include "service.h"
#include "valor/http.h"

struct db_conn;

/* Who a token pair is for. */
struct auth_identity {
    char id[24];     /* users.id as a string */
    char tenant[64]; /* tenant slug */
    char role[16];
    char plan[24];
    char username[72]; /* signed into the access token as preferred_username */
};

/* Within the caller's open transaction on c: starts a new family (family_id
 * NULL) or continues family_id (rotated_from = the rotated token's id), stores
 * a fresh refresh token's hash and signs an access token. Sets
 * "access_token", "refresh_token", "token_type" and "expires_in" on out. */
int session_issue(const struct auth_state *st, struct db_conn *c, const struct auth_identity *who,
                  const char *family_id, const char *rotated_from, json_t *out);

enum session_scope { SESSION_FAMILY, SESSION_USER };

/* Within the caller's transaction: revokes the family (scope SESSION_FAMILY,
 * key = family uuid) or every family of a user (SESSION_USER, key = user id)
 * not yet revoked, with `reason`. *revoked (may be NULL) = families revoked
 * now. Appends to jtis (an array, may be NULL) [jti, exp] for each access
 * token of those families that has not expired yet. */
int session_revoke(struct db_conn *c, enum session_scope scope, const char *key, const char *reason,
                   int *revoked, json_t *jtis);

/* [jti, exp] of a user's access tokens that have not expired yet, appended to jtis. */
int session_live_jtis(struct db_conn *c, const char *user_id, json_t *jtis);

/* Within the caller's transaction on c: records every [jti, exp] of jtis as
 * revoked (reason: logout, replay, deactivated, role_changed) for user_id in
 * revoked_tokens — the durable record Redis' denylist and every process's
 * local set are rebuilt from — and emits session.revoked carrying them
 * (data: reason, sessions = families ended, revoked_tokens). Nothing when
 * jtis is empty and no session ended. ctx gives the request id; actor is who
 * asked. */
int session_record_revoked(struct http_ctx *ctx, struct db_conn *c, const char *tenant,
                           const char *actor, const char *user_id, const char *reason, int sessions,
                           const json_t *jtis);

/* Appends [jti, exp] to jtis unless jti is already in it. */
void session_jtis_add(json_t *jtis, const char *jti, long long exp);

/* This process's local set at once, and Redis' copy: SET
 * KV_DENYLIST_PREFIX+jti with EX = exp + leeway - now (≥ 1 s) for every
 * [jti, exp] of jtis, in one pipeline. A failure is logged and marks Redis
 * for a re-seed (reseed.h), nothing more: the revocation is already recorded
 * and on its way to every local set. The first error, or VALOR_OK. */
int session_denylist_all(const struct auth_state *st, const json_t *jtis);

#endif
