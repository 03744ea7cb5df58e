/* db: libpq pool — one connection per thread (pthread key), prepared
 * statements re-prepared after every (re)connect, ROLLBACK before reuse,
 * SQLSTATE → enum valor_err, and migrations under an advisory lock. */
#include "valor/clock.h"
#include "valor/db.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/log.h"

#define DB_SCHEMA_MAX 63

struct db_conn {
    struct db_pool *pool; /* owner */
    PGconn *pg;           /* NULL until connected */
    int in_tx;            /* set by db_begin, cleared by commit/rollback/release */
    int ready;            /* connected and every statement prepared */
    atomic_int open;      /* for db_pool_stats (read by other threads) */
    atomic_int in_use;
    struct db_conn *prev, *next; /* pool->conns, under pool->mu */
};

struct db_pool {
    char *url;
    char *schema;
    const struct db_stmt *stmts;
    size_t nstmts;
    int connect_timeout_s;
    pthread_key_t key;
    pthread_mutex_t mu;
    struct db_conn *conns;
};

/* ^[a-z_][a-z0-9_]{0,62}$ */
static int schema_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > DB_SCHEMA_MAX)
        return 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int timeout_s(int ms)
{
    if (ms <= 0)
        ms = 2000;
    int s = (ms + 999) / 1000;
    return s < 1 ? 1 : s;
}

/* Connects with search_path = schema. Returns the handle even when it is
 * CONNECTION_BAD (NULL only when out of memory). */
/* Server warnings go to the log (NOTICEs are not sent: client_min_messages). */
static void notice_to_log(void *arg, const char *message)
{
    (void)arg;
    log_warn(NULL, "db_notice", "%.*s", (int)strcspn(message, "\n"), message);
}

static PGconn *pg_open(const char *url, const char *schema, int tmo_s, const char *app)
{
    char tmo[16], options[DB_SCHEMA_MAX + 96];
    snprintf(tmo, sizeof(tmo), "%d", tmo_s);
    snprintf(options, sizeof(options),
             "-c search_path=%s -c client_min_messages=warning -c TimeZone=UTC", schema);
    /* dbname first: keywords after it override what the URL says. */
    const char *const keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
    const char *const vals[] = {url, tmo, options, app, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (pg != NULL)
        PQsetNoticeProcessor(pg, notice_to_log, NULL);
    return pg;
}

/* The first line of a libpq error message (never contains parameter values
 * for connection errors). */
static void log_pg_error(const char *event, const char *what, PGconn *pg)
{
    const char *m = pg ? PQerrorMessage(pg) : "out of memory";
    int len = (int)strcspn(m, "\n");
    log_error(NULL, event, "%s: %.*s", what, len, m);
}

static int prepare_all(struct db_conn *c)
{
    struct db_pool *p = c->pool;
    for (size_t i = 0; i < p->nstmts; i++) {
        PGresult *r = PQprepare(c->pg, p->stmts[i].name, p->stmts[i].sql, 0, NULL);
        int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) {
            const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
            const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
            log_error(NULL, "db_error", "prepare %s failed: sqlstate=%s %s", p->stmts[i].name,
                      st ? st : "-", msg ? msg : "");
        }
        PQclear(r);
        if (!ok)
            return PQstatus(c->pg) == CONNECTION_OK ? VALOR_E_INTERNAL : VALOR_E_UNAVAILABLE;
    }
    return VALOR_OK;
}

/* (Re)connects c and prepares every statement. */
static int conn_connect(struct db_conn *c)
{
    struct db_pool *p = c->pool;
    int rc;

    c->in_tx = 0;
    c->ready = 0;
    if (c->pg != NULL)
        PQreset(c->pg);
    else
        c->pg = pg_open(p->url, p->schema, p->connect_timeout_s, p->schema);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        log_pg_error("db_unavailable", "connect", c->pg);
        rc = VALOR_E_UNAVAILABLE;
    } else {
        rc = prepare_all(c);
    }
    c->ready = rc == VALOR_OK;
    atomic_store(&c->open, c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK);
    return rc;
}

static void conn_unlink_free(struct db_conn *c)
{
    struct db_pool *p = c->pool;
    pthread_mutex_lock(&p->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        p->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&p->mu);
    if (c->pg)
        PQfinish(c->pg);
    free(c);
}

static void conn_destructor(void *arg)
{
    if (arg != NULL)
        conn_unlink_free(arg);
}

int db_pool_new(const struct db_pool_opts *opts, struct db_pool **out)
{
    struct db_pool *p = NULL;
    char *err = NULL;
    PQconninfoOption *ci = NULL;
    int rc = VALOR_E_INVALID;

    *out = NULL;
    if (opts == NULL || opts->url == NULL || !schema_valid(opts->schema) ||
        (opts->nstmts > 0 && opts->stmts == NULL))
        goto out;
    ci = PQconninfoParse(opts->url, &err);
    if (ci == NULL) {
        log_error(NULL, "db_error", "invalid database URL");
        goto out;
    }
    rc = VALOR_E_NOMEM;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        goto out;
    p->url = strdup(opts->url);
    p->schema = strdup(opts->schema);
    if (p->url == NULL || p->schema == NULL)
        goto out;
    p->stmts = opts->stmts;
    p->nstmts = opts->nstmts;
    p->connect_timeout_s = timeout_s(opts->connect_timeout_ms);
    if (pthread_key_create(&p->key, conn_destructor) != 0)
        goto out;
    pthread_mutex_init(&p->mu, NULL);
    *out = p;
    p = NULL;
    rc = VALOR_OK;
out:
    if (p) {
        free(p->url);
        free(p->schema);
        free(p);
    }
    PQconninfoFree(ci);
    PQfreemem(err);
    return rc;
}

void db_pool_free(struct db_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_setspecific(pool->key, NULL);
    pthread_key_delete(pool->key);
    pthread_mutex_lock(&pool->mu);
    struct db_conn *c = pool->conns;
    pool->conns = NULL;
    pthread_mutex_unlock(&pool->mu);
    while (c) {
        struct db_conn *next = c->next;
        if (c->pg)
            PQfinish(c->pg);
        free(c);
        c = next;
    }
    pthread_mutex_destroy(&pool->mu);
    free(pool->url);
    free(pool->schema);
    free(pool);
}

int db_acquire(struct db_pool *pool, struct db_conn **out)
{
    struct db_conn *c = pthread_getspecific(pool->key);
    int rc;

    *out = NULL;
    if (c == NULL) {
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return VALOR_E_NOMEM;
        c->pool = pool;
        if (pthread_setspecific(pool->key, c) != 0) {
            free(c);
            return VALOR_E_NOMEM;
        }
        pthread_mutex_lock(&pool->mu);
        c->next = pool->conns;
        if (pool->conns)
            pool->conns->prev = c;
        pool->conns = c;
        pthread_mutex_unlock(&pool->mu);
        if ((rc = conn_connect(c)) != VALOR_OK)
            return rc;
    } else if (!c->ready || PQstatus(c->pg) != CONNECTION_OK) {
        if ((rc = conn_connect(c)) != VALOR_OK)
            return rc;
    }
    atomic_store(&c->in_use, 1);
    *out = c;
    return VALOR_OK;
}

void db_release(struct db_conn *conn)
{
    if (conn == NULL)
        return;
    if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK) {
        PGTransactionStatusType ts = PQtransactionStatus(conn->pg);
        if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
            PQclear(PQexec(conn->pg, "ROLLBACK"));
    }
    conn->in_tx = 0;
    atomic_store(&conn->in_use, 0);
}

PGconn *db_pg(struct db_conn *conn)
{
    return conn->pg;
}

static int map_sqlstate(const char *st)
{
    if (st == NULL)
        return VALOR_E_INTERNAL;
    if (strcmp(st, "23505") == 0)
        return VALOR_E_CONFLICT;
    if (strncmp(st, "22", 2) == 0 || strcmp(st, "23502") == 0 || strcmp(st, "23503") == 0 ||
        strcmp(st, "23514") == 0)
        return VALOR_E_INVALID;
    if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0)
        return VALOR_E_UNAVAILABLE;
    return VALOR_E_INTERNAL;
}

/* Runs one statement: prepared (text == 0) or SQL text with parameters. */
static PGresult *run_once(struct db_conn *c, const char *stmt, int text, int n,
                          const char *const *values)
{
    if (text)
        return PQexecParams(c->pg, stmt, n, NULL, values, NULL, NULL, 0);
    return PQexecPrepared(c->pg, stmt, n, values, NULL, NULL, 0);
}

static int exec_stmt(struct db_conn *c, const char *stmt, int text, int n,
                     const char *const *values, PGresult **res)
{
    PGresult *r = NULL;
    int rc = VALOR_E_INTERNAL;

    if (res)
        *res = NULL;
    if (!c->ready || PQstatus(c->pg) != CONNECTION_OK) {
        if (c->in_tx) {
            c->in_tx = 0;
            return VALOR_E_UNAVAILABLE;
        }
        if ((rc = conn_connect(c)) != VALOR_OK)
            return rc;
    }
    for (int attempt = 0;; attempt++) {
        int idle = !c->in_tx && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
        r = run_once(c, stmt, text, n, values);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
            rc = VALOR_OK;
            break;
        }
        if (PQstatus(c->pg) == CONNECTION_BAD) {
            /* The server went away (restart, pg_terminate_backend, network). */
            PQclear(r);
            r = NULL;
            atomic_store(&c->open, 0);
            if (!idle || attempt > 0) {
                c->in_tx = 0;
                log_pg_error("db_unavailable", "connection lost", c->pg);
                rc = VALOR_E_UNAVAILABLE;
                break;
            }
            log_warn(NULL, "db_reconnect", "connection lost, reconnecting");
            if ((rc = conn_connect(c)) != VALOR_OK)
                break;
            continue;
        }
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        rc = map_sqlstate(state);
        if (rc == VALOR_E_INTERNAL || rc == VALOR_E_UNAVAILABLE) {
            /* Primary message only: DETAIL lines may carry the values. */
            const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
            log_error(NULL, "db_error", "sqlstate=%s stmt=%.60s msg=%s", state ? state : "-", stmt,
                      msg ? msg : PQerrorMessage(c->pg));
        } else {
            const char *cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
            log_debug(NULL, "db_error", "sqlstate=%s stmt=%.60s constraint=%s", state, stmt,
                      cons ? cons : "-");
        }
        break;
    }
    if (rc == VALOR_OK && res)
        *res = r;
    else
        PQclear(r);
    return rc;
}

int db_exec(struct db_conn *conn, const char *stmt, int nparams, const char *const *values,
            PGresult **res)
{
    if (conn == NULL || stmt == NULL || nparams < 0 || (nparams > 0 && values == NULL))
        return VALOR_E_INVALID;
    return exec_stmt(conn, stmt, strchr(stmt, ' ') != NULL, nparams, values, res);
}

int db_begin(struct db_conn *conn)
{
    int rc = exec_stmt(conn, "BEGIN", 1, 0, NULL, NULL);
    if (rc == VALOR_OK)
        conn->in_tx = 1;
    return rc;
}

int db_commit(struct db_conn *conn)
{
    int rc;
    if (conn->pg != NULL && PQtransactionStatus(conn->pg) == PQTRANS_INERROR) {
        /* COMMIT of a failed transaction "succeeds" as ROLLBACK: say so. */
        PQclear(PQexec(conn->pg, "ROLLBACK"));
        conn->in_tx = 0;
        log_error(NULL, "db_error", "commit of a failed transaction: rolled back");
        return VALOR_E_INTERNAL;
    }
    rc = exec_stmt(conn, "COMMIT", 1, 0, NULL, NULL);
    conn->in_tx = 0;
    return rc;
}

int db_rollback(struct db_conn *conn)
{
    int rc = exec_stmt(conn, "ROLLBACK", 1, 0, NULL, NULL);
    conn->in_tx = 0;
    return rc;
}

int db_ping(struct db_pool *pool, int *latency_ms)
{
    struct db_conn *c = pthread_getspecific(pool->key);
    int was_in_use = c != NULL && atomic_load(&c->in_use);
    double t0 = clock_mono_ms();
    int rc = db_acquire(pool, &c);

    if (rc == VALOR_OK) {
        rc = exec_stmt(c, "SELECT 1", 1, 0, NULL, NULL);
        if (!was_in_use)
            db_release(c);
    }
    if (latency_ms)
        *latency_ms = (int)(clock_mono_ms() - t0 + 0.5);
    return rc;
}

void db_pool_stats(struct db_pool *pool, int *open, int *in_use)
{
    int o = 0, u = 0;
    pthread_mutex_lock(&pool->mu);
    for (struct db_conn *c = pool->conns; c; c = c->next) {
        if (atomic_load(&c->open))
            o++;
        if (atomic_load(&c->in_use))
            u++;
    }
    pthread_mutex_unlock(&pool->mu);
    if (open)
        *open = o;
    if (in_use)
        *in_use = u;
}

/* ---- migrations ---- */

static int64_t migrate_lock_key(const char *schema)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
    const char *parts[] = {"valor:migrate:", schema};
    for (size_t i = 0; i < 2; i++)
        for (const unsigned char *s = (const unsigned char *)parts[i]; *s; s++) {
            h ^= *s;
            h *= 1099511628211ULL;
        }
    int64_t k;
    memcpy(&k, &h, sizeof(k));
    return k;
}

static int cmp_mig(const void *a, const void *b)
{
    const struct db_migration *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Runs sql (text, no parameters or with them); logs on failure. */
static int mig_exec(PGconn *pg, const char *what, const char *sql, int n, const char *const *values,
                    PGresult **res)
{
    PGresult *r =
        n > 0 || res ? PQexecParams(pg, sql, n, NULL, values, NULL, NULL, 0) : PQexec(pg, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        if (res)
            *res = r;
        else
            PQclear(r);
        return VALOR_OK;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    log_error(NULL, "db_migrate_error", "%s failed: sqlstate=%s %s", what, state ? state : "-",
              msg ? msg : PQerrorMessage(pg));
    PQclear(r);
    return PQstatus(pg) == CONNECTION_OK ? VALOR_E_INTERNAL : VALOR_E_UNAVAILABLE;
}

/* The row of `name` in the schema_migrations result, -1 when not applied. */
static int applied_row(PGresult *r, const char *name)
{
    for (int i = 0; i < PQntuples(r); i++)
        if (strcmp(PQgetvalue(r, i, 0), name) == 0)
            return i;
    return -1;
}

/* Every applied migration must still be the file that was applied: its
 * SHA-256 is compared with the recorded one (rows from before checksums
 * were recorded get theirs now). VALOR_E_CONFLICT, logged as one line naming
 * the file, when one changed. */
static int verify_applied(PGconn *pg, const char *schema, PGresult *applied,
                          const struct db_migration *const *order, size_t n, int *filled)
{
    char sha[65];
    int rc;

    *filled = 0;
    for (size_t i = 0; i < n; i++) {
        int row = applied_row(applied, order[i]->name);
        if (row < 0)
            continue;
        if ((rc = crypto_sha256_hex(order[i]->sql, strlen(order[i]->sql), sha)) != VALOR_OK)
            return rc;
        if (PQgetisnull(applied, row, 1)) {
            const char *v[] = {order[i]->name, sha};
            if ((rc = mig_exec(pg, "record migration checksum",
                               "UPDATE schema_migrations SET sha256 = $2 WHERE name = $1", 2, v,
                               NULL)) != VALOR_OK)
                return rc;
            (*filled)++;
        } else if (strcmp(PQgetvalue(applied, row, 1), sha) != 0) {
            log_error(NULL, "migration_changed",
                      "refusing to start: migration %s of schema %s was changed after it was "
                      "applied (sha256 %s, applied as %s); restore the file and put the "
                      "change into a new migration",
                      order[i]->name, schema, sha, PQgetvalue(applied, row, 1));
            return VALOR_E_CONFLICT;
        }
    }
    return VALOR_OK;
}

int db_migrate(const char *url, const char *schema, const struct db_migration *migs, size_t n,
               int connect_timeout_ms)
{
    PGconn *pg = NULL;
    PGresult *applied = NULL;
    const struct db_migration **order = NULL;
    char key[32], sql[DB_SCHEMA_MAX + 64];
    int rc = VALOR_E_INVALID, began = 0, count = 0, filled = 0;

    if (url == NULL || !schema_valid(schema) || (n > 0 && migs == NULL)) {
        log_error(NULL, "db_migrate_error", "invalid schema name or arguments");
        goto out;
    }
    rc = VALOR_E_NOMEM;
    order = calloc(n ? n : 1, sizeof(const struct db_migration *));
    if (order == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (migs[i].name == NULL || migs[i].sql == NULL) {
            rc = VALOR_E_INVALID;
            goto out;
        }
        order[i] = &migs[i];
    }
    qsort(order, n, sizeof(const struct db_migration *), cmp_mig);
    for (size_t i = 1; i < n; i++)
        if (strcmp(order[i - 1]->name, order[i]->name) == 0) {
            log_error(NULL, "db_migrate_error", "duplicate migration %s", order[i]->name);
            rc = VALOR_E_INVALID;
            goto out;
        }

    pg = pg_open(url, schema, timeout_s(connect_timeout_ms), "valor-migrate");
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        log_pg_error("db_unavailable", "migrate connect", pg);
        rc = VALOR_E_UNAVAILABLE;
        goto out;
    }
    if ((rc = mig_exec(pg, "BEGIN", "BEGIN", 0, NULL, NULL)) != VALOR_OK)
        goto out;
    began = 1;
    snprintf(key, sizeof(key), "%" PRId64, migrate_lock_key(schema));
    const char *kv[] = {key};
    if ((rc = mig_exec(pg, "advisory lock", "SELECT pg_advisory_xact_lock($1::bigint)", 1, kv,
                       NULL)) != VALOR_OK)
        goto out;
    /* schema is validated against ^[a-z_][a-z0-9_]{0,62}$: safe to quote in. */
    snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS \"%s\"", schema);
    if ((rc = mig_exec(pg, "create schema", sql, 0, NULL, NULL)) != VALOR_OK)
        goto out;
    snprintf(sql, sizeof(sql), "SET LOCAL search_path TO \"%s\"", schema);
    if ((rc = mig_exec(pg, "set search_path", sql, 0, NULL, NULL)) != VALOR_OK)
        goto out;
    /* sha256: NULL only in rows written before checksums were recorded */
    if ((rc = mig_exec(pg, "create schema_migrations",
                       "CREATE TABLE IF NOT EXISTS schema_migrations(name text PRIMARY KEY, "
                       "applied_at timestamptz NOT NULL DEFAULT now(), sha256 text)",
                       0, NULL, NULL)) != VALOR_OK ||
        (rc = mig_exec(pg, "add schema_migrations.sha256",
                       "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS sha256 text", 0,
                       NULL, NULL)) != VALOR_OK)
        goto out;
    if ((rc = mig_exec(pg, "read schema_migrations", "SELECT name, sha256 FROM schema_migrations",
                       0, NULL, &applied)) != VALOR_OK)
        goto out;
    if ((rc = verify_applied(pg, schema, applied, order, n, &filled)) != VALOR_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        char sha[65];
        if (applied_row(applied, order[i]->name) >= 0)
            continue;
        if ((rc = crypto_sha256_hex(order[i]->sql, strlen(order[i]->sql), sha)) != VALOR_OK ||
            (rc = mig_exec(pg, order[i]->name, order[i]->sql, 0, NULL, NULL)) != VALOR_OK)
            goto out;
        const char *nv[] = {order[i]->name, sha};
        if ((rc = mig_exec(pg, "record migration",
                           "INSERT INTO schema_migrations(name, sha256) VALUES ($1, $2)", 2, nv,
                           NULL)) != VALOR_OK)
            goto out;
        count++;
    }
    rc = mig_exec(pg, "COMMIT", "COMMIT", 0, NULL, NULL);
    began = 0;
    if (rc == VALOR_OK && filled > 0)
        log_info(NULL, "db_migrate", "schema %s: recorded the sha256 of %d applied migration(s)",
                 schema, filled);
    if (rc == VALOR_OK && count > 0)
        log_info(NULL, "db_migrate", "schema %s: %d migration(s) applied", schema, count);
out:
    if (began) {
        if (PQstatus(pg) == CONNECTION_OK)
            PQclear(PQexec(pg, "ROLLBACK"));
        /* a changed migration was logged as the one line that says why */
        if (rc != VALOR_E_CONFLICT)
            log_error(NULL, "db_migrate_error", "schema %s: migrations rolled back (%s)", schema,
                      valor_err_name(rc));
    }
    PQclear(applied);
    if (pg)
        PQfinish(pg);
    free(order);
    return rc;
}
