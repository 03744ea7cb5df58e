/* store_users: tenants and users (see store_users.h). */
#include "store_users.h"

#include <stdio.h>
#include <string.h>

#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"

int users_get(struct db_conn *c, const char *id, const char *tenant, int active_only, json_t **out)
{
    PGresult *res = NULL;
    const char *v[] = {id, tenant};
    int rc;

    *out = NULL;
    rc = db_exec(c,
                 active_only ? "SELECT " USERS_COLS USERS_FROM
                               "WHERE u.id = $1::bigint AND t.slug = $2 AND u.active"
                             : "SELECT " USERS_COLS USERS_FROM
                               "WHERE u.id = $1::bigint AND t.slug = $2",
                 2, v, &res);
    if (rc == VALOR_OK && PQntuples(res) != 1)
        rc = VALOR_E_NOT_FOUND;
    if (rc == VALOR_OK && (*out = db_row_json(res, 0)) == NULL)
        rc = VALOR_E_NOMEM;
    PQclear(res);
    return rc;
}

int users_taken(struct db_conn *c, const char *username, const char *email, const char *tenant,
                const char **msg)
{
    PGresult *res = NULL;
    const char *v[] = {username, email, tenant};
    int rc;

    *msg = NULL;
    rc = db_exec(c,
                 "SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1)), "
                 "EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($2)), "
                 "EXISTS (SELECT 1 FROM tenants WHERE slug = $3)",
                 3, v, &res);
    if (rc != VALOR_OK)
        goto out;
    if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
        *msg = "Username already exists";
    else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
        *msg = "Email already registered";
    else if (tenant != NULL && strcmp(PQgetvalue(res, 0, 2), "t") == 0)
        *msg = "Tenant already exists";
out:
    PQclear(res);
    return rc;
}

int users_insert(struct db_conn *c, const char *tenant, const char *username, const char *email,
                 const char *hash, const char *role, struct auth_identity *who, json_t **user)
{
    PGresult *res = NULL;
    const char *v[] = {tenant, username, email, hash, role};
    int rc;

    *user = NULL;
    rc = db_exec(c,
                 "WITH u AS (INSERT INTO users (tenant_id, username, email, password_hash, role) "
                 "SELECT t.id, $2, $3, $4, $5 FROM tenants t WHERE t.slug = $1 RETURNING *) "
                 "SELECT " USERS_COLS ", t.plan FROM u JOIN tenants t ON t.id = u.tenant_id",
                 5, v, &res);
    if (rc != VALOR_OK)
        goto out;
    if (PQntuples(res) != 1) {
        rc = VALOR_E_NOT_FOUND;
        goto out;
    }
    snprintf(who->id, sizeof(who->id), "%s", PQgetvalue(res, 0, 0));
    snprintf(who->tenant, sizeof(who->tenant), "%s", PQgetvalue(res, 0, 3));
    snprintf(who->role, sizeof(who->role), "%s", PQgetvalue(res, 0, 4));
    snprintf(who->plan, sizeof(who->plan), "%s", PQgetvalue(res, 0, 7));
    snprintf(who->username, sizeof(who->username), "%s", username);
    *user = db_row_json(res, 0);
    if (*user == NULL)
        rc = VALOR_E_NOMEM;
    else
        json_object_del(*user, "plan");
out:
    PQclear(res);
    return rc;
}

int users_find_login(struct db_conn *c, const char *login, struct auth_identity *who, char *hash,
                     int *active)
{
    PGresult *res = NULL;
    const char *v[] = {login};
    int rc;

    /* A username never contains '@' and an email always does. */
    rc = db_exec(c,
                 strchr(login, '@') != NULL
                     ? "SELECT u.id, t.slug, u.role, t.plan, u.password_hash, u.active, "
                       "u.username " USERS_FROM "WHERE lower(u.email) = lower($1)"
                     : "SELECT u.id, t.slug, u.role, t.plan, u.password_hash, u.active, "
                       "u.username " USERS_FROM "WHERE lower(u.username) = lower($1)",
                 1, v, &res);
    if (rc == VALOR_OK && PQntuples(res) != 1)
        rc = VALOR_E_NOT_FOUND;
    if (rc != VALOR_OK)
        goto out;
    snprintf(who->id, sizeof(who->id), "%s", PQgetvalue(res, 0, 0));
    snprintf(who->tenant, sizeof(who->tenant), "%s", PQgetvalue(res, 0, 1));
    snprintf(who->role, sizeof(who->role), "%s", PQgetvalue(res, 0, 2));
    snprintf(who->plan, sizeof(who->plan), "%s", PQgetvalue(res, 0, 3));
    snprintf(hash, CRYPTO_BCRYPT_HASH_LEN, "%s", PQgetvalue(res, 0, 4));
    *active = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    snprintf(who->username, sizeof(who->username), "%s", PQgetvalue(res, 0, 6));
out:
    PQclear(res);
    return rc;
}
