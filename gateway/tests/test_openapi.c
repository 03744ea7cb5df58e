/* GET /api/openapi.json: an OpenAPI 3.1 document that describes every
 * (method, path) of the gateway's route table and the system routes, and is
 * the same as gateway/openapi.json (the compiled-in copy is not stale). */
#include <ctype.h>

#include "gwtest.h"
#include "openapi.h"
#include "routes.h"

static struct gwt_upstream up = {"echo", NULL, 0};
static struct gw *gw;

static void setup(void)
{
    gwt_upstream_start(&up, 0);
    gwt_env(up.port);
    ck_assert_int_eq(gw_start(&gw), VALOR_OK);
}

static void teardown(void)
{
    gw_stop(gw);
    gw = NULL;
    gwt_upstream_stop(&up);
}

START_TEST(test_every_route_documented)
{
    static const char *const system_paths[] = {
        "/",        "/api/health",       "/api/readiness",        "/api/ready",
        "/metrics", "/api/openapi.json", "/api/websocket/status", "/api/ws"};
    struct tu_http_resp r;
    json_t *doc = gwt_call(gw_port(gw), "GET", "/api/openapi.json", NULL, NULL, &r);
    json_t *paths;
    char ct[128];

    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(tu_http_header(&r, "Content-Type", ct, sizeof(ct)), 0);
    ck_assert_msg(strncmp(ct, "application/json", 16) == 0, "%s", ct);
    ck_assert_str_eq(gwt_str(doc, "openapi"), "3.1.0");
    paths = json_object_get(doc, "paths");
    ck_assert(json_is_object(paths));
    for (size_t i = 0; i < gw_nroutes; i++) {
        json_t *item = json_object_get(paths, gw_routes[i].doc_path);
        ck_assert_msg(item != NULL, "%s is not documented", gw_routes[i].doc_path);
        for (size_t m = 0; m < gw_nmethods; m++) {
            char lower[16];
            if (!(gw_routes[i].methods & (1u << m)))
                continue;
            for (size_t k = 0; k <= strlen(gw_method_names[m]); k++)
                lower[k] = (char)tolower((unsigned char)gw_method_names[m][k]);
            ck_assert_msg(json_object_get(item, lower) != NULL, "%s %s is not documented",
                          gw_method_names[m], gw_routes[i].doc_path);
        }
    }
    for (size_t i = 0; i < sizeof(system_paths) / sizeof(system_paths[0]); i++)
        ck_assert_msg(json_object_get(paths, system_paths[i]) != NULL, "%s is not documented",
                      system_paths[i]);
    json_decref(doc);
    tu_http_resp_free(&r);
}
END_TEST

START_TEST(test_compiled_copy_matches_file)
{
    FILE *f = fopen("gateway/openapi.json", "rb");
    char *buf = malloc(gw_openapi_json_len + 2);
    size_t n;

    ck_assert_msg(f != NULL, "run from the repository root");
    n = fread(buf, 1, gw_openapi_json_len + 1, f);
    fclose(f);
    ck_assert_msg(n == gw_openapi_json_len && memcmp(buf, gw_openapi_json, n) == 0,
                  "gateway/src/openapi_doc.c is stale: run gateway/tools/embed-openapi.sh");
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-openapi");
    TCase *tc = tcase_create("openapi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_every_route_documented);
    tcase_add_test(tc, test_compiled_copy_matches_file);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
