/* store: the runs schema — saved DCF runs and scenarios. Every query
 * filters by tenant; every change writes its event into the outbox in the
 * same transaction (the caller kicks the publisher after a VALOR_OK).
 */
#ifndef RUNS_STORE_H
#define RUNS_STORE_H

#include <stddef.h>
#include <jansson.h>

#include "valor/crypto.h"
#include "valor/db.h"

/* Prepared on every connection (svc_def.stmts). */
#define RUNS_NSTMTS 16
extern const struct db_stmt runs_stmts[RUNS_NSTMTS];

/* Who is writing: borrowed strings. */
struct store_actor {
    const char *tenant;
    const char *user_id;
    const char *user_name; /* the token's username, NULL when it has none */
    const char *request_id;
    int is_admin;
};

struct store_run_new {
    const char *ticker;
    const json_t *inputs;      /* borrowed */
    const json_t *mc_settings; /* borrowed, may be NULL */
    const json_t *results;     /* borrowed, may be NULL */
};

enum store_sort { STORE_SORT_CREATED = 0, STORE_SORT_UPDATED, STORE_SORT_TICKER };

struct store_run_query {
    long page, per_page;
    enum store_sort sort;
    int ascending;
    const char *ticker; /* exact, or NULL */
    const char *q;      /* substring of the ticker, or NULL */
};

/* Inserts a run and its run.created event. run_id receives the new id. */
int store_run_insert(struct db_conn *c, const struct store_actor *a, const struct store_run_new *r,
                     char run_id[CRYPTO_UUID_LEN]);
/* <Run> of the tenant; VALOR_E_NOT_FOUND when absent (or not a UUID).
 * Caller owns *out. */
int store_run_get(struct db_conn *c, const char *tenant, const char *run_id, json_t **out);
/* What a report needs of a run of the tenant: {"run_id", "ticker",
 * "inputs", "mc_settings", "results", "user_id", "user_name"}.
 * VALOR_E_NOT_FOUND when absent (or not a UUID). Caller owns *out. */
int store_run_report(struct db_conn *c, const char *tenant, const char *run_id, json_t **out);
/* The most recently updated run; VALOR_E_NOT_FOUND when none. */
int store_run_last(struct db_conn *c, const char *tenant, json_t **out);
/* One page of <Run>s (*runs: a new array) and the total count. */
int store_run_list(struct db_conn *c, const char *tenant, const struct store_run_query *q,
                   json_t **runs, long *total);
/* Deletes a run and writes run.deleted. VALOR_E_NOT_FOUND (absent, another
 * tenant's, not a UUID) or VALOR_E_FORBIDDEN (neither author nor admin). */
int store_run_delete(struct db_conn *c, const struct store_actor *a, const char *run_id);

struct store_scenario {
    const char *name;
    const char *ticker;
    const json_t *inputs;      /* borrowed */
    const json_t *mc_settings; /* borrowed, may be NULL */
};

/* Upserts n scenarios (on tenant, ticker, name; the scenario_id is kept)
 * with one scenario.saved event each, all in one transaction. */
int store_scenarios_save(struct db_conn *c, const struct store_actor *a,
                         const struct store_scenario *items, size_t n);
/* <Scenario>s of the tenant, newest first; ticker NULL → all. */
int store_scenario_list(struct db_conn *c, const char *tenant, const char *ticker, json_t **out);
/* Deletes a scenario and writes scenario.deleted; VALOR_E_NOT_FOUND. */
int store_scenario_delete(struct db_conn *c, const struct store_actor *a, const char *scenario_id);

#endif
