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
#define RUNS_NSTMTS 22
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

/* The listings: runs and scenarios share one implementation (store_list.c). */
enum store_listing { STORE_LIST_RUNS = 0, STORE_LIST_SCENARIOS };

/* One page of a listing: rows matching the filters, in the sort order (ties
 * broken by id in the same direction, so pages are stable). */
struct store_list_query {
    long page, per_page; /* page ≥ 1 */
    enum store_sort sort;
    int ascending;
    const char *ticker; /* exact, or NULL */
    const char *q;      /* substring of the ticker (case-insensitive, literal), or NULL */
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
/* One page of the tenant's <Run>s or <Scenario>s (*rows: a new array, caller
 * owns it) and the number of rows matching the filters (*total). */
int store_list(struct db_conn *c, enum store_listing what, const char *tenant,
               const struct store_list_query *q, json_t **rows, long *total);
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
/* Deletes a scenario and writes scenario.deleted; VALOR_E_NOT_FOUND. */
int store_scenario_delete(struct db_conn *c, const struct store_actor *a, const char *scenario_id);

#endif
