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

/* 64 random bits, drawn in unsigned arithmetic (no signed overflow);
 * negative for even i. */
static long long random_value(int i)
{
    unsigned long long u = ((unsigned long long)rand() << 33) ^ ((unsigned long long)rand() << 11) ^
                           (unsigned long long)rand();
    return (long long)(i % 2 ? u : 0ULL - u);
}

START_TEST(test_random_values)
{
    srand(7);
    for (int i = 0; i < 100000; i++) {
        long long v = random_value(i);
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

/* fmt_ms against printf of the same microseconds, trailing zeros trimmed
 * down to one decimal. */
static void ms_as_printf(long long us)
{
    char want[48], got[FMT_MS_MAX + 2];
    unsigned long long u = us < 0 ? 0ULL - (unsigned long long)us : (unsigned long long)us;
    int w = snprintf(want, sizeof(want), "%s%llu.%03llu", us < 0 ? "-" : "", u / 1000, u % 1000);
    while (want[w - 1] == '0' && want[w - 2] != '.')
        want[--w] = '\0';
    memset(got, '#', sizeof(got));
    size_t n = fmt_ms(got, us);
    ck_assert_uint_le(n, FMT_MS_MAX);
    ck_assert_msg(n == (size_t)w && memcmp(got, want, n) == 0, "%lld: got %.*s, want %s", us,
                  (int)n, got, want);
    ck_assert_int_eq(got[n], '#');
}

START_TEST(test_ms)
{
    static const struct {
        long long us;
        const char *want;
    } fixed[] = {{0, "0.0"},          {1, "0.001"},         {50, "0.05"},    {1168, "1.168"},
                 {2000, "2.0"},       {1500, "1.5"},        {-1500, "-1.5"}, {-1, "-0.001"},
                 {999999, "999.999"}, {1234567, "1234.567"}};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        char got[FMT_MS_MAX];
        size_t n = fmt_ms(got, fixed[i].us);
        ck_assert_msg(n == strlen(fixed[i].want) && memcmp(got, fixed[i].want, n) == 0,
                      "%lld: got %.*s", fixed[i].us, (int)n, got);
    }
    ms_as_printf(LLONG_MAX);
    ms_as_printf(LLONG_MIN);
    srand(11);
    for (int i = 0; i < 100000; i++) {
        long long v = random_value(i);
        ms_as_printf(v);
        ms_as_printf(v % 10000000);
    }
}
END_TEST

START_TEST(test_copy)
{
    char dst[8];
    memset(dst, '#', sizeof(dst));
    ck_assert_uint_eq(fmt_copy(dst, sizeof(dst), "abc"), 3);
    ck_assert_str_eq(dst, "abc");
    ck_assert_int_eq(dst[4], '#'); /* nothing written past the NUL */
    ck_assert_uint_eq(fmt_copy(dst, sizeof(dst), "0123456789"), 7);
    ck_assert_str_eq(dst, "0123456");
    ck_assert_uint_eq(fmt_copy(dst, sizeof(dst), ""), 0);
    ck_assert_str_eq(dst, "");
    ck_assert_uint_eq(fmt_copy(dst, 1, "xyz"), 0);
    ck_assert_str_eq(dst, "");
}
END_TEST

START_TEST(test_join)
{
    char dst[8];
    const char *parts[] = {"ab", "", "cd", "efgh"};
    memset(dst, '#', sizeof(dst));
    ck_assert_uint_eq(fmt_join(dst, sizeof(dst), parts, 3), 4);
    ck_assert_str_eq(dst, "abcd");
    ck_assert_int_eq(dst[5], '#');
    /* truncated: the whole length comes back, as from snprintf */
    ck_assert_uint_eq(fmt_join(dst, sizeof(dst), parts, 4), 8);
    ck_assert_str_eq(dst, "abcdefg");
    ck_assert_uint_eq(fmt_join(dst, sizeof(dst), parts, 0), 0);
    ck_assert_str_eq(dst, "");
    ck_assert_uint_eq(fmt_join(dst, 1, parts, 4), 8);
    ck_assert_str_eq(dst, "");
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
    tcase_add_test(tc, test_ms);
    tcase_add_test(tc, test_copy);
    tcase_add_test(tc, test_join);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
