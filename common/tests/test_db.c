/* db: pool, error mapping, reconnect and migrations against the real
 * PostgreSQL of the test stack (DATABASE_URL). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/log.h"

static char schema[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* A plain libpq connection outside the pool, for checks and setup. */
static PGconn *admin(void)
{
    PGconn *pg = PQconnectdb(tu_env("DATABASE_URL"));
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "admin connect: %s", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, quiet, NULL);
    return pg;
}

static void admin_sql(const char *sql)
{
    PGconn *pg = admin();
    PGresult *r = PQexec(pg, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                  "%s: %s", sql, PQerrorMessage(pg));
    PQclear(r);
    PQfinish(pg);
}

/* First column of the first row of sql, as a long (-1 when no row). */
static long admin_long(const char *sql)
{
    PGconn *pg = admin();
    PGresult *r = PQexec(pg, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(pg));
    long v = PQntuples(r) > 0 ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    PQfinish(pg);
    return v;
}

static void new_schema(void)
{
    static int seq;
    snprintf(schema, sizeof(schema), "t_db_%d_%d", (int)getpid(), ++seq);
}

static void drop_schema(void)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    admin_sql(sql);
}

static const struct db_migration base_migs[] = {
    {"001_items.sql", "CREATE TABLE items(id serial PRIMARY KEY, name text NOT NULL UNIQUE, "
                      "qty int NOT NULL CHECK (qty >= 0));"},
};

static const struct db_stmt stmts[] = {
    {"item_add", "INSERT INTO items(name, qty) VALUES ($1, $2::int) RETURNING id"},
    {"item_count", "SELECT count(*) FROM items"},
    {"backend_pid", "SELECT pg_backend_pid()"},
};

static struct db_pool *setup_pool(void)
{
    struct db_pool *pool = NULL;
    new_schema();
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, base_migs, 1, 2000), VALOR_OK);
    struct db_pool_opts o = {.url = tu_env("DATABASE_URL"),
                             .schema = schema,
                             .stmts = stmts,
                             .nstmts = sizeof(stmts) / sizeof(stmts[0])};
    ck_assert_int_eq(db_pool_new(&o, &pool), VALOR_OK);
    return pool;
}

static int backend_pid(struct db_conn *c)
{
    PGresult *r = NULL;
    ck_assert_int_eq(db_exec(c, "backend_pid", 0, NULL, &r), VALOR_OK);
    int pid = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return pid;
}

/* ---- captured log lines (log.c writes each line to fd 1 with one write) ---- */

static int saved_stdout = -1;
static char capture_path[64];

static void capture_start(void)
{
    int fd;
    fflush(stdout);
    snprintf(capture_path, sizeof(capture_path), "/tmp/valor-test-db-%d.log", (int)getpid());
    fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    saved_stdout = dup(STDOUT_FILENO);
    ck_assert_int_ge(saved_stdout, 0);
    ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
    close(fd);
}

/* Restores stdout; returns what was written meanwhile (caller frees). */
static char *capture_end(void)
{
    FILE *f;
    char *buf = calloc(1, 65536);
    ck_assert_ptr_nonnull(buf);
    log_flush(); /* what is still batched belongs to this capture */
    ck_assert_int_ge(dup2(saved_stdout, STDOUT_FILENO), 0);
    close(saved_stdout);
    f = fopen(capture_path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    unlink(capture_path);
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The recorded sha256 of a migration (NULL column → ""), in buf. */
static void recorded_sha(const char *name, char *buf, size_t len)
{
    PGconn *pg = admin();
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(sha256, '') FROM %s.schema_migrations WHERE name = $1", schema);
    const char *v[] = {name};
    PGresult *r = PQexecParams(pg, sql, 1, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", name,
                  PQerrorMessage(pg));
    snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(pg);
}

/* SHA-256 of sql computed by PostgreSQL (an implementation of its own). */
static void pg_sha(const char *sql_text, char *buf, size_t len)
{
    PGconn *pg = admin();
    const char *v[] = {sql_text};
    PGresult *r = PQexecParams(pg, "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", 1, NULL,
                               v, NULL, NULL, 0);
    ck_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
    snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(pg);
}

/* ---- negative cases ---- */

START_TEST(test_unreachable_is_unavailable_fast)
{
    char url[128];
    struct db_pool *pool = NULL;
    struct db_conn *c = NULL;
    snprintf(url, sizeof(url), "postgresql://valor@127.0.0.1:%d/valor", tu_free_port());
    struct db_pool_opts o = {.url = url, .schema = "public", .connect_timeout_ms = 1000};
    ck_assert_int_eq(db_pool_new(&o, &pool), VALOR_OK);
    double t0 = now_s();
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_E_UNAVAILABLE);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(db_migrate(url, "public", NULL, 0, 1000), VALOR_E_UNAVAILABLE);
    ck_assert_double_lt(now_s() - t0, 1.0);
    int open = -1, in_use = -1;
    db_pool_stats(pool, &open, &in_use);
    ck_assert_int_eq(open, 0);
    ck_assert_int_eq(in_use, 0);
    db_pool_free(pool);
}
END_TEST

/* A server that accepts TCP but never answers: the connect timeout must end
 * the wait (libpq rounds connect_timeout up to at least 2 s). */
START_TEST(test_connect_timeout_honoured)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    char url[128];
    snprintf(url, sizeof(url), "postgresql://valor@127.0.0.1:%d/valor?sslmode=disable",
             ntohs(sa.sin_port));
    struct db_pool *pool = NULL;
    struct db_conn *c = NULL;
    struct db_pool_opts o = {.url = url, .schema = "public", .connect_timeout_ms = 1000};
    ck_assert_int_eq(db_pool_new(&o, &pool), VALOR_OK);
    double t0 = now_s();
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_E_UNAVAILABLE);
    double took = now_s() - t0;
    ck_assert_double_ge(took, 0.9);
    ck_assert_double_lt(took, 4.0);
    db_pool_free(pool);
    close(fd);
}
END_TEST

START_TEST(test_invalid_schema_and_url_rejected)
{
    struct db_pool *pool = NULL;
    const char *bad[] = {"",
                         "Public",
                         "1abc",
                         "a-b",
                         "a;drop table x",
                         "a b",
                         "x\"y",
                         "a123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct db_pool_opts o = {.url = tu_env("DATABASE_URL"), .schema = bad[i]};
        ck_assert_int_eq(db_pool_new(&o, &pool), VALOR_E_INVALID);
        ck_assert_ptr_null(pool);
        ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), bad[i], base_migs, 1, 1000),
                         VALOR_E_INVALID);
    }
    struct db_pool_opts o = {.url = "postgresql://[::1", .schema = "ok"};
    ck_assert_int_eq(db_pool_new(&o, &pool), VALOR_E_INVALID);
    /* 63 characters is the longest valid name */
    o.url = tu_env("DATABASE_URL");
    o.schema = "a12345678901234567890123456789012345678901234567890123456789012";
    ck_assert_int_eq(db_pool_new(&o, &pool), VALOR_OK);
    db_pool_free(pool);
}
END_TEST

START_TEST(test_failing_migration_rolls_back_run)
{
    new_schema();
    const struct db_migration migs[] = {
        {"001_a.sql", "CREATE TABLE a(x int); INSERT INTO a VALUES (1);"},
        {"002_bad.sql", "CREATE TABLE b(x int); SELECT * FROM no_such_table;"},
    };
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, migs, 2, 2000), VALOR_E_INTERNAL);
    char sql[256];
    /* Nothing of that run survives: not the schema, not table a, no record. */
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_namespace WHERE nspname = '%s'", schema);
    ck_assert_int_eq(admin_long(sql), 0);

    /* With the schema and a first migration already there, a failing second
     * run leaves the first intact and records nothing new. */
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, migs, 1, 2000), VALOR_OK);
    const struct db_migration more[] = {
        migs[0],
        {"002_c.sql", "INSERT INTO a VALUES (2);"},
        {"003_bad.sql", "INSERT INTO a VALUES ('not a number');"},
    };
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, more, 3, 2000), VALOR_E_INTERNAL);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.a", schema);
    ck_assert_int_eq(admin_long(sql), 1);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.schema_migrations", schema);
    ck_assert_int_eq(admin_long(sql), 1);
    drop_schema();
}
END_TEST

/* An applied migration whose SQL changed is refused: nothing else is applied,
 * the recorded rows stay as they were, and one log line names the file. */
START_TEST(test_changed_migration_refused)
{
    const struct db_migration v1[] = {
        {"001_a.sql", "CREATE TABLE a(x int);"},
        {"002_b.sql", "CREATE TABLE b(x int);"},
    };
    const struct db_migration v2[] = {
        {"001_a.sql", "CREATE TABLE a(x int);"},
        {"002_b.sql", "CREATE TABLE b(x int, y int);"}, /* edited after it was applied */
        {"003_c.sql", "CREATE TABLE c(x int);"},
    };
    char before[80], after[80], sql[160];
    new_schema();
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, v1, 2, 2000), VALOR_OK);
    recorded_sha("002_b.sql", before, sizeof(before));

    capture_start();
    int rc = db_migrate(tu_env("DATABASE_URL"), schema, v2, 3, 2000);
    char *out = capture_end();
    ck_assert_int_eq(rc, VALOR_E_CONFLICT);
    ck_assert_msg(count_lines(out) == 1, "expected one log line, got: %s", out);
    ck_assert_msg(strstr(out, "\"event\":\"migration_changed\"") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "002_b.sql") != NULL, "the line names the file: %s", out);
    ck_assert_msg(strstr(out, "001_a.sql") == NULL, "%s", out);
    free(out);

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.schema_migrations", schema);
    ck_assert_int_eq(admin_long(sql), 2); /* 003 was not applied */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM pg_tables WHERE schemaname = '%s' AND tablename = 'c'", schema);
    ck_assert_int_eq(admin_long(sql), 0);
    recorded_sha("002_b.sql", after, sizeof(after));
    ck_assert_str_eq(after, before);
    /* the file restored: accepted again, and 003 applied */
    const struct db_migration v3[] = {v1[0], v1[1], v2[2]};
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, v3, 3, 2000), VALOR_OK);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.schema_migrations", schema);
    ck_assert_int_eq(admin_long(sql), 3);
    drop_schema();
}
END_TEST

START_TEST(test_error_mapping)
{
    struct db_pool *pool = setup_pool();
    struct db_conn *c = NULL;
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    const char *v1[] = {"widget", "3"};
    ck_assert_int_eq(db_exec(c, "item_add", 2, v1, NULL), VALOR_OK);
    ck_assert_int_eq(db_exec(c, "item_add", 2, v1, NULL), VALOR_E_CONFLICT);
    const char *v2[] = {"gadget", "many"};
    ck_assert_int_eq(db_exec(c, "item_add", 2, v2, NULL), VALOR_E_INVALID);
    const char *v3[] = {"gadget", "-1"}; /* CHECK violation */
    ck_assert_int_eq(db_exec(c, "item_add", 2, v3, NULL), VALOR_E_INVALID);
    const char *v4[] = {NULL, "1"}; /* NOT NULL violation */
    ck_assert_int_eq(db_exec(c, "item_add", 2, v4, NULL), VALOR_E_INVALID);
    const char *v5[] = {"x"};
    ck_assert_int_eq(db_exec(c, "SELECT $1::int", 1, v5, NULL), VALOR_E_INVALID);
    ck_assert_int_eq(db_exec(c, "SELECT * FROM no_such_table", 0, NULL, NULL), VALOR_E_INTERNAL);
    ck_assert_int_eq(db_exec(c, "no_such_stmt", 0, NULL, NULL), VALOR_E_INTERNAL);
    /* SQL text with a parameter and a result */
    PGresult *r = NULL;
    const char *v6[] = {"widget"};
    ck_assert_int_eq(db_exec(c, "SELECT qty FROM items WHERE name = $1", 1, v6, &r), VALOR_OK);
    ck_assert_int_eq(PQntuples(r), 1);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "3");
    PQclear(r);
    db_release(c);
    db_pool_free(pool);
    drop_schema();
}
END_TEST

START_TEST(test_failed_transaction_rolled_back_on_release)
{
    struct db_pool *pool = setup_pool();
    struct db_conn *c = NULL, *c2 = NULL;
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    ck_assert_int_eq(db_begin(c), VALOR_OK);
    const char *v1[] = {"a", "1"}, *v2[] = {"b", "oops"};
    ck_assert_int_eq(db_exec(c, "item_add", 2, v1, NULL), VALOR_OK);
    ck_assert_int_eq(db_exec(c, "item_add", 2, v2, NULL), VALOR_E_INVALID);
    ck_assert_int_eq(PQtransactionStatus(db_pg(c)), PQTRANS_INERROR);
    db_release(c);

    ck_assert_int_eq(db_acquire(pool, &c2), VALOR_OK);
    ck_assert_ptr_eq(c2, c); /* same thread, same connection */
    ck_assert_int_eq(PQtransactionStatus(db_pg(c2)), PQTRANS_IDLE);
    PGresult *r = NULL;
    ck_assert_int_eq(db_exec(c2, "item_count", 0, NULL, &r), VALOR_OK);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "0"); /* "a" was rolled back */
    PQclear(r);

    /* commit of a failed transaction is reported, not silently rolled back */
    ck_assert_int_eq(db_begin(c2), VALOR_OK);
    ck_assert_int_eq(db_exec(c2, "item_add", 2, v1, NULL), VALOR_OK);
    ck_assert_int_eq(db_exec(c2, "item_add", 2, v1, NULL), VALOR_E_CONFLICT);
    ck_assert_int_ne(db_commit(c2), VALOR_OK);
    ck_assert_int_eq(db_exec(c2, "item_count", 0, NULL, &r), VALOR_OK);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "0");
    PQclear(r);

    /* an open transaction left by the caller is rolled back too */
    ck_assert_int_eq(db_begin(c2), VALOR_OK);
    ck_assert_int_eq(db_exec(c2, "item_add", 2, v1, NULL), VALOR_OK);
    db_release(c2);
    ck_assert_int_eq(db_acquire(pool, &c2), VALOR_OK);
    ck_assert_int_eq(db_exec(c2, "item_count", 0, NULL, &r), VALOR_OK);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    /* and a committed one stays */
    ck_assert_int_eq(db_begin(c2), VALOR_OK);
    ck_assert_int_eq(db_exec(c2, "item_add", 2, v1, NULL), VALOR_OK);
    ck_assert_int_eq(db_commit(c2), VALOR_OK);
    db_release(c2);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.items", schema);
    ck_assert_int_eq(admin_long(sql), 1);
    db_pool_free(pool);
    drop_schema();
}
END_TEST

static void terminate_backend(int pid)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
    admin_sql(sql);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", pid);
    for (int i = 0; i < 250 && admin_long(sql) != 0; i++)
        usleep(20 * 1000);
    ck_assert_int_eq(admin_long(sql), 0);
}

START_TEST(test_reconnect_after_backend_killed)
{
    struct db_pool *pool = setup_pool();
    struct db_conn *c = NULL;
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    int pid1 = backend_pid(c);
    db_release(c);

    /* killed while idle: the next statement (prepared) reconnects and works */
    terminate_backend(pid1);
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    const char *v[] = {"after-kill", "7"};
    ck_assert_int_eq(db_exec(c, "item_add", 2, v, NULL), VALOR_OK);
    int pid2 = backend_pid(c);
    ck_assert_int_ne(pid1, pid2);

    /* killed inside a transaction: no silent retry, UNAVAILABLE */
    ck_assert_int_eq(db_begin(c), VALOR_OK);
    terminate_backend(pid2);
    ck_assert_int_eq(db_exec(c, "item_count", 0, NULL, NULL), VALOR_E_UNAVAILABLE);
    db_release(c);
    /* the next acquire reconnects */
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    ck_assert_int_ne(backend_pid(c), pid2);
    PGresult *r = NULL;
    ck_assert_int_eq(db_exec(c, "item_count", 0, NULL, &r), VALOR_OK);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "1");
    PQclear(r);
    int latency = -1;
    ck_assert_int_eq(db_ping(pool, &latency), VALOR_OK);
    ck_assert_int_ge(latency, 0);
    db_release(c);
    db_pool_free(pool);
    drop_schema();
}
END_TEST

struct thread_arg {
    struct db_pool *pool;
    struct db_conn *conn;
    int pid;
    pthread_barrier_t *hold; /* keeps the connection in use until the main thread checked */
};

static void *other_thread(void *p)
{
    struct thread_arg *a = p;
    if (db_acquire(a->pool, &a->conn) == VALOR_OK) {
        PGresult *r = NULL;
        if (db_exec(a->conn, "backend_pid", 0, NULL, &r) == VALOR_OK)
            a->pid = atoi(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    pthread_barrier_wait(a->hold);
    pthread_barrier_wait(a->hold);
    if (a->conn)
        db_release(a->conn);
    return NULL;
}

START_TEST(test_connection_per_thread)
{
    struct db_pool *pool = setup_pool();
    struct db_conn *c = NULL;
    pthread_barrier_t hold;
    pthread_t th;
    int open = -1, in_use = -1;

    pthread_barrier_init(&hold, NULL, 2);
    ck_assert_int_eq(db_acquire(pool, &c), VALOR_OK);
    struct thread_arg a = {.pool = pool, .hold = &hold};
    ck_assert_int_eq(pthread_create(&th, NULL, other_thread, &a), 0);
    pthread_barrier_wait(&hold);
    ck_assert_ptr_nonnull(a.conn);
    ck_assert_ptr_ne(a.conn, c);
    ck_assert_int_ne(a.pid, backend_pid(c));
    db_pool_stats(pool, &open, &in_use);
    ck_assert_int_eq(open, 2);
    ck_assert_int_eq(in_use, 2);
    pthread_barrier_wait(&hold);
    pthread_join(th, NULL);
    /* the exited thread's connection was closed by the key destructor */
    db_pool_stats(pool, &open, &in_use);
    ck_assert_int_eq(open, 1);
    ck_assert_int_eq(in_use, 1);
    db_release(c);
    db_pool_stats(pool, &open, &in_use);
    ck_assert_int_eq(in_use, 0);
    pthread_barrier_destroy(&hold);
    db_pool_free(pool);
    drop_schema();
}
END_TEST

START_TEST(test_migrate_order_and_idempotent)
{
    new_schema();
    /* given out of order: 001 must run before 002 or 002 fails */
    const struct db_migration migs[] = {
        {"002_fill.sql", "INSERT INTO log(step) VALUES ('two');"},
        {"001_create.sql", "CREATE TABLE log(id serial PRIMARY KEY, step text NOT NULL);\n"
                           "INSERT INTO log(step) VALUES ('one');"},
    };
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, migs, 2, 2000), VALOR_OK);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM %s.log WHERE (id = 1 AND step = 'one') OR (id = 2 AND step = "
             "'two')",
             schema);
    ck_assert_int_eq(admin_long(sql), 2);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM %s.schema_migrations WHERE name IN ('001_create.sql', "
             "'002_fill.sql')",
             schema);
    ck_assert_int_eq(admin_long(sql), 2);
    /* again: a no-op */
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, migs, 2, 2000), VALOR_OK);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.log", schema);
    ck_assert_int_eq(admin_long(sql), 2);
    /* a new one is applied alone */
    const struct db_migration more[] = {
        migs[0], migs[1], {"003_more.sql", "INSERT INTO log(step) VALUES ('three');"}};
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, more, 3, 2000), VALOR_OK);
    ck_assert_int_eq(admin_long(sql), 3);
    /* duplicate names are refused */
    const struct db_migration dup[] = {migs[0], migs[0]};
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, dup, 2, 2000), VALOR_E_INVALID);
    drop_schema();
}
END_TEST

/* Each applied migration records the SHA-256 of its SQL (checked against
 * PostgreSQL's own sha256()). */
START_TEST(test_migrate_records_sha256)
{
    const struct db_migration migs[] = {
        {"001_one.sql", "CREATE TABLE one(x int);\n-- é, a non-ASCII byte sequence\n"},
        {"002_two.sql", "CREATE TABLE two(x int);"},
    };
    char got[80], want[80];
    new_schema();
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, migs, 2, 2000), VALOR_OK);
    for (int i = 0; i < 2; i++) {
        recorded_sha(migs[i].name, got, sizeof(got));
        pg_sha(migs[i].sql, want, sizeof(want));
        ck_assert_int_eq(strlen(got), 64);
        ck_assert_str_eq(got, want);
    }
    drop_schema();
}
END_TEST

/* A schema_migrations table from before checksums (no sha256 column, rows
 * without one) gets the column and every applied row's SHA-256 on the next
 * run, and is checked from then on. */
START_TEST(test_migrate_fills_missing_sha256)
{
    const struct db_migration migs[] = {
        {"001_old.sql", "CREATE TABLE old(x int);"},
        {"002_new.sql", "CREATE TABLE new(x int);"},
    };
    char sql[512], got[80], want[80];
    new_schema();
    snprintf(sql, sizeof(sql),
             "CREATE SCHEMA %s; CREATE TABLE %s.schema_migrations(name text PRIMARY KEY, "
             "applied_at timestamptz NOT NULL DEFAULT now()); CREATE TABLE %s.old(x int); "
             "INSERT INTO %s.schema_migrations(name) VALUES ('001_old.sql')",
             schema, schema, schema, schema);
    admin_sql(sql);
    ck_assert_int_eq(db_migrate(tu_env("DATABASE_URL"), schema, migs, 2, 2000), VALOR_OK);
    for (int i = 0; i < 2; i++) {
        recorded_sha(migs[i].name, got, sizeof(got));
        pg_sha(migs[i].sql, want, sizeof(want));
        ck_assert_str_eq(got, want);
    }
    /* from now on a change is caught */
    const struct db_migration changed[] = {{"001_old.sql", "CREATE TABLE old(x bigint);"}, migs[1]};
    capture_start();
    int rc = db_migrate(tu_env("DATABASE_URL"), schema, changed, 2, 2000);
    free(capture_end());
    ck_assert_int_eq(rc, VALOR_E_CONFLICT);
    drop_schema();
}
END_TEST

#define NMIG_THREADS 8

static const struct db_migration race_migs[] = {
    {"001_t.sql", "CREATE TABLE t(x int);"},
    {"002_row.sql", "SELECT pg_sleep(0.05); INSERT INTO t VALUES (1);"},
};

static void *migrate_thread(void *p)
{
    int *rc = p;
    *rc = db_migrate(getenv("DATABASE_URL"), schema, race_migs, 2, 5000);
    return NULL;
}

START_TEST(test_concurrent_migrations_apply_once)
{
    pthread_t th[NMIG_THREADS];
    int rcs[NMIG_THREADS];
    new_schema();
    tu_env("DATABASE_URL");
    for (int i = 0; i < NMIG_THREADS; i++) {
        rcs[i] = 99;
        ck_assert_int_eq(pthread_create(&th[i], NULL, migrate_thread, &rcs[i]), 0);
    }
    for (int i = 0; i < NMIG_THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NMIG_THREADS; i++)
        ck_assert_msg(rcs[i] == VALOR_OK, "migration thread %d returned %d", i, rcs[i]);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.t", schema);
    ck_assert_int_eq(admin_long(sql), 1);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.schema_migrations", schema);
    ck_assert_int_eq(admin_long(sql), 2);
    drop_schema();
}
END_TEST

static Suite *db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *neg = tcase_create("negative");
    tcase_set_timeout(neg, 30);
    tcase_add_test(neg, test_unreachable_is_unavailable_fast);
    tcase_add_test(neg, test_connect_timeout_honoured);
    tcase_add_test(neg, test_invalid_schema_and_url_rejected);
    tcase_add_test(neg, test_failing_migration_rolls_back_run);
    tcase_add_test(neg, test_changed_migration_refused);
    tcase_add_test(neg, test_error_mapping);
    tcase_add_test(neg, test_failed_transaction_rolled_back_on_release);
    suite_add_tcase(s, neg);
    TCase *pos = tcase_create("pool_and_migrations");
    tcase_set_timeout(pos, 30);
    tcase_add_test(pos, test_reconnect_after_backend_killed);
    tcase_add_test(pos, test_connection_per_thread);
    tcase_add_test(pos, test_migrate_order_and_idempotent);
    tcase_add_test(pos, test_migrate_records_sha256);
    tcase_add_test(pos, test_migrate_fills_missing_sha256);
    tcase_add_test(pos, test_concurrent_migrations_apply_once);
    suite_add_tcase(s, pos);
    return s;
}

int main(void)
{
    return tu_run(db_suite());
}
