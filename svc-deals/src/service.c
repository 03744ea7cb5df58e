/* svc-deals: LBO and M&A runs, scenarios and calculators, and per-ticker
 * notes (api.md §4). */
#include "service.h"

#include <stdlib.h>

#include "deals.h"
#include "handlers_lbo.h"
#include "handlers_ma.h"
#include "handlers_notes.h"
#include "handlers_records.h"
#include "handlers_reports.h"
#include "stmts.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/log.h"
#include "valor/migrations.h"
#include "valor/report.h"

enum { R_PLAIN, R_LBO_RUNS, R_MA_RUNS, R_LBO_SCENARIOS, R_MA_SCENARIOS, R_COUNT };

struct deals_priv {
    struct deals_route routes[R_COUNT];
};

static const struct {
    const char *method, *path;
    http_handler handler;
    int route;
} deals_routes[] = {
    {"POST", "/api/lbo/runs", lbo_runs_create, R_PLAIN},
    {"GET", "/api/lbo/runs", deals_records_list, R_LBO_RUNS},
    {"GET", "/api/lbo/runs/last", deals_records_last, R_LBO_RUNS},
    {"GET", "/api/lbo/runs/:id", deals_records_get, R_LBO_RUNS},
    {"DELETE", "/api/lbo/runs/:id", deals_records_delete, R_LBO_RUNS},
    {"POST", "/api/lbo/scenarios", lbo_scenarios_save, R_PLAIN},
    {"GET", "/api/lbo/scenarios", deals_records_list, R_LBO_SCENARIOS},
    {"DELETE", "/api/lbo/scenarios/:id", deals_records_delete, R_LBO_SCENARIOS},
    {"POST", "/api/lbo/calculate", lbo_calculate, R_PLAIN},
    {"POST", "/api/ma/runs", ma_runs_create, R_PLAIN},
    {"GET", "/api/ma/runs", deals_records_list, R_MA_RUNS},
    {"GET", "/api/ma/runs/last", deals_records_last, R_MA_RUNS},
    {"GET", "/api/ma/runs/:id", deals_records_get, R_MA_RUNS},
    {"DELETE", "/api/ma/runs/:id", deals_records_delete, R_MA_RUNS},
    {"POST", "/api/ma/scenarios", ma_scenarios_save, R_PLAIN},
    {"GET", "/api/ma/scenarios", deals_records_list, R_MA_SCENARIOS},
    {"DELETE", "/api/ma/scenarios/:id", deals_records_delete, R_MA_SCENARIOS},
    {"POST", "/api/ma/calculate", ma_calculate, R_PLAIN},
    {"GET", "/api/notes/:ticker", notes_get, R_PLAIN},
    {"POST", "/api/notes/:ticker", notes_put, R_PLAIN},
    {"PUT", "/api/notes/:ticker", notes_put, R_PLAIN},
    {"GET", "/api/reports/lbo", lbo_report, R_PLAIN},
    {"GET", "/api/reports/ma", ma_report, R_PLAIN},
};

static int register_routes(struct svc *s)
{
    struct deals_priv *p = calloc(1, sizeof(*p));
    const struct deals_kind *kinds[R_COUNT] = {NULL, &deals_lbo_runs, &deals_ma_runs,
                                               &deals_lbo_scenarios, &deals_ma_scenarios};

    char why[256];

    if (p == NULL)
        return VALOR_E_NOMEM;
    s->priv = p;
    if (rpt_init(why, sizeof(why)) != VALOR_OK)
        log_warn(NULL, "report_fonts", "%s", why);
    for (int i = 0; i < R_COUNT; i++)
        p->routes[i] = (struct deals_route){.svc = s, .kind = kinds[i]};
    for (size_t i = 0; i < sizeof(deals_routes) / sizeof(deals_routes[0]); i++) {
        int rc = http_route(s->http, deals_routes[i].method, deals_routes[i].path,
                            deals_routes[i].handler, &p->routes[deals_routes[i].route]);
        if (rc != VALOR_OK)
            return rc;
    }
    return VALOR_OK;
}

static void cleanup(struct svc *s)
{
    free(s->priv);
    s->priv = NULL;
    rpt_shutdown(); /* the HTTP workers are gone: no report renders any more */
}

const struct svc_def deals_def = {
    .name = "deals",
    .schema = "deals",
    .default_port = 5104,
    .migrations = valor_migrations,
    .stmts = deals_stmts,
    .nstmts = DEALS_NSTMTS,
    .register_routes = register_routes,
    .cleanup = cleanup,
};
