#include "valor/err.h"
#include "testutil.h"

#include <string.h>

START_TEST(test_unknown_code_is_500)
{
    ck_assert_uint_eq(valor_err_http_status(-999), 500);
    ck_assert_uint_eq(valor_err_http_status(42), 500);
    ck_assert_str_eq(valor_err_name(-999), "unknown");
    ck_assert_str_eq(valor_err_message(-999), "Internal server error");
}
END_TEST

START_TEST(test_invalid_utf8_message_falls_back)
{
    json_t *b = valor_err_body(VALOR_E_INVALID, "bad \xff\xfe", NULL);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(json_string_value(json_object_get(b, "error")), "Bad request");
    json_decref(b);
}
END_TEST

START_TEST(test_status_mapping)
{
    static const struct {
        int err;
        unsigned status;
    } cases[] = {
        {VALOR_OK, 200},          {VALOR_E_INVALID, 400},    {VALOR_E_UNAUTHORIZED, 401},
        {VALOR_E_EXPIRED, 401},   {VALOR_E_FORBIDDEN, 403},  {VALOR_E_NOT_FOUND, 404},
        {VALOR_E_METHOD, 405},    {VALOR_E_CONFLICT, 409},   {VALOR_E_PRECONDITION, 412},
        {VALOR_E_TOO_LARGE, 413}, {VALOR_E_MEDIA_TYPE, 415}, {VALOR_E_RATE_LIMITED, 429},
        {VALOR_E_INTERNAL, 500},  {VALOR_E_NOMEM, 500},      {VALOR_E_UNAVAILABLE, 503},
        {VALOR_E_TIMEOUT, 504},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(valor_err_http_status(cases[i].err) == cases[i].status,
                      "code %d: got %u, want %u", cases[i].err, valor_err_http_status(cases[i].err),
                      cases[i].status);
}
END_TEST

START_TEST(test_names_unique_and_stable)
{
    ck_assert_str_eq(valor_err_name(VALOR_E_INVALID), "invalid");
    ck_assert_str_eq(valor_err_name(VALOR_E_NOT_FOUND), "not_found");
    for (int a = VALOR_E_TIMEOUT; a <= VALOR_OK; a++)
        for (int b = a + 1; b <= VALOR_OK; b++)
            ck_assert_str_ne(valor_err_name(a), valor_err_name(b));
}
END_TEST

START_TEST(test_messages_match_api_spec)
{
    ck_assert_str_eq(valor_err_message(VALOR_E_NOT_FOUND), "Not found");
    ck_assert_str_eq(valor_err_message(VALOR_E_METHOD), "Method not allowed");
    ck_assert_str_eq(valor_err_message(VALOR_E_TOO_LARGE), "Request body too large");
    ck_assert_str_eq(valor_err_message(VALOR_E_MEDIA_TYPE),
                     "Content-Type must be application/json");
    ck_assert_str_eq(valor_err_message(VALOR_E_EXPIRED), "Token expired");
    ck_assert_str_eq(valor_err_message(VALOR_E_UNAUTHORIZED), "Invalid token");
    ck_assert_str_eq(valor_err_message(VALOR_E_FORBIDDEN), "Insufficient permissions");
    ck_assert_str_eq(valor_err_message(VALOR_E_RATE_LIMITED), "Rate limit exceeded");
    ck_assert_str_eq(valor_err_message(VALOR_E_INTERNAL), "Internal server error");
    ck_assert_str_eq(valor_err_message(VALOR_E_NOMEM), "Internal server error");
    ck_assert_str_eq(valor_err_message(VALOR_E_UNAVAILABLE), "Service unavailable");
    ck_assert_str_eq(valor_err_message(VALOR_E_TIMEOUT), "Upstream timeout");
}
END_TEST

START_TEST(test_body_default_message)
{
    json_t *b = valor_err_body(VALOR_E_NOT_FOUND, NULL, NULL);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(json_object_size(b), 1);
    ck_assert_str_eq(json_string_value(json_object_get(b, "error")), "Not found");
    json_decref(b);
}
END_TEST

START_TEST(test_body_custom_message_and_request_id)
{
    json_t *b = valor_err_body(VALOR_E_CONFLICT, "Username already exists", "req-1");
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(json_string_value(json_object_get(b, "error")), "Username already exists");
    ck_assert_str_eq(json_string_value(json_object_get(b, "request_id")), "req-1");
    char *s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(s, "{\"error\":\"Username already exists\",\"request_id\":\"req-1\"}");
    free(s);
    json_decref(b);
}
END_TEST

START_TEST(test_body_empty_request_id_omitted)
{
    json_t *b = valor_err_body(VALOR_E_INTERNAL, NULL, "");
    ck_assert_ptr_null(json_object_get(b, "request_id"));
    ck_assert_str_eq(json_string_value(json_object_get(b, "error")), "Internal server error");
    json_decref(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("err");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_unknown_code_is_500);
    tcase_add_test(tc, test_invalid_utf8_message_falls_back);
    tcase_add_test(tc, test_status_mapping);
    tcase_add_test(tc, test_names_unique_and_stable);
    tcase_add_test(tc, test_messages_match_api_spec);
    tcase_add_test(tc, test_body_default_message);
    tcase_add_test(tc, test_body_custom_message_and_request_id);
    tcase_add_test(tc, test_body_empty_request_id_omitted);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
