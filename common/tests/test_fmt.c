#include "valor/fmt.h"
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fmt_int writes what snprintf("%lld") writes, and nothing past it. */
static void same_as_printf(long long v)
{
    char want[32], got[FMT_INT_MAX + 2];
    memset(got, '#', sizeof(got));
    size_t n = fmt_int(got, v);
    snprintf(want, sizeof(want), "%lld", v);
    ck_assert_uint_le(n, FMT_INT_MAX);
    ck_assert_msg(n == strlen(want) && memcmp(got, want, n) == 0, "%lld: got %.*s", v, (int)n, got);
    ck_assert_int_eq(got[n], '#');
}

START_TEST(test_edges)
{
    static const long long v[] = {0,
                                  1,
                                  -1,
                                  9,
                                  10,
                                  -10,
                                  99,
                                  100,
                                  1000000,
                                  -999999,
                                  LLONG_MAX,
                                  LLONG_MIN,
                                  LLONG_MIN + 1,
                                  INT_MAX,
                                  (long long)INT_MIN - 1};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        same_as_printf(v[i]);
}
END_TEST

START_TEST(test_random_values)
{
    srand(7);
    for (int i = 0; i < 100000; i++) {
        /* 64 random bits, in unsigned arithmetic (no signed overflow), both signs */
        unsigned long long u = ((unsigned long long)rand() << 33) ^
                               ((unsigned long long)rand() << 11) ^ (unsigned long long)rand();
        long long v = (long long)(i % 2 ? u : 0ULL - u);
        same_as_printf(v);
        same_as_printf(v % 100000);
    }
}
END_TEST

START_TEST(test_unsigned_max)
{
    char got[FMT_INT_MAX];
    size_t n = fmt_uint(got, ULLONG_MAX);
    ck_assert_uint_eq(n, 20);
    ck_assert(memcmp(got, "18446744073709551615", 20) == 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fmt");
    TCase *tc = tcase_create("fmt");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_edges);
    tcase_add_test(tc, test_random_values);
    tcase_add_test(tc, test_unsigned_max);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
