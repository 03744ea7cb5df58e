#include "routes.h"

#include "forward.h"
#include "valor/err.h"
#include "valor/http.h"

const struct gw_route gw_routes[] = {
    {"/api/auth/*", GW_SVC_AUTH},
    {"/api/audit", GW_SVC_AUTH},
    {"/api/runs", GW_SVC_RUNS},
    {"/api/runs/*", GW_SVC_RUNS},
    {"/api/scenarios", GW_SVC_RUNS},
    {"/api/scenarios/*", GW_SVC_RUNS},
    {"/api/dcf/*", GW_SVC_RUNS},
    {"/api/financial-data", GW_SVC_FINANCIAL},
    {"/api/financial-data/*", GW_SVC_FINANCIAL},
    {"/api/lbo/*", GW_SVC_DEALS},
    {"/api/ma/*", GW_SVC_DEALS},
    {"/api/notes/*", GW_SVC_DEALS},
};
const size_t gw_nroutes = sizeof(gw_routes) / sizeof(gw_routes[0]);

const char *const gw_route_methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
const size_t gw_nroute_methods = sizeof(gw_route_methods) / sizeof(gw_route_methods[0]);

int gw_routes_register(struct http_server *s, struct gw_forward *fwd)
{
    for (size_t i = 0; i < gw_nroutes; i++) {
        void *ud = gw_forward_upstream(fwd, gw_routes[i].service);
        for (size_t m = 0; m < gw_nroute_methods; m++) {
            int rc = http_route(s, gw_route_methods[m], gw_routes[i].path, gw_forward_handler, ud);
            if (rc != VALOR_OK)
                return rc;
        }
    }
    return VALOR_OK;
}
