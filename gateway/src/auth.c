#include "auth.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "valor/err.h"
#include "valor/http.h"

static int refuse(struct http_ctx *ctx, int err, const char *msg)
{
    http_reply_error(ctx, err, msg);
    return err;
}

/* A per-thread cache of verified tokens: a client sends the same token many
 * times, and HMAC + base64 + JSON parsing was ~15 % of the gateway's CPU.
 * Only successes are cached, keyed by the whole token string and the secret;
 * the time claims are checked again on every hit (an entry that has expired
 * goes through the full verification, which answers "Token expired"). */
#define AUTH_CACHE_WAYS 64
#define AUTH_CACHE_TOKEN_MAX 1024

struct auth_cache_entry {
    uint64_t key_hash, secret_hash;
    size_t len;
    char token[AUTH_CACHE_TOKEN_MAX];
    struct vjwt_claims claims;
};

static _Thread_local struct auth_cache_entry auth_cache[AUTH_CACHE_WAYS];

/* FNV-1a over 8-byte words (the tail byte by byte), then the bits mixed
 * down: it picks the entry, the memcmp decides. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    const uint64_t prime = 1099511628211ULL;
    uint64_t h = 1469598103934665603ULL, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, sizeof(w));
        h = (h ^ w) * prime;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * prime;
    return h ^ (h >> 29);
}

static int cached_verify(const struct vjwt_params *jwt, const char *token, time_t now,
                         struct vjwt_claims *claims)
{
    size_t len = strlen(token);
    uint64_t kh = hash_bytes(token, len), sh = hash_bytes(jwt->secret, strlen(jwt->secret));
    struct auth_cache_entry *e = &auth_cache[kh % AUTH_CACHE_WAYS];
    int rc;

    if (len < AUTH_CACHE_TOKEN_MAX && e->key_hash == kh && e->secret_hash == sh && e->len == len &&
        memcmp(e->token, token, len) == 0 && (long long)now <= e->claims.exp + jwt->leeway_s &&
        (long long)now + jwt->leeway_s >= e->claims.nbf) {
        *claims = e->claims;
        return VALOR_OK;
    }
    rc = vjwt_verify(jwt, token, "access", now, claims);
    if (rc == VALOR_OK && len < AUTH_CACHE_TOKEN_MAX) {
        e->key_hash = kh;
        e->secret_hash = sh;
        e->len = len;
        memcpy(e->token, token, len);
        e->claims = *claims;
    }
    return rc;
}

int gw_auth_token(struct http_ctx *ctx, const struct vjwt_params *jwt, struct vjwt_claims *claims)
{
    const char *token = NULL;
    int rc;

    memset(claims, 0, sizeof(*claims));
    rc = vjwt_from_header(http_header(ctx, "Authorization"), &token);
    if (rc == VALOR_E_UNAUTHORIZED)
        return refuse(ctx, rc, "Authorization header required");
    if (rc != VALOR_OK)
        return refuse(ctx, VALOR_E_UNAUTHORIZED, "Invalid authorization header format");
    return gw_auth_check(ctx, jwt, token, claims);
}

int gw_auth_check(struct http_ctx *ctx, const struct vjwt_params *jwt, const char *token,
                  struct vjwt_claims *claims)
{
    int rc = cached_verify(jwt, token, time(NULL), claims);
    if (rc == VALOR_E_EXPIRED)
        return refuse(ctx, rc, "Token expired");
    if (rc != VALOR_OK)
        return refuse(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");
    return VALOR_OK;
}

int gw_auth_tenant(struct http_ctx *ctx, const struct vjwt_claims *claims, int required)
{
    const char *tenant = http_header(ctx, "X-Tenant-ID");
    if (tenant == NULL || *tenant == '\0')
        return required ? refuse(ctx, VALOR_E_INVALID, "Tenant ID required") : VALOR_OK;
    if (strcmp(tenant, claims->tid) != 0)
        return refuse(ctx, VALOR_E_FORBIDDEN, "Tenant mismatch");
    return VALOR_OK;
}

int gw_auth_role(struct http_ctx *ctx, const struct vjwt_claims *claims, int write, int admin)
{
    const char *role = claims->role;
    int ok;
    if (strcmp(role, "admin") == 0)
        ok = 1;
    else if (admin)
        ok = 0;
    else if (write)
        ok = strcmp(role, "analyst") == 0;
    else
        ok = strcmp(role, "analyst") == 0 || strcmp(role, "viewer") == 0;
    return ok ? VALOR_OK : refuse(ctx, VALOR_E_FORBIDDEN, "Insufficient permissions");
}
