/* svc-auth in-process: health, readiness, metrics, 404 and its schema. */
#include "service.h"
#include "testutil.h"

START_TEST(test_service_starts_and_migrates)
{
    tu_svc_smoke(&auth_def, "audit_events");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-auth");
    TCase *tc = tcase_create("service");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_service_starts_and_migrates);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
