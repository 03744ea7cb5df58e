/* jtiset: membership until expiry, growth, the bound, concurrent readers. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "valor/err.h"
#include "valor/jtiset.h"

#define NOW 1800000000000LL /* epoch ms */

static void jti_of(int i, char out[40])
{
    snprintf(out, 40, "%08x-0000-4000-8000-%012d", (unsigned)i * 2654435761U, i);
}

START_TEST(add_has_until_expiry)
{
    struct jtiset *s = jtiset_new(10);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(jtiset_has(s, "a", NOW), 0);
    ck_assert_int_eq(jtiset_add(s, "a", NOW + 1000, NOW), VALOR_OK);
    ck_assert_int_eq(jtiset_has(s, "a", NOW), 1);
    ck_assert_int_eq(jtiset_has(s, "a", NOW + 999), 1);
    ck_assert_int_eq(jtiset_has(s, "a", NOW + 1000), 0);
    ck_assert_int_eq(jtiset_has(s, "b", NOW), 0);
    /* a later expiry extends, an earlier one does not shorten */
    ck_assert_int_eq(jtiset_add(s, "a", NOW + 5000, NOW), VALOR_OK);
    ck_assert_int_eq(jtiset_add(s, "a", NOW + 2000, NOW), VALOR_OK);
    ck_assert_int_eq(jtiset_has(s, "a", NOW + 4000), 1);
    ck_assert_uint_eq(jtiset_size(s), 1);
    /* nothing to keep: already expired */
    ck_assert_int_eq(jtiset_add(s, "c", NOW, NOW), VALOR_E_INVALID);
    ck_assert_int_eq(jtiset_has(s, "c", NOW - 1), 0);
    jtiset_free(s);
}
END_TEST

START_TEST(grows_and_keeps_every_entry)
{
    enum { N = 100000 };
    struct jtiset *s = jtiset_new(N);
    char id[40];
    for (int i = 0; i < N; i++) {
        jti_of(i, id);
        ck_assert_int_eq(jtiset_add(s, id, NOW + 60000, NOW), VALOR_OK);
    }
    ck_assert_uint_eq(jtiset_size(s), N);
    for (int i = 0; i < N; i++) {
        jti_of(i, id);
        ck_assert_msg(jtiset_has(s, id, NOW), "entry %d lost", i);
    }
    jti_of(N, id);
    ck_assert_int_eq(jtiset_has(s, id, NOW), 0);
    ck_assert_uint_eq(jtiset_dropped(s), 0);
    jtiset_free(s);
}
END_TEST

START_TEST(bound_forgets_expired_then_refuses)
{
    struct jtiset *s = jtiset_new(3);
    ck_assert_int_eq(jtiset_add(s, "old-1", NOW + 10, NOW), VALOR_OK);
    ck_assert_int_eq(jtiset_add(s, "old-2", NOW + 10, NOW), VALOR_OK);
    ck_assert_int_eq(jtiset_add(s, "live", NOW + 100000, NOW), VALOR_OK);
    /* full: the two expired entries make room */
    ck_assert_int_eq(jtiset_add(s, "new-1", NOW + 100000, NOW + 50), VALOR_OK);
    ck_assert_int_eq(jtiset_add(s, "new-2", NOW + 100000, NOW + 50), VALOR_OK);
    ck_assert_uint_eq(jtiset_size(s), 3);
    /* full of live entries: refused and counted, the others stay */
    ck_assert_int_eq(jtiset_add(s, "one-too-many", NOW + 100000, NOW + 50), VALOR_E_NOMEM);
    ck_assert_uint_eq(jtiset_dropped(s), 1);
    ck_assert_int_eq(jtiset_has(s, "one-too-many", NOW + 50), 0);
    ck_assert_int_eq(jtiset_has(s, "live", NOW + 50), 1);
    ck_assert_int_eq(jtiset_has(s, "new-1", NOW + 50), 1);
    ck_assert_int_eq(jtiset_has(s, "new-2", NOW + 50), 1);
    /* an entry already held is extended even when full */
    ck_assert_int_eq(jtiset_add(s, "live", NOW + 200000, NOW + 50), VALOR_OK);
    jtiset_free(s);
}
END_TEST

struct reader {
    struct jtiset *s;
    int misses;
};

static void *read_all(void *arg)
{
    struct reader *r = arg;
    char id[40];
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < 1000; i++) {
            jti_of(i, id);
            r->misses += !jtiset_has(r->s, id, NOW);
        }
    return NULL;
}

START_TEST(readers_while_writing)
{
    struct jtiset *s = jtiset_new(50000);
    struct reader r[4];
    pthread_t t[4];
    char id[40];
    for (int i = 0; i < 1000; i++) {
        jti_of(i, id);
        ck_assert_int_eq(jtiset_add(s, id, NOW + 60000, NOW), VALOR_OK);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = (struct reader){s, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, read_all, &r[i]), 0);
    }
    /* growth (rebuilds) while the readers look up the first thousand */
    for (int i = 1000; i < 40000; i++) {
        jti_of(i, id);
        ck_assert_int_eq(jtiset_add(s, id, NOW + 60000, NOW), VALOR_OK);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(r[i].misses, 0);
    }
    jtiset_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jtiset");
    TCase *tc = tcase_create("jtiset");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, add_has_until_expiry);
    tcase_add_test(tc, grows_and_keeps_every_entry);
    tcase_add_test(tc, bound_forgets_expired_then_refuses);
    tcase_add_test(tc, readers_while_writing);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
