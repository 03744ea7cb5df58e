/* store_runs: runs and the prepared statements of the schema (see store.h). */
#include "store.h"
#include "store_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/bus.h"
#include "valor/db.h"
#include "valor/err.h"

#define RUN_COLUMNS                                                                                \
    "id, run_id::text AS run_id, ticker, inputs, mc_settings, results, user_id, created_at, "      \
    "updated_at"
#define SCENARIO_COLUMNS                                                                           \
    "id, scenario_id::text AS scenario_id, name, ticker, inputs, mc_settings, created_at, "        \
    "updated_at"

const struct db_stmt runs_stmts[RUNS_NSTMTS] = {
    {"run_insert",
     "INSERT INTO runs (run_id, tenant_id, user_id, ticker, inputs, mc_settings, results, "
     "user_name) VALUES ($1::uuid, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8)"},
    {"run_report", "SELECT run_id::text AS run_id, ticker, inputs, mc_settings, results, user_id, "
                   "user_name FROM runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    {"run_get", "SELECT " RUN_COLUMNS " FROM runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    {"run_last", "SELECT " RUN_COLUMNS " FROM runs WHERE tenant_id = $1 "
                 "ORDER BY updated_at DESC, id DESC LIMIT 1"},
    STORE_LIST_STMTS("run", "runs", RUN_COLUMNS),
    {"run_lock", "SELECT user_id, ticker FROM runs WHERE tenant_id = $1 AND run_id = $2::uuid "
                 "FOR UPDATE"},
    {"run_delete", "DELETE FROM runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    {"scenario_upsert",
     "INSERT INTO scenarios (scenario_id, tenant_id, user_id, name, ticker, inputs, mc_settings) "
     "VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, $7::jsonb) "
     "ON CONFLICT (tenant_id, ticker, name) DO UPDATE SET inputs = EXCLUDED.inputs, "
     "mc_settings = EXCLUDED.mc_settings, user_id = EXCLUDED.user_id, updated_at = now() "
     "RETURNING scenario_id::text"},
    STORE_LIST_STMTS("scenario", "scenarios", SCENARIO_COLUMNS),
    {"scenario_delete", "DELETE FROM scenarios WHERE tenant_id = $1 AND scenario_id = $2::uuid "
                        "RETURNING ticker, name"},
};
_Static_assert(sizeof(runs_stmts) / sizeof(runs_stmts[0]) == RUNS_NSTMTS, "RUNS_NSTMTS");

/* Compact JSON text of v, or NULL for NULL (SQL NULL). *err set on failure. */
static char *dump(const json_t *v, int *err)
{
    char *s;
    if (v == NULL)
        return NULL;
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s == NULL)
        *err = VALOR_E_NOMEM;
    return s;
}

int store_run_insert(struct db_conn *c, const struct store_actor *a, const struct store_run_new *r,
                     char run_id[CRYPTO_UUID_LEN])
{
    int rc = VALOR_OK;
    char *inputs = dump(r->inputs, &rc), *mc = dump(r->mc_settings, &rc);
    char *results = dump(r->results, &rc);
    json_t *data = NULL;

    if (rc != VALOR_OK || (rc = crypto_uuid4(run_id)) != VALOR_OK)
        goto out;
    const char *params[8] = {run_id, a->tenant, a->user_id, r->ticker,
                             inputs, mc,        results,    a->user_name};
    data = json_pack("{s:s, s:b}", "ticker", r->ticker, "computed", r->results != NULL);
    struct bus_event ev = {.type = "run.created",
                           .tenant = a->tenant,
                           .user_id = a->user_id,
                           .entity_id = run_id,
                           .request_id = a->request_id,
                           .data = data};
    if ((rc = db_begin(c)) != VALOR_OK)
        goto out;
    if ((rc = db_exec(c, "run_insert", 8, params, NULL)) != VALOR_OK ||
        (rc = bus_outbox_add(c, &ev, NULL)) != VALOR_OK || (rc = db_commit(c)) != VALOR_OK)
        db_rollback(c);
out:
    json_decref(data);
    free(inputs);
    free(mc);
    free(results);
    return rc;
}

/* First row of a statement as JSON, VALOR_E_NOT_FOUND when there is none. */
static int one_row(struct db_conn *c, const char *stmt, int n, const char *const *params,
                   json_t **out)
{
    PGresult *res = NULL;
    int rc = db_exec(c, stmt, n, params, &res);

    *out = NULL;
    if (rc != VALOR_OK)
        return rc;
    if (PQntuples(res) == 0)
        rc = VALOR_E_NOT_FOUND;
    else if ((*out = db_row_json(res, 0)) == NULL)
        rc = VALOR_E_NOMEM;
    PQclear(res);
    return rc;
}

int store_run_get(struct db_conn *c, const char *tenant, const char *run_id, json_t **out)
{
    const char *params[2] = {tenant, run_id};
    *out = NULL;
    if (run_id == NULL || !crypto_is_uuid(run_id))
        return VALOR_E_NOT_FOUND;
    return one_row(c, "run_get", 2, params, out);
}

int store_run_report(struct db_conn *c, const char *tenant, const char *run_id, json_t **out)
{
    const char *params[2] = {tenant, run_id};
    *out = NULL;
    if (run_id == NULL || !crypto_is_uuid(run_id))
        return VALOR_E_NOT_FOUND;
    return one_row(c, "run_report", 2, params, out);
}

int store_run_last(struct db_conn *c, const char *tenant, json_t **out)
{
    const char *params[1] = {tenant};
    return one_row(c, "run_last", 1, params, out);
}

int store_run_delete(struct db_conn *c, const struct store_actor *a, const char *run_id)
{
    const char *params[2] = {a->tenant, run_id};
    PGresult *res = NULL;
    json_t *data = NULL;
    int rc;

    if (run_id == NULL || !crypto_is_uuid(run_id))
        return VALOR_E_NOT_FOUND;
    if ((rc = db_begin(c)) != VALOR_OK)
        return rc;
    if ((rc = db_exec(c, "run_lock", 2, params, &res)) != VALOR_OK)
        goto out;
    if (PQntuples(res) == 0) {
        rc = VALOR_E_NOT_FOUND;
        goto out;
    }
    if (!a->is_admin && strcmp(PQgetvalue(res, 0, 0), a->user_id) != 0) {
        rc = VALOR_E_FORBIDDEN;
        goto out;
    }
    data = json_pack("{s:s}", "ticker", PQgetvalue(res, 0, 1));
    struct bus_event ev = {.type = "run.deleted",
                           .tenant = a->tenant,
                           .user_id = a->user_id,
                           .entity_id = run_id,
                           .request_id = a->request_id,
                           .data = data};
    if ((rc = db_exec(c, "run_delete", 2, params, NULL)) != VALOR_OK ||
        (rc = bus_outbox_add(c, &ev, NULL)) != VALOR_OK)
        goto out;
    rc = db_commit(c);
out:
    if (rc != VALOR_OK)
        db_rollback(c);
    json_decref(data);
    PQclear(res);
    return rc;
}
