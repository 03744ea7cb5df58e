/* readiness: GET /api/readiness (alias /api/ready) — Redis, NATS and every
 * service's GET /ready, checked in parallel, each failing after 1 s. */
#ifndef VALOR_GW_READINESS_H
#define VALOR_GW_READINESS_H

#include <jansson.h>

#include "config.h"

struct bus;
struct http_server;
struct gw_readiness;

/* A check slower than this counts as failed. */
#define GW_READY_LIMIT_MS 1000

/* cfg and bus are borrowed for the lifetime of r; bus may be NULL (NATS then
 * reports "not configured" and fails). */
int gw_readiness_new(const struct gw_config *cfg, struct bus *bus, struct gw_readiness **out);
void gw_readiness_free(struct gw_readiness *r);

/* http_ready_fn (ud = struct gw_readiness *): fills `checks` with
 * {"redis","nats","auth","runs","financial","deals": {"ok","detail","latency_ms"}}
 * and returns VALOR_OK only when every check is ok. */
int gw_readiness_check(void *ud, json_t *checks);

/* GET /api/readiness and GET /api/ready. */
int gw_readiness_register(struct http_server *s, struct gw_readiness *r);

#endif
