/* svc-runs: DCF runs, scenarios and the DCF / Monte Carlo / sensitivity
 * engines (api.md §3, engines.md §1–3). */
#include "service.h"

#include <stdlib.h>

#include "engine_mc.h"
#include "handlers.h"
#include "store.h"
#include "valor/cfg.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/log.h"
#include "valor/migrations.h"
#include "valor/report.h"

struct route {
    const char *method, *path;
    http_handler handler;
};

static const struct route routes[] = {
    {"POST", "/api/runs", runs_h_create},
    {"GET", "/api/runs", runs_h_list},
    {"GET", "/api/runs/last", runs_h_last},
    {"GET", "/api/runs/:run_id", runs_h_get},
    {"DELETE", "/api/runs/:run_id", runs_h_delete},
    {"POST", "/api/scenarios", scenarios_h_save},
    {"GET", "/api/scenarios", scenarios_h_list},
    {"DELETE", "/api/scenarios/:scenario_id", scenarios_h_delete},
    {"POST", "/api/dcf/calculate", dcf_h_calculate},
    {"POST", "/api/dcf/monte-carlo", dcf_h_monte_carlo},
    {"POST", "/api/dcf/sensitivity", dcf_h_sensitivity},
    {"GET", "/api/reports/dcf", reports_h_dcf},
};

static int register_routes(struct svc *s)
{
    struct runs_priv *p;
    char why[160];
    int rc;

    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return VALOR_E_NOMEM;
    s->priv = p;
    rc = cfg_env_long("MC_MAX_TRIALS", MC_DEFAULT_MAX_TRIALS, MC_MIN_TRIALS, 10000000,
                      &p->mc_max_trials, why, sizeof(why));
    if (rc != VALOR_OK) {
        log_error(NULL, "config_refused", "%s", why);
        return rc;
    }
    if (rpt_init(why, sizeof(why)) != VALOR_OK)
        log_warn(NULL, "report_fonts", "%s", why);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if ((rc = http_route(s->http, routes[i].method, routes[i].path, routes[i].handler, s)) !=
            VALOR_OK)
            return rc;
    return VALOR_OK;
}

static void cleanup(struct svc *s)
{
    free(s->priv);
    rpt_shutdown(); /* the HTTP workers are gone: no report renders any more */
}

const struct svc_def runs_def = {
    .name = "runs",
    .schema = "runs",
    .default_port = 5102,
    .migrations = valor_migrations,
    .stmts = runs_stmts,
    .nstmts = RUNS_NSTMTS,
    .register_routes = register_routes,
    .cleanup = cleanup,
};
