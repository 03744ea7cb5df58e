/* balancer: each upstream service's replica set (platform.md §1 "Per-service
 * scaling").
 *
 * A service is one or more base URLs (*_SERVICE_URL, comma-separated). A URL
 * whose host is a name is resolved at start and every
 * UPSTREAM_RESOLVE_INTERVAL_S; each address it resolves to is a replica,
 * reached at that address with the URL's Host header. A numeric host is one
 * replica.
 *
 * Requests go round robin over the healthy replicas. Passive health: after
 * UPSTREAM_FAIL_THRESHOLD consecutive connect failures a replica is out for
 * UPSTREAM_COOLDOWN_MS; then one request at a time is let through as a probe
 * (half-open) and its success brings the replica back. When every replica is
 * out, the one out longest is tried anyway. upstream_up{service,address} is 1
 * for a replica in use, 0 for one that is out or gone. */
#ifndef VALOR_GW_BALANCER_H
#define VALOR_GW_BALANCER_H

#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

#define GW_MAX_REPLICAS 64 /* per service */

struct metrics_registry;
struct gw_balancer;

/* One pick: which replica, and how to reach it (copied, valid after unlock). */
struct gw_pick {
    int slot; /* replica slot, < GW_MAX_REPLICAS; -1 = none */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    const char *host_header; /* "host:port" of the URL; borrowed from the balancer */
    const char *prefix;      /* the URL's path ("" or "/base"); borrowed from the balancer */
    char address[128];       /* for logs: "addr:port" */
    int probe;               /* this request is a half-open probe */
};

/* cfg borrowed for the lifetime of b; reg may be NULL. Resolves every URL
 * once and starts the re-resolving thread. */
int gw_balancer_new(const struct gw_config *cfg, struct metrics_registry *reg,
                    struct gw_balancer **out);
/* Stops the thread and frees everything. */
void gw_balancer_free(struct gw_balancer *b);

/* Picks a replica of svc other than `exclude` (-1: none excluded).
 * VALOR_OK, or VALOR_E_UNAVAILABLE when there is none. */
int gw_balancer_pick(struct gw_balancer *b, enum gw_service svc, int exclude, struct gw_pick *out);
/* The outcome of a request to a pick: connect_failed = the connection could
 * not be made (refused, unreachable, connect timeout). */
void gw_balancer_done(struct gw_balancer *b, enum gw_service svc, const struct gw_pick *pick,
                      int connect_failed);

/* Replicas of svc currently known (tests and logs). */
size_t gw_balancer_count(struct gw_balancer *b, enum gw_service svc);

#endif
