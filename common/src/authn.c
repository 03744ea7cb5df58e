/* authn: bearer token, tenant header and role checks (see authn.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "valor/authn.h"
#include "valor/err.h"
#include "valor/kv.h"
#include "valor/log.h"

int authn_is_revoked(struct kv_pool *kv, const char *jti)
{
    char key[128];
    const char *argv[2] = {"EXISTS", key};
    size_t argvlen[2];
    redisReply *reply = NULL;
    struct kv_client *c = kv_pool_get(kv);
    int rc;

    if (c == NULL || kv_denylist_key(jti, key, sizeof(key)) != VALOR_OK)
        return VALOR_E_UNAVAILABLE;
    argvlen[0] = strlen(argv[0]);
    argvlen[1] = strlen(key);
    rc = kv_command_argv(c, 2, argv, argvlen, &reply);
    if (rc != VALOR_OK)
        return rc;
    rc = reply->type == REDIS_REPLY_INTEGER ? reply->integer > 0 : VALOR_E_UNAVAILABLE;
    freeReplyObject(reply);
    return rc;
}

static int role_allows(const char *role, unsigned need)
{
    if (strcmp(role, "admin") == 0)
        return 1;
    if (need & AUTHN_ADMIN)
        return 0;
    if (need & AUTHN_WRITE)
        return strcmp(role, "analyst") == 0;
    return strcmp(role, "analyst") == 0 || strcmp(role, "viewer") == 0;
}

static int refuse(struct http_ctx *ctx, int err, const char *msg)
{
    http_reply_error(ctx, err, msg);
    return err;
}

int authn_request(struct http_ctx *ctx, const struct vjwt_params *jwt, struct kv_pool *kv,
                  unsigned need, struct vjwt_claims *claims)
{
    const char *token = NULL, *tenant;
    int rc;

    memset(claims, 0, sizeof(*claims));
    rc = vjwt_from_header(http_header(ctx, "Authorization"), &token);
    if (rc == VALOR_E_UNAUTHORIZED)
        return refuse(ctx, rc, "Authorization header required");
    if (rc != VALOR_OK)
        return refuse(ctx, VALOR_E_UNAUTHORIZED, "Invalid authorization header format");

    rc = vjwt_verify(jwt, token, "access", time(NULL), claims);
    if (rc == VALOR_E_EXPIRED)
        return refuse(ctx, rc, "Token expired");
    if (rc != VALOR_OK)
        return refuse(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");
    if (kv != NULL) {
        rc = authn_is_revoked(kv, claims->jti);
        if (rc == 1)
            return refuse(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");
        if (rc < 0)
            log_warn(&ctx->log, "denylist_unavailable",
                     "token revocation not checked: Redis unavailable");
    }

    tenant = http_header(ctx, "X-Tenant-ID");
    if ((tenant == NULL || *tenant == '\0') && !(need & AUTHN_NO_TENANT))
        return refuse(ctx, VALOR_E_INVALID, "Tenant ID required");
    if (tenant != NULL && *tenant != '\0' && strcmp(tenant, claims->tid) != 0)
        return refuse(ctx, VALOR_E_FORBIDDEN, "Tenant mismatch");
    if (!role_allows(claims->role, need))
        return refuse(ctx, VALOR_E_FORBIDDEN, "Insufficient permissions");

    snprintf(ctx->tenant, sizeof(ctx->tenant), "%s", claims->tid);
    snprintf(ctx->user, sizeof(ctx->user), "%s", claims->sub);
    ctx->log.tenant_id = ctx->tenant;
    ctx->log.user_id = ctx->user;
    return VALOR_OK;
}
