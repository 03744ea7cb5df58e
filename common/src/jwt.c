/* jwt: HS256 access tokens on libjwt 1.10.2 (api.md §2 "Tokens").
 *
 * libjwt 1.10 skips the signature check when given a NULL key, accepts
 * whatever "alg" the header names and validates no claim. So verification
 * here: checks the token's shape and pins "alg":"HS256" in the header before
 * libjwt sees it, always passes the key, re-checks jwt_get_alg() afterwards,
 * and parses and checks every claim itself (strict JSON, no duplicates).
 */
#include "valor/jwt.h"

#include "valor/cfg.h"
#include "valor/err.h"

#include <gnutls/crypto.h>
#include <jansson.h>
#include <jwt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VJWT_MAX_TOKEN 8192
#define VJWT_HS256_SIG_B64_LEN 43 /* 32 bytes, unpadded base64url */

/* jwt_add_grant_int() takes a long: times must survive the conversion. */
_Static_assert(sizeof(long) >= sizeof(long long), "LP64 required for libjwt int grants");

/* Value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Strict unpadded base64url decode of in[0..n). *out is malloc'ed and NUL
 * terminated (caller frees); *outlen excludes the NUL. */
static int b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outlen)
{
    unsigned char *buf = NULL;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;

    *out = NULL;
    *outlen = 0;
    if (n == 0 || n % 4 == 1)
        return VALOR_E_UNAUTHORIZED;
    buf = malloc(n / 4 * 3 + 3);
    if (buf == NULL)
        return VALOR_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            goto bad;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* non-canonical: leftover bits must be zero */
        goto bad;
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return VALOR_OK;
bad:
    free(buf);
    return VALOR_E_UNAUTHORIZED;
}

/* Decodes one segment into a JSON object (caller decrefs), or NULL. */
static json_t *segment_json(const char *seg, size_t n)
{
    unsigned char *raw = NULL;
    size_t rawlen;
    json_t *j = NULL;

    if (b64url_decode(seg, n, &raw, &rawlen) != VALOR_OK)
        return NULL;
    j = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* The header must say exactly "alg":"HS256"; "typ", if present, "JWT". */
static int check_header(const json_t *h)
{
    const json_t *alg = json_object_get(h, "alg");
    const json_t *typ = json_object_get(h, "typ");

    if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS256") != 0 ||
        json_string_length(alg) != strlen("HS256"))
        return VALOR_E_UNAUTHORIZED;
    if (typ != NULL && (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0 ||
                        json_string_length(typ) != strlen("JWT")))
        return VALOR_E_UNAUTHORIZED;
    if (json_object_get(h, "crit") != NULL) /* no extension is understood */
        return VALOR_E_UNAUTHORIZED;
    const json_t *kid = json_object_get(h, "kid");
    if (kid != NULL && (!json_is_string(kid) || json_string_length(kid) != VJWT_KID_LEN))
        return VALOR_E_UNAUTHORIZED;
    return VALOR_OK;
}

void vjwt_kid(const char *secret, char out[VJWT_KID_LEN + 1])
{
    static const char domain[] = "valor-jwt-kid:";
    unsigned char md[32];
    gnutls_hash_hd_t h;

    memset(md, 0, sizeof(md));
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) == 0) {
        gnutls_hash(h, domain, sizeof(domain) - 1);
        gnutls_hash(h, secret, strlen(secret));
        gnutls_hash_deinit(h, md);
    }
    for (size_t i = 0; i < VJWT_KID_LEN / 2; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void vjwt_params_from_cfg(struct vjwt_params *p, const struct valor_cfg *cfg)
{
    *p = (struct vjwt_params){.secret = cfg->jwt_secret,
                              .previous = (const char *const *)cfg->jwt_previous,
                              .nprevious = cfg->njwt_previous,
                              .issuer = cfg->jwt_issuer,
                              .audience = cfg->jwt_audience,
                              .leeway_s = cfg->jwt_leeway_s};
}

/* The verifying key the header's kid names, or (no kid) the i-th key to try:
 * secret first, then the previous ones; NULL when there is none. */
static const char *verify_key(const struct vjwt_params *p, const char *kid, int i)
{
    char k[VJWT_KID_LEN + 1];

    if (kid == NULL)
        return i == 0 ? p->secret : i <= p->nprevious ? p->previous[i - 1] : NULL;
    for (int j = 0; i == 0 && j <= p->nprevious; j++) {
        const char *key = j == 0 ? p->secret : p->previous[j - 1];
        vjwt_kid(key, k);
        if (strcmp(k, kid) == 0)
            return key;
    }
    return NULL;
}

/* 1 when j is a JSON string without embedded NUL equal to s. */
static int json_str_eq(const json_t *j, const char *s)
{
    return json_is_string(j) && json_string_length(j) == strlen(s) &&
           strcmp(json_string_value(j), s) == 0;
}

/* Copies a required non-empty string claim that fits dst (with its NUL). */
static int str_claim(const json_t *pl, const char *name, char *dst, size_t dstsz)
{
    const json_t *v = json_object_get(pl, name);
    size_t len;

    if (!json_is_string(v))
        return VALOR_E_UNAUTHORIZED;
    len = json_string_length(v);
    if (len == 0 || len >= dstsz || strlen(json_string_value(v)) != len)
        return VALOR_E_UNAUTHORIZED;
    memcpy(dst, json_string_value(v), len + 1);
    return VALOR_OK;
}

static int int_claim(const json_t *pl, const char *name, long long *dst)
{
    const json_t *v = json_object_get(pl, name);

    if (!json_is_integer(v))
        return VALOR_E_UNAUTHORIZED;
    *dst = (long long)json_integer_value(v);
    return VALOR_OK;
}

/* "aud" is either the audience string or an array containing it. */
static int check_aud(const json_t *pl, const char *audience)
{
    const json_t *aud = json_object_get(pl, "aud");
    size_t i;
    const json_t *v;

    if (json_is_string(aud))
        return json_str_eq(aud, audience) ? VALOR_OK : VALOR_E_UNAUTHORIZED;
    if (!json_is_array(aud))
        return VALOR_E_UNAUTHORIZED;
    json_array_foreach(aud, i, v)
    {
        if (json_str_eq(v, audience))
            return VALOR_OK;
    }
    return VALOR_E_UNAUTHORIZED;
}

static int check_claims(const struct vjwt_params *p, const json_t *pl, const char *expected_typ,
                        time_t now, struct vjwt_claims *c)
{
    long long leeway = p->leeway_s > 0 ? p->leeway_s : 0;

    if (!json_str_eq(json_object_get(pl, "iss"), p->issuer))
        return VALOR_E_UNAUTHORIZED;
    if (check_aud(pl, p->audience) != VALOR_OK)
        return VALOR_E_UNAUTHORIZED;
    if (str_claim(pl, "typ", c->typ, sizeof(c->typ)) != VALOR_OK ||
        strcmp(c->typ, expected_typ) != 0)
        return VALOR_E_UNAUTHORIZED;
    if (str_claim(pl, "sub", c->sub, sizeof(c->sub)) != VALOR_OK ||
        str_claim(pl, "tid", c->tid, sizeof(c->tid)) != VALOR_OK ||
        str_claim(pl, "role", c->role, sizeof(c->role)) != VALOR_OK ||
        str_claim(pl, "plan", c->plan, sizeof(c->plan)) != VALOR_OK ||
        str_claim(pl, "jti", c->jti, sizeof(c->jti)) != VALOR_OK)
        return VALOR_E_UNAUTHORIZED;
    if (int_claim(pl, "iat", &c->iat) != VALOR_OK || int_claim(pl, "nbf", &c->nbf) != VALOR_OK ||
        int_claim(pl, "exp", &c->exp) != VALOR_OK)
        return VALOR_E_UNAUTHORIZED;
    c->username[0] = '\0';
    if (json_object_get(pl, "preferred_username") != NULL &&
        str_claim(pl, "preferred_username", c->username, sizeof(c->username)) != VALOR_OK)
        return VALOR_E_UNAUTHORIZED;
    /* Written as now ± leeway so that huge claim values cannot overflow. */
    if (c->nbf > (long long)now + leeway)
        return VALOR_E_UNAUTHORIZED;
    if (c->exp < (long long)now - leeway)
        return VALOR_E_EXPIRED;
    return VALOR_OK;
}

/* A key libjwt may be given: never NULL or empty (an empty HMAC key is no
 * key at all). */
static int key_ok(const char *key)
{
    return key != NULL && key[0] != '\0' && strlen(key) <= INT32_MAX;
}

static int params_ok(const struct vjwt_params *p)
{
    if (p == NULL || !key_ok(p->secret) || p->issuer == NULL || p->audience == NULL ||
        p->nprevious < 0 || (p->nprevious > 0 && p->previous == NULL))
        return 0;
    for (int i = 0; i < p->nprevious; i++)
        if (!key_ok(p->previous[i]))
            return 0;
    return 1;
}

/* 1 when s is a non-empty NUL-terminated string within a field of size n. */
static int field_ok(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    return len > 0 && len < n;
}

int vjwt_sign(const struct vjwt_params *p, const struct vjwt_claims *c, char **out_token)
{
    jwt_t *jwt = NULL;
    char *tok = NULL;
    int rc = VALOR_E_INTERNAL;

    if (out_token == NULL)
        return VALOR_E_INVALID;
    *out_token = NULL;
    if (!params_ok(p) || c == NULL || !field_ok(c->sub, sizeof(c->sub)) ||
        !field_ok(c->tid, sizeof(c->tid)) || !field_ok(c->role, sizeof(c->role)) ||
        !field_ok(c->plan, sizeof(c->plan)) || !field_ok(c->jti, sizeof(c->jti)) ||
        !field_ok(c->typ, sizeof(c->typ)))
        return VALOR_E_INVALID;
    if (jwt_new(&jwt) != 0) {
        rc = VALOR_E_NOMEM;
        goto out;
    }
    if (jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)p->secret, (int)strlen(p->secret)) !=
        0)
        goto out;
    char kid[VJWT_KID_LEN + 1];
    vjwt_kid(p->secret, kid);
    if (jwt_add_header(jwt, "kid", kid) != 0)
        goto out;
    if (jwt_add_grant(jwt, "iss", p->issuer) != 0 || jwt_add_grant(jwt, "aud", p->audience) != 0 ||
        jwt_add_grant(jwt, "sub", c->sub) != 0 || jwt_add_grant(jwt, "tid", c->tid) != 0 ||
        jwt_add_grant(jwt, "role", c->role) != 0 || jwt_add_grant(jwt, "plan", c->plan) != 0 ||
        jwt_add_grant(jwt, "jti", c->jti) != 0 || jwt_add_grant(jwt, "typ", c->typ) != 0 ||
        jwt_add_grant_int(jwt, "iat", (long)c->iat) != 0 ||
        jwt_add_grant_int(jwt, "nbf", (long)c->nbf) != 0 ||
        jwt_add_grant_int(jwt, "exp", (long)c->exp) != 0)
        goto out;
    if (strnlen(c->username, sizeof(c->username)) == sizeof(c->username)) {
        rc = VALOR_E_INVALID;
        goto out;
    }
    if (c->username[0] != '\0' && jwt_add_grant(jwt, "preferred_username", c->username) != 0)
        goto out;
    tok = jwt_encode_str(jwt); /* malloc'ed by libjwt 1.10: free() */
    if (tok == NULL)
        goto out;
    if (strlen(tok) > VJWT_MAX_TOKEN) { /* verify would refuse it */
        rc = VALOR_E_INVALID;
        goto out;
    }
    *out_token = tok;
    tok = NULL;
    rc = VALOR_OK;
out:
    free(tok);
    jwt_free(jwt);
    return rc;
}

int vjwt_verify(const struct vjwt_params *p, const char *token, const char *expected_typ,
                time_t now, struct vjwt_claims *out)
{
    struct vjwt_claims c;
    json_t *hdr = NULL, *pl = NULL;
    jwt_t *jwt = NULL;
    const char *dot1, *dot2, *sig;
    size_t len;
    int rc = VALOR_E_UNAUTHORIZED;

    memset(&c, 0, sizeof(c));
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (!params_ok(p) || token == NULL || expected_typ == NULL || out == NULL)
        return VALOR_E_UNAUTHORIZED;

    /* Shape: at most 8 KiB, exactly three non-empty segments. */
    len = strnlen(token, VJWT_MAX_TOKEN + 1);
    if (len == 0 || len > VJWT_MAX_TOKEN)
        goto out;
    dot1 = memchr(token, '.', len);
    if (dot1 == NULL)
        goto out;
    dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
    if (dot2 == NULL)
        goto out;
    sig = dot2 + 1;
    if (memchr(sig, '.', len - (size_t)(sig - token)) != NULL)
        goto out;
    if (strlen(sig) != VJWT_HS256_SIG_B64_LEN)
        goto out;
    for (const char *s = sig; *s != '\0'; s++) {
        if (b64url_value((unsigned char)*s) < 0)
            goto out;
    }

    /* Pin the algorithm before libjwt gets to choose one. */
    hdr = segment_json(token, (size_t)(dot1 - token));
    if (hdr == NULL || check_header(hdr) != VALOR_OK)
        goto out;
    pl = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (pl == NULL)
        goto out;

    /* Signature: always with a key, never NULL (that would skip it). */
    const char *kid = json_string_value(json_object_get(hdr, "kid")), *key;
    for (int i = 0; (key = verify_key(p, kid, i)) != NULL; i++) {
        if (jwt_decode(&jwt, token, (const unsigned char *)key, (int)strlen(key)) == 0 &&
            jwt != NULL)
            break;
        jwt_free(jwt);
        jwt = NULL;
    }
    if (jwt == NULL)
        goto out;
    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        goto out;

    rc = check_claims(p, pl, expected_typ, now, &c);
    if (rc == VALOR_OK)
        *out = c;
out:
    jwt_free(jwt);
    json_decref(hdr);
    json_decref(pl);
    return rc;
}

int vjwt_from_header(const char *header, const char **token)
{
    static const char scheme[] = "Bearer ";
    const size_t slen = sizeof(scheme) - 1;
    const char *t;

    if (token != NULL)
        *token = NULL;
    if (header == NULL)
        return VALOR_E_UNAUTHORIZED;
    if (token == NULL)
        return VALOR_E_INVALID;
    if (strncasecmp(header, scheme, slen) != 0)
        return VALOR_E_INVALID;
    t = header + slen;
    if (*t == '\0')
        return VALOR_E_INVALID;
    if (t[strcspn(t, " \t\r\n\v\f")] != '\0')
        return VALOR_E_INVALID;
    *token = t;
    return VALOR_OK;
}
