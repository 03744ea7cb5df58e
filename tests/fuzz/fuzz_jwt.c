/* common: the access-token verifier vjwt_verify (and vjwt_from_header).
 * The first byte picks the mode: 0 → the rest is the token as received;
 * 1 → the rest is the payload JSON, sent under a valid HS256 header and
 * signature (so the claim checks are reached); 2 → the rest is
 * "header-JSON 0xff payload-JSON", validly signed. */
#include <gnutls/crypto.h>
#include <time.h>

#include "fuzz_common.h"
#include "valor/err.h"
#include "valor/jwt.h"

#define SECRET "fuzz-secret-0123456789abcdef0123456789abcdef"
#define NOW ((time_t)1800000000)

static const struct vjwt_params params = {
    .secret = SECRET, .issuer = "valor-ivx", .audience = "valor-ivx-api", .leeway_s = 30};

/* Appends the base64url (unpadded) of src to dst at *o. */
static void b64url(const unsigned char *src, size_t n, char *dst, size_t *o)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)src[i] << 16 | (unsigned)src[i + 1] << 8 | src[i + 2];
        dst[(*o)++] = al[v >> 18 & 63];
        dst[(*o)++] = al[v >> 12 & 63];
        dst[(*o)++] = al[v >> 6 & 63];
        dst[(*o)++] = al[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)src[i] << 16;
        dst[(*o)++] = al[v >> 18 & 63];
        dst[(*o)++] = al[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)src[i] << 16 | (unsigned)src[i + 1] << 8;
        dst[(*o)++] = al[v >> 18 & 63];
        dst[(*o)++] = al[v >> 12 & 63];
        dst[(*o)++] = al[v >> 6 & 63];
    }
}

/* header.payload.signature, signed with SECRET (caller frees). */
static char *sign(const uint8_t *hdr, size_t hn, const uint8_t *pl, size_t pn)
{
    unsigned char mac[32];
    char *t = malloc((hn + pn + 32) * 4 / 3 + 16);
    size_t o = 0;

    if (t == NULL)
        return NULL;
    b64url(hdr, hn, t, &o);
    t[o++] = '.';
    b64url(pl, pn, t, &o);
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, SECRET, strlen(SECRET), t, o, mac) != 0) {
        free(t);
        return NULL;
    }
    t[o++] = '.';
    b64url(mac, sizeof(mac), t, &o);
    t[o] = '\0';
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    struct vjwt_claims c;
    char *token = NULL, *header;
    const char *bare = NULL;
    const uint8_t *sep;
    int rc;

    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        token = fuzz_str(data + 1, size - 1);
        break;
    case 1:
        token = sign((const uint8_t *)hs256, strlen(hs256), data + 1, size - 1);
        break;
    default:
        sep = memchr(data + 1, 0xff, size - 1);
        if (sep == NULL)
            return 0;
        token = sign(data + 1, (size_t)(sep - data - 1), sep + 1, size - (size_t)(sep - data) - 1);
        break;
    }
    if (token == NULL)
        return 0;
    rc = vjwt_verify(&params, token, "access", NOW, &c);
    FUZZ_ASSERT(rc == VALOR_OK || rc == VALOR_E_UNAUTHORIZED || rc == VALOR_E_EXPIRED);
    if (rc == VALOR_OK) {
        FUZZ_ASSERT(strcmp(c.typ, "access") == 0 && c.exp >= (long long)NOW - 30 &&
                    c.nbf <= (long long)NOW + 30);
        FUZZ_ASSERT(c.sub[0] != '\0' && c.tid[0] != '\0' && c.role[0] != '\0' && c.jti[0] != '\0' &&
                    c.plan[0] != '\0');
        FUZZ_ASSERT(memchr(c.sub, '\0', sizeof(c.sub)) && memchr(c.tid, '\0', sizeof(c.tid)));
    }
    /* The same bytes as an Authorization header value. */
    size_t tlen = strlen(token);
    if ((header = malloc(tlen + 8)) != NULL) {
        memcpy(header, "Bearer ", 7);
        memcpy(header + 7, token, tlen + 1);
        rc = vjwt_from_header(header, &bare);
        FUZZ_ASSERT(rc != VALOR_OK ||
                    (bare != NULL && bare >= header && strlen(bare) <= strlen(header)));
        free(header);
    }
    free(token);
    return 0;
}
