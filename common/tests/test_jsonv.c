/* jsonv: field-named validation of JSON values. */
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "valor/err.h"
#include "valor/jsonv.h"

static json_t *doc;
static struct jsonv_err e;

static void setup(void)
{
    doc = json_loads("{\"name\":\"Acme\",\"n\":7,\"x\":0.5,\"flag\":true,\"nothing\":null,"
                     "\"obj\":{},\"arr\":[1,2,3],\"uni\":\"\u00e9\u00e9\u00e9\",\"str7\":\"7\"}",
                     0, NULL);
    ck_assert_ptr_nonnull(doc);
    memset(&e, 0, sizeof(e));
}

static void teardown(void)
{
    json_decref(doc);
}

static void expect_err(int rc, const char *field, const char *msg)
{
    ck_assert_int_eq(rc, VALOR_E_INVALID);
    ck_assert_str_eq(e.field, field);
    ck_assert_str_eq(e.msg, msg);
}

START_TEST(missing_required_fields)
{
    const char *s = NULL;
    double d = 0;
    expect_err(jsonv_string(doc, "missing", JSONV_REQUIRED, 1, 10, &s, &e), "missing", "required");
    expect_err(jsonv_number(doc, "nothing", JSONV_REQUIRED, 0, 1, &d, &e), "nothing", "required");
    /* not an object at all: every field is missing */
    json_t *arr = json_array();
    expect_err(jsonv_string(arr, "name", JSONV_REQUIRED, 1, 10, &s, &e), "name", "required");
    json_decref(arr);
}
END_TEST

START_TEST(wrong_types)
{
    const char *s = NULL;
    double d = 0;
    long long n = 0;
    int b = 0;
    json_t *j = NULL;
    expect_err(jsonv_string(doc, "n", JSONV_REQUIRED, 0, 10, &s, &e), "n", "must be a string");
    expect_err(jsonv_number(doc, "str7", JSONV_REQUIRED, 0, 10, &d, &e), "str7",
               "must be a number");
    expect_err(jsonv_number(doc, "flag", JSONV_REQUIRED, 0, 10, &d, &e), "flag",
               "must be a number");
    expect_err(jsonv_integer(doc, "x", JSONV_REQUIRED, 0, 10, &n, &e), "x", "must be an integer");
    expect_err(jsonv_bool(doc, "n", JSONV_REQUIRED, &b, &e), "n", "must be a boolean");
    expect_err(jsonv_object(doc, "arr", JSONV_REQUIRED, &j, &e), "arr", "must be an object");
    expect_err(jsonv_array(doc, "obj", JSONV_REQUIRED, 10, &j, &e), "obj", "must be an array");
}
END_TEST

START_TEST(ranges_and_lengths)
{
    const char *s = NULL;
    double d = 0;
    long long n = 0;
    json_t *j = NULL;
    expect_err(jsonv_string(doc, "name", JSONV_REQUIRED, 5, 10, &s, &e), "name",
               "must be 5 to 10 characters");
    expect_err(jsonv_number(doc, "x", JSONV_REQUIRED, 1, 2, &d, &e), "x",
               "must be between 1 and 2");
    expect_err(jsonv_integer(doc, "n", JSONV_REQUIRED, 8, 9, &n, &e), "n",
               "must be between 8 and 9");
    expect_err(jsonv_array(doc, "arr", JSONV_REQUIRED, 2, &j, &e), "arr",
               "must have at most 2 items");
    /* lengths count code points, not bytes: "ééé" is 3 characters in 6 bytes */
    ck_assert_int_eq(jsonv_string(doc, "uni", JSONV_REQUIRED, 3, 3, &s, &e), 1);
    expect_err(jsonv_string(doc, "uni", JSONV_REQUIRED, 4, 6, &s, &e), "uni",
               "must be 4 to 6 characters");
}
END_TEST

START_TEST(valid_and_optional_values)
{
    const char *s = NULL;
    double d = 0;
    long long n = 0;
    int b = 0;
    json_t *j = NULL;
    ck_assert_int_eq(jsonv_string(doc, "name", JSONV_REQUIRED, 1, 10, &s, &e), 1);
    ck_assert_str_eq(s, "Acme");
    ck_assert_int_eq(jsonv_number(doc, "n", JSONV_REQUIRED, 0, 10, &d, &e),
                     1); /* ints are numbers */
    ck_assert(fabs(d - 7) < 1e-12);
    ck_assert_int_eq(jsonv_integer(doc, "n", JSONV_REQUIRED, 0, 10, &n, &e), 1);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(jsonv_bool(doc, "flag", JSONV_REQUIRED, &b, &e), 1);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(jsonv_array(doc, "arr", JSONV_REQUIRED, 3, &j, &e), 1);
    ck_assert_int_eq((int)json_array_size(j), 3);
    /* absent or null optional fields leave *out untouched */
    s = "unchanged";
    ck_assert_int_eq(jsonv_string(doc, "missing", JSONV_OPTIONAL, 1, 10, &s, &e), 0);
    ck_assert_int_eq(jsonv_string(doc, "nothing", JSONV_OPTIONAL, 1, 10, &s, &e), 0);
    ck_assert_str_eq(s, "unchanged");
}
END_TEST

START_TEST(embedded_nul_is_refused)
{
    const char *s = NULL;
    json_t *o = json_pack("{s:s%}", "t", "a\0b", (size_t)3);
    ck_assert_ptr_nonnull(o);
    expect_err(jsonv_string(o, "t", JSONV_REQUIRED, 0, 10, &s, &e), "t",
               "must not contain NUL characters");
    json_decref(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jsonv");
    TCase *tc = tcase_create("jsonv");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, missing_required_fields);
    tcase_add_test(tc, wrong_types);
    tcase_add_test(tc, ranges_and_lengths);
    tcase_add_test(tc, valid_and_optional_values);
    tcase_add_test(tc, embedded_nul_is_refused);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
