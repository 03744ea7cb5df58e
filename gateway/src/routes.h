/* routes: the gateway's route table — every path template of api.md §2–§5
 * with its upstream service, methods, rate-limit bucket and authentication,
 * tenant and role requirements. Data only; pipeline.c acts on it. */
#ifndef VALOR_GW_ROUTES_H
#define VALOR_GW_ROUTES_H

#include <stddef.h>

#include "config.h"

/* Methods, as a bit set. */
enum {
    GW_M_GET = 1u << 0,
    GW_M_POST = 1u << 1,
    GW_M_PUT = 1u << 2,
    GW_M_PATCH = 1u << 3,
    GW_M_DELETE = 1u << 4,
};

/* Requirements. Without GW_R_PUBLIC a valid access token is required;
 * writes (POST/PUT/PATCH/DELETE) refuse viewers unless GW_R_ANY_ROLE. */
enum {
    GW_R_PUBLIC = 1u << 0,   /* no token (register, login, refresh) */
    GW_R_TENANT = 1u << 1,   /* X-Tenant-ID required (else optional but must match) */
    GW_R_ADMIN = 1u << 2,    /* admins only */
    GW_R_ANY_ROLE = 1u << 3, /* a POST every role may make (logout, calculations) */
};

struct gw_route {
    const char *path;     /* ulfius template, e.g. "/api/runs/:run_id" */
    const char *doc_path; /* the OpenAPI form, e.g. "/api/runs/{run_id}" (log and metrics label) */
    unsigned methods;     /* GW_M_* */
    enum gw_service service;
    enum gw_bucket bucket;
    unsigned flags; /* GW_R_* */
};

extern const struct gw_route gw_routes[];
extern const size_t gw_nroutes;

/* The method names of the bit set, in the order of GW_M_*. */
extern const char *const gw_method_names[];
extern const size_t gw_nmethods;

/* GW_M_* bit of a method name, 0 when the table has no such method. */
unsigned gw_method_bit(const char *method);

#endif
