/* bus: JetStream publish and the transactional outbox, each test against its
 * OWN nats-server (free port, temp store dir) that it stops and restarts, and
 * the real PostgreSQL of the test stack (DATABASE_URL). */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "valor/bus.h"
#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/metrics.h"

/* ---- helpers: nats-server ---- */

struct nats_srv {
    int port;
    pid_t pid;
    char dir[96];
    char url[64];
};

/* Every server's store lives under this directory, made and removed by
 * main() (the parent of the forked tests), so a failed test leaves nothing. */
static char tmp_root[64];

/* Like tu_spawn, but the server gets SIGTERM when this (forked) test process
 * dies: a failed check leaves with _exit(), skipping every cleanup. */
static pid_t spawn_tied(char *const argv[], const char *logfile)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if (in >= 0)
        dup2(in, 0);
    execvp(argv[0], argv);
    _exit(127);
}

static void nats_init(struct nats_srv *n)
{
    memset(n, 0, sizeof(*n));
    n->port = tu_free_port();
    ck_assert_int_gt(n->port, 0);
    snprintf(n->dir, sizeof(n->dir), "%s/nats-XXXXXX", tmp_root);
    ck_assert_ptr_nonnull(mkdtemp(n->dir));
    snprintf(n->url, sizeof(n->url), "nats://127.0.0.1:%d", n->port);
}

static void nats_start(struct nats_srv *n)
{
    char port[16], log[128];
    snprintf(port, sizeof(port), "%d", n->port);
    snprintf(log, sizeof(log), "%s/nats.log", n->dir);
    char *argv[] = {"nats-server", "-a", "127.0.0.1", "-p", port, "-js", "-sd", n->dir, NULL};
    n->pid = spawn_tied(argv, log);
    ck_assert_int_gt(n->pid, 0);
    ck_assert_msg(tu_wait_port(n->port, 10000) == 0, "nats-server did not start on %d", n->port);
}

static void nats_stop(struct nats_srv *n)
{
    tu_stop(n->pid, SIGTERM);
    n->pid = 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void nats_cleanup(struct nats_srv *n)
{
    if (n->pid > 0)
        nats_stop(n);
    nftw(n->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wait_connected(struct bus *b, double max_s)
{
    double end = now_s() + max_s;
    while (!bus_connected(b) && now_s() < end)
        usleep(20 * 1000);
    ck_assert_msg(bus_connected(b), "bus did not connect within %.0f s", max_s);
}

/* Messages in the stream (waits for the stream to exist); -1 if it does not. */
static long stream_msgs(struct bus *b, double max_s)
{
    double end = now_s() + max_s;
    do {
        jsStreamInfo *si = NULL;
        jsErrCode jerr = 0;
        if (bus_js(b) && js_GetStreamInfo(&si, bus_js(b), BUS_STREAM, NULL, &jerr) == NATS_OK) {
            long n = (long)si->State.Msgs;
            jsStreamInfo_Destroy(si);
            return n;
        }
        usleep(50 * 1000);
    } while (now_s() < end);
    return -1;
}

static struct bus *open_bus(const struct nats_srv *n)
{
    struct bus *b = NULL;
    struct bus_opts o = {.url = n->url, .name = "test_bus", .connect_timeout_ms = 500};
    ck_assert_int_eq(bus_open(&o, &b), VALOR_OK);
    ck_assert_ptr_nonnull(b);
    return b;
}

/* ---- helpers: PostgreSQL ---- */

static char schema[64];
static char *outbox_sql;

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static long admin_long(const char *sql)
{
    PGconn *pg = PQconnectdb(tu_env("DATABASE_URL"));
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "admin connect: %s", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, quiet, NULL);
    PGresult *r = PQexec(pg, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
                  "%s: %s", sql, PQerrorMessage(pg));
    long v = PQntuples(r) > 0 ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    PQfinish(pg);
    return v;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    fclose(f);
    return s;
}

static struct db_pool *setup_db(void)
{
    struct db_pool *pool = NULL;
    snprintf(schema, sizeof(schema), "t_bus_%d", (int)getpid());
    outbox_sql = read_file("common/migrations/000_outbox.sql");
    const struct db_migration migs[] = {{"000_outbox.sql", outbox_sql}};
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, migs, 1, 2000), VALOR_OK);
    struct db_pool_opts o = {.url = tu_env("DATABASE_URL"), .schema = schema};
    ck_assert_int_eq(db_pool_new(&o, &pool), VALOR_OK);
    return pool;
}

static void teardown_db(struct db_pool *pool)
{
    char sql[128];
    db_pool_free(pool);
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    admin_long(sql);
    free(outbox_sql);
    outbox_sql = NULL;
}

static long outbox_count(const char *where)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.outbox WHERE %s", schema, where);
    return admin_long(sql);
}

/* Adds one event in its own committed (or rolled back) transaction. */
static void add_event(struct db_pool *pool, const char *type, int commit, char id[37])
{
    struct db_conn *c = NULL;
    json_t *data = json_pack("{s:s, s:i}", "name", "Q3 model", "years", 5);
    struct bus_event ev = {.type = type,
                           .tenant = "acme",
                           .user_id = "u-1",
                           .entity_id = "e-1",
                           .request_id = NULL,
                           .data = data};
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    ck_assert_int_eq(db_begin(c), VALOR_OK);
    ck_assert_int_eq(bus_outbox_add(c, &ev, id), VALOR_OK);
    ck_assert_int_eq(commit ? db_commit(c) : db_rollback(c), VALOR_OK);
    db_release(c);
    json_decref(data);
}

static double wait_unsent_zero(double max_s)
{
    double t0 = now_s(), end = t0 + max_s;
    while (outbox_count("sent_at IS NULL") != 0 && now_s() < end)
        usleep(50 * 1000);
    return now_s() - t0;
}

/* Sum of events_published_total over every type in reg's rendering. */
static long published_total(struct metrics_registry *reg)
{
    char *text = NULL;
    size_t len = 0;
    long sum = 0;
    ck_assert_int_eq(metrics_render(reg, &text, &len), VALOR_OK);
    for (char *line = strstr(text, "\nevents_published_total{"); line;
         line = strstr(line + 1, "\nevents_published_total{")) {
        char *sp = strchr(strchr(line, '}'), ' ');
        sum += strtol(sp + 1, NULL, 10);
    }
    free(text);
    return sum;
}

/* ---- negative cases ---- */

START_TEST(test_publish_without_server_unavailable)
{
    struct nats_srv n;
    nats_init(&n);
    double t0 = now_s();
    struct bus *b = open_bus(&n); /* nothing listens: must not block */
    ck_assert_double_lt(now_s() - t0, 1.0);
    ck_assert_int_eq(bus_connected(b), 0);
    ck_assert_ptr_null(bus_nats(b));
    ck_assert_ptr_null(bus_js(b));
    t0 = now_s();
    ck_assert_int_eq(bus_publish(b, "valor.events.acme.run.created", "id-1", "{}", 2, 300),
                     VALOR_E_UNAVAILABLE);
    ck_assert_double_lt(now_s() - t0, 0.5);
    bus_close(b);
    nats_cleanup(&n);
}
END_TEST

START_TEST(test_outbox_add_rejects_bad_input)
{
    struct db_pool *pool = setup_db();
    struct db_conn *c = NULL;
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    const char *bad_types[] = {"",         "run",  "Run.created",  "run.created.x", "run-x.created",
                               ".created", "run.", "run.created>", "run.*"};
    for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
        struct bus_event ev = {.type = bad_types[i], .tenant = "acme"};
        ck_assert_int_eq(bus_outbox_add(c, &ev, NULL), VALOR_E_INVALID);
    }
    const char *bad_tenants[] = {
        "",      "-acme",
        "Acme",  "ac.me",
        "ac me", "acme>",
        NULL,    "a234567890123456789012345678901234567890123456789012345678901234"};
    for (size_t i = 0; i < sizeof(bad_tenants) / sizeof(bad_tenants[0]); i++) {
        struct bus_event ev = {.type = "run.created", .tenant = bad_tenants[i]};
        ck_assert_int_eq(bus_outbox_add(c, &ev, NULL), VALOR_E_INVALID);
    }
    ck_assert_int_eq(outbox_count("true"), 0);

    /* a good one: subject, payload fields, id */
    char id[CRYPTO_UUID_LEN];
    struct bus_event ev = {.type = "lbo_run.created", .tenant = "acme-2", .entity_id = "r-9"};
    ck_assert_int_eq(bus_outbox_add(c, &ev, id), VALOR_OK);
    ck_assert(crypto_is_uuid(id));
    PGresult *r = NULL;
    const char *v[] = {id};
    ck_assert_int_eq(
        db_exec(c, "SELECT subject, type, payload::text FROM outbox WHERE event_id = $1", 1, v, &r),
        VALOR_OK);
    ck_assert_int_eq(PQntuples(r), 1);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "valor.events.acme-2.lbo_run.created");
    ck_assert_str_eq(PQgetvalue(r, 0, 1), "lbo_run.created");
    json_t *p = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(json_string_value(json_object_get(p, "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(p, "tenant")), "acme-2");
    ck_assert_str_eq(json_string_value(json_object_get(p, "entity_id")), "r-9");
    ck_assert(json_is_null(json_object_get(p, "user_id")));
    ck_assert(json_is_object(json_object_get(p, "data")));
    const char *at = json_string_value(json_object_get(p, "occurred_at"));
    ck_assert_ptr_nonnull(at);
    ck_assert_int_eq(strlen(at), 24); /* 2024-05-01T12:34:56.789Z */
    ck_assert_int_eq(at[23], 'Z');
    ck_assert_int_eq(at[19], '.');
    json_decref(p);
    PQclear(r);
    db_release(c);
    teardown_db(pool);
}
END_TEST

/* ---- positive cases ---- */

START_TEST(test_publish_with_ack_and_dedup)
{
    struct nats_srv n;
    nats_init(&n);
    nats_start(&n);
    struct bus *b = open_bus(&n);
    wait_connected(b, 5);
    ck_assert_ptr_nonnull(bus_nats(b));
    ck_assert_int_eq(stream_msgs(b, 5), 0); /* created by bus_open once connected */

    jsStreamInfo *si = NULL;
    ck_assert_int_eq(js_GetStreamInfo(&si, bus_js(b), BUS_STREAM, NULL, NULL), NATS_OK);
    ck_assert_int_eq(si->Config->SubjectsLen, 1);
    ck_assert_str_eq(si->Config->Subjects[0], "valor.events.>");
    ck_assert_int_eq(si->Config->Storage, js_FileStorage);
    ck_assert(si->Config->Duplicates == 120LL * 1000000000LL);
    jsStreamInfo_Destroy(si);

    const char *subj = "valor.events.acme.run.created";
    ck_assert_int_eq(bus_publish(b, subj, "m-1", "{\"a\":1}", 7, 2000), VALOR_OK);
    ck_assert_int_eq(bus_publish(b, subj, "m-1", "{\"a\":1}", 7, 2000), VALOR_OK); /* dup ack */
    ck_assert_int_eq(bus_publish(b, subj, "m-2", "{\"a\":2}", 7, 2000), VALOR_OK);
    ck_assert_int_eq(stream_msgs(b, 1), 2);
    /* a subject outside the stream is never acked */
    ck_assert_int_eq(bus_publish(b, "other.subject", "m-3", "x", 1, 500), VALOR_E_UNAVAILABLE);

    /* server gone: fails within the timeout */
    nats_stop(&n);
    double t0 = now_s();
    ck_assert_int_eq(bus_publish(b, subj, "m-4", "{}", 2, 500), VALOR_E_UNAVAILABLE);
    ck_assert_double_lt(now_s() - t0, 0.8);
    bus_close(b);
    nats_cleanup(&n);
}
END_TEST

/* The acceptance test of platform.md §3: nothing is lost, nothing doubled. */
START_TEST(test_outbox_survives_nats_outage)
{
    struct nats_srv n;
    struct db_pool *pool = setup_db();
    struct bus_publisher *pub = NULL;
    char id[CRYPTO_UUID_LEN], sql[256];

    nats_init(&n); /* not started yet */
    struct bus *b = open_bus(&n);
    add_event(pool, "run.created", 1, id);
    ck_assert_int_eq(bus_publisher_start(b, pool, NULL, &pub), VALOR_OK);
    bus_publisher_kick(pub);
    usleep(800 * 1000);
    ck_assert_int_eq(outbox_count("sent_at IS NULL"), 1);
    ck_assert_int_eq(bus_publisher_pending(pub), 1);

    nats_start(&n);
    double took = wait_unsent_zero(10);
    ck_assert_msg(took < 10, "outbox row not sent %.1f s after NATS came back", took);
    ck_assert_int_eq(stream_msgs(b, 3), 1);

    /* exactly that event, with its id as the message id */
    natsMsg *m = NULL;
    const char *hdr = NULL;
    ck_assert_int_eq(
        js_GetLastMsg(&m, bus_js(b), BUS_STREAM, "valor.events.acme.run.created", NULL, NULL),
        NATS_OK);
    ck_assert_int_eq(natsMsgHeader_Get(m, "Nats-Msg-Id", &hdr), NATS_OK);
    ck_assert_str_eq(hdr, id);
    json_t *got = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(json_string_value(json_object_get(got, "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(got, "type")), "run.created");
    ck_assert_str_eq(json_string_value(json_object_get(got, "tenant")), "acme");
    ck_assert_str_eq(json_string_value(json_object_get(got, "user_id")), "u-1");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "data"), "name")),
                     "Q3 model");
    json_decref(got);
    natsMsg_Destroy(m);

    /* restart NATS on the same store: still once, and not re-sent */
    snprintf(sql, sizeof(sql), "SELECT extract(epoch FROM sent_at) * 1000000 FROM %s.outbox",
             schema);
    long sent_at = admin_long(sql);
    nats_stop(&n);
    nats_start(&n);
    wait_connected(b, 10);
    usleep(600 * 1000);
    ck_assert_int_eq(stream_msgs(b, 3), 1);
    ck_assert_int_eq(admin_long(sql), sent_at);
    ck_assert_int_eq(outbox_count("attempts = 0 AND sent_at IS NOT NULL"), 1);
    ck_assert_int_eq(bus_publisher_pending(pub), 0);

    bus_publisher_stop(pub);
    bus_close(b);
    nats_cleanup(&n);
    teardown_db(pool);
}
END_TEST

START_TEST(test_rolled_back_event_never_published)
{
    struct nats_srv n;
    struct db_pool *pool = setup_db();
    struct bus_publisher *pub = NULL;
    char gone[CRYPTO_UUID_LEN], kept[CRYPTO_UUID_LEN];

    nats_init(&n);
    nats_start(&n);
    struct bus *b = open_bus(&n);
    ck_assert_int_eq(bus_publisher_start(b, pool, NULL, &pub), VALOR_OK);
    add_event(pool, "scenario.deleted", 0, gone);
    add_event(pool, "scenario.saved", 1, kept);
    bus_publisher_kick(pub);
    ck_assert_double_lt(wait_unsent_zero(10), 10);
    ck_assert_int_eq(outbox_count("true"), 1);
    ck_assert_int_eq(stream_msgs(b, 3), 1);
    natsMsg *m = NULL;
    const char *hdr = NULL;
    ck_assert_int_eq(js_GetMsg(&m, bus_js(b), BUS_STREAM, 1, NULL, NULL), NATS_OK);
    ck_assert_int_eq(natsMsgHeader_Get(m, "Nats-Msg-Id", &hdr), NATS_OK);
    ck_assert_str_eq(hdr, kept);
    ck_assert_str_eq(natsMsg_GetSubject(m), "valor.events.acme.scenario.saved");
    natsMsg_Destroy(m);
    bus_publisher_stop(pub);
    bus_close(b);
    nats_cleanup(&n);
    teardown_db(pool);
}
END_TEST

/* A publisher that died after the JetStream ack but before marking the row
 * sent: the resend carries the same message id and JetStream drops it. */
START_TEST(test_resend_after_crash_is_deduplicated)
{
    struct nats_srv n;
    struct db_pool *pool = setup_db();
    struct bus_publisher *pub = NULL;
    struct db_conn *c = NULL;
    PGresult *r = NULL;
    char id[CRYPTO_UUID_LEN];

    nats_init(&n);
    nats_start(&n);
    struct bus *b = open_bus(&n);
    wait_connected(b, 5);
    add_event(pool, "note.updated", 1, id);
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    ck_assert_int_eq(db_exec(c, "SELECT subject, payload::text FROM outbox", 0, NULL, &r),
                     VALOR_OK);
    const char *payload = PQgetvalue(r, 0, 1);
    ck_assert_int_eq(bus_publish(b, PQgetvalue(r, 0, 0), id, payload, strlen(payload), 2000),
                     VALOR_OK);
    PQclear(r);
    db_release(c);
    ck_assert_int_eq(stream_msgs(b, 3), 1);
    ck_assert_int_eq(outbox_count("sent_at IS NULL"), 1);

    ck_assert_int_eq(bus_publisher_start(b, pool, NULL, &pub), VALOR_OK);
    ck_assert_double_lt(wait_unsent_zero(10), 10);
    ck_assert_int_eq(stream_msgs(b, 3), 1);
    bus_publisher_stop(pub);
    bus_close(b);
    nats_cleanup(&n);
    teardown_db(pool);
}
END_TEST

#define NEVENTS 240

START_TEST(test_two_publishers_publish_each_once)
{
    struct nats_srv n;
    struct db_pool *pool = setup_db();
    struct bus_publisher *p1 = NULL, *p2 = NULL;
    struct metrics_registry *r1 = metrics_registry_new(), *r2 = metrics_registry_new();
    char id[CRYPTO_UUID_LEN];
    struct db_conn *c = NULL;

    nats_init(&n);
    nats_start(&n);
    struct bus *b1 = open_bus(&n), *b2 = open_bus(&n);
    wait_connected(b1, 5);
    wait_connected(b2, 5);
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    for (int i = 0; i < NEVENTS; i += 20) {
        ck_assert_int_eq(db_begin(c), VALOR_OK);
        for (int j = 0; j < 20; j++) {
            struct bus_event ev = {.type = (j % 2) ? "run.created" : "run.deleted",
                                   .tenant = "acme"};
            ck_assert_int_eq(bus_outbox_add(c, &ev, id), VALOR_OK);
        }
        ck_assert_int_eq(db_commit(c), VALOR_OK);
    }
    db_release(c);
    ck_assert_int_eq(bus_publisher_start(b1, pool, r1, &p1), VALOR_OK);
    ck_assert_int_eq(bus_publisher_start(b2, pool, r2, &p2), VALOR_OK);
    ck_assert_double_lt(wait_unsent_zero(15), 15);
    ck_assert_int_eq(stream_msgs(b1, 3), NEVENTS);
    bus_publisher_stop(p1);
    bus_publisher_stop(p2);
    /* acknowledged publishes, duplicates included: each event exactly once */
    ck_assert_int_eq(published_total(r1) + published_total(r2), NEVENTS);
    ck_assert_int_eq(outbox_count("attempts = 0"), NEVENTS);
    metrics_registry_free(r1);
    metrics_registry_free(r2);
    bus_close(b1);
    bus_close(b2);
    nats_cleanup(&n);
    teardown_db(pool);
}
END_TEST

static Suite *bus_suite(void)
{
    Suite *s = suite_create("bus");
    TCase *neg = tcase_create("negative");
    tcase_set_timeout(neg, 30);
    tcase_add_test(neg, test_publish_without_server_unavailable);
    tcase_add_test(neg, test_outbox_add_rejects_bad_input);
    suite_add_tcase(s, neg);
    TCase *pos = tcase_create("jetstream_outbox");
    tcase_set_timeout(pos, 60);
    tcase_add_test(pos, test_publish_with_ack_and_dedup);
    tcase_add_test(pos, test_outbox_survives_nats_outage);
    tcase_add_test(pos, test_rolled_back_event_never_published);
    tcase_add_test(pos, test_resend_after_crash_is_deduplicated);
    tcase_add_test(pos, test_two_publishers_publish_each_once);
    suite_add_tcase(s, pos);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/valor-bus-XXXXXX");
    if (mkdtemp(tmp_root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    int rc = tu_run(bus_suite());
    nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
