/* svc-runs over HTTP, in-process on a private schema: /api/runs — create,
 * get, last, list with pagination, sorting and filters, delete (author or
 * admin), viewers refused, other tenants invisible, bad bodies refused with
 * nothing written, events through the outbox. */
#include <math.h>
#include <unistd.h>

#include "api_helpers.h"
#include "valor/crypto.h"

static void setup(void)
{
    api_start();
}

static void teardown(void)
{
    api_stop();
}

static long runs_of(const char *tenant)
{
    return api_count("SELECT count(*) FROM runs WHERE tenant_id = $1", tenant, NULL);
}

START_TEST(test_auth_is_required)
{
    struct api_resp r;
    char t[64];
    char *tok = api_token(api_tenant("auth", t, sizeof(t)), "u1", "analyst");

    api_call("GET", "/api/runs", NULL, t, NULL, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(api_str(r.json, "error"), "Authorization header required");
    api_free(&r);
    api_call("POST", "/api/runs", tok, NULL, "{\"inputs\":{}}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(api_str(r.json, "error"), "Tenant ID required");
    api_free(&r);
    api_call("GET", "/api/runs/last", tok, "someone-else", NULL, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(api_str(r.json, "error"), "Tenant mismatch");
    api_free(&r);
    ck_assert_int_eq(runs_of(t), 0);
    free(tok);
}
END_TEST

START_TEST(test_viewer_refused_on_writes)
{
    struct api_resp r;
    char t[64], path[128];
    char *viewer = api_token(api_tenant("view", t, sizeof(t)), "v1", "viewer");
    char *analyst = api_token(t, "a1", "analyst");

    api_call("POST", "/api/runs", viewer, t, "{\"inputs\":{\"ticker\":\"V\"}}", &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(api_str(r.json, "error"), "Insufficient permissions");
    api_free(&r);
    ck_assert_int_eq(runs_of(t), 0);

    api_call("POST", "/api/runs", analyst, t, "{\"inputs\":{\"ticker\":\"V\"}}", &r);
    ck_assert_int_eq(r.status, 201);
    snprintf(path, sizeof(path), "/api/runs/%s", api_str(r.json, "run_id"));
    api_free(&r);
    api_call("DELETE", path, viewer, t, NULL, &r);
    ck_assert_int_eq(r.status, 403);
    api_free(&r);
    /* viewers read */
    api_call("GET", path, viewer, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    api_free(&r);
    ck_assert_int_eq(runs_of(t), 1);
    free(viewer);
    free(analyst);
}
END_TEST

START_TEST(test_create_get_last_delete)
{
    struct api_resp r;
    char t[64], path[128], run_id[64];
    char *author = api_token(api_tenant("crud", t, sizeof(t)), "author-1", "analyst");
    char *other = api_token(t, "other-2", "analyst");
    char *admin = api_token(t, "admin-3", "admin");

    api_call("GET", "/api/runs/last", author, t, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(api_str(r.json, "error"), "No runs found");
    api_free(&r);

    api_call("POST", "/api/runs", author, t,
             "{\"inputs\":{\"ticker\":\"brk.b\",\"revenue\":500},\"mc_settings\":{\"trials\":500},"
             "\"results\":{\"note\":\"client\"}}",
             &r);
    ck_assert_msg(r.status == 201, "%s", r.body);
    ck_assert(json_is_true(api_get(r.json, "success")));
    ck_assert_str_eq(api_str(r.json, "message"), "Run saved successfully");
    ck_assert(crypto_is_uuid(api_str(r.json, "run_id")));
    ck_assert_ptr_null(api_get(r.json, "results"));
    snprintf(run_id, sizeof(run_id), "%s", api_str(r.json, "run_id"));
    snprintf(path, sizeof(path), "/api/runs/%s", run_id);
    api_free(&r);

    api_call("GET", path, other, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(api_str(r.json, "data.run_id"), run_id);
    ck_assert_str_eq(api_str(r.json, "data.ticker"), "BRK.B");
    ck_assert_str_eq(api_str(r.json, "data.user_id"), "author-1");
    ck_assert_int_eq(api_int(r.json, "data.inputs.revenue"), 500);
    ck_assert_int_eq(api_int(r.json, "data.mc_settings.trials"), 500);
    ck_assert_str_eq(api_str(r.json, "data.results.note"), "client");
    ck_assert(json_is_integer(api_get(r.json, "data.id")));
    ck_assert(strlen(api_str(r.json, "data.created_at")) == 24);
    ck_assert(api_str(r.json, "data.updated_at")[23] == 'Z');
    api_free(&r);

    api_call("GET", "/api/runs/last", other, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(api_str(r.json, "data.run_id"), run_id);
    api_free(&r);

    /* neither author nor admin */
    api_call("DELETE", path, other, t, NULL, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(api_str(r.json, "error"), "Insufficient permissions");
    api_free(&r);
    ck_assert_int_eq(runs_of(t), 1);
    api_call("DELETE", path, admin, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(api_str(r.json, "message"), "Run deleted successfully");
    api_free(&r);
    api_call("GET", path, author, t, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(api_str(r.json, "error"), "Run not found");
    api_free(&r);
    api_call("DELETE", path, author, t, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    api_free(&r);

    /* the author may delete their own */
    api_call("POST", "/api/runs", author, t, "{\"inputs\":{}}", &r);
    ck_assert_int_eq(r.status, 201);
    snprintf(path, sizeof(path), "/api/runs/%s", api_str(r.json, "run_id"));
    api_free(&r);
    api_call("GET", path, author, t, NULL, &r);
    ck_assert_str_eq(api_str(r.json, "data.ticker"), "UNKNOWN");
    ck_assert(json_is_null(api_get(r.json, "data.mc_settings")));
    ck_assert(json_is_null(api_get(r.json, "data.results")));
    api_free(&r);
    api_call("DELETE", path, author, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    api_free(&r);
    ck_assert_int_eq(runs_of(t), 0);
    free(author);
    free(other);
    free(admin);
}
END_TEST

START_TEST(test_bad_bodies_write_nothing)
{
    static const struct {
        const char *body, *field, *msg;
    } cases[] = {
        {"[1]", "body", "must be an object"},
        {"{}", "inputs", "required"},
        {"{\"inputs\":\"x\"}", "inputs", "must be an object"},
        {"{\"inputs\":{},\"mc_settings\":[]}", "mc_settings", "must be an object"},
        {"{\"inputs\":{},\"results\":5}", "results", "must be an object"},
        {"{\"inputs\":{},\"compute\":\"yes\"}", "compute", "must be a boolean"},
        {"{\"inputs\":{\"ticker\":\"A B\"}}", "inputs.ticker",
         "may contain only letters, digits, '.' and '-'"},
        {"{\"inputs\":{\"ticker\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\"}}", "inputs.ticker",
         "must be 1 to 20 characters"},
        {"{\"inputs\":{\"ticker\":7}}", "inputs.ticker", "must be a string"},
        {"{\"inputs\":{\"use_defaults\":true,\"wacc\":9},\"compute\":true}", "wacc",
         "must be a decimal between 0.03 and 0.25 (0.09 means 9%)"},
        {"{\"inputs\":{\"revenue\":500},\"compute\":true}", "growthY1", "required"},
        {"{\"inputs\":{\"use_defaults\":true},\"compute\":true,\"mc_settings\":{\"trials\":20001}}",
         "trials", "must be an integer between 100 and 20000"},
    };
    struct api_resp r;
    char t[64];
    char *tok = api_token(api_tenant("bad", t, sizeof(t)), "u1", "analyst");
    char *big;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        api_call("POST", "/api/runs", tok, t, cases[i].body, &r);
        ck_assert_msg(r.status == 400, "%s → %ld %s", cases[i].body, r.status, r.body);
        ck_assert_str_eq(api_str(r.json, "error"), "ValidationError");
        ck_assert_str_eq(api_str(r.json, "details.0.field"), cases[i].field);
        ck_assert_str_eq(api_str(r.json, "details.0.msg"), cases[i].msg);
        api_free(&r);
    }
    api_call("POST", "/api/runs", tok, t, "{\"inputs\":", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert(strncmp(api_str(r.json, "error"), "Invalid JSON: ", 14) == 0);
    api_free(&r);
    big = malloc(1100 * 1024 + 64);
    strcpy(big, "{\"inputs\":{\"pad\":\"");
    memset(big + strlen(big), 'x', 1100 * 1024);
    strcpy(big + strlen("{\"inputs\":{\"pad\":\"") + 1100 * 1024, "\"}}");
    api_call("POST", "/api/runs", tok, t, big, &r);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(api_str(r.json, "error"), "Request body too large");
    api_free(&r);
    free(big);
    ck_assert_int_eq(runs_of(t), 0);
    free(tok);
}
END_TEST

START_TEST(test_wrong_content_type)
{
    struct api_resp r;
    char t[64], auth[2048], ten[128];
    char *tok = api_token(api_tenant("ctype", t, sizeof(t)), "u1", "analyst");
    const char *headers[4] = {auth, ten, "Content-Type: text/plain", NULL};

    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    snprintf(ten, sizeof(ten), "X-Tenant-ID: %s", t);
    api_call_raw("POST", "/api/runs", headers, "{\"inputs\":{}}", &r);
    ck_assert_int_eq(r.status, 415);
    ck_assert_str_eq(api_str(r.json, "error"), "Content-Type must be application/json");
    api_free(&r);
    ck_assert_int_eq(runs_of(t), 0);
    free(tok);
}
END_TEST

START_TEST(test_compute_stores_results)
{
    struct api_resp r;
    char t[64], path[128];
    char *tok = api_token(api_tenant("calc", t, sizeof(t)), "u1", "analyst");
    double ps;

    api_call("POST", "/api/runs", tok, t,
             "{\"inputs\":{\"use_defaults\":true,\"ticker\":\"msft\"},\"compute\":true,"
             "\"mc_settings\":{\"trials\":500,\"seedStr\":\"abc\"}}",
             &r);
    ck_assert_msg(r.status == 201, "%s", r.body);
    ps = json_real_value(api_get(r.json, "results.dcf.totals.per_share"));
    ck_assert_msg(fabs(ps - 10.6372) < 1e-4 * 10.6372, "per_share %f", ps);
    ck_assert_int_eq(api_int(r.json, "results.monte_carlo.stats.n"), 500);
    ck_assert_str_eq(api_str(r.json, "results.monte_carlo.stats.seed"), "abc");
    snprintf(path, sizeof(path), "/api/runs/%s", api_str(r.json, "run_id"));
    api_free(&r);
    api_call("GET", path, tok, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(api_str(r.json, "data.ticker"), "MSFT");
    ps = json_real_value(api_get(r.json, "data.results.dcf.totals.per_share"));
    ck_assert(fabs(ps - 10.6372) < 1e-4 * 10.6372);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.results.monte_carlo.histogram.edges")),
                     51);
    api_free(&r);
    free(tok);
}
END_TEST

static void create_run(const char *tok, const char *tenant, const char *ticker)
{
    struct api_resp r;
    char body[128];
    snprintf(body, sizeof(body), "{\"inputs\":{\"ticker\":\"%s\"}}", ticker);
    api_call("POST", "/api/runs", tok, tenant, body, &r);
    ck_assert_msg(r.status == 201, "%s", r.body);
    api_free(&r);
}

START_TEST(test_list_pagination)
{
    struct api_resp r;
    char t[64], ticker[16];
    char *tok = api_token(api_tenant("page", t, sizeof(t)), "u1", "analyst");

    for (int i = 0; i < 25; i++) {
        snprintf(ticker, sizeof(ticker), "T%02d", i);
        create_run(tok, t, ticker);
    }
    api_call("GET", "/api/runs?per_page=20", tok, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_true(api_get(r.json, "success")));
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.runs")), 20);
    ck_assert_int_eq(api_int(r.json, "data.pagination.page"), 1);
    ck_assert_int_eq(api_int(r.json, "data.pagination.per_page"), 20);
    ck_assert_int_eq(api_int(r.json, "data.pagination.total"), 25);
    ck_assert_int_eq(api_int(r.json, "data.pagination.pages"), 2);
    ck_assert(json_is_true(api_get(r.json, "data.pagination.has_next")));
    ck_assert(json_is_false(api_get(r.json, "data.pagination.has_prev")));
    ck_assert_int_eq(api_int(r.json, "data.pagination.next_num"), 2);
    ck_assert(json_is_null(api_get(r.json, "data.pagination.prev_num")));
    ck_assert_str_eq(api_str(r.json, "data.pagination.sort_by"), "created_at");
    ck_assert_str_eq(api_str(r.json, "data.pagination.sort_order"), "desc");
    ck_assert_str_eq(api_str(r.json, "data.runs.0.ticker"), "T24"); /* newest first */
    api_free(&r);

    api_call("GET", "/api/runs?per_page=20&page=2", tok, t, NULL, &r);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.runs")), 5);
    ck_assert(json_is_false(api_get(r.json, "data.pagination.has_next")));
    ck_assert(json_is_true(api_get(r.json, "data.pagination.has_prev")));
    ck_assert(json_is_null(api_get(r.json, "data.pagination.next_num")));
    ck_assert_int_eq(api_int(r.json, "data.pagination.prev_num"), 1);
    ck_assert_str_eq(api_str(r.json, "data.runs.4.ticker"), "T00");
    api_free(&r);

    api_call("GET", "/api/runs?page=9", tok, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.runs")), 0);
    ck_assert_int_eq(api_int(r.json, "data.pagination.total"), 25);
    api_free(&r);

    api_call("GET", "/api/runs?sort_by=ticker&sort_order=asc&per_page=3", tok, t, NULL, &r);
    ck_assert_str_eq(api_str(r.json, "data.runs.0.ticker"), "T00");
    ck_assert_str_eq(api_str(r.json, "data.runs.2.ticker"), "T02");
    ck_assert_str_eq(api_str(r.json, "data.pagination.sort_by"), "ticker");
    api_free(&r);
    api_call("GET", "/api/runs?sort_by=updated_at&sort_order=asc&per_page=1", tok, t, NULL, &r);
    ck_assert_str_eq(api_str(r.json, "data.runs.0.ticker"), "T00");
    api_free(&r);

    api_call("GET", "/api/runs?ticker=t07", tok, t, NULL, &r);
    ck_assert_int_eq(api_int(r.json, "data.pagination.total"), 1);
    ck_assert_str_eq(api_str(r.json, "data.runs.0.ticker"), "T07");
    api_free(&r);
    api_call("GET", "/api/runs?q=1", tok, t, NULL, &r); /* T01, T10..T19, T21 */
    ck_assert_int_eq(api_int(r.json, "data.pagination.total"), 12);
    api_free(&r);
    /* LIKE wildcards are literal */
    api_call("GET", "/api/runs?q=%25", tok, t, NULL, &r);
    ck_assert_int_eq(api_int(r.json, "data.pagination.total"), 0);
    api_free(&r);
    api_call("GET", "/api/runs?q=T_1", tok, t, NULL, &r);
    ck_assert_int_eq(api_int(r.json, "data.pagination.total"), 0);
    api_free(&r);
    free(tok);
}
END_TEST

START_TEST(test_list_query_validation)
{
    static const struct {
        const char *query, *field;
    } cases[] = {
        {"per_page=0", "per_page"}, {"per_page=101", "per_page"},   {"per_page=x", "per_page"},
        {"page=0", "page"},         {"sort_by=user_id", "sort_by"}, {"sort_order=up", "sort_order"},
        {"ticker=a%20b", "ticker"},
    };
    struct api_resp r;
    char t[64], path[128];
    char *tok = api_token(api_tenant("query", t, sizeof(t)), "u1", "viewer");

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), "/api/runs?%s", cases[i].query);
        api_call("GET", path, tok, t, NULL, &r);
        ck_assert_msg(r.status == 400, "%s → %ld", cases[i].query, r.status);
        ck_assert_str_eq(api_str(r.json, "error"), "ValidationError");
        ck_assert_str_eq(api_str(r.json, "details.0.field"), cases[i].field);
        api_free(&r);
    }
    api_call("GET", "/api/runs?per_page=100", tok, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(api_int(r.json, "data.pagination.pages"), 0);
    ck_assert(json_is_false(api_get(r.json, "data.pagination.has_next")));
    api_free(&r);
    free(tok);
}
END_TEST

START_TEST(test_other_tenants_invisible)
{
    struct api_resp r;
    char ta[64], tb[64], path[128];
    char *a = api_token(api_tenant("ta", ta, sizeof(ta)), "ua", "admin");
    char *b = api_token(api_tenant("tb", tb, sizeof(tb)), "ub", "admin");

    api_call("POST", "/api/runs", a, ta, "{\"inputs\":{\"ticker\":\"SECRET\"}}", &r);
    snprintf(path, sizeof(path), "/api/runs/%s", api_str(r.json, "run_id"));
    api_free(&r);

    api_call("GET", "/api/runs", b, tb, NULL, &r);
    ck_assert_int_eq(api_int(r.json, "data.pagination.total"), 0);
    api_free(&r);
    api_call("GET", "/api/runs/last", b, tb, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    api_free(&r);
    api_call("GET", path, b, tb, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(api_str(r.json, "error"), "Run not found");
    api_free(&r);
    api_call("DELETE", path, b, tb, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(api_str(r.json, "error"), "Run not found");
    api_free(&r);
    ck_assert_int_eq(runs_of(ta), 1);
    /* the tenant header cannot be used to reach A's data with B's token */
    api_call("GET", path, b, ta, NULL, &r);
    ck_assert_int_eq(r.status, 403);
    api_free(&r);
    /* malformed ids are simply not found */
    api_call("GET", "/api/runs/not-a-uuid", a, ta, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(api_str(r.json, "error"), "Run not found");
    api_free(&r);
    api_call("DELETE", "/api/runs/'%20OR%201=1--", a, ta, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    api_free(&r);
    ck_assert_int_eq(runs_of(ta), 1);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_events_through_outbox)
{
    struct api_resp r;
    char t[64], run_id[64], path[128];
    char *tok = api_token(api_tenant("events", t, sizeof(t)), "u1", "analyst");
    long sent = 0;

    api_call("POST", "/api/runs", tok, t, "{\"inputs\":{\"ticker\":\"EVT\"}}", &r);
    ck_assert_int_eq(r.status, 201);
    snprintf(run_id, sizeof(run_id), "%s", api_str(r.json, "run_id"));
    api_free(&r);
    ck_assert_int_eq(api_count("SELECT count(*) FROM outbox WHERE type = 'run.created' AND "
                               "payload->>'entity_id' = $1 AND payload->>'tenant' = $2",
                               run_id, t),
                     1);
    for (int i = 0; i < 50 && sent == 0; i++) {
        sent = api_count("SELECT count(*) FROM outbox WHERE payload->>'entity_id' = $1 AND "
                         "sent_at IS NOT NULL",
                         run_id, NULL);
        if (sent == 0)
            usleep(100 * 1000);
    }
    ck_assert_msg(sent == 1, "run.created not sent within 5 s");

    snprintf(path, sizeof(path), "/api/runs/%s", run_id);
    api_call("DELETE", path, tok, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    api_free(&r);
    ck_assert_int_eq(api_count("SELECT count(*) FROM outbox WHERE type = 'run.deleted' AND "
                               "payload->>'entity_id' = $1 AND payload->>'user_id' = $2",
                               run_id, "u1"),
                     1);
    free(tok);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-runs runs API");
    TCase *tc = tcase_create("runs");
    int rc;

    api_schema(); /* fixed in the parent, before check forks */
    api_drop_schema();
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_auth_is_required);
    tcase_add_test(tc, test_viewer_refused_on_writes);
    tcase_add_test(tc, test_create_get_last_delete);
    tcase_add_test(tc, test_bad_bodies_write_nothing);
    tcase_add_test(tc, test_wrong_content_type);
    tcase_add_test(tc, test_compute_stores_results);
    tcase_add_test(tc, test_list_pagination);
    tcase_add_test(tc, test_list_query_validation);
    tcase_add_test(tc, test_other_tenants_invisible);
    tcase_add_test(tc, test_events_through_outbox);
    suite_add_tcase(s, tc);
    rc = tu_run(s);
    api_drop_schema();
    return rc;
}
