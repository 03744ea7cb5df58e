/* routes: the table of forwarded path templates → upstream service. */
#ifndef VALOR_GW_ROUTES_H
#define VALOR_GW_ROUTES_H

#include <stddef.h>

#include "config.h"

struct http_server;
struct gw_forward;

struct gw_route {
    const char *path; /* ulfius template; a trailing "*" also matches the bare prefix */
    enum gw_service service;
};

extern const struct gw_route gw_routes[];
extern const size_t gw_nroutes;

/* The methods each forwarded route accepts; others get 405. */
extern const char *const gw_route_methods[];
extern const size_t gw_nroute_methods;

/* Registers every (method, route) pair on s, forwarding through fwd. */
int gw_routes_register(struct http_server *s, struct gw_forward *fwd);

#endif
