/* crypto: randomness, UUIDs, constant-time compare, bcrypt, SHA-256. */
#ifndef VALOR_CRYPTO_H
#define VALOR_CRYPTO_H

#include <stddef.h>

#define CRYPTO_UUID_LEN 37        /* 36 chars + NUL */
#define CRYPTO_BCRYPT_HASH_LEN 64 /* "$2b$12$" + 53 chars + NUL fits */
#define CRYPTO_BCRYPT_MAX_PASSWORD 72

/* Fills buf with len bytes from getrandom(2). */
int crypto_random(void *buf, size_t len);

/* Writes a lower-case UUID v4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"). */
int crypto_uuid4(char out[CRYPTO_UUID_LEN]);

/* 1 when the string is a canonical UUID (any version, lower or upper case). */
int crypto_is_uuid(const char *s);

/* Constant-time comparison of two buffers of the same length: 1 equal, 0 not. */
int crypto_ct_equal(const void *a, const void *b, size_t len);

/* bcrypt ($2b$) through crypt_r with a random salt; cost in [4, 31].
 * VALOR_E_INVALID when password is longer than 72 bytes. */
int crypto_bcrypt_hash(const char *password, int cost, char out[CRYPTO_BCRYPT_HASH_LEN]);

/* VALOR_OK when password matches hash, VALOR_E_UNAUTHORIZED when not,
 * VALOR_E_INVALID when hash is not a $2b$ hash (never falls back to DES) or
 * crypt_r failed ("*0"/"*1"), or when password is longer than 72 bytes
 * (bcrypt would silently ignore the excess). Comparison is constant time. */
int crypto_bcrypt_verify(const char *password, const char *hash);

/* nbytes random bytes as unpadded base64url into out (needs 4*ceil(n/3)+1). */
int crypto_random_token(size_t nbytes, char *out, size_t outlen);

/* SHA-256 of data as 64 lower-case hex chars + NUL. */
int crypto_sha256_hex(const void *data, size_t len, char out[65]);

#endif
