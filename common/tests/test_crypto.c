/* Unit tests for common/src/crypto.c: bcrypt, UUIDs, tokens, SHA-256. */
#include "testutil.h"
#include "valor/crypto.h"
#include "valor/err.h"

#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_UUIDS 10000

/* ---- bcrypt: negative cases first ---- */

START_TEST(bcrypt_wrong_password_rejected)
{
    char hash[CRYPTO_BCRYPT_HASH_LEN];
    ck_assert_int_eq(crypto_bcrypt_hash("correct horse battery", 4, hash), VALOR_OK);
    ck_assert_int_eq(crypto_bcrypt_verify("correct horse batterx", hash), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(crypto_bcrypt_verify("", hash), VALOR_E_UNAUTHORIZED);
    ck_assert_int_eq(crypto_bcrypt_verify("correct horse battery ", hash), VALOR_E_UNAUTHORIZED);
}
END_TEST

START_TEST(bcrypt_failure_hash_rejected)
{
    /* libxcrypt's failure tokens must never be accepted as a stored hash. */
    ck_assert_int_eq(crypto_bcrypt_verify("password", "*0"), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_bcrypt_verify("password", "*1"), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_bcrypt_verify("password", ""), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_bcrypt_verify("password", NULL), VALOR_E_INVALID);
    /* $2b$ prefix but malformed: crypt_r answers "*0". */
    ck_assert_int_eq(crypto_bcrypt_verify("password", "$2b$04$tooshort"), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_bcrypt_verify("password", "$2b$"), VALOR_E_INVALID);
}
END_TEST

START_TEST(bcrypt_non_2b_hash_rejected)
{
    /* Real DES, MD5-crypt and SHA-512-crypt hashes of "password". */
    static const char *const foreign[] = {
        "abJnggxhB/yWI",
        "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/",
        "$6$salt$"
        "IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.",
    };
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    ck_assert_ptr_nonnull(cd);
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        /* libxcrypt itself accepts them, so a naive verify would too... */
        const char *r = crypt_r("password", foreign[i], cd);
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(r, foreign[i]);
        /* ...but we never fall back from bcrypt to a weaker scheme. */
        ck_assert_int_eq(crypto_bcrypt_verify("password", foreign[i]), VALOR_E_INVALID);
    }
    free(cd);
    /* The old $2a$ variant is not accepted either. */
    ck_assert_int_eq(
        crypto_bcrypt_verify("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        VALOR_E_INVALID);
}
END_TEST

START_TEST(bcrypt_password_over_72_bytes_rejected)
{
    char pw[74], hash[CRYPTO_BCRYPT_HASH_LEN];
    memset(pw, 'a', 73);
    pw[73] = '\0';
    ck_assert_int_eq(crypto_bcrypt_hash(pw, 4, hash), VALOR_E_INVALID);
    /* Verify must also refuse: bcrypt would ignore byte 73 and match. */
    pw[72] = '\0';
    ck_assert_int_eq(crypto_bcrypt_hash(pw, 4, hash), VALOR_OK);
    pw[72] = 'b';
    ck_assert_int_eq(crypto_bcrypt_verify(pw, hash), VALOR_E_INVALID);
}
END_TEST

START_TEST(bcrypt_bad_arguments_rejected)
{
    char hash[CRYPTO_BCRYPT_HASH_LEN];
    ck_assert_int_eq(crypto_bcrypt_hash(NULL, 4, hash), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_bcrypt_hash("pw", 3, hash), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_bcrypt_hash("pw", 32, hash), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_bcrypt_verify(NULL, "$2b$04$x"), VALOR_E_INVALID);
}
END_TEST

START_TEST(bcrypt_72_byte_password_accepted)
{
    char pw[73], hash[CRYPTO_BCRYPT_HASH_LEN];
    memset(pw, 'z', 72);
    pw[72] = '\0';
    ck_assert_int_eq(crypto_bcrypt_hash(pw, 4, hash), VALOR_OK);
    ck_assert_int_eq(crypto_bcrypt_verify(pw, hash), VALOR_OK);
    pw[71] = 'y'; /* the last byte counts */
    ck_assert_int_eq(crypto_bcrypt_verify(pw, hash), VALOR_E_UNAUTHORIZED);
}
END_TEST

START_TEST(bcrypt_round_trip)
{
    char h1[CRYPTO_BCRYPT_HASH_LEN], h2[CRYPTO_BCRYPT_HASH_LEN];
    ck_assert_int_eq(crypto_bcrypt_hash("S3cure!Passw0rd", 4, h1), VALOR_OK);
    ck_assert_msg(strncmp(h1, "$2b$04$", 7) == 0, "hash prefix: %.7s", h1);
    ck_assert_uint_eq(strlen(h1), 60);
    ck_assert_int_eq(crypto_bcrypt_verify("S3cure!Passw0rd", h1), VALOR_OK);
    /* Random salt: the same password never hashes the same twice. */
    ck_assert_int_eq(crypto_bcrypt_hash("S3cure!Passw0rd", 4, h2), VALOR_OK);
    ck_assert_str_ne(h1, h2);
    ck_assert_int_eq(crypto_bcrypt_verify("S3cure!Passw0rd", h2), VALOR_OK);
    ck_assert_int_eq(crypto_bcrypt_hash("x", 5, h2), VALOR_OK);
    ck_assert_msg(strncmp(h2, "$2b$05$", 7) == 0, "cost in hash: %.7s", h2);
    /* A known $2b$ vector (OpenBSD / libxcrypt test suite) verifies. */
    ck_assert_int_eq(
        crypto_bcrypt_verify("U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        VALOR_OK);
}
END_TEST

struct bcrypt_job {
    int id;
    int failures;
};

static void *bcrypt_worker(void *arg)
{
    struct bcrypt_job *job = arg;
    for (int i = 0; i < 5; i++) {
        char pw[32], other[32], hash[CRYPTO_BCRYPT_HASH_LEN];
        snprintf(pw, sizeof(pw), "thread-%d-pass-%d", job->id, i);
        snprintf(other, sizeof(other), "thread-%d-pass-%d", (job->id + 1) % 4, i);
        if (crypto_bcrypt_hash(pw, 4, hash) != VALOR_OK)
            job->failures++;
        else if (crypto_bcrypt_verify(pw, hash) != VALOR_OK)
            job->failures++;
        else if (crypto_bcrypt_verify(other, hash) != VALOR_E_UNAUTHORIZED)
            job->failures++;
    }
    return NULL;
}

START_TEST(bcrypt_thread_safe)
{
    pthread_t th[4];
    struct bcrypt_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct bcrypt_job){.id = i, .failures = 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, bcrypt_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(jobs[i].failures == 0, "thread %d: %d wrong results", i, jobs[i].failures);
}
END_TEST

/* ---- UUIDs ---- */

START_TEST(uuid_is_uuid_rejects)
{
    ck_assert_int_eq(crypto_is_uuid(NULL), 0);
    ck_assert_int_eq(crypto_is_uuid(""), 0);
    ck_assert_int_eq(crypto_is_uuid("not-a-uuid"), 0);
    ck_assert_int_eq(crypto_is_uuid("123e4567-e89b-42d3-a456-42661417400"), 0);   /* short */
    ck_assert_int_eq(crypto_is_uuid("123e4567-e89b-42d3-a456-4266141740000"), 0); /* long */
    ck_assert_int_eq(crypto_is_uuid("123e4567xe89b-42d3-a456-426614174000"), 0);
    ck_assert_int_eq(crypto_is_uuid("123e4567-e89b-42d3-a456-42661417400g"), 0);
    ck_assert_int_eq(crypto_is_uuid("{23e4567-e89b-42d3-a456-426614174000"), 0);
    ck_assert_int_eq(crypto_is_uuid("123e4567e89b42d3a456426614174000"), 0);
}
END_TEST

START_TEST(uuid_is_uuid_accepts)
{
    ck_assert_int_eq(crypto_is_uuid("123e4567-e89b-42d3-a456-426614174000"), 1);
    ck_assert_int_eq(crypto_is_uuid("123E4567-E89B-12D3-A456-426614174000"), 1);
    ck_assert_int_eq(crypto_is_uuid("00000000-0000-0000-0000-000000000000"), 1);
}
END_TEST

START_TEST(uuid4_format)
{
    for (int i = 0; i < 1000; i++) {
        char u[CRYPTO_UUID_LEN];
        ck_assert_int_eq(crypto_uuid4(u), VALOR_OK);
        ck_assert_uint_eq(strlen(u), 36);
        ck_assert_int_eq(crypto_is_uuid(u), 1);
        ck_assert_int_eq(u[14], '4'); /* version */
        ck_assert_msg(strchr("89ab", u[19]) != NULL, "variant nibble %c in %s", u[19], u);
        for (int k = 0; k < 36; k++)
            ck_assert_msg(!(u[k] >= 'A' && u[k] <= 'F'), "upper case in %s", u);
    }
}
END_TEST

static int cmp_uuid(const void *a, const void *b)
{
    return memcmp(a, b, CRYPTO_UUID_LEN);
}

START_TEST(uuid4_unique)
{
    char(*u)[CRYPTO_UUID_LEN] = malloc(N_UUIDS * sizeof(*u));
    ck_assert_ptr_nonnull(u);
    for (int i = 0; i < N_UUIDS; i++)
        ck_assert_int_eq(crypto_uuid4(u[i]), VALOR_OK);
    qsort(u, N_UUIDS, sizeof(*u), cmp_uuid);
    for (int i = 1; i < N_UUIDS; i++)
        ck_assert_msg(strcmp(u[i - 1], u[i]) != 0, "duplicate uuid %s", u[i]);
    free(u);
}
END_TEST

/* Each thread draws from its own pool of random bytes: none may repeat
 * another thread's UUIDs. */
#define UUID_THREADS 4
#define UUIDS_PER_THREAD 2000

static void *uuid_worker(void *arg)
{
    char(*u)[CRYPTO_UUID_LEN] = arg;
    for (int i = 0; i < UUIDS_PER_THREAD; i++)
        if (crypto_uuid4(u[i]) != VALOR_OK)
            u[i][0] = '\0';
    return NULL;
}

START_TEST(uuid4_unique_across_threads)
{
    char(*u)[CRYPTO_UUID_LEN] = calloc(UUID_THREADS * UUIDS_PER_THREAD, sizeof(*u));
    pthread_t th[UUID_THREADS];
    ck_assert_ptr_nonnull(u);
    for (int t = 0; t < UUID_THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, uuid_worker, u + t * UUIDS_PER_THREAD), 0);
    for (int t = 0; t < UUID_THREADS; t++)
        pthread_join(th[t], NULL);
    qsort(u, UUID_THREADS * UUIDS_PER_THREAD, sizeof(*u), cmp_uuid);
    for (int i = 0; i < UUID_THREADS * UUIDS_PER_THREAD; i++)
        ck_assert_msg(crypto_is_uuid(u[i]), "not a uuid: '%s'", u[i]);
    for (int i = 1; i < UUID_THREADS * UUIDS_PER_THREAD; i++)
        ck_assert_msg(strcmp(u[i - 1], u[i]) != 0, "duplicate uuid %s", u[i]);
    free(u);
}
END_TEST

/* ---- random bytes and tokens ---- */

START_TEST(random_token_rejects_small_buffer)
{
    char out[43];
    /* 32 bytes → 43 chars + NUL = 44 needed. */
    ck_assert_int_eq(crypto_random_token(32, out, sizeof(out)), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_random_token(0, out, sizeof(out)), VALOR_E_INVALID);
    ck_assert_int_eq(crypto_random_token(1, NULL, 10), VALOR_E_INVALID);
}
END_TEST

START_TEST(random_token_format)
{
    static const size_t sizes[] = {1, 2, 3, 16, 32, 47, 48, 49, 100};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        size_t want = (n * 4 + 2) / 3; /* ceil(4n/3), no padding */
        char out[160], prev[160];
        ck_assert_int_eq(crypto_random_token(n, out, sizeof(out)), VALOR_OK);
        ck_assert_uint_eq(strlen(out), want);
        ck_assert_msg(
            strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == want,
            "bad charset: %s", out);
        if (n >= 16) {
            memcpy(prev, out, sizeof(out));
            ck_assert_int_eq(crypto_random_token(n, out, sizeof(out)), VALOR_OK);
            ck_assert_str_ne(prev, out);
        }
    }
    /* exact fit for 32 bytes (refresh token size) */
    char tok[44];
    ck_assert_int_eq(crypto_random_token(32, tok, sizeof(tok)), VALOR_OK);
    ck_assert_uint_eq(strlen(tok), 43);
}
END_TEST

START_TEST(random_bytes_fill)
{
    unsigned char a[64] = {0}, b[64] = {0}, zero[64] = {0};
    ck_assert_int_eq(crypto_random(a, sizeof(a)), VALOR_OK);
    ck_assert_int_eq(crypto_random(b, sizeof(b)), VALOR_OK);
    ck_assert_int_ne(memcmp(a, zero, sizeof(a)), 0);
    ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
    ck_assert_int_eq(crypto_random(NULL, 0), VALOR_OK);
}
END_TEST

/* ---- SHA-256 and constant-time compare ---- */

START_TEST(sha256_known_vectors)
{
    char hex[65];
    ck_assert_int_eq(crypto_sha256_hex("abc", 3, hex), VALOR_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_int_eq(crypto_sha256_hex("", 0, hex), VALOR_OK);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_int_eq(crypto_sha256_hex(NULL, 3, hex), VALOR_E_INVALID);
}
END_TEST

START_TEST(ct_equal_results)
{
    ck_assert_int_eq(crypto_ct_equal("abcdef", "abcdeg", 6), 0);
    ck_assert_int_eq(crypto_ct_equal("xbcdef", "abcdef", 6), 0);
    ck_assert_int_eq(crypto_ct_equal("abcdef", "abcdef", 6), 1);
    ck_assert_int_eq(crypto_ct_equal("abcdef", "abcdeg", 5), 1);
    ck_assert_int_eq(crypto_ct_equal("a", "b", 0), 1);
}
END_TEST

static Suite *crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("bcrypt");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bcrypt_wrong_password_rejected);
    tcase_add_test(tc, bcrypt_failure_hash_rejected);
    tcase_add_test(tc, bcrypt_non_2b_hash_rejected);
    tcase_add_test(tc, bcrypt_password_over_72_bytes_rejected);
    tcase_add_test(tc, bcrypt_bad_arguments_rejected);
    tcase_add_test(tc, bcrypt_72_byte_password_accepted);
    tcase_add_test(tc, bcrypt_round_trip);
    tcase_add_test(tc, bcrypt_thread_safe);
    suite_add_tcase(s, tc);

    tc = tcase_create("uuid");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, uuid_is_uuid_rejects);
    tcase_add_test(tc, uuid_is_uuid_accepts);
    tcase_add_test(tc, uuid4_format);
    tcase_add_test(tc, uuid4_unique);
    tcase_add_test(tc, uuid4_unique_across_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, random_token_rejects_small_buffer);
    tcase_add_test(tc, random_token_format);
    tcase_add_test(tc, random_bytes_fill);
    tcase_add_test(tc, sha256_known_vectors);
    tcase_add_test(tc, ct_equal_results);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(crypto_suite());
}
