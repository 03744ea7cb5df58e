/* handlers: the HTTP routes of svc-auth (api.md §2) and what they share.
 * Every handler's user data is the struct auth_state. */
#ifndef VALOR_AUTH_HANDLERS_H
#define VALOR_AUTH_HANDLERS_H

#include <jansson.h>

#include "valor/http.h"

struct db_conn;

/* handlers_auth.c */
void auth_register(struct http_ctx *ctx);
void auth_login(struct http_ctx *ctx);
void auth_refresh(struct http_ctx *ctx);
void auth_logout(struct http_ctx *ctx);
void auth_profile(struct http_ctx *ctx);
/* handlers_users.c */
void auth_users_list(struct http_ctx *ctx);
void auth_users_create(struct http_ctx *ctx);
void auth_users_patch(struct http_ctx *ctx);
/* handlers_audit.c */
void auth_audit_list(struct http_ctx *ctx);

/* ---- shared (handlers_common.c) ---- */

/* The request body as a JSON object; otherwise it has replied (415, 400
 * Invalid JSON, or 400 ValidationError "body": "must be a JSON object").
 * Caller owns *out. */
int auth_body_object(struct http_ctx *ctx, json_t **out);

/* A new account's fields, borrowed from the body. */
struct auth_new_user {
    const char *username, *email, *password;
    const char *tenant; /* register only; NULL when absent */
    const char *role;   /* POST /api/auth/users only */
};

enum auth_new_user_kind { AUTH_NEW_REGISTER, AUTH_NEW_MEMBER };

/* Reads and validates a new account: presence and types first
 * (ValidationError), then api.md §2 rules 1–6 in order (400 with their
 * messages), then (members) the role. On failure it has replied. */
int auth_new_user_read(struct http_ctx *ctx, const json_t *body, enum auth_new_user_kind kind,
                       struct auth_new_user *nu);

/* Adds event `type` (user.registered, user.updated, session.revoked) to the
 * outbox within the caller's transaction on c; data borrowed, may be NULL. */
int auth_emit(struct http_ctx *ctx, struct db_conn *c, const char *type, const char *tenant,
              const char *user_id, const char *entity_id, json_t *data);

/* 1 when s is a positive decimal id that fits a bigint. */
int auth_is_id(const char *s);

/* Replies 500/503 for an unexpected error (logged with the request id). */
void auth_reply_failure(struct http_ctx *ctx, int rc, const char *what);

#endif
