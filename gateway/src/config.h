/* config: the gateway's configuration — the shared variables (cfg_load) plus
 * the upstream service URLs and timeouts. Read once at start-up. */
#ifndef VALOR_GW_CONFIG_H
#define VALOR_GW_CONFIG_H

#include <stddef.h>

#include "valor/cfg.h"

#define GW_DEFAULT_PORT 5002

/* The upstream services, in the order of the readiness checks. */
enum gw_service { GW_SVC_AUTH = 0, GW_SVC_RUNS, GW_SVC_FINANCIAL, GW_SVC_DEALS, GW_SVC_COUNT };

struct gw_config {
    struct valor_cfg base;            /* shared variables, cfg_load("gateway", 5002) */
    char *upstream_url[GW_SVC_COUNT]; /* *_SERVICE_URL without a trailing '/', owned */
    long upstream_connect_timeout_ms; /* UPSTREAM_CONNECT_TIMEOUT_MS (default 1000) */
    long upstream_timeout_ms;         /* UPSTREAM_TIMEOUT_MS (default 10000) */
};

/* Loads everything. On a refusal returns VALOR_E_INVALID with a one-line
 * reason naming the variable in errbuf. Free with gw_config_free() either way. */
int gw_config_load(struct gw_config *c, char *errbuf, size_t errlen);
void gw_config_free(struct gw_config *c);

/* "auth", "runs", "financial", "deals". Never NULL for a valid service. */
const char *gw_service_name(enum gw_service svc);

#endif
