/* jwt: HS256 access tokens (api.md §2), on libjwt 1.10.
 *
 * Verification never passes a NULL key, pins HS256, and checks every claim by
 * hand (libjwt 1.10 checks none): iss, aud, typ, sub, tid, role, plan, jti,
 * iat, nbf and exp with the configured leeway. "preferred_username" is
 * optional: signed when set, read when present (a token whose value is not a
 * string of 1–71 bytes is refused).
 *
 * Key rotation (docs/key-rotation.md): a token names its key in the header's
 * "kid" (16 hex digits of a SHA-256 of the key, which tells nothing of the
 * key); `secret` signs, and `secret` or any of `previous` verifies. A token
 * without a kid (signed before kids existed) is tried against each key.
 */
#ifndef VALOR_JWT_H
#define VALOR_JWT_H

#include <stddef.h>
#include <time.h>

struct vjwt_params {
    const char *secret;          /* borrowed, never NULL or empty: signs and verifies */
    const char *const *previous; /* borrowed, may be NULL: keys that still verify */
    int nprevious;
    const char *issuer;   /* borrowed */
    const char *audience; /* borrowed */
    int leeway_s;
};

struct valor_cfg;

/* The parameters of cfg's JWT_* variables (borrowed from cfg). */
void vjwt_params_from_cfg(struct vjwt_params *p, const struct valor_cfg *cfg);

#define VJWT_KID_LEN 16

/* The kid of a key: VJWT_KID_LEN hex digits and a NUL into out. */
void vjwt_kid(const char *secret, char out[VJWT_KID_LEN + 1]);

struct vjwt_claims {
    char sub[64];  /* user id (string) */
    char tid[64];  /* tenant slug */
    char role[16]; /* admin | analyst | viewer */
    char plan[24]; /* standard | professional | enterprise */
    char jti[40];  /* UUID v4 */
    char typ[16];  /* "access" */
    long long iat, nbf, exp;
    /* Optional claim "preferred_username" (what reports print as the author);
     * "" when the token has none. */
    char username[72];
};

/* Signs `claims` (iss/aud from params). Caller frees *out_token with free(). */
int vjwt_sign(const struct vjwt_params *p, const struct vjwt_claims *claims, char **out_token);

/* Verifies `token` at time `now` and that typ == expected_typ.
 * VALOR_OK and *out filled; VALOR_E_EXPIRED when exp + leeway < now;
 * VALOR_E_UNAUTHORIZED for anything else (signature, alg, claims, format). */
int vjwt_verify(const struct vjwt_params *p, const char *token, const char *expected_typ,
                time_t now, struct vjwt_claims *out);

/* Extracts the token from an "Authorization" header value.
 * VALOR_OK with *token pointing into header; VALOR_E_UNAUTHORIZED when NULL
 * (message "Authorization header required") or VALOR_E_INVALID when not
 * "Bearer <token>" (message "Invalid authorization header format"). */
int vjwt_from_header(const char *header, const char **token);

#endif
