/* Unit tests for common/src/jwt.c: HS256 access tokens (api.md §2). */
#include "testutil.h"
#include "valor/err.h"
#include "valor/jwt.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "test-secret-0123456789abcdef-0123456789abcdef"
#define NOW ((time_t)1700000000)
#define LEEWAY 30

static const struct vjwt_params P = {
    .secret = SECRET, .issuer = "valor-ivx", .audience = "valor-ivx-api", .leeway_s = LEEWAY};

/* ---- helpers to hand-craft tokens ---- */

static char *b64url(const void *data, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *in = data;
    char *out = malloc(n / 3 * 4 + 5);
    size_t o = 0, i = 0;
    ck_assert_ptr_nonnull(out);
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
        out[o++] = a[v & 63];
    }
    if (n - i > 0) {
        uint32_t v = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (n - i == 2)
            out[o++] = a[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

/* Decodes one base64url segment of a token into JSON (caller decrefs). */
static json_t *segment_json(const char *seg, size_t n)
{
    char *std = malloc(n + 4);
    size_t o = 0;
    gnutls_datum_t in, out = {NULL, 0};
    json_t *j;
    ck_assert_ptr_nonnull(std);
    for (size_t i = 0; i < n; i++)
        std[o++] = seg[i] == '-' ? '+' : seg[i] == '_' ? '/' : seg[i];
    while (o % 4 != 0)
        std[o++] = '=';
    in.data = (unsigned char *)std;
    in.size = (unsigned)o;
    ck_assert_int_eq(gnutls_base64_decode2(&in, &out), 0);
    j = json_loadb((const char *)out.data, out.size, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_ptr_nonnull(j);
    gnutls_free(out.data);
    free(std);
    return j;
}

/* header.payload.signature with an HMAC over the first two segments;
 * mac == GNUTLS_MAC_UNKNOWN leaves the signature empty. Caller frees. */
static char *make_token(const char *header, const char *payload, gnutls_mac_algorithm_t mac,
                        const char *key)
{
    char *h = b64url(header, strlen(header)), *p = b64url(payload, strlen(payload));
    size_t len = strlen(h) + strlen(p) + 2;
    char *signing = malloc(len), *sig = NULL, *tok;
    ck_assert_ptr_nonnull(signing);
    snprintf(signing, len, "%s.%s", h, p);
    if (mac == GNUTLS_MAC_UNKNOWN) {
        sig = strdup("");
    } else {
        unsigned char md[64];
        ck_assert_int_eq(gnutls_hmac_fast(mac, key, strlen(key), signing, strlen(signing), md), 0);
        sig = b64url(md, gnutls_hmac_get_len(mac));
    }
    len = strlen(signing) + strlen(sig) + 2;
    tok = malloc(len);
    ck_assert_ptr_nonnull(tok);
    snprintf(tok, len, "%s.%s", signing, sig);
    free(h);
    free(p);
    free(signing);
    free(sig);
    return tok;
}

/* A complete, valid access-token payload at NOW (caller decrefs). */
static json_t *good_payload(void)
{
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "iss", "valor-ivx",
                  "aud", "valor-ivx-api", "sub", "42", "tid", "acme", "role", "analyst", "plan",
                  "professional", "jti", "0b7e9c8a-3f1d-4c2b-9a6e-5d4c3b2a1f00", "typ", "access",
                  "iat", (json_int_t)NOW, "nbf", (json_int_t)NOW, "exp", (json_int_t)NOW + 900);
    ck_assert_ptr_nonnull(j);
    return j;
}

static char *token_from_json(const char *header, json_t *payload)
{
    char *pl = json_dumps(payload, JSON_COMPACT);
    char *tok;
    ck_assert_ptr_nonnull(pl);
    tok = make_token(header, pl, GNUTLS_MAC_SHA256, SECRET);
    free(pl);
    return tok;
}

static const char HS256_HDR[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* Verifies a hand-made HS256 token carrying payload (steals payload). */
static int verify_payload(json_t *payload, time_t now)
{
    struct vjwt_claims c;
    char *tok = token_from_json(HS256_HDR, payload);
    int rc = vjwt_verify(&P, tok, "access", now, &c);
    free(tok);
    json_decref(payload);
    return rc;
}

static int verify_with_header(const char *header)
{
    struct vjwt_claims c;
    json_t *pl = good_payload();
    char *tok = token_from_json(header, pl);
    int rc = vjwt_verify(&P, tok, "access", NOW, &c);
    free(tok);
    json_decref(pl);
    return rc;
}

static struct vjwt_claims sample_claims(void)
{
    struct vjwt_claims c = {.iat = NOW, .nbf = NOW, .exp = NOW + 900};
    strcpy(c.sub, "1234");
    strcpy(c.tid, "acme-corp");
    strcpy(c.role, "admin");
    strcpy(c.plan, "enterprise");
    strcpy(c.jti, "6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b");
    strcpy(c.typ, "access");
    return c;
}

/* ---- negative cases ---- */

START_TEST(forged_signature_rejected)
{
    struct vjwt_params other = P;
    struct vjwt_claims c = sample_claims(), out;
    char *tok = NULL;
    other.secret = "a-completely-different-secret-key-of-good-length";
    ck_assert_int_eq(vjwt_sign(&other, &c, &tok), VALOR_OK);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    ck_assert_str_eq(out.sub, ""); /* nothing leaks out of a rejected token */
    free(tok);

    /* A valid token with one payload character changed. */
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    char *dot = strchr(tok, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);

    /* A valid token with its signature altered. */
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    char *last = strrchr(tok, '.') + 1;
    last[0] = last[0] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
}
END_TEST

START_TEST(alg_none_rejected)
{
    struct vjwt_claims out;
    json_t *pl = good_payload();
    char *payload = json_dumps(pl, JSON_COMPACT);
    char *tok = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, GNUTLS_MAC_UNKNOWN, NULL);
    ck_assert_ptr_nonnull(strstr(tok, ".")); /* "h.p." */
    ck_assert_int_eq(tok[strlen(tok) - 1], '.');
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
    /* Same, with an HMAC attached anyway, and with other spellings. */
    tok = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, GNUTLS_MAC_SHA256, SECRET);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
    tok = make_token("{\"alg\":\"None\"}", payload, GNUTLS_MAC_SHA256, SECRET);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
    free(payload);
    json_decref(pl);
}
END_TEST

START_TEST(hs384_token_rejected)
{
    struct vjwt_claims out;
    json_t *pl = good_payload();
    char *payload = json_dumps(pl, JSON_COMPACT);
    char *tok =
        make_token("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", payload, GNUTLS_MAC_SHA384, SECRET);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
    tok = make_token("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, GNUTLS_MAC_SHA512, SECRET);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
    free(payload);
    json_decref(pl);
}
END_TEST

START_TEST(rs256_header_rejected)
{
    /* Key confusion: RS256 named in the header, HMAC'd with our secret. */
    ck_assert_int_eq(verify_with_header("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"),
                     VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"),
                     VALOR_E_UNAUTHORIZED);
}
END_TEST

START_TEST(bad_headers_rejected)
{
    ck_assert_int_eq(verify_with_header("{\"typ\":\"JWT\"}"), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("{\"alg\":\"hs256\",\"typ\":\"JWT\"}"),
                     VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("{\"alg\":\"HS256 \"}"), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("{\"alg\":256}"), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("{\"alg\":\"HS256\",\"typ\":\"JWS\"}"),
                     VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("{\"alg\":\"HS256\",\"typ\":1}"), VALOR_E_UNAUTHORIZED);
    /* Duplicate keys: another parser could pick the other "alg". */
    ck_assert_int_eq(verify_with_header("{\"alg\":\"HS256\",\"alg\":\"none\"}"),
                     VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}"),
                     VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("[\"HS256\"]"), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_with_header("not json"), VALOR_E_UNAUTHORIZED);
    /* typ is optional. */
    ck_assert_int_eq(verify_with_header("{\"alg\":\"HS256\"}"), VALOR_OK);
}
END_TEST

START_TEST(expired_rejected)
{
    json_t *pl = good_payload();
    json_object_set_new(pl, "exp", json_integer((json_int_t)NOW - LEEWAY - 1));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_EXPIRED);

    /* Tokens signed by us too: the same token is fine before and expired after. */
    struct vjwt_claims c = sample_claims(), out;
    char *tok = NULL;
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW + 900 + LEEWAY, &out), VALOR_OK);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW + 900 + LEEWAY + 1, &out), VALOR_E_EXPIRED);

    /* Expired AND forged / wrong issuer: "Invalid token", not "Token expired". */
    struct vjwt_params other = P;
    other.secret = "some-other-secret-some-other-secret";
    ck_assert_int_eq(vjwt_verify(&other, tok, "access", NOW + 10000, &out), VALOR_E_UNAUTHORIZED);
    other = P;
    other.issuer = "someone-else";
    ck_assert_int_eq(vjwt_verify(&other, tok, "access", NOW + 10000, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
}
END_TEST

START_TEST(expired_within_leeway_accepted)
{
    json_t *pl = good_payload();
    json_object_set_new(pl, "exp", json_integer((json_int_t)NOW - LEEWAY));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_OK);
    pl = good_payload();
    json_object_set_new(pl, "exp", json_integer((json_int_t)NOW - 1));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_OK);
}
END_TEST

START_TEST(not_yet_valid_rejected)
{
    json_t *pl = good_payload();
    json_object_set_new(pl, "nbf", json_integer((json_int_t)NOW + LEEWAY + 1));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
    pl = good_payload();
    json_object_set_new(pl, "nbf", json_integer((json_int_t)NOW + LEEWAY));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_OK);
}
END_TEST

START_TEST(wrong_iss_rejected)
{
    json_t *pl = good_payload();
    json_object_set_new(pl, "iss", json_string("evil-issuer"));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
    pl = good_payload();
    json_object_set_new(pl, "iss", json_string("valor-ivx "));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
}
END_TEST

START_TEST(wrong_aud_rejected)
{
    json_t *pl = good_payload();
    json_object_set_new(pl, "aud", json_string("other-api"));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
    pl = good_payload();
    json_object_set_new(pl, "aud", json_pack("[s,s]", "a", "b"));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
    pl = good_payload();
    json_object_set_new(pl, "aud", json_array());
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
    pl = good_payload();
    json_object_set_new(pl, "aud", json_integer(1));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
}
END_TEST

START_TEST(aud_array_accepted)
{
    json_t *pl = good_payload();
    json_object_set_new(pl, "aud", json_pack("[s,i,s]", "other-api", 7, "valor-ivx-api"));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_OK);
}
END_TEST

START_TEST(wrong_typ_rejected)
{
    struct vjwt_claims c = sample_claims(), out;
    char *tok = NULL;
    strcpy(c.typ, "refresh");
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(vjwt_verify(&P, tok, "refresh", NOW, &out), VALOR_OK);
    ck_assert_str_eq(out.typ, "refresh");
    free(tok);
}
END_TEST

START_TEST(missing_claims_rejected)
{
    static const char *const names[] = {"iss", "aud", "sub", "tid", "role", "plan",
                                        "jti", "iat", "nbf", "exp", "typ"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *pl = good_payload();
        ck_assert_int_eq(json_object_del(pl, names[i]), 0);
        ck_assert_msg(verify_payload(pl, NOW) == VALOR_E_UNAUTHORIZED,
                      "token without \"%s\" was accepted", names[i]);
    }
    /* The same payload with nothing removed passes (the helper is sound). */
    ck_assert_int_eq(verify_payload(good_payload(), NOW), VALOR_OK);
}
END_TEST

START_TEST(wrong_claim_types_rejected)
{
    static const struct {
        const char *name;
        const char *json;
    } cases[] = {
        {"exp", "\"1700000900\""},
        {"exp", "1700000900.5"},
        {"iat", "null"},
        {"nbf", "true"},
        {"sub", "42"},
        {"sub", "\"\""},
        {"tid", "[\"acme\"]"},
        {"role", "{}"},
        {"plan", "\"\""},
        {"jti", "null"},
        {"typ", "1"},
        {"iss", "[\"valor-ivx\"]"},
        /* too long for struct vjwt_claims */
        {"tid", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""},
        {"role", "\"administratorxyz\""},
        {"jti", "\"0b7e9c8a-3f1d-4c2b-9a6e-5d4c3b2a1f00-0123\""},
        {"sub", "\"a\\u0000b\""}, /* embedded NUL */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *pl = good_payload();
        json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        ck_assert_ptr_nonnull(v);
        json_object_set_new(pl, cases[i].name, v);
        ck_assert_msg(verify_payload(pl, NOW) == VALOR_E_UNAUTHORIZED, "%s=%s was accepted",
                      cases[i].name, cases[i].json);
    }
    /* Limits are inclusive: 63 characters fit tid[64]. */
    json_t *pl = good_payload();
    json_object_set_new(
        pl, "tid", json_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_OK);
}
END_TEST

START_TEST(duplicate_claims_rejected)
{
    struct vjwt_claims out;
    json_t *pl = good_payload();
    char *body = json_dumps(pl, JSON_COMPACT), *dup, *tok;
    size_t len = strlen(body) + 32;
    dup = malloc(len);
    ck_assert_ptr_nonnull(dup);
    /* {"typ":"refresh", ...original...}: which typ wins depends on the parser. */
    snprintf(dup, len, "{\"typ\":\"refresh\",%s", body + 1);
    tok = make_token(HS256_HDR, dup, GNUTLS_MAC_SHA256, SECRET);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
    free(dup);
    free(body);
    json_decref(pl);
}
END_TEST

START_TEST(garbage_tokens_rejected)
{
    static const char *const bad[] = {
        "",
        "a",
        "a.b",
        "a.b.c.d",
        "..",
        "...",
        "!!!.@@@.###",
        "eyJhbGciOiJIUzI1NiJ9..abc",
        "eyJhbGciOiJIUzI1NiJ9.eyJ9.",
        "Bearer abc.def.ghi",
        "eyJhbGciOiJIUzI1NiJ9=.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    struct vjwt_claims out;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(vjwt_verify(&P, bad[i], "access", NOW, &out) == VALOR_E_UNAUTHORIZED,
                      "accepted garbage token #%zu", i);
    ck_assert_int_eq(vjwt_verify(&P, NULL, "access", NOW, &out), VALOR_E_UNAUTHORIZED);

    /* A good token with extra dots or whitespace around it. */
    struct vjwt_claims c = sample_claims();
    char *tok = NULL, buf[2048];
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    snprintf(buf, sizeof(buf), "%s.", tok);
    ck_assert_int_eq(vjwt_verify(&P, buf, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    snprintf(buf, sizeof(buf), " %s", tok);
    ck_assert_int_eq(vjwt_verify(&P, buf, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    snprintf(buf, sizeof(buf), "%s\n", tok);
    ck_assert_int_eq(vjwt_verify(&P, buf, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
}
END_TEST

START_TEST(oversized_token_rejected)
{
    char *pad = malloc(7000);
    ck_assert_ptr_nonnull(pad);
    memset(pad, 'x', 6999);
    pad[6999] = '\0';
    /* ~9.5 KiB once base64-encoded, correctly signed: still refused. */
    json_t *pl = good_payload();
    json_object_set_new(pl, "pad", json_string(pad));
    char *tok = token_from_json(HS256_HDR, pl);
    struct vjwt_claims out;
    ck_assert_uint_gt(strlen(tok), 8192);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
    json_decref(pl);
    /* ~7 KiB is fine. */
    pad[5000] = '\0';
    pl = good_payload();
    json_object_set_new(pl, "pad", json_string(pad));
    tok = token_from_json(HS256_HDR, pl);
    ck_assert_uint_lt(strlen(tok), 8192);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_OK);
    free(tok);
    json_decref(pl);
    free(pad);
}
END_TEST

START_TEST(bad_params_rejected)
{
    struct vjwt_claims c = sample_claims(), out;
    struct vjwt_params p = P;
    char *tok = NULL;
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    /* No secret must never mean "no signature check". */
    p.secret = NULL;
    ck_assert_int_eq(vjwt_verify(&p, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    p.secret = "";
    ck_assert_int_eq(vjwt_verify(&p, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(vjwt_verify(NULL, tok, "access", NOW, &out), VALOR_E_UNAUTHORIZED);
    free(tok);
    tok = NULL;
    ck_assert_int_eq(vjwt_sign(&p, &c, &tok), VALOR_E_INVALID);
    ck_assert_ptr_null(tok);
    c.role[0] = '\0';
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_E_INVALID);
    ck_assert_ptr_null(tok);
}
END_TEST

START_TEST(from_header_cases)
{
    const char *t = "unchanged";
    ck_assert_int_eq(vjwt_from_header(NULL, &t), VALOR_E_UNAUTHORIZED);
    ck_assert_ptr_null(t);
    static const char *const bad[] = {
        "",          "Bearer",     "Bearer ",     "Bearer  abc", "Bearerabc",   "Basic abc",
        "Token abc", "Bearer a b", "Bearer abc ", "Bearer\tabc", " Bearer abc", "Bearer abc\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = "unchanged";
        ck_assert_msg(vjwt_from_header(bad[i], &t) == VALOR_E_INVALID, "accepted header \"%s\"",
                      bad[i]);
        ck_assert_ptr_null(t);
    }
    const char *h = "Bearer abc.def.ghi";
    ck_assert_int_eq(vjwt_from_header(h, &t), VALOR_OK);
    ck_assert_ptr_eq(t, h + 7);
    ck_assert_str_eq(t, "abc.def.ghi");
    ck_assert_int_eq(vjwt_from_header("bearer tok", &t), VALOR_OK);
    ck_assert_str_eq(t, "tok");
    ck_assert_int_eq(vjwt_from_header("BEARER tok", &t), VALOR_OK);
    ck_assert_str_eq(t, "tok");
}
END_TEST

/* ---- key rotation: kid, previous keys ---- */

#define OLD_SECRET "old-secret-fedcba9876543210-fedcba9876543210"
#define OTHER_SECRET "other-secret-00112233445566778899aabbccddeeff"

static const char *const OLD_KEYS[] = {OLD_SECRET};

/* Verifies with SECRET signing and `previous` still verifying. */
static int verify_rotated(const char *tok, const char *const *previous, int n)
{
    struct vjwt_params p = P;
    struct vjwt_claims out;
    p.previous = previous;
    p.nprevious = n;
    return vjwt_verify(&p, tok, "access", NOW, &out);
}

START_TEST(rotation_previous_key_verifies)
{
    struct vjwt_claims c = sample_claims();
    struct vjwt_params old = P, other = P;
    char *tok = NULL, *other_tok = NULL, kid[VJWT_KID_LEN + 1];
    old.secret = OLD_SECRET;
    other.secret = OTHER_SECRET;

    /* a token of the old key: verifies while the old key is listed, not after */
    ck_assert_int_eq(vjwt_sign(&old, &c, &tok), VALOR_OK);
    ck_assert_int_eq(verify_rotated(tok, OLD_KEYS, 1), VALOR_OK);
    ck_assert_int_eq(verify_rotated(tok, NULL, 0), VALOR_E_UNAUTHORIZED);
    /* its header names its key */
    char *dot = strchr(tok, '.');
    json_t *hdr = segment_json(tok, (size_t)(dot - tok));
    vjwt_kid(OLD_SECRET, kid);
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "kid")), kid);
    ck_assert_uint_eq(strspn(kid, "0123456789abcdef"), VJWT_KID_LEN);
    json_decref(hdr);
    /* another key's token stays refused */
    ck_assert_int_eq(vjwt_sign(&other, &c, &other_tok), VALOR_OK);
    ck_assert_int_eq(verify_rotated(other_tok, OLD_KEYS, 1), VALOR_E_UNAUTHORIZED);
    /* the kid is a function of the key alone */
    char kid2[VJWT_KID_LEN + 1];
    vjwt_kid(OLD_SECRET, kid2);
    ck_assert_str_eq(kid, kid2);
    vjwt_kid(SECRET, kid2);
    ck_assert_str_ne(kid, kid2);
    free(tok);
    free(other_tok);
}
END_TEST

START_TEST(rotation_kid_rules)
{
    json_t *pl = good_payload();
    char *plain = json_dumps(pl, JSON_COMPACT), kid[VJWT_KID_LEN + 1], hdr[128];

    /* no kid (made before kids): tried against each key */
    char *tok = make_token(HS256_HDR, plain, GNUTLS_MAC_SHA256, OLD_SECRET);
    ck_assert_int_eq(verify_rotated(tok, OLD_KEYS, 1), VALOR_OK);
    ck_assert_int_eq(verify_rotated(tok, NULL, 0), VALOR_E_UNAUTHORIZED);
    free(tok);
    /* a kid names exactly one key: the old key's kid on a token of the current key fails */
    vjwt_kid(OLD_SECRET, kid);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    tok = make_token(hdr, plain, GNUTLS_MAC_SHA256, SECRET);
    ck_assert_int_eq(verify_rotated(tok, OLD_KEYS, 1), VALOR_E_UNAUTHORIZED);
    free(tok);
    /* an unknown kid, and malformed ones */
    static const char *const bad[] = {
        "{\"alg\":\"HS256\",\"kid\":\"0000000000000000\"}",
        "{\"alg\":\"HS256\",\"kid\":\"short\"}",
        "{\"alg\":\"HS256\",\"kid\":12345678}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tok = make_token(bad[i], plain, GNUTLS_MAC_SHA256, SECRET);
        ck_assert_msg(verify_rotated(tok, OLD_KEYS, 1) == VALOR_E_UNAUTHORIZED, "accepted %s",
                      bad[i]);
        free(tok);
    }
    /* an empty previous key is never a key */
    static const char *const empty[] = {""};
    tok = make_token(HS256_HDR, plain, GNUTLS_MAC_SHA256, SECRET);
    ck_assert_int_eq(verify_rotated(tok, empty, 1), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(verify_rotated(tok, NULL, 1), VALOR_E_UNAUTHORIZED);
    free(tok);
    free(plain);
    json_decref(pl);
}
END_TEST

/* ---- positive ---- */

START_TEST(sign_verify_round_trip)
{
    struct vjwt_claims c = sample_claims(), out;
    char *tok = NULL;
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    ck_assert_ptr_nonnull(tok);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW + 60, &out), VALOR_OK);
    ck_assert_str_eq(out.sub, "1234");
    ck_assert_str_eq(out.tid, "acme-corp");
    ck_assert_str_eq(out.role, "admin");
    ck_assert_str_eq(out.plan, "enterprise");
    ck_assert_str_eq(out.jti, "6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b");
    ck_assert_str_eq(out.typ, "access");
    ck_assert_int_eq(out.iat, NOW);
    ck_assert_int_eq(out.nbf, NOW);
    ck_assert_int_eq(out.exp, NOW + 900);

    /* On the wire: header {"alg":"HS256","typ":"JWT"}, integer times. */
    char *dot = strchr(tok, '.'), *dot2 = strchr(dot + 1, '.');
    json_t *hdr = segment_json(tok, (size_t)(dot - tok));
    json_t *pl = segment_json(dot + 1, (size_t)(dot2 - dot - 1));
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "alg")), "HS256");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "typ")), "JWT");
    ck_assert_str_eq(json_string_value(json_object_get(pl, "iss")), "valor-ivx");
    ck_assert_str_eq(json_string_value(json_object_get(pl, "aud")), "valor-ivx-api");
    ck_assert(json_is_integer(json_object_get(pl, "exp")));
    ck_assert(json_is_integer(json_object_get(pl, "iat")));
    ck_assert(json_is_integer(json_object_get(pl, "nbf")));
    ck_assert_uint_eq(strlen(dot2 + 1), 43);
    json_decref(hdr);
    json_decref(pl);
    free(tok);
}
END_TEST

START_TEST(username_claim_is_optional)
{
    struct vjwt_claims c = sample_claims(), out;
    json_t *pl;
    char *tok = NULL;

    /* without: not in the token, "" after verification */
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    strcpy(out.username, "stale");
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_OK);
    ck_assert_str_eq(out.username, "");
    free(tok);
    /* with: signed and read back */
    strcpy(c.username, "alice_b-2");
    ck_assert_int_eq(vjwt_sign(&P, &c, &tok), VALOR_OK);
    ck_assert_int_eq(vjwt_verify(&P, tok, "access", NOW, &out), VALOR_OK);
    ck_assert_str_eq(out.username, "alice_b-2");
    free(tok);
    /* present but not a non-empty string: the token is refused */
    pl = good_payload();
    json_object_set_new(pl, "preferred_username", json_integer(7));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
    pl = good_payload();
    json_object_set_new(pl, "preferred_username", json_string(""));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_E_UNAUTHORIZED);
    pl = good_payload();
    json_object_set_new(pl, "preferred_username", json_string("bob"));
    ck_assert_int_eq(verify_payload(pl, NOW), VALOR_OK);
}
END_TEST

static Suite *jwt_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc = tcase_create("reject");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, forged_signature_rejected);
    tcase_add_test(tc, username_claim_is_optional);
    tcase_add_test(tc, alg_none_rejected);
    tcase_add_test(tc, hs384_token_rejected);
    tcase_add_test(tc, rs256_header_rejected);
    tcase_add_test(tc, bad_headers_rejected);
    tcase_add_test(tc, expired_rejected);
    tcase_add_test(tc, expired_within_leeway_accepted);
    tcase_add_test(tc, not_yet_valid_rejected);
    tcase_add_test(tc, wrong_iss_rejected);
    tcase_add_test(tc, wrong_aud_rejected);
    tcase_add_test(tc, aud_array_accepted);
    tcase_add_test(tc, wrong_typ_rejected);
    tcase_add_test(tc, missing_claims_rejected);
    tcase_add_test(tc, wrong_claim_types_rejected);
    tcase_add_test(tc, duplicate_claims_rejected);
    tcase_add_test(tc, garbage_tokens_rejected);
    tcase_add_test(tc, oversized_token_rejected);
    tcase_add_test(tc, bad_params_rejected);
    tcase_add_test(tc, from_header_cases);
    suite_add_tcase(s, tc);

    tc = tcase_create("accept");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, sign_verify_round_trip);
    tcase_add_test(tc, rotation_previous_key_verifies);
    tcase_add_test(tc, rotation_kid_rules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(jwt_suite());
}
