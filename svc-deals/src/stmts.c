/* stmts: the prepared statements of svc-deals (see stmts.h). Statement names
 * are "<table>_<verb>"; the handlers name them as string literals. Lists are
 * newest first with the id as tie-break; ids are compared as uuid only after
 * the handler checked they are well-formed UUIDs. Scenario saves and note
 * writes stamp clock_timestamp(), not now(): several items saved in one
 * transaction keep their order. */
#include "stmts.h"

#define LBO_RUN_COLS                                                                               \
    "id, run_id::text AS run_id, company_name, inputs, results, user_id, created_at, updated_at"
#define MA_RUN_COLS                                                                                \
    "id, run_id::text AS run_id, deal_name, acquirer_name, target_name, inputs, results, "         \
    "user_id, created_at, updated_at"
#define LBO_SCN_COLS                                                                               \
    "id, scenario_id::text AS scenario_id, name, company_name, inputs, created_at, updated_at"
#define MA_SCN_COLS                                                                                \
    "id, scenario_id::text AS scenario_id, name, deal_name, acquirer_name, target_name, inputs, "  \
    "created_at, updated_at"
#define NOTE_TIME "updated_at, floor(extract(epoch FROM updated_at))::bigint AS mtime"

const struct db_stmt deals_stmts[] = {
    /* LBO runs */
    {"lbo_runs_insert",
     "INSERT INTO lbo_runs (tenant_id, user_id, company_name, inputs, results, user_name) "
     "VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6) RETURNING id, run_id::text AS run_id"},
    {"lbo_runs_report", "SELECT run_id::text AS run_id, company_name, inputs, results, user_id, "
                        "user_name FROM lbo_runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    {"lbo_runs_list", "SELECT " LBO_RUN_COLS " FROM lbo_runs WHERE tenant_id = $1 "
                      "ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"},
    {"lbo_runs_last", "SELECT " LBO_RUN_COLS " FROM lbo_runs WHERE tenant_id = $1 "
                      "ORDER BY updated_at DESC, id DESC LIMIT 1"},
    {"lbo_runs_get",
     "SELECT " LBO_RUN_COLS " FROM lbo_runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    {"lbo_runs_delete", "DELETE FROM lbo_runs WHERE tenant_id = $1 AND run_id = $2::uuid "
                        "AND ($3::boolean OR user_id = $4) RETURNING company_name"},
    {"lbo_runs_exists", "SELECT 1 FROM lbo_runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    /* M&A runs */
    {"ma_runs_insert",
     "INSERT INTO ma_runs (tenant_id, user_id, deal_name, acquirer_name, target_name, inputs, "
     "results, user_name) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8) "
     "RETURNING id, run_id::text AS run_id, deal_name"},
    {"ma_runs_report",
     "SELECT run_id::text AS run_id, deal_name, acquirer_name, target_name, inputs, results, "
     "user_id, user_name FROM ma_runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    {"ma_runs_list", "SELECT " MA_RUN_COLS " FROM ma_runs WHERE tenant_id = $1 "
                     "ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"},
    {"ma_runs_last", "SELECT " MA_RUN_COLS " FROM ma_runs WHERE tenant_id = $1 "
                     "ORDER BY updated_at DESC, id DESC LIMIT 1"},
    {"ma_runs_get",
     "SELECT " MA_RUN_COLS " FROM ma_runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    {"ma_runs_delete", "DELETE FROM ma_runs WHERE tenant_id = $1 AND run_id = $2::uuid "
                       "AND ($3::boolean OR user_id = $4) RETURNING deal_name"},
    {"ma_runs_exists", "SELECT 1 FROM ma_runs WHERE tenant_id = $1 AND run_id = $2::uuid"},
    /* LBO scenarios: upsert on (tenant, company_name, name) */
    {"lbo_scenarios_upsert",
     "INSERT INTO lbo_scenarios (tenant_id, user_id, name, company_name, inputs, created_at, "
     "updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, clock_timestamp(), clock_timestamp()) "
     "ON CONFLICT (tenant_id, company_name, name) "
     "DO UPDATE SET inputs = EXCLUDED.inputs, user_id = EXCLUDED.user_id, "
     "updated_at = clock_timestamp() RETURNING " LBO_SCN_COLS ", (xmax = 0) AS inserted"},
    {"lbo_scenarios_list", "SELECT " LBO_SCN_COLS " FROM lbo_scenarios WHERE tenant_id = $1 "
                           "ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3"},
    {"lbo_scenarios_delete",
     "DELETE FROM lbo_scenarios WHERE tenant_id = $1 AND scenario_id = $2::uuid "
     "AND ($3::boolean OR user_id = $4) RETURNING name, company_name"},
    {"lbo_scenarios_exists",
     "SELECT 1 FROM lbo_scenarios WHERE tenant_id = $1 AND scenario_id = $2::uuid"},
    /* M&A scenarios: upsert on (tenant, name) */
    {"ma_scenarios_upsert",
     "INSERT INTO ma_scenarios (tenant_id, user_id, name, deal_name, acquirer_name, target_name, "
     "inputs, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, "
     "clock_timestamp(), clock_timestamp()) ON CONFLICT (tenant_id, name) "
     "DO UPDATE SET deal_name = EXCLUDED.deal_name, acquirer_name = EXCLUDED.acquirer_name, "
     "target_name = EXCLUDED.target_name, inputs = EXCLUDED.inputs, user_id = EXCLUDED.user_id, "
     "updated_at = clock_timestamp() RETURNING " MA_SCN_COLS ", (xmax = 0) AS inserted"},
    {"ma_scenarios_list", "SELECT " MA_SCN_COLS " FROM ma_scenarios WHERE tenant_id = $1 "
                          "ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3"},
    {"ma_scenarios_delete",
     "DELETE FROM ma_scenarios WHERE tenant_id = $1 AND scenario_id = $2::uuid "
     "AND ($3::boolean OR user_id = $4) RETURNING name"},
    {"ma_scenarios_exists",
     "SELECT 1 FROM ma_scenarios WHERE tenant_id = $1 AND scenario_id = $2::uuid"},
    /* notes: one row per (tenant, ticker); writes lock the row first */
    {"notes_get", "SELECT ticker, content, version, updated_by, etag, " NOTE_TIME
                  " FROM notes WHERE tenant_id = $1 AND ticker = $2"},
    {"notes_lock",
     "SELECT version, etag FROM notes WHERE tenant_id = $1 AND ticker = $2 FOR UPDATE"},
    {"notes_insert", "INSERT INTO notes (tenant_id, ticker, content, version, etag, updated_by, "
                     "updated_at) VALUES ($1, $2, $3, 1, $4, $5, clock_timestamp()) "
                     "ON CONFLICT (tenant_id, ticker) DO NOTHING RETURNING version, " NOTE_TIME},
    {"notes_update", "UPDATE notes SET content = $3, version = $4, etag = $5, updated_by = $6, "
                     "updated_at = clock_timestamp() WHERE tenant_id = $1 AND ticker = $2 "
                     "RETURNING version, " NOTE_TIME},
};

_Static_assert(sizeof(deals_stmts) / sizeof(deals_stmts[0]) == DEALS_NSTMTS,
               "DEALS_NSTMTS must count deals_stmts");
