/* http: the ulfius server every process uses, and JSON request/response helpers.
 *
 * The server runs libmicrohttpd's thread pool
 * (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, MHD_OPTION_THREAD_POOL_SIZE)
 * with an explicit bind address (MHD_OPTION_SOCK_ADDR; port 0 = ephemeral),
 * connection limit and connection timeout — never ulfius' default
 * thread-per-connection mode.
 *
 * Every route registered with http_route() runs through one wrapper that:
 * takes the request id (the client's X-Request-ID when it matches
 * ^[A-Za-z0-9._-]{1,64}$, else a fresh UUID v4) and echoes it; answers 413
 * "Request body too large" when the body is over max_body_bytes — from the
 * Content-Length before any body byte is read, or as soon as a chunked body's
 * total passes the limit, closing the connection (http_body.c); adds X-Content-Type-Options,
 * X-Frame-Options, Referrer-Policy and Cache-Control: no-store; calls the handler; records
 * http_requests_total / http_request_duration_seconds; writes the access log
 * line. Unknown paths get 404 {"error":"Not found"}, known paths with another
 * method 405 {"error":"Method not allowed"} with an Allow header (OPTIONS:
 * 204 with that Allow; HEAD: the GET route, see http_route()).
 */
#ifndef VALOR_HTTP_H
#define VALOR_HTTP_H

#include <stddef.h>
#include <jansson.h>
#include <ulfius.h>

#include "valor/log.h"

struct metrics_registry;
struct http__pending;

struct http_server_opts {
    const char *service;              /* for logs and metrics, borrowed */
    const char *bind_host;            /* numeric IPv4/IPv6 address or "localhost", borrowed */
    int port;                         /* 0 → ephemeral, see http_server_port() */
    int threads;                      /* MHD thread pool size, ≥ 1 */
    int max_connections;              /* MHD_OPTION_CONNECTION_LIMIT */
    int connection_timeout_s;         /* MHD_OPTION_CONNECTION_TIMEOUT */
    size_t max_body_bytes;            /* 413 above this */
    struct metrics_registry *metrics; /* borrowed, may be NULL */
    size_t max_tenants;               /* distinct tenant label values, then "other"; 0 → 100 */
};

/* Per-request context handed to handlers; lives while the request does. */
struct http_ctx {
    const struct _u_request *req; /* borrowed */
    struct _u_response *resp;     /* borrowed */
    void *ud;                     /* the route's user data */
    const char *route;            /* the route template, e.g. "/api/runs/:run_id" */
    char request_id[65];
    char client_ip[64]; /* socket peer address */
    struct log_ctx log; /* request_id set; a handler may set tenant/user */
    char tenant[64];    /* filled by handlers that authenticate */
    char user[64];
    const char *upstream; /* set by forwarding handlers, for the access log */
    double upstream_ms;
    struct http__pending *pending; /* private: the request of a deferrable route */
};

typedef void (*http_handler)(struct http_ctx *ctx);

struct http_server;

int http_server_new(const struct http_server_opts *opts, struct http_server **out);
/* Borrowed ulfius instance, e.g. for websocket endpoints. */
struct _u_instance *http_server_instance(struct http_server *s);

/* method: "GET", "POST", …; path: ulfius url format: ":name" matches one
 * segment ("/api/runs/:run_id"); a last segment "*" matches the rest, e.g.
 * "/api/auth" followed by the segment "*" for a prefix. A literal template wins
 * over one with parameters ("/api/runs/last" before "/api/runs/:run_id").
 * HEAD is served by the GET route (the handler runs; libmicrohttpd sends
 * the head of its answer — Content-Length included — without the body).
 * An OPTIONS that no route serves answers 204 with Allow listing the path's
 * methods (the registered ones, HEAD where GET is, and OPTIONS); the 405 of
 * another method carries the same Allow.
 * Register before http_server_start(). */
int http_route(struct http_server *s, const char *method, const char *path, http_handler h,
               void *ud);

/* Deferred answers. A route registered with http_route_deferrable() runs
 * like any other, and its handler may call http_defer(ctx): the handler
 * then returns without an answer, libmicrohttpd suspends the connection
 * (MHD_suspend_connection) and the worker thread goes on serving other
 * connections. ctx — ctx->req and ctx->resp with it — stays valid until
 * http_resume(ctx), which the handler's owner calls exactly once, from any
 * thread, after putting the answer in ctx->resp; the answer is then sent
 * by the connection's worker, and the access log line and metrics are
 * written with the time spent deferred included. A deferred request counts
 * as in progress for the drain, and http_server_stop() waits for every
 * deferred request to be resumed whatever its grace period (the owner bounds
 * them with its own timeouts). */
int http_route_deferrable(struct http_server *s, const char *method, const char *path,
                          http_handler h, void *ud);
/* VALOR_OK: the request is deferred. VALOR_E_INVALID when its route is not
 * deferrable (or it was already deferred): answer it in the handler. */
int http_defer(struct http_ctx *ctx);
void http_resume(struct http_ctx *ctx);

/* A hook run for every request — matched routes, 404/405 and methods no
 * route serves (e.g. OPTIONS) — after the request id and the security
 * headers are set and before the 413 check and the handler. It may add
 * response headers (CORS); when it has replied itself it returns nonzero and
 * the handler is skipped (the access log and metrics still run). Register
 * before http_server_start(); ud is borrowed. */
typedef int (*http_pre_hook)(struct http_ctx *ctx, void *ud);
int http_server_set_pre_hook(struct http_server *s, http_pre_hook hook, void *ud);

int http_server_start(struct http_server *s);
/* The bound port (useful with port 0). */
int http_server_port(const struct http_server *s);
/* Requests being handled right now. */
int http_server_inflight(const struct http_server *s);
/* Graceful drain: stop accepting (new connections are refused at once), let
 * requests in progress finish — their responses sent — for up to grace_s
 * seconds, then stop. During the drain responses carry Connection: close.
 * An upgraded (websocket) connection counts as in progress until it closes:
 * close websockets first. */
void http_server_stop(struct http_server *s, int grace_s);
void http_server_free(struct http_server *s);

/* Replies. Each sets Content-Type: application/json; charset=utf-8. */
int http_reply_json(struct http_ctx *ctx, unsigned status, json_t *body); /* steals body */
/* Any body: steals `body` (malloc'd, len bytes; freed by ulfius with the
 * response), sets Content-Type to content_type (borrowed). */
int http_reply_bytes(struct http_ctx *ctx, unsigned status, char *body, size_t len,
                     const char *content_type);
/* {"error": message or valor_err_message(err), "request_id": …} with the
 * status of valor_err_http_status(err). */
int http_reply_error(struct http_ctx *ctx, int err, const char *message);
/* 400 {"error":"ValidationError","details":[{"field":field,"msg":msg}]} */
int http_reply_validation(struct http_ctx *ctx, const char *field, const char *msg);

/* Parses the request body as a JSON value (JSON_REJECT_DUPLICATES). On
 * failure it has already replied — 415 "Content-Type must be
 * application/json" or 400 "Invalid JSON: <message> at position N" — and
 * returns the error. Caller owns *out (json_decref). */
int http_json_body(struct http_ctx *ctx, json_t **out);

/* Borrowed header value (case-insensitive) or NULL. */
const char *http_header(const struct http_ctx *ctx, const char *name);
/* Borrowed query parameter or NULL. ulfius keeps query arguments and path
 * parameters in one map (req->map_url): http_query() and http_param() read
 * the same values, so do not give a query argument a path parameter's name. */
const char *http_query(const struct http_ctx *ctx, const char *name);
/* Borrowed path parameter (":name" in the template) or NULL. */
const char *http_param(const struct http_ctx *ctx, const char *name);

/* The readiness check of /ready: fills `checks` with
 * {"<name>": {"ok": bool, "detail": str, "latency_ms": n}, …} and returns
 * VALOR_OK only when every check is ok. */
typedef int (*http_ready_fn)(void *ud, json_t *checks);

/* Registers GET /health ({"status":"healthy","service","version","timestamp"}),
 * GET /ready (200 {"status":"ready","checks"} or 503 {"status":"degraded","checks"})
 * and GET /metrics (Prometheus text; 404 when metrics are disabled). */
int http_add_service_routes(struct http_server *s, const char *version, http_ready_fn ready,
                            void *ud, int metrics_enabled);

/* RFC 3339 UTC timestamp with milliseconds and Z into buf (≥ 25 bytes). */
void http_timestamp(char *buf, size_t len);

#endif
