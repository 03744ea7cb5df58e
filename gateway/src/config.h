/* config: the gateway's configuration — the shared variables (cfg_load) plus
 * the upstream services, CORS, trusted proxies and rate limits. Read once at
 * start-up, immutable after. */
#ifndef VALOR_GW_CONFIG_H
#define VALOR_GW_CONFIG_H

#include <stddef.h>

#include "valor/cfg.h"

#define GW_DEFAULT_PORT 5002
#define GW_MAX_URLS 16    /* URLs in one *_SERVICE_URL list */
#define GW_MAX_ORIGINS 32 /* CORS_ORIGINS entries */
#define GW_MAX_CIDRS 32   /* TRUSTED_PROXIES / METRICS_ALLOW_CIDRS entries */

/* The upstream services, in the order of the readiness checks. */
enum gw_service { GW_SVC_AUTH = 0, GW_SVC_RUNS, GW_SVC_FINANCIAL, GW_SVC_DEALS, GW_SVC_COUNT };

/* Rate-limit buckets (api.md §6). GW_BUCKET_NONE: never limited. */
enum gw_bucket {
    GW_BUCKET_NONE = 0,
    GW_BUCKET_AUTH,
    GW_BUCKET_API,
    GW_BUCKET_FINANCIAL,
    GW_BUCKET_HEAVY,
    GW_BUCKET_COUNT
};

/* Plans of the api bucket (the token's plan claim; unknown → standard). */
enum gw_plan { GW_PLAN_STANDARD = 0, GW_PLAN_PROFESSIONAL, GW_PLAN_ENTERPRISE, GW_PLAN_COUNT };

struct gw_limit {
    long n;        /* requests … */
    long period_s; /* … per this many seconds */
};

/* An address block: family AF_INET or AF_INET6, addr in network order. */
struct gw_cidr {
    int family;
    unsigned char addr[16];
    int prefix;
};

struct gw_config {
    struct valor_cfg base; /* shared variables, cfg_load("gateway", 5002) */
    /* *_SERVICE_URL: one or more comma-separated URLs, each without a trailing '/', owned */
    char *upstream_url[GW_SVC_COUNT][GW_MAX_URLS];
    size_t n_upstream_url[GW_SVC_COUNT];
    long upstream_connect_timeout_ms;   /* UPSTREAM_CONNECT_TIMEOUT_MS (default 1000) */
    long upstream_timeout_ms;           /* UPSTREAM_TIMEOUT_MS (default 10000) */
    long upstream_resolve_interval_s;   /* UPSTREAM_RESOLVE_INTERVAL_S (default 5) */
    long upstream_fail_threshold;       /* UPSTREAM_FAIL_THRESHOLD (default 3) */
    long upstream_cooldown_ms;          /* UPSTREAM_COOLDOWN_MS (default 5000) */
    char *cors_origins[GW_MAX_ORIGINS]; /* CORS_ORIGINS, owned */
    size_t n_cors_origins;
    struct gw_cidr trusted_proxies[GW_MAX_CIDRS]; /* TRUSTED_PROXIES (default none) */
    size_t n_trusted_proxies;
    struct gw_cidr metrics_allow[GW_MAX_CIDRS]; /* METRICS_ALLOW_CIDRS (default: anyone) */
    size_t n_metrics_allow;
    struct gw_limit limits[GW_BUCKET_COUNT]; /* RATE_LIMIT_<BUCKET>; [API] unused */
    struct gw_limit api_plan[GW_PLAN_COUNT]; /* RATE_LIMIT_API[_<PLAN>] */
    long local_limiter_entries;              /* RATE_LIMIT_LOCAL_ENTRIES (default 65536) */
    long redis_probe_interval_ms;            /* REDIS_PROBE_INTERVAL_MS (default 1000) */
    long redis_connections;                  /* RATE_LIMIT_REDIS_CONNECTIONS (default 2) */
    long forward_loops; /* FORWARD_LOOPS: event loops (default: one per two usable CPUs); 0 = on
                           the workers */
    long forward_loop_connections; /* FORWARD_LOOP_CONNECTIONS per loop and replica (default 128) */
    long ws_queue_max;             /* WS_QUEUE_MAX messages per client (default 256) */
};

/* Loads everything. On a refusal returns VALOR_E_INVALID with a one-line
 * reason naming the variable in errbuf. Free with gw_config_free() either way. */
int gw_config_load(struct gw_config *c, char *errbuf, size_t errlen);
void gw_config_free(struct gw_config *c);

/* "auth", "runs", "financial", "deals". Never NULL for a valid service. */
const char *gw_service_name(enum gw_service svc);
/* "auth", "api", "financial_data", "heavy" ("none" for GW_BUCKET_NONE). */
const char *gw_bucket_name(enum gw_bucket b);
/* "standard" → GW_PLAN_STANDARD …; NULL or unknown → GW_PLAN_STANDARD. */
enum gw_plan gw_plan_from_claim(const char *plan);

/* Parses "n/seconds" (n 1..1e9, seconds 1..86400). */
int gw_limit_parse(const char *s, struct gw_limit *out);
/* Parses "a.b.c.d[/n]" or "v6[/n]" (no prefix → a single address). */
int gw_cidr_parse(const char *s, struct gw_cidr *out);
/* 1 when the numeric address `ip` lies in one of the n blocks. */
int gw_cidr_contains(const struct gw_cidr *list, size_t n, const char *ip);

#endif
