/* auth_rules and the shipped common-password list: pure logic, no servers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_rules.h"
#include "common_passwords.h"
#include "testutil.h"

START_TEST(test_username_rules)
{
    ck_assert_str_eq(auth_check_username(""), "Username must be at least 3 characters long");
    ck_assert_str_eq(auth_check_username("ab"), "Username must be at least 3 characters long");
    /* rule 1 wins over rule 2 */
    ck_assert_str_eq(auth_check_username("a!"), "Username must be at least 3 characters long");
    ck_assert_str_eq(auth_check_username("a b"),
                     "Username can only contain letters, numbers, underscores, and hyphens");
    ck_assert_str_eq(auth_check_username("jos\xc3\xa9"),
                     "Username can only contain letters, numbers, underscores, and hyphens");
    ck_assert_str_eq(auth_check_username("a@b.c"),
                     "Username can only contain letters, numbers, underscores, and hyphens");
    char longname[80];
    memset(longname, 'a', 65);
    longname[65] = '\0';
    ck_assert_str_eq(auth_check_username(longname), "Username must be at most 64 characters long");
    longname[64] = '\0';
    ck_assert_ptr_null(auth_check_username(longname));
    ck_assert_ptr_null(auth_check_username("abc"));
    ck_assert_ptr_null(auth_check_username("Jane_Doe-42"));
}
END_TEST

START_TEST(test_email_rules)
{
    static const char *const bad[] = {
        "",         "plain",       "@example.com", "a@",       "a@example", "a@example.c",
        "a@@b.com", "a@b@c.com",   "a b@c.com",    ".a@b.com", "a.@b.com",  "a..b@c.com",
        "a@-b.com", "a@b-.com",    "a@b..com",     "a@b.c0m",  "a@b_c.com", "a@.com",
        "a@b.com.", "\"a\"@b.com", "a@b.12"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(
            auth_check_email(bad[i]) != NULL &&
                strcmp(auth_check_email(bad[i]), "Please provide a valid email address") == 0,
            "accepted '%s'", bad[i]);
    static const char *const good[] = {"a@b.co", "first.last+tag@sub.example.org",
                                       "UPPER@EXAMPLE.COM", "x_y-z@a-b.example.io"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(auth_check_email(good[i]) == NULL, "refused '%s'", good[i]);
    char longmail[300];
    memset(longmail, 'a', 250);
    strcpy(longmail + 250, "@b.co");
    ck_assert_ptr_nonnull(auth_check_email(longmail));
}
END_TEST

START_TEST(test_password_rules)
{
    char msg[AUTH_MSG_LEN];
    ck_assert_str_eq(auth_check_password("", msg), "Password must be at least 12 characters long");
    ck_assert_str_eq(auth_check_password("Aa1!Aa1!Aa1", msg),
                     "Password must be at least 12 characters long");
    /* 12 code points in more bytes counts as 12 */
    ck_assert_ptr_null(auth_check_password("\xc3\xa9\xc3\xa9\xc3\xa9"
                                           "Aa1!Aa1!X",
                                           msg));
    ck_assert_str_eq(auth_check_password("abcdefghijkl", msg),
                     "Password must contain: uppercase letters, numbers, special characters");
    ck_assert_str_eq(auth_check_password("ABCDEFGHIJKL", msg),
                     "Password must contain: lowercase letters, numbers, special characters");
    ck_assert_str_eq(auth_check_password("!!!!!!!!!!!!", msg),
                     "Password must contain: lowercase letters, uppercase letters, numbers");
    ck_assert_str_eq(auth_check_password("abcDEF123456", msg),
                     "Password must contain: special characters");
    ck_assert_str_eq(auth_check_password("abcDEF!!!!!!", msg), "Password must contain: numbers");
    /* rule 5 wins over rule 6 */
    ck_assert_str_eq(auth_check_password("password1234", msg),
                     "Password must contain: uppercase letters, special characters");
    ck_assert_str_eq(auth_check_password("Password123!", msg), "Password is too common");
    ck_assert_str_eq(auth_check_password("pASSWORD123!", msg), "Password is too common");
    ck_assert_str_eq(auth_check_password("Welcome@1234", msg), "Password is too common");
    ck_assert_ptr_null(auth_check_password("Corr3ct-Horse-Battery", msg));
    char pw[80];
    memset(pw, 'a', 72);
    memcpy(pw, "A1!", 3);
    pw[72] = '\0';
    ck_assert_ptr_null(auth_check_password(pw, msg));
    pw[72] = 'a';
    pw[73] = '\0';
    ck_assert_str_eq(auth_check_password(pw, msg), "Password must be at most 72 bytes");
}
END_TEST

START_TEST(test_new_user_order)
{
    char msg[AUTH_MSG_LEN];
    /* rule 1 and 3 broken → rule 1; 2 and 4 → 2; 3 and 5 → 3; 4 and 6 → 4 */
    ck_assert_str_eq(auth_check_new_user("ab", "bad", "Corr3ct-Horse-1", msg),
                     "Username must be at least 3 characters long");
    ck_assert_str_eq(auth_check_new_user("a b c", "a@b.co", "short", msg),
                     "Username can only contain letters, numbers, underscores, and hyphens");
    ck_assert_str_eq(auth_check_new_user("alice", "bad", "alllowercase!", msg),
                     "Please provide a valid email address");
    ck_assert_str_eq(auth_check_new_user("alice", "a@b.co", "qwerty", msg),
                     "Password must be at least 12 characters long");
    ck_assert_str_eq(auth_check_new_user("alice", "a@b.co", "Qwerty@123456", msg),
                     "Password is too common");
    ck_assert_ptr_null(auth_check_new_user("alice", "a@b.co", "Corr3ct-Horse-1", msg));
}
END_TEST

START_TEST(test_common_list_is_sorted_distinct_and_large)
{
    ck_assert_uint_ge(auth_common_passwords_count, 1000);
    for (size_t i = 0; i < auth_common_passwords_count; i++) {
        const char *p = auth_common_passwords[i];
        for (const char *c = p; *c; c++)
            ck_assert_msg(!(*c >= 'A' && *c <= 'Z'), "not lower-case: %s", p);
        if (i > 0)
            ck_assert_msg(strcmp(auth_common_passwords[i - 1], p) < 0, "not sorted/distinct at %s",
                          p);
    }
    ck_assert(auth_password_is_common("123456"));
    ck_assert(auth_password_is_common("PASSWORD"));
    ck_assert(auth_password_is_common("Dragon"));
    ck_assert(!auth_password_is_common("Corr3ct-Horse-Battery"));
}
END_TEST

/* The generated C file holds exactly the data file's entries. */
START_TEST(test_common_list_matches_data_file)
{
    FILE *f = fopen("svc-auth/data/common-passwords.txt", "r");
    char line[256];
    size_t n = 0;
    ck_assert_msg(f != NULL, "run from the repository root");
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        ck_assert_msg(auth_password_is_common(line), "%s missing: rerun gen-common-passwords.sh",
                      line);
        n++;
    }
    fclose(f);
    ck_assert_uint_eq(n, auth_common_passwords_count);
}
END_TEST

START_TEST(test_slugs_and_roles)
{
    char slug[AUTH_SLUG_MAX + 1];
    ck_assert_int_eq(auth_slug_derive("Jane_Doe", slug), 0);
    ck_assert_str_eq(slug, "jane-doe");
    ck_assert_int_eq(auth_slug_derive("__Acme--Corp__", slug), 0);
    ck_assert_str_eq(slug, "acme--corp");
    ck_assert_int_eq(auth_slug_derive("ab", slug), 0);
    ck_assert_int_eq(auth_slug_derive("___", slug), -1);
    ck_assert_int_eq(auth_slug_derive("_a_", slug), -1);
    char longname[100];
    memset(longname, 'x', 90);
    longname[90] = '\0';
    ck_assert_int_eq(auth_slug_derive(longname, slug), 0);
    ck_assert_uint_eq(strlen(slug), 63);
    ck_assert(auth_slug_valid("acme"));
    ck_assert(auth_slug_valid("0-a"));
    ck_assert(!auth_slug_valid("a"));
    ck_assert(!auth_slug_valid("-ab"));
    ck_assert(!auth_slug_valid("Acme"));
    ck_assert(!auth_slug_valid("ac_me"));
    ck_assert(auth_role_valid("admin") && auth_role_valid("analyst") && auth_role_valid("viewer"));
    ck_assert(!auth_role_valid("Admin") && !auth_role_valid("owner") && !auth_role_valid(""));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-auth rules");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_username_rules);
    tcase_add_test(tc, test_email_rules);
    tcase_add_test(tc, test_password_rules);
    tcase_add_test(tc, test_new_user_order);
    tcase_add_test(tc, test_common_list_is_sorted_distinct_and_large);
    tcase_add_test(tc, test_common_list_matches_data_file);
    tcase_add_test(tc, test_slugs_and_roles);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
