/* db: PostgreSQL through libpq — one connection per thread, prepared
 * statements re-prepared after every (re)connect, rollback before reuse,
 * and numbered SQL migrations applied under an advisory lock.
 *
 * Every connection runs with search_path = the service's schema, so SQL in
 * statements and migrations names tables without a schema prefix.
 */
#ifndef VALOR_DB_H
#define VALOR_DB_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

struct db_stmt {
    const char *name; /* prepared statement name */
    const char *sql;  /* parameterised SQL ($1, $2, …) */
};

struct db_migration {
    const char *name; /* file name, e.g. "000_outbox.sql", "001_init.sql"; applied in name order */
    const char *sql;
};

struct db_pool_opts {
    const char *url;             /* borrowed during db_pool_new (copied) */
    const char *schema;          /* copied; also the search_path */
    const struct db_stmt *stmts; /* borrowed for the pool's lifetime (static tables) */
    size_t nstmts;
    int connect_timeout_ms; /* 0 → 2000 */
};

struct db_pool;
struct db_conn; /* one per thread, owned by the pool */

int db_pool_new(const struct db_pool_opts *opts, struct db_pool **out);
/* Closes every connection. No thread may use the pool any more. */
void db_pool_free(struct db_pool *pool);

/* This thread's connection: connects (or reconnects a broken one) and
 * prepares every statement. VALOR_E_UNAVAILABLE when PostgreSQL is down.
 * Borrowed until db_release(). */
int db_acquire(struct db_pool *pool, struct db_conn **out);
/* Rolls back a transaction left open or failed, so the next user starts clean. */
void db_release(struct db_conn *conn);

/* Borrowed libpq handle (for PQescape*, COPY, LISTEN…). */
PGconn *db_pg(struct db_conn *conn);

/* Runs prepared statement `stmt` (or, when `stmt` contains a space, that SQL
 * text via PQexecParams). Text-format parameters; NULL entries are SQL NULL.
 * Outside a transaction, a connection lost before the statement is re-made
 * and the statement retried once. On VALOR_OK *res (may be NULL when the
 * caller does not want it) holds the result: caller PQclear()s it.
 * Errors: VALOR_E_CONFLICT (unique violation 23505), VALOR_E_INVALID (22xxx
 * data exceptions, 23502/23503/23514 constraint violations), VALOR_E_UNAVAILABLE
 * (connection lost), VALOR_E_INTERNAL (anything else, logged with SQLSTATE). */
int db_exec(struct db_conn *conn, const char *stmt, int nparams, const char *const *values,
            PGresult **res);

int db_begin(struct db_conn *conn);
int db_commit(struct db_conn *conn);
int db_rollback(struct db_conn *conn);

/* SELECT 1 within timeout_ms on this thread's connection (for /ready). */
int db_ping(struct db_pool *pool, int *latency_ms);

/* Number of connections open and in use (for db_pool_connections{state}). */
void db_pool_stats(struct db_pool *pool, int *open, int *in_use);

/* Row `row` of a result as a JSON object keyed by column name: int2/int4/int8
 * → integer, float4/float8/numeric → real, bool → true/false, json/jsonb → the
 * parsed value, timestamptz → RFC 3339 UTC with milliseconds and Z
 * ("2026-11-28T10:00:00.123Z"; connections run with TimeZone=UTC), SQL NULL →
 * null, anything else (text, uuid, …) → string. Caller owns the result
 * (json_decref); NULL only when out of memory. */
json_t *db_row_json(const PGresult *res, int row);

/* Creates the schema if needed and applies, in name order, every migration
 * not yet recorded in <schema>.schema_migrations — all inside one transaction
 * holding pg_advisory_xact_lock(hash of schema), so replicas starting at once
 * neither fail nor apply twice. Each row records the SHA-256 of the SQL it
 * applied (rows from before that get it filled in on the next run); when an
 * applied migration's SQL no longer has its recorded SHA-256, nothing is
 * applied and VALOR_E_CONFLICT is returned after one log line
 * ("migration_changed") naming the file. VALOR_E_UNAVAILABLE: PostgreSQL
 * unreachable; VALOR_E_INVALID: bad arguments or a duplicate name. */
int db_migrate(const char *url, const char *schema, const struct db_migration *migs, size_t n,
               int connect_timeout_ms);

#endif
