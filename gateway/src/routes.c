#include "routes.h"

#include <string.h>

#define A GW_SVC_AUTH
#define R GW_SVC_RUNS
#define F GW_SVC_FINANCIAL
#define D GW_SVC_DEALS
#define GET GW_M_GET
#define POST GW_M_POST
#define PUT GW_M_PUT
#define PATCH GW_M_PATCH
#define DELETE GW_M_DELETE
#define T GW_R_TENANT

/* A literal template wins over one with parameters ("/api/runs/last" before
 * "/api/runs/:run_id"), whatever the order here. */
const struct gw_route gw_routes[] = {
    /* auth (api.md §2) */
    {"/api/auth/register", "/api/auth/register", POST, A, GW_BUCKET_AUTH, GW_R_PUBLIC},
    {"/api/auth/login", "/api/auth/login", POST, A, GW_BUCKET_AUTH, GW_R_PUBLIC},
    {"/api/auth/refresh", "/api/auth/refresh", POST, A, GW_BUCKET_AUTH, GW_R_PUBLIC},
    {"/api/auth/logout", "/api/auth/logout", POST, A, GW_BUCKET_API, GW_R_ANY_ROLE},
    {"/api/auth/profile", "/api/auth/profile", GET, A, GW_BUCKET_API, 0},
    {"/api/auth/users", "/api/auth/users", GET | POST, A, GW_BUCKET_API, GW_R_ADMIN},
    {"/api/auth/users/:id", "/api/auth/users/{id}", PATCH, A, GW_BUCKET_API, GW_R_ADMIN},
    {"/api/audit", "/api/audit", GET, A, GW_BUCKET_API, GW_R_ADMIN},
    /* runs (§3) */
    {"/api/runs", "/api/runs", GET | POST, R, GW_BUCKET_API, T},
    {"/api/runs/last", "/api/runs/last", GET, R, GW_BUCKET_API, T},
    {"/api/runs/:run_id", "/api/runs/{run_id}", GET | DELETE, R, GW_BUCKET_API, T},
    {"/api/scenarios", "/api/scenarios", GET | POST, R, GW_BUCKET_API, T},
    {"/api/scenarios/:scenario_id", "/api/scenarios/{scenario_id}", DELETE, R, GW_BUCKET_API, T},
    {"/api/dcf/calculate", "/api/dcf/calculate", POST, R, GW_BUCKET_API, T | GW_R_ANY_ROLE},
    {"/api/dcf/monte-carlo", "/api/dcf/monte-carlo", POST, R, GW_BUCKET_HEAVY, T | GW_R_ANY_ROLE},
    {"/api/dcf/sensitivity", "/api/dcf/sensitivity", POST, R, GW_BUCKET_HEAVY, T | GW_R_ANY_ROLE},
    /* deals (§4) */
    {"/api/lbo/runs", "/api/lbo/runs", GET | POST, D, GW_BUCKET_API, T},
    {"/api/lbo/runs/last", "/api/lbo/runs/last", GET, D, GW_BUCKET_API, T},
    {"/api/lbo/runs/:run_id", "/api/lbo/runs/{run_id}", GET | DELETE, D, GW_BUCKET_API, T},
    {"/api/lbo/scenarios", "/api/lbo/scenarios", GET | POST, D, GW_BUCKET_API, T},
    {"/api/lbo/scenarios/:scenario_id", "/api/lbo/scenarios/{scenario_id}", DELETE, D,
     GW_BUCKET_API, T},
    {"/api/lbo/calculate", "/api/lbo/calculate", POST, D, GW_BUCKET_API, T | GW_R_ANY_ROLE},
    {"/api/ma/runs", "/api/ma/runs", GET | POST, D, GW_BUCKET_API, T},
    {"/api/ma/runs/last", "/api/ma/runs/last", GET, D, GW_BUCKET_API, T},
    {"/api/ma/runs/:run_id", "/api/ma/runs/{run_id}", GET | DELETE, D, GW_BUCKET_API, T},
    {"/api/ma/scenarios", "/api/ma/scenarios", GET | POST, D, GW_BUCKET_API, T},
    {"/api/ma/scenarios/:scenario_id", "/api/ma/scenarios/{scenario_id}", DELETE, D, GW_BUCKET_API,
     T},
    {"/api/ma/calculate", "/api/ma/calculate", POST, D, GW_BUCKET_API, T | GW_R_ANY_ROLE},
    {"/api/notes/:ticker", "/api/notes/{ticker}", GET | POST | PUT, D, GW_BUCKET_API, T},
    /* reports (issue 15): rendered on request, so in the heavy bucket */
    {"/api/reports/dcf", "/api/reports/dcf", GET, R, GW_BUCKET_HEAVY, T},
    {"/api/reports/lbo", "/api/reports/lbo", GET, D, GW_BUCKET_HEAVY, T},
    {"/api/reports/ma", "/api/reports/ma", GET, D, GW_BUCKET_HEAVY, T},
    /* financial data (§5) */
    {"/api/financial-data", "/api/financial-data", GET, F, GW_BUCKET_FINANCIAL, T},
    {"/api/financial-data/:ticker", "/api/financial-data/{ticker}", GET, F, GW_BUCKET_FINANCIAL, T},
    {"/api/financial-data/:ticker", "/api/financial-data/{ticker}", PUT, F, GW_BUCKET_FINANCIAL,
     T | GW_R_ADMIN},
    {"/api/financial-data/:ticker/dcf-inputs", "/api/financial-data/{ticker}/dcf-inputs", GET, F,
     GW_BUCKET_FINANCIAL, T},
    {"/api/financial-data/:ticker/historical-prices",
     "/api/financial-data/{ticker}/historical-prices", GET, F, GW_BUCKET_FINANCIAL, T},
};
const size_t gw_nroutes = sizeof(gw_routes) / sizeof(gw_routes[0]);

const char *const gw_method_names[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
const size_t gw_nmethods = sizeof(gw_method_names) / sizeof(gw_method_names[0]);

unsigned gw_method_bit(const char *method)
{
    for (size_t i = 0; method != NULL && i < gw_nmethods; i++)
        if (strcmp(method, gw_method_names[i]) == 0)
            return 1u << i;
    return 0;
}
