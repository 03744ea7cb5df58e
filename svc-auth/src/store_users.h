/* store_users: the SQL of tenants and users (schema auth). */
#ifndef VALOR_AUTH_STORE_USERS_H
#define VALOR_AUTH_STORE_USERS_H

#include <jansson.h>

#include "sessions.h"

struct db_conn;

/* <User> columns of api.md §2, for "SELECT " USERS_COLS USERS_FROM "WHERE …". */
#define USERS_COLS                                                                                 \
    "u.id, u.username, u.email, t.slug AS tenant, u.role, u.created_at, u.last_login "
#define USERS_FROM "FROM users u JOIN tenants t ON t.id = u.tenant_id "

/* <User> of user `id` (decimal string) in tenant `tenant` (slug); with
 * active_only, an inactive user counts as absent. VALOR_E_NOT_FOUND when
 * absent. Caller owns *out. */
int users_get(struct db_conn *c, const char *id, const char *tenant, int active_only, json_t **out);

/* The 409 message when username or email (case-insensitive) or, when tenant
 * is not NULL, the tenant is taken — in that order — else NULL. */
int users_taken(struct db_conn *c, const char *username, const char *email, const char *tenant,
                const char **msg);

/* Within the caller's transaction: inserts a user of tenant `tenant` (slug).
 * Fills who (id, tenant, role, plan) and *user (<User>, caller owns).
 * VALOR_E_CONFLICT on a unique violation, VALOR_E_NOT_FOUND when the
 * tenant does not exist. */
int users_insert(struct db_conn *c, const char *tenant, const char *username, const char *email,
                 const char *hash, const char *role, struct auth_identity *who, json_t **user);

/* Login lookup by username or email (case-insensitive). On VALOR_OK fills
 * who, hash (CRYPTO_BCRYPT_HASH_LEN) and *active. VALOR_E_NOT_FOUND when no
 * such user. */
int users_find_login(struct db_conn *c, const char *login, struct auth_identity *who, char *hash,
                     int *active);

#endif
