/* authn: bearer token, tenant header and role checks (see authn.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "valor/authn.h"
#include "valor/err.h"
#include "valor/log.h"
#include "valor/revoke.h"

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

int authn_request(struct http_ctx *ctx, const struct vjwt_params *jwt, struct revoke *rv,
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
    if (rv != NULL && revoke_check(rv, claims->jti, claims->exp) == 1)
        return refuse(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");

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
