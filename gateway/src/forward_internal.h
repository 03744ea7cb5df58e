/* forward_internal: what forward.c (requests, answers, the blocking path)
 * shares with forward_loop.c (the event loops). Not a public API. */
#ifndef VALOR_GW_FORWARD_INTERNAL_H
#define VALOR_GW_FORWARD_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <sys/uio.h>

#include "balancer.h"
#include "config.h"
#include "forward.h"
#include "upstream.h"

struct http_ctx;
struct _u_request;
struct metrics_family;
struct gw_thread;
struct gw_fwd_loops;

/* Idle connections older than this are not reused: below the services'
 * CONNECTION_TIMEOUT_S (default 30), so the gateway rarely picks a
 * connection the upstream is closing. */
#define GW_MAX_CONN_AGE_MS 20000L
/* A buffer that grew beyond this is released after the request. */
#define GW_KEEP_BUF_BYTES ((size_t)256 << 10)

/* A growing byte string (request heads). */
struct gw_sb {
    char *p;
    size_t len, cap;
};

struct gw_forward {
    struct gw_balancer *balancer;
    long connect_timeout_ms;
    long timeout_ms;
    int redis_timeout_ms;            /* REDIS_TIMEOUT_MS, for the loops' limiter links */
    struct metrics_family *duration; /* may be NULL */
    pthread_key_t key;
    pthread_mutex_t lock;
    struct gw_thread *threads;
    struct gw_fwd_loops *loops; /* NULL: forwarding blocks the worker thread */
};

/* The request of one attempt as written to a replica. */
struct gw_fwd_attempt {
    struct gw_sb line;    /* request line and Host, per attempt */
    struct gw_sb headers; /* the forwarded headers and the empty line, per request */
    struct iovec iov[3];
    struct gw_up_request rq;
};

/* Empties b, releasing its memory when it grew beyond keep bytes. */
void gw_sb_release_if_large(struct gw_sb *b, size_t keep);

/* Checks the request target and builds the forwarded headers into
 * `headers`; on a refusal it has replied (400/500) and returns the error. */
int gw_fwd_prepare(struct http_ctx *ctx, struct gw_sb *headers);
/* The attempt on `pick`: its request line, iovecs and gw_up_request (a->headers
 * built by gw_fwd_prepare). GW_UP_OK or GW_UP_NOMEM. */
int gw_fwd_attempt_init(struct gw_forward *f, const struct _u_request *req,
                        const struct gw_pick *pick, struct gw_fwd_attempt *a);
/* GET, HEAD, PUT, DELETE: a refused connection may be retried elsewhere. */
int gw_fwd_idempotent(const char *method);
/* Puts the outcome of the exchange (rc: enum gw_up_result) in ctx->resp —
 * the service's answer, or 502/503/504 — and records upstream_ms (t0:
 * clock_mono_ms() at the first attempt) and the duration metric. */
void gw_fwd_answer(struct gw_forward *f, enum gw_service svc, struct http_ctx *ctx, int rc,
                   const struct gw_up_response *resp, double t0);

/* forward_loop.c. n loops, each a thread with its own epoll set and
 * upstream connections, at most max_conns per replica. */
int gw_fwd_loops_new(struct gw_forward *f, int n, int max_conns, struct gw_fwd_loops **out);
/* Finishes the exchanges in flight (within their timeouts), then stops. */
void gw_fwd_loops_free(struct gw_fwd_loops *l);
/* Defers ctx (http_defer) and hands its exchange to a loop, which answers
 * and resumes it. VALOR_OK: the caller is done with ctx; otherwise nothing
 * happened and the caller forwards on its own thread (or replied already: a
 * refused target or header answered 400, see gw_fwd_prepare — then
 * VALOR_OK too). */
int gw_fwd_loops_submit(struct gw_fwd_loops *l, enum gw_service svc, struct http_ctx *ctx);
/* gw_forward_limited() on the loops. */
int gw_fwd_loops_submit_limited(struct gw_fwd_loops *l, enum gw_service svc, struct http_ctx *ctx,
                                struct gw_ratelimit *rl, const struct gw_rl_call *call,
                                gw_fwd_decided cb, void *state);

#endif
