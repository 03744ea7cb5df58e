/* The audit consumer against its OWN nats-server (free port, temp store):
 * the service starts while NATS is down, and events written meanwhile reach
 * the audit trail once NATS comes up; a NATS restart is survived the same way. */
#include "auth_testlib.h"

#include <ftw.h>
#include <signal.h>

static char nats_dir[96];
static char nats_url[64];
static char nats_port_s[16];
static pid_t nats_pid = -1;

static void nats_up(void)
{
    char log[160];
    snprintf(log, sizeof(log), "%s/nats.log", nats_dir);
    char *argv[] = {"nats-server", "-a",  "127.0.0.1", "-p", nats_port_s,
                    "-js",         "-sd", nats_dir,    NULL};
    nats_pid = tu_spawn(argv, log);
    ck_assert_int_gt(nats_pid, 0);
    ck_assert_msg(tu_wait_port(atoi(nats_port_s), 10000) == 0, "nats-server did not start");
}

static void nats_down(void)
{
    tu_stop(nats_pid, SIGTERM);
    nats_pid = -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    int port = tu_free_port();
    ck_assert_int_gt(port, 0);
    snprintf(nats_port_s, sizeof(nats_port_s), "%d", port);
    snprintf(nats_url, sizeof(nats_url), "nats://127.0.0.1:%d", port);
    snprintf(nats_dir, sizeof(nats_dir), "/tmp/valor-auth-nats-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(nats_dir));
    setenv("NATS_URL", nats_url, 1); /* nothing listens there yet */
    at_start();
}

static void teardown(void)
{
    at_stop();
    if (nats_pid > 0)
        nats_down();
    nftw(nats_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Polls the audit trail (up to 30 s) until `n` user.registered events show. */
static void await_registered(const struct at_account *admin, size_t n)
{
    size_t found = 0;
    for (int i = 0; i < 300 && found < n; i++) {
        struct at_resp r;
        json_t *e;
        size_t k;
        at_req("GET", "/api/audit", admin->access, NULL, &r);
        ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
        found = 0;
        json_array_foreach(json_object_get(r.json, "events"), k, e)
        {
            found += strcmp(json_string_value(json_object_get(e, "type")), "user.registered") == 0;
        }
        at_free(&r);
        if (found < n)
            usleep(100 * 1000);
    }
    ck_assert_msg(found == n, "%zu of %zu user.registered events in the audit trail", found, n);
}

START_TEST(test_consumer_waits_for_nats_and_survives_a_restart)
{
    struct at_account admin, m;
    /* NATS is down: the service runs and writes go to the outbox */
    at_register("nd", &admin);
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND "
                              "payload->>'tenant' = '%s'",
                              admin.tenant),
                     1);
    nats_up();
    await_registered(&admin, 1);

    /* down again, a member created meanwhile, then back (same store) */
    nats_down();
    at_member(&admin, "viewer", &m);
    nats_up();
    await_registered(&admin, 2);
    ck_assert_int_eq(
        at_count("SELECT count(*) FROM audit_events WHERE tenant = '%s'", admin.tenant), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-auth audit consumer and NATS outages");
    TCase *tc = tcase_create("nats");
    int rc;

    at_init_schema("c");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_consumer_waits_for_nats_and_survives_a_restart);
    suite_add_tcase(s, tc);
    rc = tu_run(s);
    at_drop_schema();
    return rc;
}
