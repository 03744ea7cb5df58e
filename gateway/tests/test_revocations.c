/* The gateway's local revocation set, fed by session.revoked on NATS (a real
 * nats-server with JetStream, the test stack's):
 *  - a revocation Redis never heard of is refused within seconds of its event;
 *  - one published before the gateway started is replayed from the stream;
 *  - 100,000 entries cost at most 16 MiB of RSS. */
#include <stdio.h>

#include "gwtest.h"
#include "valor/bus.h"
#include "valor/clock.h"
#include "valor/crypto.h"

static struct gw *gw;
static int port;
static struct bus *bus;
static struct gwt_upstream up = {"runs", NULL, 0};
static char tenant[64];

static void open_bus(void)
{
    struct bus_opts o = {.url = tu_env("NATS_URL"), .name = "gateway-test"};
    ck_assert_int_eq(bus_open(&o, &bus), VALOR_OK);
    double t0 = clock_mono_ms();
    while (!bus_connected(bus) && clock_mono_ms() - t0 < 30000)
        usleep(20 * 1000);
    ck_assert_msg(bus_connected(bus), "NATS did not connect");
}

static void start_gateway(void)
{
    ck_assert_int_eq(gw_start(&gw), VALOR_OK);
    port = gw_port(gw);
}

static void setup(void)
{
    snprintf(tenant, sizeof(tenant), "rv-%d", (int)getpid());
    gwt_upstream_start(&up, 0);
    gwt_env(up.port);
    setenv("RATE_LIMIT_API", "100000/60", 1);
    /* whatever the stack's stream already holds, only this test's events count */
    setenv("REVOCATION_REPLAY_S", "60", 1);
    setenv("REVOCATION_LOCAL_MAX", "1000000", 1);
    open_bus();
}

static void teardown(void)
{
    gw_stop(gw);
    gw = NULL;
    bus_close(bus);
    gwt_upstream_stop(&up);
}

/* Publishes one session.revoked event of `tenant` listing the n jtis (all
 * expiring in an hour), as svc-auth's outbox would. */
static void publish_revoked(char (*jtis)[CRYPTO_UUID_LEN], size_t n)
{
    json_t *tokens = json_array();
    long long exp = (long long)time(NULL) + 3600;
    char id[CRYPTO_UUID_LEN], subject[160];

    for (size_t i = 0; i < n; i++)
        json_array_append_new(tokens, json_pack("{s:s, s:I}", "jti", jtis[i], "exp", exp));
    ck_assert_int_eq(crypto_uuid4(id), VALOR_OK);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:n, s:n, s:n, s:s, s:{s:s, s:i, s:o}}", "id", id,
                           "type", "session.revoked", "tenant", tenant, "user_id", "entity_id",
                           "request_id", "occurred_at", "2026-12-02T00:00:00.000Z", "data",
                           "reason", "logout", "sessions", 1, "revoked_tokens", tokens);
    char *text = json_dumps(ev, JSON_COMPACT);
    snprintf(subject, sizeof(subject), "%s.%s.session.revoked", BUS_SUBJECT_PREFIX, tenant);
    ck_assert_int_eq(bus_publish(bus, subject, id, text, strlen(text), 10000), VALOR_OK);
    free(text);
    json_decref(ev);
}

static long get_runs(const char *token)
{
    char a[1200], t[128];
    const char *h[] = {a, t, NULL};
    struct tu_http_resp r;
    snprintf(a, sizeof(a), "Authorization: Bearer %s", token);
    snprintf(t, sizeof(t), "X-Tenant-ID: %s", tenant);
    json_decref(gwt_call(port, "GET", "/api/runs", h, NULL, &r));
    long status = r.status;
    tu_http_resp_free(&r);
    return status;
}

/* Waits up to 30 s for token to be refused; the time it took, or -1. */
static double await_refused(const char *token)
{
    double t0 = clock_mono_ms();
    while (clock_mono_ms() - t0 < 30000) {
        if (get_runs(token) == 401)
            return clock_mono_ms() - t0;
        usleep(10 * 1000);
    }
    return -1;
}

static char *new_token(char jti[CRYPTO_UUID_LEN])
{
    ck_assert_int_eq(crypto_uuid4(jti), VALOR_OK);
    return gwt_token(tenant, "7", "analyst", NULL, NULL, NULL, 600, jti);
}

START_TEST(test_event_revokes_without_redis)
{
    char jti[1][CRYPTO_UUID_LEN];
    char *token = new_token(jti[0]);

    start_gateway();
    ck_assert_int_eq(get_runs(token), 200);
    publish_revoked(jti, 1);
    double ms = await_refused(token);
    ck_assert_msg(ms >= 0, "the revoked token was still accepted after 30 s");
    printf("refused %.0f ms after the event was published\n", ms);
    ck_assert_double_ge(tu_metric(port, "revocations_local "), 1);
    free(token);
}
END_TEST

START_TEST(test_revocation_before_start_is_replayed)
{
    char jti[1][CRYPTO_UUID_LEN];
    char *token = new_token(jti[0]);

    publish_revoked(jti, 1);
    start_gateway(); /* replays the stream's session.revoked of REVOCATION_REPLAY_S */
    ck_assert_msg(await_refused(token) >= 0, "a revocation from before the start was not replayed");
    free(token);
}
END_TEST

static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kib;
}

START_TEST(test_100000_entries_within_16_mib)
{
    enum { BATCH = 1000, EVENTS = 100 };
    static char jtis[BATCH][CRYPTO_UUID_LEN];
    char sentinel[1][CRYPTO_UUID_LEN];
    char *token = new_token(sentinel[0]);

    start_gateway();
    /* the stream is delivered in order: once a sentinel published now is
     * refused, everything published before it (replayed at start) is in */
    publish_revoked(sentinel, 1);
    ck_assert_msg(await_refused(token) >= 0, "the sentinel revocation never arrived");
    free(token);
    double before_n = tu_metric(port, "revocations_local ");
    long before = rss_kib();
    for (int e = 0; e < EVENTS; e++) {
        for (int i = 0; i < BATCH; i++)
            ck_assert_int_eq(crypto_uuid4(jtis[i]), VALOR_OK);
        publish_revoked(jtis, BATCH);
    }
    /* the last one refused: all 100,000 are in */
    token = gwt_token(tenant, "7", "analyst", NULL, NULL, NULL, 600, jtis[BATCH - 1]);
    ck_assert_msg(await_refused(token) >= 0, "the last of 100,000 revocations never arrived");
    free(token);
    double got = tu_metric(port, "revocations_local ");
    long grew = rss_kib() - before;
    printf("100,000 local revocations: RSS +%ld KiB (%.0f → %.0f entries)\n", grew, before_n, got);
    ck_assert_msg(got - before_n == (double)EVENTS * BATCH, "%.0f entries added, want %d",
                  got - before_n, EVENTS * BATCH);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    (void)grew; /* the sanitizers' quarantine and shadow memory: RSS says nothing */
#else
    ck_assert_msg(grew <= 16 * 1024, "RSS grew by %ld KiB with 100,000 entries", grew);
#endif
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway revocations");
    TCase *tc = tcase_create("revocations");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_event_revokes_without_redis);
    tcase_add_test(tc, test_revocation_before_start_is_replayed);
    tcase_add_test(tc, test_100000_entries_within_16_mib);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
