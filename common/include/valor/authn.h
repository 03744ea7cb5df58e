/* authn: who is calling — the bearer token, the tenant header and the role —
 * checked the same way by the gateway and by every service (api.md §0;
 * platform.md §1 "Identity to services": tenant, user and role come from the
 * verified claims, never from a header).
 */
#ifndef VALOR_AUTHN_H
#define VALOR_AUTHN_H

#include "valor/http.h"
#include "valor/jwt.h"

struct revoke;

enum authn_need {
    AUTHN_READ = 0,           /* any role */
    AUTHN_WRITE = 1 << 0,     /* viewers refused */
    AUTHN_ADMIN = 1 << 1,     /* admins only */
    AUTHN_NO_TENANT = 1 << 2, /* X-Tenant-ID not required (it must still match when sent) */
};

/* Authenticates the request. On success fills *claims, ctx->tenant, ctx->user
 * and ctx->log, and returns VALOR_OK. Otherwise it has already replied, with
 * api.md §0's status and message, in this order:
 *   401 "Authorization header required" / "Invalid authorization header format" /
 *       "Token expired" / "Invalid token" (bad in any way, or its jti denylisted),
 *   400 "Tenant ID required", 403 "Tenant mismatch", 403 "Insufficient permissions",
 * and returns the error. rv may be NULL (no revocation check); otherwise a
 * token the local set or Redis knows as revoked is "Invalid token"
 * (revoke.h). */
int authn_request(struct http_ctx *ctx, const struct vjwt_params *jwt, struct revoke *rv,
                  unsigned need, struct vjwt_claims *claims);

#endif
