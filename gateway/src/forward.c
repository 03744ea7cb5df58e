#include "forward.h"

#include "balancer.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "valor/err.h"
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
 * Cache-Control replaces the default no-store (e.g. next to an ETag). */
static const char *const fwd_response_headers[] = {
    "Content-Type", "ETag", "Last-Modified", "Location", "Allow", "Retry-After", "Cache-Control",
};
#define N_RESP_HEADERS (sizeof(fwd_response_headers) / sizeof(fwd_response_headers[0]))

/* Idle connections older than this are not reused: below the services'
 * CONNECTION_TIMEOUT_S (default 30), so the gateway rarely picks a
 * connection the upstream is closing. */
#define GW_MAX_CONN_AGE_S 20L
/* A response buffer that grew beyond this is released after the request. */
#define GW_KEEP_BUF_BYTES ((size_t)256 << 10)

/* One per worker thread: the keep-alive handles and the response buffers. */
struct gw_thread {
    struct gw_forward *fwd;
    CURL *easy[GW_SVC_COUNT][GW_MAX_REPLICAS]; /* one per replica slot */
    char *buf;                                 /* response body */
    size_t len, cap;
    int overflow;
    char *resp_hdr[N_RESP_HEADERS]; /* captured response header values, owned */
    struct gw_thread *prev, *next;  /* fwd->threads, under fwd->lock */
};

struct gw_forward {
    struct gw_balancer *balancer;
    long connect_timeout_ms;
    long timeout_ms;
    struct metrics_family *duration; /* may be NULL */
    pthread_key_t key;
    pthread_mutex_t lock;
    struct gw_thread *threads;
};

static void clear_resp_headers(struct gw_thread *t)
{
    for (size_t i = 0; i < N_RESP_HEADERS; i++) {
        free(t->resp_hdr[i]);
        t->resp_hdr[i] = NULL;
    }
}

static void thread_release(struct gw_thread *t)
{
    for (int i = 0; i < GW_SVC_COUNT; i++)
        for (int k = 0; k < GW_MAX_REPLICAS; k++)
            if (t->easy[i][k] != NULL)
                curl_easy_cleanup(t->easy[i][k]);
    clear_resp_headers(t);
    free(t->buf);
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
    rc = gw_balancer_new(cfg, reg, &f->balancer);
    if (rc != VALOR_OK) {
        gw_forward_free(f);
        return rc;
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

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct gw_thread *t = ud;
    size_t add = size * n;

    if (add > GW_MAX_UPSTREAM_BODY - t->len) {
        t->overflow = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (t->len + add > t->cap) {
        size_t cap = t->cap ? t->cap : 16384;
        while (cap < t->len + add)
            cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (nb == NULL)
            return 0;
        t->buf = nb;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, add);
    t->len += add;
    return add;
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    struct gw_thread *t = ud;
    size_t len = size * n;
    const char *colon = memchr(line, ':', len);

    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        clear_resp_headers(t); /* a new response (e.g. after 100 Continue) */
        return len;
    }
    if (colon == NULL)
        return len;
    size_t nlen = (size_t)(colon - line);
    for (size_t i = 0; i < N_RESP_HEADERS; i++) {
        if (strlen(fwd_response_headers[i]) != nlen ||
            strncasecmp(line, fwd_response_headers[i], nlen) != 0)
            continue;
        const char *v = colon + 1, *end = line + len;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
            end--;
        free(t->resp_hdr[i]);
        t->resp_hdr[i] = strndup(v, (size_t)(end - v));
        break;
    }
    return len;
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

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = value ? strlen(value) : 0;
    char *line = malloc(nlen + vlen + 3);
    struct curl_slist *nl;

    if (line == NULL)
        return VALOR_E_NOMEM;
    memcpy(line, name, nlen);
    if (value == NULL) {
        line[nlen] = ':'; /* "Name:" removes a header libcurl would add */
        line[nlen + 1] = '\0';
    } else if (vlen == 0) {
        line[nlen] = ';'; /* "Name;" sends an empty header */
        line[nlen + 1] = '\0';
    } else {
        line[nlen] = ':';
        line[nlen + 1] = ' ';
        memcpy(line + nlen + 2, value, vlen + 1);
    }
    nl = curl_slist_append(*list, line);
    free(line);
    if (nl == NULL)
        return VALOR_E_NOMEM;
    *list = nl;
    return VALOR_OK;
}

static int build_headers(struct http_ctx *ctx, struct curl_slist **out)
{
    struct curl_slist *l = NULL;
    int rc = VALOR_OK;

    for (size_t i = 0; i < N_REQ_HEADERS && rc == VALOR_OK; i++) {
        const char *v = http_header(ctx, fwd_request_headers[i]);
        if (v != NULL)
            rc = add_header(&l, fwd_request_headers[i], v);
        else if (strcmp(fwd_request_headers[i], "Content-Type") == 0 ||
                 strcmp(fwd_request_headers[i], "Accept") == 0)
            rc = add_header(&l, fwd_request_headers[i], NULL);
    }
    if (rc == VALOR_OK)
        rc = add_header(&l, "Expect", NULL);
    if (rc == VALOR_OK)
        rc = add_header(&l, "X-Request-ID", ctx->request_id);
    if (rc == VALOR_OK)
        rc = add_header(&l, "X-Forwarded-For", ctx->client_ip);
    if (rc == VALOR_OK)
        rc = add_header(&l, "X-Forwarded-Proto", "http");
    if (rc != VALOR_OK) {
        curl_slist_free_all(l);
        l = NULL;
    }
    *out = l;
    return rc;
}

static void reply_upstream_error(struct http_ctx *ctx, const char *service, unsigned status,
                                 const char *message)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "error", message, "service", service, "request_id",
                             ctx->request_id);
    http_reply_json(ctx, status, body);
}

static void copy_response(struct http_ctx *ctx, struct gw_thread *t, unsigned status)
{
    if (t->len > 0)
        ulfius_set_binary_body_response(ctx->resp, status, t->buf, t->len);
    else
        ctx->resp->status = status;
    for (size_t i = 0; i < N_RESP_HEADERS; i++)
        if (t->resp_hdr[i] != NULL)
            u_map_put(ctx->resp->map_header, fwd_response_headers[i], t->resp_hdr[i]);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The options every forwarded request shares, set once when the handle is
 * made: curl_easy_reset() + setting them again cost more than a tenth of the
 * gateway's CPU per request. */
static CURL *new_handle(struct gw_thread *t, const struct gw_forward *f)
{
    CURL *h = curl_easy_init();
    if (h == NULL)
        return NULL;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, f->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, f->timeout_ms);
    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, GW_MAX_CONN_AGE_S);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    return h;
}

/* Sets the options that change from one forwarded request to the next; each
 * is set every time, so nothing of the previous request is left over. */
static void set_options(CURL *h, const struct _u_request *req, const char *url,
                        struct curl_slist *headers, struct curl_slist *connect_to)
{
    const char *method = req->http_verb;

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        const char *body = req->binary_body != NULL ? (const char *)req->binary_body : "";
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->binary_body_length);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
}

/* 1 when the transfer failed before a connection was made (nothing sent). */
static int connect_failed(CURL *h, CURLcode cr)
{
    long sent = 0;
    if (cr == CURLE_COULDNT_CONNECT || cr == CURLE_COULDNT_RESOLVE_HOST)
        return 1;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
    return cr == CURLE_OPERATION_TIMEDOUT && sent == 0;
}

/* Maps a failed transfer to the client's answer. */
static void reply_failure(struct http_ctx *ctx, const char *service, CURL *h, CURLcode cr,
                          int overflow, unsigned *status)
{
    switch (cr) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        *status = 503;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        /* Nothing sent: the connect timed out, the service is unreachable. */
        *status = connect_failed(h, cr) ? 503 : 504;
        break;
    case CURLE_URL_MALFORMAT:
        *status = 400;
        break;
    default:
        *status = 502;
        break;
    }
    log_warn(&ctx->log, "upstream_error", "%s: %s", service,
             overflow ? "response body too large" : curl_easy_strerror(cr));
    if (*status == 503)
        reply_upstream_error(ctx, service, 503, "Service unavailable");
    else if (*status == 504)
        reply_upstream_error(ctx, service, 504, "Upstream timeout");
    else if (*status == 400)
        http_reply_error(ctx, VALOR_E_INVALID, "Invalid request path");
    else
        reply_upstream_error(ctx, service, 502,
                             overflow ? "Upstream response too large" : "Bad gateway");
}

static int idempotent(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
}

/* One attempt on one replica. Returns the curl code; *h the handle used. */
static CURLcode attempt(struct gw_forward *f, struct gw_thread *t, enum gw_service svc,
                        const struct gw_pick *pick, struct http_ctx *ctx,
                        struct curl_slist *headers, CURL **hout)
{
    struct curl_slist *connect_to = NULL;
    char *url = NULL;
    CURL *h = t->easy[svc][pick->slot];
    CURLcode cr;

    *hout = NULL;
    if (h == NULL && (h = t->easy[svc][pick->slot] = new_handle(t, f)) == NULL)
        return CURLE_OUT_OF_MEMORY;
    if (asprintf(&url, "%s%s", pick->url, ctx->req->http_url) < 0)
        return CURLE_OUT_OF_MEMORY;
    if (pick->connect_to[0] != '\0' &&
        (connect_to = curl_slist_append(NULL, pick->connect_to)) == NULL) {
        free(url);
        return CURLE_OUT_OF_MEMORY;
    }
    t->len = 0;
    t->overflow = 0;
    clear_resp_headers(t);
    set_options(h, ctx->req, url, headers, connect_to);
    cr = curl_easy_perform(h);
    /* the lists and the body are freed after this request */
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(connect_to);
    free(url);
    *hout = h;
    return cr;
}

void gw_forward_request(struct gw_forward *f, enum gw_service svc, struct http_ctx *ctx)
{
    const struct _u_request *req = ctx->req;
    const char *name = gw_service_name(svc), *raw = req->http_url;
    struct gw_thread *t = thread_state(f);
    struct curl_slist *headers = NULL;
    struct gw_pick pick;
    unsigned status = 500;
    int exclude = -1;
    double t0;
    CURLcode cr = CURLE_OK;
    CURL *h = NULL;

    if (raw == NULL || raw[0] != '/' || has_dot_segment(raw, strcspn(raw, "?"))) {
        http_reply_error(ctx, VALOR_E_INVALID, "Invalid request path");
        return;
    }
    ctx->upstream = name;
    if (t == NULL || build_headers(ctx, &headers) != VALOR_OK) {
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        goto out;
    }
    t0 = now_ms();
    for (int i = 0; i < 2; i++) {
        if (gw_balancer_pick(f->balancer, svc, exclude, &pick) != VALOR_OK) {
            if (i == 0) /* no replica at all */
                cr = CURLE_COULDNT_CONNECT;
            break; /* the retry found no other replica: keep the first answer */
        }
        cr = attempt(f, t, svc, &pick, ctx, headers, &h);
        if (h == NULL)
            break;
        int refused = connect_failed(h, cr);
        gw_balancer_done(f->balancer, svc, &pick, refused);
        if (!refused || !idempotent(req->http_verb))
            break;
        /* the request never left: once more on another replica */
        exclude = pick.slot;
    }
    ctx->upstream_ms = now_ms() - t0;

    if (h == NULL && cr == CURLE_OK) {
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        goto out;
    }
    if (cr == CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        status = (unsigned)code;
        copy_response(ctx, t, status);
    } else if (h == NULL) {
        status = 503;
        reply_upstream_error(ctx, name, 503, "Service unavailable");
    } else {
        reply_failure(ctx, name, h, cr, t->overflow, &status);
    }
    if (f->duration != NULL) {
        char st[16];
        snprintf(st, sizeof(st), "%u", status);
        const char *lv[] = {name, st};
        metrics_histogram_observe(f->duration, lv, ctx->upstream_ms / 1e3);
    }
    if (t->cap > GW_KEEP_BUF_BYTES) {
        free(t->buf);
        t->buf = NULL;
        t->cap = 0;
    }
    t->len = 0;
    clear_resp_headers(t);
out:
    curl_slist_free_all(headers);
}
