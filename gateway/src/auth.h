/* auth: the pipeline's JWT, tenant and role stages (api.md §0). Each
 * replies itself (401 / 400 / 403 with the exact messages) and returns the
 * error when it refuses. Tenant, user and role come only from the verified
 * claims. The jti denylist is checked by the rate-limit stage's Redis script
 * (one round trip), not here. */
#ifndef VALOR_GW_AUTH_H
#define VALOR_GW_AUTH_H

#include "valor/jwt.h"

struct http_ctx;

/* 401 "Authorization header required" / "Invalid authorization header
 * format" / "Token expired" / "Invalid token". */
int gw_auth_token(struct http_ctx *ctx, const struct vjwt_params *jwt, struct vjwt_claims *claims);
/* The same for a token taken from elsewhere (e.g. ?access_token=):
 * 401 "Token expired" / "Invalid token". */
int gw_auth_check(struct http_ctx *ctx, const struct vjwt_params *jwt, const char *token,
                  struct vjwt_claims *claims);

/* 400 "Tenant ID required" (only when required) / 403 "Tenant mismatch"
 * (X-Tenant-ID sent and not the token's tenant). */
int gw_auth_tenant(struct http_ctx *ctx, const struct vjwt_claims *claims, int required);

/* 403 "Insufficient permissions": admin may do anything; analyst reads and
 * writes; viewer only reads. */
int gw_auth_role(struct http_ctx *ctx, const struct vjwt_claims *claims, int write, int admin);

#endif
