/* deals: what every svc-deals handler shares — the route user data, the
 * authentication call, paging, database error replies, JSON rows and events.
 */
#ifndef VALOR_DEALS_DEALS_H
#define VALOR_DEALS_DEALS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "valor/authn.h"
#include "valor/http.h"
#include "valor/jsonv.h"
#include "valor/jwt.h"
#include "valor/svc.h"

struct db_conn;

/* A stored record type (LBO/M&A run or scenario) for the shared list, last,
 * get and delete handlers. Statement names are "<table>_list" etc. */
struct deals_kind {
    const char *table;      /* "lbo_runs": prefix of its statement names */
    const char *list_key;   /* list reply key: "runs", "scenarios" or "data" */
    const char *not_found;  /* 404 message, e.g. "LBO run not found" */
    const char *none_found; /* 404 of /last, e.g. "No LBO runs found"; NULL: no /last */
    const char *deleted;    /* e.g. "LBO run deleted successfully" */
    const char *event;      /* delete event type, e.g. "lbo_run.deleted"; NULL: none */
    int author_only;        /* delete: the author or an admin only */
    long max_limit;         /* ?limit in 1..max_limit */
    long default_limit;
};

extern const struct deals_kind deals_lbo_runs, deals_ma_runs, deals_lbo_scenarios,
    deals_ma_scenarios;

/* The user data of every route: the service and, for the shared handlers, the kind. */
struct deals_route {
    struct svc *svc;
    const struct deals_kind *kind; /* NULL for the specific handlers */
};

/* authn_request with the service's JWT parameters and Redis; on failure it
 * has replied. need: AUTHN_READ or AUTHN_WRITE. */
int deals_auth(struct http_ctx *ctx, unsigned need, struct vjwt_claims *claims);

/* The request body as a JSON object (caller json_decrefs *out). On failure it
 * has replied: 415/400 for bad JSON; `not_object` as {"error": not_object}
 * when given, else a ValidationError for field "body". */
int deals_body_object(struct http_ctx *ctx, const char *not_object, json_t **out);

/* ?limit (1..max, default def) and ?offset (≥ 0) into text buffers (≥ 24
 * bytes) for SQL parameters. On failure it has replied 400. */
int deals_page(struct http_ctx *ctx, long def, long max, char *limit, char *offset);

/* Replies 503 "Service unavailable" for VALOR_E_UNAVAILABLE, else 500. */
void deals_reply_db(struct http_ctx *ctx, int rc);

/* Replies {"success":true} followed by the members of `fields` (stolen; a
 * json_pack result, so NULL after a failed pack → 500). */
void deals_reply_ok(struct http_ctx *ctx, unsigned status, json_t *fields);

/* Every row of res as JSON objects (db_row_json). Caller owns it; NULL on OOM. */
json_t *deals_rows(const PGresult *res);

/* bus_outbox_add of event `type` for the caller's tenant/user/request, within
 * the open transaction on conn. data borrowed, may be NULL. */
int deals_event(struct db_conn *conn, const struct http_ctx *ctx, const char *type,
                const char *entity_id, json_t *data);

/* Appends {"index": index, "field": e->field, "error": "<field>: <msg>"} to errors. */
void deals_item_error(json_t *errors, size_t index, const struct jsonv_err *e);

/* A name field: a string of 1..max characters when present. Absent, null or
 * "" → *out = def (NULL def: "required"). Returns VALOR_OK or VALOR_E_INVALID
 * with *e. *out is borrowed from obj (or def). */
int deals_name(const json_t *obj, const char *field, const char *def, size_t max, const char **out,
               struct jsonv_err *e);

/* An engine behind a /calculate route: validates `inputs`, computes, and
 * returns the result JSON in *out (caller owns); on failure it has replied. */
typedef int (*deals_compute_fn)(struct http_ctx *ctx, const json_t *inputs, json_t **out);

/* POST …/calculate: authenticates (any role: nothing is stored), reads
 * {"inputs": object} and replies {"success":true,"data":<result>}. */
void deals_calculate(struct http_ctx *ctx, deals_compute_fn compute);

/* Saves a new run in one transaction: prepared statement `stmt` with its
 * parameters (its row's column 1 is the public run_id) and event `type` with
 * `data` (borrowed) for that id. *res (caller PQclears) holds the row. */
int deals_insert_run(struct http_ctx *ctx, struct svc *svc, const char *stmt, int nparams,
                     const char *const *params, const char *type, json_t *data, PGresult **res);

/* Commits and wakes the outbox publisher. */
int deals_commit(struct db_conn *conn, struct svc *svc);

/* The token's username (saved with a run for its reports), NULL when none. */
static inline const char *deals_username(const struct vjwt_claims *claims)
{
    return claims->username[0] != '\0' ? claims->username : NULL;
}

/* The route's data for the handler. */
static inline const struct deals_route *deals_route_of(const struct http_ctx *ctx)
{
    return (const struct deals_route *)ctx->ud;
}

#endif
