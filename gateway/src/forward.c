#include "forward.h"

#include "balancer.h"
#include "forward_internal.h"
#include "upstream.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "valor/clock.h"
#include "valor/err.h"
#include "valor/fmt.h"
#include "valor/http.h"
#include "valor/log.h"
#include "valor/metrics.h"

/* Request headers copied to the upstream; everything else (hop-by-hop,
 * cookies, the client's X-Forwarded-*) is dropped. */
static const char *const fwd_request_headers[] = {
    "Authorization", "Content-Type", "Accept", "If-Match", "If-None-Match", "X-Tenant-ID",
};
#define N_REQ_HEADERS (sizeof(fwd_request_headers) / sizeof(fwd_request_headers[0]))

/* Response headers copied back to the client. Allow and Retry-After carry
 * the 405 and 503 contracts of api.md through the gateway; the service's
 * Cache-Control replaces the default no-store (e.g. next to an ETag);
 * reports name their file (Content-Disposition) and the HTML one carries the
 * Content-Security-Policy that allows its own inline style. */
static const char *const fwd_response_headers[] = {
    "Content-Type",
    "ETag",
    "Last-Modified",
    "Location",
    "Allow",
    "Retry-After",
    "Cache-Control",
    "Content-Disposition",
    "Content-Security-Policy",
    "Content-Length", /* captured, not copied: the length a HEAD answer announces */
};
#define N_WANT (sizeof(fwd_response_headers) / sizeof(fwd_response_headers[0]))
#define N_RESP_HEADERS (N_WANT - 1) /* the ones copied back */
#define WANT_CONTENT_LENGTH (N_WANT - 1)
_Static_assert(N_WANT <= GW_UP_MAX_WANT, "raise GW_UP_MAX_WANT");

/* One per worker thread: its keep-alive connections and buffers. */
struct gw_thread {
    struct gw_forward *fwd;
    struct gw_up_conn conn[GW_SVC_COUNT][GW_MAX_REPLICAS]; /* one per replica slot */
    struct gw_up_buf in;                                   /* the answer being read */
    struct gw_fwd_attempt a;                               /* the request being written */
    struct gw_thread *prev, *next;                         /* fwd->threads, under fwd->lock */
};

void gw_sb_release_if_large(struct gw_sb *b, size_t keep)
{
    if (b->cap > keep) {
        free(b->p);
        b->p = NULL;
        b->cap = 0;
    }
    b->len = 0;
}

static int sb_put(struct gw_sb *b, const char *s, size_t n)
{
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->len < n)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL)
            return VALOR_E_NOMEM;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return VALOR_OK;
}

static int sb_puts(struct gw_sb *b, const char *s)
{
    return sb_put(b, s, strlen(s));
}

static void thread_release(struct gw_thread *t)
{
    for (int i = 0; i < GW_SVC_COUNT; i++)
        for (int k = 0; k < GW_MAX_REPLICAS; k++)
            gw_up_conn_close(&t->conn[i][k]);
    gw_up_buf_free(&t->in);
    free(t->a.line.p);
    free(t->a.headers.p);
    free(t);
}

/* pthread key destructor: a worker thread is exiting. */
static void thread_destroy(void *p)
{
    struct gw_thread *t = p;
    struct gw_forward *f = t->fwd;

    pthread_mutex_lock(&f->lock);
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        f->threads = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&f->lock);
    thread_release(t);
}

static struct gw_thread *thread_state(struct gw_forward *f)
{
    struct gw_thread *t = pthread_getspecific(f->key);
    if (t != NULL)
        return t;
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->fwd = f;
    for (int i = 0; i < GW_SVC_COUNT; i++)
        for (int k = 0; k < GW_MAX_REPLICAS; k++)
            gw_up_conn_init(&t->conn[i][k]);
    if (pthread_setspecific(f->key, t) != 0) {
        free(t);
        return NULL;
    }
    pthread_mutex_lock(&f->lock);
    t->next = f->threads;
    if (f->threads != NULL)
        f->threads->prev = t;
    f->threads = t;
    pthread_mutex_unlock(&f->lock);
    return t;
}

int gw_forward_new(const struct gw_config *cfg, struct metrics_registry *reg,
                   struct gw_forward **out)
{
    static const char *const labels[] = {"service", "status"};
    struct gw_forward *f = calloc(1, sizeof(*f));
    int rc;

    *out = NULL;
    if (f == NULL)
        return VALOR_E_NOMEM;
    if (pthread_key_create(&f->key, thread_destroy) != 0) {
        free(f);
        return VALOR_E_INTERNAL;
    }
    pthread_mutex_init(&f->lock, NULL);
    f->connect_timeout_ms = cfg->upstream_connect_timeout_ms;
    f->timeout_ms = cfg->upstream_timeout_ms;
    f->redis_timeout_ms = cfg->base.redis_timeout_ms;
    rc = gw_balancer_new(cfg, reg, &f->balancer);
    if (rc != VALOR_OK) {
        gw_forward_free(f);
        return rc;
    }
    if (cfg->forward_loops > 0) {
        rc = gw_fwd_loops_new(f, (int)cfg->forward_loops, (int)cfg->forward_loop_connections,
                              &f->loops);
        if (rc != VALOR_OK) {
            gw_forward_free(f);
            return rc;
        }
    }
    if (reg != NULL) {
        rc = metrics_family_new(reg, METRICS_HISTOGRAM, "upstream_request_duration_seconds",
                                "Time spent waiting for upstream services.", 2, labels, NULL, 0,
                                &f->duration);
        if (rc != VALOR_OK) {
            gw_forward_free(f);
            return rc;
        }
    }
    *out = f;
    return VALOR_OK;
}

void gw_forward_free(struct gw_forward *f)
{
    if (f == NULL)
        return;
    gw_fwd_loops_free(f->loops);
    /* Worker threads have exited (their destructors ran); free what is left,
     * e.g. the state of a thread that is still alive but done forwarding. */
    pthread_key_delete(f->key);
    while (f->threads != NULL) {
        struct gw_thread *t = f->threads;
        f->threads = t->next;
        thread_release(t);
    }
    pthread_mutex_destroy(&f->lock);
    gw_balancer_free(f->balancer);
    free(f);
}

/* A path segment that is "." or ".." (also percent-encoded): rejected so
 * neither libcurl nor the upstream resolves it. */
static int has_dot_segment(const char *path, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t dots = 0, other = 0;
        if (path[i] == '/')
            i++;
        while (i < len && path[i] != '/') {
            if (path[i] == '.') {
                dots++;
                i++;
            } else if (path[i] == '%' && i + 2 < len && path[i + 1] == '2' &&
                       (path[i + 2] == 'e' || path[i + 2] == 'E')) {
                dots++;
                i += 3;
            } else {
                other++;
                i++;
            }
        }
        if (other == 0 && (dots == 1 || dots == 2))
            return 1;
    }
    return 0;
}

/* Bytes a request target may not hold: they would end or split the request
 * line written to the service. */
static int bad_target_byte(const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

/* The forwarded headers and the empty line: the listed request headers,
 * then the gateway's own. VALOR_E_INVALID when a value could split the
 * header block. */
static int build_headers(struct http_ctx *ctx, struct gw_sb *b)
{
    const struct _u_request *req = ctx->req;
    int rc = VALOR_OK;
    char len[32];

    b->len = 0;
    for (size_t i = 0; i < N_REQ_HEADERS && rc == VALOR_OK; i++) {
        const char *v = http_header(ctx, fwd_request_headers[i]);
        if (v == NULL)
            continue;
        if (strpbrk(v, "\r\n") != NULL)
            return VALOR_E_INVALID;
        if ((rc = sb_puts(b, fwd_request_headers[i])) == VALOR_OK &&
            (rc = sb_put(b, ": ", 2)) == VALOR_OK && (rc = sb_puts(b, v)) == VALOR_OK)
            rc = sb_put(b, "\r\n", 2);
    }
    if (rc == VALOR_OK && (rc = sb_puts(b, "X-Request-ID: ")) == VALOR_OK &&
        (rc = sb_puts(b, ctx->request_id)) == VALOR_OK &&
        (rc = sb_puts(b, "\r\nX-Forwarded-For: ")) == VALOR_OK &&
        (rc = sb_puts(b, ctx->client_ip)) == VALOR_OK)
        rc = sb_puts(b, "\r\nX-Forwarded-Proto: http\r\n");
    if (rc == VALOR_OK && strcmp(req->http_verb, "GET") != 0 &&
        strcmp(req->http_verb, "HEAD") != 0) {
        snprintf(len, sizeof(len), "Content-Length: %zu\r\n", req->binary_body_length);
        rc = sb_puts(b, len);
    }
    if (rc == VALOR_OK)
        rc = sb_put(b, "\r\n", 2);
    return rc;
}

/* "METHOD /prefix/path?query HTTP/1.1" and the Host of the pick's URL. */
static int build_line(const struct _u_request *req, const struct gw_pick *pick, struct gw_sb *b)
{
    int rc;
    b->len = 0;
    if ((rc = sb_puts(b, req->http_verb)) == VALOR_OK && (rc = sb_put(b, " ", 1)) == VALOR_OK &&
        (rc = sb_puts(b, pick->prefix)) == VALOR_OK &&
        (rc = sb_puts(b, req->http_url)) == VALOR_OK &&
        (rc = sb_puts(b, " HTTP/1.1\r\nHost: ")) == VALOR_OK &&
        (rc = sb_puts(b, pick->host_header)) == VALOR_OK)
        rc = sb_put(b, "\r\n", 2);
    return rc;
}

static void reply_upstream_error(struct http_ctx *ctx, const char *service, unsigned status,
                                 const char *message)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "error", message, "service", service, "request_id",
                             ctx->request_id);
    http_reply_json(ctx, status, body);
}

/* The body of a HEAD answer: never read (libmicrohttpd sends no body for
 * HEAD), it only carries the length. */
static ssize_t head_no_body(void *ud, uint64_t offset, char *out, size_t max)
{
    (void)ud;
    (void)offset;
    (void)out;
    (void)max;
    return U_STREAM_END;
}

/* The Content-Length a HEAD answer announced, -1 when none (or not a number). */
static long long head_length(const struct gw_up_response *r)
{
    const char *v = r->header[WANT_CONTENT_LENGTH];
    char *end = NULL;
    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    long long n = strtoll(v, &end, 10);
    return end != v && *end == '\0' && n >= 0 ? n : -1;
}

static void copy_response(struct http_ctx *ctx, const struct gw_up_response *r)
{
    long long head_len = strcmp(ctx->req->http_verb, "HEAD") == 0 ? head_length(r) : -1;
    if (r->body_len > 0)
        ulfius_set_binary_body_response(ctx->resp, r->status, r->body, r->body_len);
    else if (head_len > 0) /* HEAD: announce the service's length, send nothing */
        ulfius_set_stream_response(ctx->resp, r->status, head_no_body, NULL, (uint64_t)head_len,
                                   4096, NULL);
    else
        ctx->resp->status = r->status;
    for (size_t i = 0; i < N_RESP_HEADERS; i++)
        if (r->header[i] != NULL)
            u_map_put(ctx->resp->map_header, fwd_response_headers[i], r->header[i]);
}

/* Answers a failed exchange: 503 when the service could not be reached or
 * dropped the connection, 504 on a timeout, 502 for an answer that cannot
 * be passed on. Returns the status. */
static unsigned reply_failure(struct http_ctx *ctx, const char *service, int result)
{
    log_warn(&ctx->log, "upstream_error", "%s: %s", service, gw_up_strerror(result));
    switch (result) {
    case GW_UP_CONNECT:
    case GW_UP_IO:
        reply_upstream_error(ctx, service, 503, "Service unavailable");
        return 503;
    case GW_UP_TIMEOUT:
        reply_upstream_error(ctx, service, 504, "Upstream timeout");
        return 504;
    case GW_UP_TOO_LARGE:
        reply_upstream_error(ctx, service, 502, "Upstream response too large");
        return 502;
    case GW_UP_MALFORMED:
        reply_upstream_error(ctx, service, 502, "Bad gateway");
        return 502;
    default:
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        return 500;
    }
}

int gw_fwd_idempotent(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
}

int gw_fwd_attempt_init(struct gw_forward *f, const struct _u_request *req,
                        const struct gw_pick *pick, struct gw_fwd_attempt *a)
{
    int get = strcmp(req->http_verb, "GET") == 0, head = strcmp(req->http_verb, "HEAD") == 0;

    if (build_line(req, pick, &a->line) != VALOR_OK)
        return GW_UP_NOMEM;
    a->iov[0] = (struct iovec){a->line.p, a->line.len};
    a->iov[1] = (struct iovec){a->headers.p, a->headers.len};
    a->iov[2] = (struct iovec){req->binary_body, req->binary_body_length};
    a->rq = (struct gw_up_request){
        .addr = (const struct sockaddr *)&pick->addr,
        .addrlen = pick->addrlen,
        .iov = a->iov,
        .iovcnt = get || head ? 2 : 3,
        .head_method = head,
        .connect_timeout_ms = f->connect_timeout_ms,
        .timeout_ms = f->timeout_ms,
        .max_age_ms = GW_MAX_CONN_AGE_MS,
        .max_body = GW_MAX_UPSTREAM_BODY,
        .want = fwd_response_headers,
        .nwant = N_WANT,
    };
    return GW_UP_OK;
}

int gw_fwd_prepare(struct http_ctx *ctx, struct gw_sb *headers)
{
    const char *raw = ctx->req->http_url;
    int rc;

    if (raw == NULL || raw[0] != '/' || bad_target_byte(raw) ||
        has_dot_segment(raw, strcspn(raw, "?"))) {
        http_reply_error(ctx, VALOR_E_INVALID, "Invalid request path");
        return VALOR_E_INVALID;
    }
    rc = build_headers(ctx, headers);
    if (rc != VALOR_OK)
        http_reply_error(ctx, rc, rc == VALOR_E_INVALID ? "Invalid header value" : NULL);
    return rc;
}

void gw_fwd_answer(struct gw_forward *f, enum gw_service svc, struct http_ctx *ctx, int rc,
                   const struct gw_up_response *resp, double t0)
{
    const char *name = gw_service_name(svc);
    unsigned status;

    ctx->upstream_ms = clock_mono_ms() - t0;
    if (rc == GW_UP_OK) {
        status = resp->status;
        copy_response(ctx, resp);
    } else {
        status = reply_failure(ctx, name, rc);
    }
    if (f->duration != NULL) {
        char st[FMT_INT_MAX + 1];
        st[fmt_uint(st, status)] = '\0';
        const char *lv[] = {name, st};
        metrics_histogram_observe(f->duration, lv, ctx->upstream_ms / 1e3);
    }
}

/* On this worker thread: the exchange blocks it until the answer is in. */
static void forward_here(struct gw_forward *f, enum gw_service svc, struct http_ctx *ctx)
{
    struct gw_thread *t = thread_state(f);
    struct gw_up_response resp;
    struct gw_pick pick;
    int exclude = -1, rc = GW_UP_CONNECT;
    double t0;

    if (t == NULL) {
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        return;
    }
    if (gw_fwd_prepare(ctx, &t->a.headers) != VALOR_OK)
        return;
    ctx->upstream = gw_service_name(svc);
    t0 = clock_mono_ms();
    for (int i = 0; i < 2; i++) {
        if (gw_balancer_pick(f->balancer, svc, exclude, &pick) != VALOR_OK)
            break; /* none at all, or the retry found no other: keep the first answer */
        rc = gw_fwd_attempt_init(f, ctx->req, &pick, &t->a);
        if (rc == GW_UP_OK)
            rc = gw_up_roundtrip(&t->conn[svc][pick.slot], &t->a.rq, &t->in, &resp);
        int refused = rc == GW_UP_CONNECT;
        gw_balancer_done(f->balancer, svc, &pick, refused);
        if (!refused || !gw_fwd_idempotent(ctx->req->http_verb))
            break;
        /* the request never left: once more on another replica */
        exclude = pick.slot;
    }
    gw_fwd_answer(f, svc, ctx, rc, &resp, t0);
    if (t->in.cap > GW_KEEP_BUF_BYTES)
        gw_up_buf_free(&t->in);
    gw_sb_release_if_large(&t->a.line, GW_KEEP_BUF_BYTES);
    gw_sb_release_if_large(&t->a.headers, GW_KEEP_BUF_BYTES);
}

void gw_forward_request(struct gw_forward *f, enum gw_service svc, struct http_ctx *ctx)
{
    if (f->loops != NULL && gw_fwd_loops_submit(f->loops, svc, ctx) == VALOR_OK)
        return;
    forward_here(f, svc, ctx);
}

int gw_forward_limited(struct gw_forward *f, enum gw_service svc, struct http_ctx *ctx,
                       struct gw_ratelimit *rl, const struct gw_rl_call *call, gw_fwd_decided cb,
                       void *state)
{
    if (f->loops == NULL)
        return VALOR_E_INVALID;
    return gw_fwd_loops_submit_limited(f->loops, svc, ctx, rl, call, cb, state);
}
