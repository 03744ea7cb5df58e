/* crypto: randomness (getrandom), UUID v4, constant-time compare, bcrypt
 * through libxcrypt's crypt_r, base64url tokens and SHA-256 (GnuTLS). */
#include "valor/crypto.h"

#include "valor/err.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define BCRYPT_PREFIX "$2b$"
#define BCRYPT_SALT_BYTES 16

static const char hex_digits[] = "0123456789abcdef";
static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int crypto_random(void *buf, size_t len)
{
    unsigned char *p = buf;

    if (buf == NULL && len > 0)
        return VALOR_E_INVALID;
    while (len > 0) {
        /* getrandom returns at most 33554431 bytes per call and may be
         * interrupted by a signal (EINTR) or return a short count. */
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return VALOR_E_INTERNAL;
        }
        p += n;
        len -= (size_t)n;
    }
    return VALOR_OK;
}

/* UUIDs take their bytes from a per-thread pool of getrandom output,
 * refilled 16 UUIDs at a time: one system call per request for the request
 * id was a visible share of the gateway's CPU. The bytes are the kernel's
 * CSPRNG output all the same; nothing forks after start. */
#define UUID_POOL_BYTES 256

static int uuid_bytes(unsigned char b[16])
{
    static _Thread_local unsigned char pool[UUID_POOL_BYTES];
    static _Thread_local size_t used = UUID_POOL_BYTES;

    if (used == UUID_POOL_BYTES) {
        int rc = crypto_random(pool, sizeof(pool));
        if (rc != VALOR_OK)
            return rc;
        used = 0;
    }
    memcpy(b, pool + used, 16);
    explicit_bzero(pool + used, 16); /* handed out once */
    used += 16;
    return VALOR_OK;
}

int crypto_uuid4(char out[CRYPTO_UUID_LEN])
{
    unsigned char b[16];
    size_t o = 0;
    int rc;

    if (out == NULL)
        return VALOR_E_INVALID;
    rc = uuid_bytes(b);
    if (rc != VALOR_OK)
        return rc;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10xx (RFC 4122) */
    for (size_t i = 0; i < sizeof(b); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex_digits[b[i] >> 4];
        out[o++] = hex_digits[b[i] & 0x0f];
    }
    out[o] = '\0';
    return VALOR_OK;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int crypto_is_uuid(const char *s)
{
    if (s == NULL)
        return 0;
    for (size_t i = 0; i < CRYPTO_UUID_LEN - 1; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!is_hex(s[i])) {
            return 0; /* also stops at a short string's NUL */
        }
    }
    return s[CRYPTO_UUID_LEN - 1] == '\0';
}

int crypto_ct_equal(const void *a, const void *b, size_t len)
{
    const volatile unsigned char *pa = a;
    const volatile unsigned char *pb = b;
    unsigned char diff = 0;

    if (len == 0)
        return 1;
    if (a == NULL || b == NULL)
        return 0;
    for (size_t i = 0; i < len; i++)
        diff |= (unsigned char)(pa[i] ^ pb[i]);
    return diff == 0;
}

/* 0 when password is usable for bcrypt (non-NULL, at most 72 bytes). */
static int check_password(const char *password)
{
    if (password == NULL)
        return VALOR_E_INVALID;
    if (strnlen(password, CRYPTO_BCRYPT_MAX_PASSWORD + 1) > CRYPTO_BCRYPT_MAX_PASSWORD)
        return VALOR_E_INVALID;
    return VALOR_OK;
}

int crypto_bcrypt_hash(const char *password, int cost, char out[CRYPTO_BCRYPT_HASH_LEN])
{
    struct crypt_data *cd = NULL;
    char rbytes[BCRYPT_SALT_BYTES];
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    const char *res;
    size_t reslen;
    int rc;

    if (out == NULL || cost < 4 || cost > 31)
        return VALOR_E_INVALID;
    out[0] = '\0';
    rc = check_password(password);
    if (rc != VALOR_OK)
        return rc;
    rc = crypto_random(rbytes, sizeof(rbytes));
    if (rc != VALOR_OK)
        return rc;
    if (crypt_gensalt_rn(BCRYPT_PREFIX, (unsigned long)cost, rbytes, (int)sizeof(rbytes), setting,
                         (int)sizeof(setting)) == NULL ||
        strncmp(setting, BCRYPT_PREFIX, strlen(BCRYPT_PREFIX)) != 0) {
        rc = VALOR_E_INTERNAL;
        goto out;
    }
    /* struct crypt_data is ~32 KiB: keep it off the (thread) stack. */
    cd = calloc(1, sizeof(*cd));
    if (cd == NULL) {
        rc = VALOR_E_NOMEM;
        goto out;
    }
    res = crypt_r(password, setting, cd);
    /* libxcrypt signals failure with "*0"/"*1" (or NULL on some builds). */
    if (res == NULL || res[0] == '*' || strncmp(res, BCRYPT_PREFIX, strlen(BCRYPT_PREFIX)) != 0) {
        rc = VALOR_E_INTERNAL;
        goto out;
    }
    reslen = strlen(res);
    if (reslen >= CRYPTO_BCRYPT_HASH_LEN) {
        rc = VALOR_E_INTERNAL;
        goto out;
    }
    memcpy(out, res, reslen + 1);
    rc = VALOR_OK;
out:
    explicit_bzero(rbytes, sizeof(rbytes));
    if (cd != NULL) {
        explicit_bzero(cd, sizeof(*cd)); /* holds password-derived state */
        free(cd);
    }
    return rc;
}

int crypto_bcrypt_verify(const char *password, const char *hash)
{
    struct crypt_data *cd = NULL;
    const char *res;
    size_t hashlen, reslen;
    int rc;

    if (hash == NULL)
        return VALOR_E_INVALID;
    rc = check_password(password);
    if (rc != VALOR_OK)
        return rc;
    /* Only $2b$: any other setting would make crypt_r pick another scheme,
     * down to traditional DES for an arbitrary two-character "salt". */
    if (strncmp(hash, BCRYPT_PREFIX, strlen(BCRYPT_PREFIX)) != 0)
        return VALOR_E_INVALID;
    hashlen = strnlen(hash, CRYPTO_BCRYPT_HASH_LEN);
    if (hashlen >= CRYPTO_BCRYPT_HASH_LEN)
        return VALOR_E_INVALID;
    cd = calloc(1, sizeof(*cd));
    if (cd == NULL)
        return VALOR_E_NOMEM;
    res = crypt_r(password, hash, cd);
    if (res == NULL || res[0] == '*' || strncmp(res, BCRYPT_PREFIX, strlen(BCRYPT_PREFIX)) != 0) {
        rc = VALOR_E_INVALID; /* malformed $2b$ hash: "*0" / "*1" */
        goto out;
    }
    reslen = strlen(res);
    if (reslen == hashlen && crypto_ct_equal(res, hash, hashlen))
        rc = VALOR_OK;
    else
        rc = VALOR_E_UNAUTHORIZED;
out:
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return rc;
}

/* Unpadded base64url of in[0..n) into out; out must hold b64url_len(n)+1. */
static size_t b64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

static void b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;

    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url_alphabet[(v >> 18) & 63];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
        out[o++] = b64url_alphabet[(v >> 6) & 63];
        out[o++] = b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url_alphabet[(v >> 18) & 63];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url_alphabet[(v >> 18) & 63];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
        out[o++] = b64url_alphabet[(v >> 6) & 63];
    }
    out[o] = '\0';
}

int crypto_random_token(size_t nbytes, char *out, size_t outlen)
{
    unsigned char chunk[48]; /* multiple of 3: chunks encode without padding */
    size_t o = 0;
    int rc = VALOR_OK;

    if (out == NULL || nbytes == 0 || nbytes > SIZE_MAX / 2 || outlen < b64url_len(nbytes) + 1)
        return VALOR_E_INVALID;
    while (nbytes > 0) {
        size_t n = nbytes < sizeof(chunk) ? nbytes : sizeof(chunk);
        rc = crypto_random(chunk, n);
        if (rc != VALOR_OK) {
            out[0] = '\0';
            goto out;
        }
        b64url_encode(chunk, n, out + o);
        o += b64url_len(n);
        nbytes -= n;
    }
out:
    explicit_bzero(chunk, sizeof(chunk));
    return rc;
}

int crypto_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];

    if (out == NULL || (data == NULL && len > 0))
        return VALOR_E_INVALID;
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, len > 0 ? data : "", len, md) < 0) {
        out[0] = '\0';
        return VALOR_E_INTERNAL;
    }
    for (size_t i = 0; i < sizeof(md); i++) {
        out[2 * i] = hex_digits[md[i] >> 4];
        out[2 * i + 1] = hex_digits[md[i] & 0x0f];
    }
    out[64] = '\0';
    return VALOR_OK;
}
