/* forward: proxies a request to its upstream service (platform.md §1).
 *
 * Each worker thread keeps one keep-alive connection per upstream replica
 * (upstream.h) in a pthread key and forwards its own requests, blocking; with
 * FORWARD_LOOPS > 0 the request is deferred instead and its exchange runs on
 * an event loop (forward_loop.c) with the loop's connections. The method, the raw path and
 * query, the body and a fixed list of request headers are forwarded; the
 * status, body and a fixed list of response headers are copied back. A
 * connect failure answers 503, a timeout 504, each naming the service.
 */
#ifndef VALOR_GW_FORWARD_H
#define VALOR_GW_FORWARD_H

#include <stddef.h>

#include "config.h"

struct http_ctx;
struct metrics_registry;
struct gw_forward;
struct gw_ratelimit;
struct gw_rl_call;
struct gw_rl_decision;

/* Largest upstream response body copied back; larger answers 502. */
#define GW_MAX_UPSTREAM_BODY ((size_t)16 << 20)

/* cfg is borrowed for the lifetime of the forwarder; reg may be NULL
 * (otherwise upstream_request_duration_seconds{service,status} and
 * upstream_up{service,address} are registered). Owns the balancer. */
int gw_forward_new(const struct gw_config *cfg, struct metrics_registry *reg,
                   struct gw_forward **out);
/* Call after the HTTP server has stopped (no worker thread may forward any
 * more, no deferred request is left); stops the loops. */
void gw_forward_free(struct gw_forward *f);

/* Forwards the request to a replica of svc (balancer.h) and copies the
 * answer back. A connect failure of an idempotent request (GET, HEAD, PUT,
 * DELETE) is retried once on another replica. */
void gw_forward_request(struct gw_forward *f, enum gw_service svc, struct http_ctx *ctx);

/* The stages between the limiter's decision and forwarding: returns 1 to
 * forward, 0 when it answered; frees state either way. */
typedef int (*gw_fwd_decided)(struct http_ctx *ctx, void *state, const struct gw_rl_decision *d);
/* With event loops: defers ctx and hands it to a loop, which asks Redis for
 * `call` (gw_ratelimit_prepare) on its own connection, completes the
 * decision, runs cb and forwards. VALOR_OK: deferred (ctx and state belong to
 * the loop now); otherwise nothing happened (no loops): the caller decides
 * and forwards on its own thread. */
int gw_forward_limited(struct gw_forward *f, enum gw_service svc, struct http_ctx *ctx,
                       struct gw_ratelimit *rl, const struct gw_rl_call *call, gw_fwd_decided cb,
                       void *state);

#endif
