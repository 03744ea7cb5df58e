/* store_scenarios: saved scenarios (see store.h). */
#include "store.h"

#include <stdlib.h>

#include "valor/bus.h"
#include "valor/db.h"
#include "valor/err.h"

/* Upserts one scenario and writes its scenario.saved event. */
static int save_one(struct db_conn *c, const struct store_actor *a, const struct store_scenario *s)
{
    char id[CRYPTO_UUID_LEN];
    char *inputs = NULL, *mc = NULL;
    PGresult *res = NULL;
    json_t *data = NULL;
    int rc = VALOR_E_NOMEM;

    inputs = json_dumps(s->inputs, JSON_COMPACT);
    if (s->mc_settings != NULL)
        mc = json_dumps(s->mc_settings, JSON_COMPACT);
    data = json_pack("{s:s, s:s}", "ticker", s->ticker, "name", s->name);
    if (inputs == NULL || (s->mc_settings != NULL && mc == NULL) || data == NULL)
        goto out;
    if ((rc = crypto_uuid4(id)) != VALOR_OK)
        goto out;
    const char *params[7] = {id, a->tenant, a->user_id, s->name, s->ticker, inputs, mc};
    if ((rc = db_exec(c, "scenario_upsert", 7, params, &res)) != VALOR_OK)
        goto out;
    /* an update keeps the existing scenario_id */
    struct bus_event ev = {.type = "scenario.saved",
                           .tenant = a->tenant,
                           .user_id = a->user_id,
                           .entity_id = PQgetvalue(res, 0, 0),
                           .request_id = a->request_id,
                           .data = data};
    rc = bus_outbox_add(c, &ev, NULL);
out:
    PQclear(res);
    json_decref(data);
    free(inputs);
    free(mc);
    return rc;
}

int store_scenarios_save(struct db_conn *c, const struct store_actor *a,
                         const struct store_scenario *items, size_t n)
{
    int rc = db_begin(c);
    for (size_t i = 0; rc == VALOR_OK && i < n; i++)
        rc = save_one(c, a, &items[i]);
    if (rc == VALOR_OK)
        rc = db_commit(c);
    if (rc != VALOR_OK)
        db_rollback(c);
    return rc;
}

int store_scenario_delete(struct db_conn *c, const struct store_actor *a, const char *scenario_id)
{
    const char *params[2] = {a->tenant, scenario_id};
    PGresult *res = NULL;
    json_t *data = NULL;
    int rc;

    if (scenario_id == NULL || !crypto_is_uuid(scenario_id))
        return VALOR_E_NOT_FOUND;
    if ((rc = db_begin(c)) != VALOR_OK)
        return rc;
    if ((rc = db_exec(c, "scenario_delete", 2, params, &res)) != VALOR_OK)
        goto out;
    if (PQntuples(res) == 0) {
        rc = VALOR_E_NOT_FOUND;
        goto out;
    }
    data = json_pack("{s:s, s:s}", "ticker", PQgetvalue(res, 0, 0), "name", PQgetvalue(res, 0, 1));
    struct bus_event ev = {.type = "scenario.deleted",
                           .tenant = a->tenant,
                           .user_id = a->user_id,
                           .entity_id = scenario_id,
                           .request_id = a->request_id,
                           .data = data};
    if ((rc = bus_outbox_add(c, &ev, NULL)) == VALOR_OK)
        rc = db_commit(c);
out:
    if (rc != VALOR_OK)
        db_rollback(c);
    json_decref(data);
    PQclear(res);
    return rc;
}
