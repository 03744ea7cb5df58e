/* http: the ulfius server — libmicrohttpd thread pool, routing through one
 * wrapper, request ids, security headers, 404/405/413, access log, metrics
 * and the graceful drain (see http.h). Replies and helpers: http_reply.c.
 *
 * ulfius 2.7.13 / libmicrohttpd 0.9.75 pitfalls handled here:
 *  - ulfius_init_instance() rejects port 0: init with a dummy port, then set
 *    inst.port = 0 and bind through MHD_OPTION_SOCK_ADDR;
 *  - ulfius_start_framework_with_mhd_options() ignores the instance's bind
 *    address and timeout, so every option is passed here;
 *  - max_post_body_size truncates silently, and ulfius reads the whole body
 *    before it dispatches: http_body.c answers 413 before the body is read
 *    (Content-Length) or once a chunked body passes the limit, and closes
 *    the connection; max_post_body_size (max_body_bytes + 1) and the check
 *    in run() stay as a second line;
 *  - ulfius matches every endpoint of its list on every request, splitting
 *    the url and each template with strdup/strtok/realloc (a sixth of the
 *    gateway's CPU per request with its ~30 endpoints): the routes are not
 *    given to ulfius; its default endpoint dispatches over our table, in
 *    ulfius' order (priority, then registration: literal templates first),
 *    and ulfius_parse_url() fills the ":name" parameters exactly as ulfius'
 *    dispatcher would have;
 *  - ulfius copies only sizeof(struct sockaddr) (16 bytes) of the peer
 *    address, so for an IPv6 peer only the /64 prefix is known.
 */
#include "valor/http.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <orcania.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_internal.h"
#include "valor/cfg.h"
#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/fmt.h"
#include "valor/log.h"
#include "valor/metrics.h"

#define HTTP_DEFAULT_MAX_TENANTS 100
#define HTTP_MAX_METHODS 16

/* Exported by libulfius 2.7 but declared only in its private header: the
 * dispatcher's own parameter parser (url-decodes, checks UTF-8, joins a
 * repeated name with ','). */
int ulfius_parse_url(const char *url, const struct _u_endpoint *endpoint, struct _u_map *map,
                     int check_utf8);

static char unmatched[] = "unmatched"; /* route label of 404s: never the raw path */

struct route {
    char method[16];
    int method_id; /* method_id(method) */
    char *template;
    unsigned priority;
    http_handler handler;
    void *ud;
    struct http_server *server;
    int is_fallback; /* the default endpoint: 404/405, no 413 check */
    int deferrable;  /* http_route_deferrable() */
    struct route *next;
};

struct owned {
    void *p;
    struct owned *next;
};

struct http_server {
    struct _u_instance inst;
    int inst_ready;
    char service[32];
    struct sockaddr_storage addr;
    int threads, max_connections, connection_timeout_s;
    size_t max_body;
    struct metrics_registry *metrics;
    struct metrics_family *requests, *duration;
    struct metrics_label_limiter *tenants;
    struct route *routes; /* registration order */
    struct route **table; /* the routes in dispatch order, built at start */
    size_t ntable;
    struct route fallback;
    struct owned *owned;
    http_pre_hook pre_hook; /* may be NULL */
    void *pre_hook_ud;
    int port;
    int running;
    /* ulfius' own access handler, which http__access() wraps (http_body.c) */
    MHD_AccessHandlerCallback ulfius_access;
    void *ulfius_access_cls;
    MHD_socket listen_fd; /* after quiesce, closed once the daemon stopped */
    atomic_int inflight;  /* inside a handler */
    atomic_int busy;      /* request line received, response not yet completed */
    atomic_int draining;
    int has_deferrable;  /* a deferrable route is registered */
    atomic_int deferred; /* deferred by http_defer(), the request not yet completed */
};

/* A request of a deferrable route: its context and answer outlive the
 * handler's call. */
struct http__pending {
    struct http_ctx ctx;
    struct _u_response resp;
    struct MHD_Connection *con;
    struct http_server *server;
    long long t0;
    int deferred; /* http_defer() suspended the connection; counted in server->deferred
                     until the request completes (http__conn_done) */
    int answered; /* queued by http__answer(), or accounted for by http__conn_done() */
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- request id, peer, headers ---------------------------------------- */

static int request_id_valid(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= 64 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n > 0;
}

static void take_request_id(struct http_ctx *ctx)
{
    const char *given = u_map_get_case(ctx->req->map_header, "X-Request-ID");
    if (request_id_valid(given)) {
        fmt_copy(ctx->request_id, sizeof(ctx->request_id), given);
        return;
    }
    char uuid[CRYPTO_UUID_LEN];
    if (crypto_uuid4(uuid) != VALOR_OK) {
        /* getrandom() failing is near impossible; still never leave it empty */
        snprintf(uuid, sizeof(uuid), "req-%lld", now_ns());
    }
    _Static_assert(sizeof(ctx->request_id) >= CRYPTO_UUID_LEN, "a UUID fits the request id");
    memcpy(ctx->request_id, uuid, sizeof(uuid));
}

static void peer_ip(const struct sockaddr *sa, char *buf, size_t len)
{
    if (sa != NULL && sa->sa_family == AF_INET && len >= INET_ADDRSTRLEN) {
        /* inet_ntop's dotted quad, without its sprintf (every request) */
        const unsigned char *a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
        size_t n = 0;
        for (int i = 0; i < 4; i++) {
            n += fmt_uint(buf + n, a[i]);
            buf[n++] = i < 3 ? '.' : '\0';
        }
        return;
    }
    snprintf(buf, len, "unknown");
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET6) {
        /* only the first 8 address bytes lie within the 16 bytes ulfius kept */
        unsigned char a[16] = {0};
        char tmp[INET6_ADDRSTRLEN];
        memcpy(a, (const unsigned char *)sa + 8, 8);
        if (inet_ntop(AF_INET6, a, tmp, sizeof(tmp)) != NULL)
            snprintf(buf, len, "%s/64", tmp);
    }
}

static void set_header(struct _u_response *resp, const char *k, const char *v)
{
    u_map_put(resp->map_header, k, v);
}

static int body_too_large(const struct http_server *s, const struct _u_request *req)
{
    const char *cl = u_map_get_case(req->map_header, "Content-Length");
    if (cl != NULL) {
        char *end = NULL;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end != cl && n > s->max_body)
            return 1;
    }
    return req->binary_body_length > s->max_body;
}

/* ---- metrics and access log ------------------------------------------- */

static const char *const known_methods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                            "PATCH", "DELETE", "OPTIONS"};
#define N_KNOWN_METHODS (sizeof(known_methods) / sizeof(known_methods[0]))

static const char *method_label(const char *m)
{
    for (size_t i = 0; m != NULL && i < N_KNOWN_METHODS; i++)
        if (strcmp(m, known_methods[i]) == 0)
            return known_methods[i];
    return "OTHER"; /* any token is a valid method: keep the label bounded */
}

/* The index of m (any case) in known_methods, -1 for another method: routes
 * are matched on it, one string comparison per request instead of one per
 * route. */
static int method_id(const char *m)
{
    for (size_t i = 0; i < N_KNOWN_METHODS; i++)
        if (strcasecmp(m, known_methods[i]) == 0)
            return (int)i;
    return -1;
}

static void observe(struct http_server *s, struct http_ctx *ctx, double secs)
{
    unsigned status = (unsigned)ctx->resp->status;
    const char *tenant = ctx->tenant[0] ? ctx->tenant : ctx->log.tenant_id;
    const char *user = ctx->user[0] ? ctx->user : ctx->log.user_id;
    const char *method = ctx->req->http_verb != NULL ? ctx->req->http_verb : "";
    char st[8];

    st[fmt_uint(st, status)] = '\0';
    if (s->requests != NULL) {
        const char *tl =
            tenant != NULL && *tenant != '\0' ? metrics_label_limit(s->tenants, tenant) : "";
        const char *ml = method_label(method);
        const char *lv[] = {ml, ctx->route, st, tl};
        const char *dv[] = {ml, ctx->route, tl};
        metrics_counter_add(s->requests, lv, 1);
        metrics_histogram_observe(s->duration, dv, secs);
    }

    /* the access line: never the Authorization header or the body */
    struct log_ctx lc = {.request_id = ctx->request_id, .tenant_id = tenant, .user_id = user};
    char msg[320];
    const char *msg_parts[] = {method, " ", ctx->route, " ", st};
    fmt_join(msg, sizeof(msg), msg_parts, sizeof(msg_parts) / sizeof(msg_parts[0]));
    const struct log_field f[] = {
        {.key = "msg", .s = msg},
        {.key = "request_id", .s = ctx->request_id},
        {.key = "tenant_id", .s = tenant},
        {.key = "user_id", .s = user},
        {.key = "method", .s = method},
        {.key = "route", .s = ctx->route},
        {.key = "status", .type = LOG_F_INT, .i = status},
        {.key = "duration_ms", .type = LOG_F_MS, .i = (long long)(secs * 1e6)},
        {.key = "upstream", .s = ctx->upstream},
        {.key = "upstream_ms",
         .type = ctx->upstream ? LOG_F_MS : LOG_F_STR,
         .i = (long long)(ctx->upstream_ms * 1e3)},
        {.key = "client_ip", .s = ctx->client_ip},
        {.key = "bytes_out", .type = LOG_F_INT, .i = (long long)ctx->resp->binary_body_length},
    };
    log_kv(status >= 500 ? CFG_LOG_WARNING : CFG_LOG_INFO, &lc, "request", f,
           sizeof(f) / sizeof(f[0]));
}

/* ---- the one ulfius callback ------------------------------------------ */

/* The route for this method and path (NULL: none), its parameters added to
 * req->map_url; ulfius has already put the query parameters there. */
static struct route *find_route(struct http_server *s, const struct _u_request *req,
                                const char *method)
{
    const char *path = req->url_path;
    int id = method_id(method);
    for (size_t i = 0; i < s->ntable; i++) {
        struct route *r = s->table[i];
        if (r->method_id != id || (id < 0 && strcasecmp(r->method, method) != 0) ||
            !http__template_match(r->template, path))
            continue;
        if (strchr(r->template, ':') != NULL || strchr(r->template, '@') != NULL) {
            struct _u_endpoint ep = {.http_method = r->method, .url_format = r->template};
            ulfius_parse_url(path, &ep, ((struct _u_request *)req)->map_url, s->inst.check_utf8);
        }
        return r;
    }
    return NULL;
}

/* The route of a request; HEAD falls back to the GET route (its handler
 * runs and libmicrohttpd sends the head of its answer without the body). */
static struct route *dispatch(struct http_server *s, const struct _u_request *req)
{
    const char *method = req->http_verb;
    struct route *r;
    if (req->url_path == NULL || method == NULL)
        return NULL;
    r = find_route(s, req, method);
    if (r == NULL && strcasecmp(method, "HEAD") == 0)
        r = find_route(s, req, "GET");
    return r;
}

/* The pipeline of one request up to and including the handler: ctx set up,
 * request id, security headers, pre-hook, 413, handler. r is the route
 * (the fallback route: matched here). too_large: the body is over the limit
 * (413 on a matched route). */
static void begin(struct route *r, const struct _u_request *req, struct _u_response *resp,
                  struct http_ctx *ctx, int too_large)
{
    struct http_server *s = r->server;

    if (r->is_fallback) {
        struct route *found = dispatch(s, req);
        if (found != NULL)
            r = found;
    }

    atomic_fetch_add(&s->inflight, 1);
    ctx->req = req;
    ctx->resp = resp;
    ctx->ud = r->ud;
    ctx->route = r->template;
    take_request_id(ctx);
    peer_ip(req->client_address, ctx->client_ip, sizeof(ctx->client_ip));
    ctx->log.request_id = ctx->request_id;

    /* set before the handler so that it may override (e.g. Cache-Control) */
    set_header(resp, "X-Request-ID", ctx->request_id);
    set_header(resp, "X-Content-Type-Options", "nosniff");
    set_header(resp, "X-Frame-Options", "DENY");
    set_header(resp, "Referrer-Policy", "strict-origin-when-cross-origin");
    set_header(resp, "Cache-Control", "no-store");
    if (atomic_load(&s->draining))
        set_header(resp, "Connection", "close");

    /* a hook that replied (e.g. a CORS preflight) ends the request */
    if (s->pre_hook != NULL && s->pre_hook(ctx, s->pre_hook_ud) != 0) {
        /* nothing more to do */
    } else if (!r->is_fallback && (too_large || body_too_large(s, req))) {
        http_reply_error(ctx, VALOR_E_TOO_LARGE, "Request body too large");
    } else {
        r->handler(ctx);
    }
}

/* After the answer: metrics and the access line. */
static void finish(struct http_server *s, struct http_ctx *ctx, long long t0)
{
    observe(s, ctx, (double)(now_ns() - t0) / 1e9);
    atomic_fetch_sub(&s->inflight, 1);
}

static void run(struct route *r, const struct _u_request *req, struct _u_response *resp,
                int too_large)
{
    struct http_ctx ctx;
    long long t0 = now_ns();

    memset(&ctx, 0, sizeof(ctx));
    begin(r, req, resp, &ctx, too_large);
    finish(r->server, &ctx, t0);
}

static int trampoline(const struct _u_request *req, struct _u_response *resp, void *user_data)
{
    run(user_data, req, resp, 0);
    return U_CALLBACK_COMPLETE;
}

/* The answer of a deferrable route's request goes to libmicrohttpd as ulfius
 * would send it — status, the header map, the body or the stream (HEAD) —
 * without ulfius' dispatcher, which would allocate a second response, match
 * the endpoints again and copy the body only to hand the same bytes on.
 * ulfius' cookie list is not sent: no deferrable route uses it (a
 * Set-Cookie in the header map is). */
enum MHD_Result http__answer(struct MHD_Connection *con, struct http__conn *cs)
{
    struct http__pending *p = cs->pending;
    struct _u_response *resp = &p->resp;
    struct MHD_Response *r;
    enum MHD_Result ret;

    p->answered = 1;
    finish(p->server, &p->ctx, p->t0);
    if (resp->stream_callback != NULL) {
        r = MHD_create_response_from_callback(resp->stream_size, resp->stream_block_size,
                                              resp->stream_callback, resp->stream_user_data,
                                              resp->stream_callback_free);
        if (r != NULL)
            resp->stream_callback = NULL; /* libmicrohttpd frees its user data */
    } else {
        r = MHD_create_response_from_buffer_with_free_callback(resp->binary_body_length,
                                                               resp->binary_body, free);
        if (r != NULL) {
            resp->binary_body = NULL; /* libmicrohttpd's now */
            resp->binary_body_length = 0;
        }
    }
    if (r == NULL)
        return MHD_NO;
    for (int i = 0; i < resp->map_header->nb_values; i++)
        if (MHD_add_response_header(r, resp->map_header->keys[i], resp->map_header->values[i]) ==
            MHD_NO) {
            MHD_destroy_response(r);
            return MHD_NO;
        }
    ret = MHD_queue_response(con, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void pending_free(struct http__pending *p)
{
    if (p != NULL) {
        ulfius_clean_response(&p->resp);
        free(p);
    }
}

int http__final_call(struct http_server *s, struct MHD_Connection *con, struct http__conn *cs,
                     void **con_cls)
{
    struct connection_info_struct *ci = *con_cls;
    struct _u_request *req = ci != NULL ? ci->request : NULL;
    struct http__pending *p = cs->pending;
    struct route *r;

    /* back from http_resume(): the request stays counted in s->deferred until
     * it completes (http__conn_done), so that a drain cannot stop the daemon
     * between the resume and the answer's last byte */
    if (p != NULL)
        return 0;
    if (req == NULL)
        return 0;
    /* ulfius' dispatcher fills map_url (query arguments) per endpoint */
    u_map_empty(req->map_url);
    u_map_copy_into(req->map_url, &ci->map_url_initial);
    r = dispatch(s, req);
    if (r == NULL || !r->deferrable)
        return 0;
    if ((p = calloc(1, sizeof(*p))) == NULL)
        return 0;
    if (ulfius_init_response(&p->resp) != U_OK) {
        free(p);
        return 0;
    }
    p->con = con;
    p->server = s;
    p->t0 = now_ns();
    p->ctx.pending = p;
    cs->pending = p;
    begin(r, req, &p->resp, &p->ctx, 0);
    return p->deferred;
}

void http__conn_done(struct http__conn *cs)
{
    struct http__pending *p = cs != NULL ? cs->pending : NULL;
    if (p == NULL)
        return;
    /* the request ended: its answer was sent, or the connection closed
     * before (the client hung up while the request was deferred:
     * libmicrohttpd sees it once the connection is resumed) */
    if (p->deferred) {
        p->deferred = 0;
        atomic_fetch_sub(&p->server->deferred, 1);
    }
    if (!p->answered) {
        p->answered = 1;
        finish(p->server, &p->ctx, p->t0);
    }
    pending_free(p);
    cs->pending = NULL;
}

int http_defer(struct http_ctx *ctx)
{
    struct http__pending *p = ctx != NULL ? ctx->pending : NULL;
    if (p == NULL || p->deferred)
        return VALOR_E_INVALID;
    p->deferred = 1;
    atomic_fetch_add(&p->server->deferred, 1);
    MHD_suspend_connection(p->con);
    return VALOR_OK;
}

void http_resume(struct http_ctx *ctx)
{
    /* libmicrohttpd orders this with the worker's next look at the
     * connection (its cleanup mutex), so the answer is complete there */
    MHD_resume_connection(ctx->pending->con);
}

void http__run(struct http_server *s, const struct _u_request *req, struct _u_response *resp,
               int too_large)
{
    run(&s->fallback, req, resp, too_large);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_method(const char **methods, size_t *n, const char *m)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(methods[i], m) == 0)
            return;
    if (*n < HTTP_MAX_METHODS)
        methods[(*n)++] = m;
}

/* No endpoint matched this method and path. Unknown path: 404. Otherwise
 * the path's methods go into Allow — the registered ones, HEAD with GET,
 * and OPTIONS — and OPTIONS is answered 204, any other method 405. */
static void fallback_handler(struct http_ctx *ctx)
{
    struct http_server *s = ctx->ud;
    const char *methods[HTTP_MAX_METHODS];
    size_t n = 0;
    char allow[256] = "";

    for (struct route *r = s->routes; r != NULL; r = r->next) {
        if (!http__template_match(r->template, ctx->req->url_path))
            continue;
        if (n == 0)
            ctx->route = r->template;
        add_method(methods, &n, r->method);
        if (strcmp(r->method, "GET") == 0)
            add_method(methods, &n, "HEAD");
    }
    if (n == 0) {
        ctx->route = unmatched;
        http_reply_error(ctx, VALOR_E_NOT_FOUND, "Not found");
        return;
    }
    add_method(methods, &n, "OPTIONS");
    qsort(methods, n, sizeof(methods[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(allow);
        snprintf(allow + used, sizeof(allow) - used, "%s%s", i ? ", " : "", methods[i]);
    }
    set_header(ctx->resp, "Allow", allow);
    if (strcasecmp(ctx->req->http_verb, "OPTIONS") == 0) {
        ctx->resp->status = 204; /* no body */
        return;
    }
    http_reply_error(ctx, VALOR_E_METHOD, "Method not allowed");
}

/* ---- libmicrohttpd hooks ---------------------------------------------- */

/* MHD_OPTION_URI_LOG_CALLBACK: ulfius' logger, plus "a request started". */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct http_server *s = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct http__conn *cs = ci != NULL ? ci->socket_context : NULL;
    if (cs != NULL && !cs->busy) {
        cs->busy = 1;
        atomic_fetch_add(&s->busy, 1);
    }
    if (cs != NULL) { /* a new request on this connection */
        cs->headers_seen = 0;
        cs->received = 0;
        http__conn_done(cs);
    }
    return ulfius_uri_logger(NULL, uri);
}

static void request_done(struct http_server *s, struct http__conn *cs)
{
    if (cs != NULL && cs->busy) {
        cs->busy = 0;
        atomic_fetch_sub(&s->busy, 1);
    }
}

/* MHD_OPTION_NOTIFY_COMPLETED: ulfius' cleanup, plus "the response is out". */
static void request_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    http__conn_done(ci != NULL ? ci->socket_context : NULL); /* reads ulfius' request */
    mhd_request_completed(NULL, con, con_cls, toe);
    request_done(cls, ci != NULL ? ci->socket_context : NULL);
}

/* MHD_OPTION_NOTIFY_CONNECTION: per-connection state; a connection closed
 * mid-request (never "completed") ends its request here. */
static void connection_event(void *cls, struct MHD_Connection *con, void **socket_context,
                             enum MHD_ConnectionNotificationCode toe)
{
    (void)con;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(struct http__conn));
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        request_done(cls, *socket_context);
        http__conn_done(*socket_context);
        free(*socket_context);
        *socket_context = NULL;
    }
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    if (http__closing_refused()) /* the close that follows a 413 sent mid-body (http_body.c) */
        return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    log_warn(NULL, "mhd", "%s", buf);
}

/* ---- lifecycle --------------------------------------------------------- */

static int resolve_bind(const char *host, int port, struct sockaddr_storage *out)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (host == NULL || *host == '\0' || strcasecmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
        return VALOR_E_INVALID;
    memset(out, 0, sizeof(*out));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    if (out->ss_family == AF_INET)
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return VALOR_OK;
}

/* orcania's realloc for ulfius: a block grows to at least twice its usable
 * size and never shrinks. ulfius grows every map (request and response
 * headers) one entry at a time, three o_realloc calls per u_map_put, and
 * glibc's realloc copied or split the blocks on most of them — ~12 k of the
 * gateway's ~170 k instructions per request. Still malloc's blocks: free()
 * and realloc() take them as before. */
static void *grow_realloc(void *p, size_t n)
{
    if (p == NULL)
        return malloc(n);
    size_t usable = malloc_usable_size(p);
    if (n <= usable)
        return p; /* also n == 0: the block stays, as realloc may keep it */
    return realloc(p, usable * 2 > n ? usable * 2 : n);
}

static pthread_once_t alloc_once = PTHREAD_ONCE_INIT;

static void set_alloc_funcs(void)
{
    o_set_alloc_funcs(malloc, grow_realloc, free);
}

int http_server_new(const struct http_server_opts *opts, struct http_server **out)
{
    struct http_server *s = NULL;
    int rc = VALOR_E_INVALID;

    pthread_once(&alloc_once, set_alloc_funcs);

    *out = NULL;
    if (opts == NULL || opts->port < 0 || opts->port > 65535 || opts->threads < 1 ||
        opts->max_connections < 1 || opts->connection_timeout_s < 0)
        return VALOR_E_INVALID;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return VALOR_E_NOMEM;
    snprintf(s->service, sizeof(s->service), "%s", opts->service ? opts->service : "valor");
    s->threads = opts->threads;
    s->max_connections = opts->max_connections;
    s->connection_timeout_s = opts->connection_timeout_s;
    s->max_body = opts->max_body_bytes > 0 ? opts->max_body_bytes : (size_t)1024 * 1024;
    s->metrics = opts->metrics;
    s->port = opts->port;
    s->listen_fd = MHD_INVALID_SOCKET;
    rc = resolve_bind(opts->bind_host, opts->port, &s->addr);
    if (rc != VALOR_OK) {
        log_error(NULL, "http_bind", "bind address is not a numeric IPv4/IPv6 address");
        goto out;
    }
    rc = VALOR_E_INTERNAL;
    if (ulfius_init_instance(&s->inst, 1, NULL, NULL) != U_OK)
        goto out;
    s->inst_ready = 1;
    s->inst.port = (unsigned)opts->port;
    s->inst.max_post_body_size = s->max_body + 1; /* > max_body ⇒ 413 */
    s->inst.allowed_post_processor = U_POST_PROCESS_NONE;
    s->inst.check_utf8 = 1;

    s->fallback.handler = fallback_handler;
    s->fallback.ud = s;
    s->fallback.server = s;
    s->fallback.is_fallback = 1;
    s->fallback.template = unmatched;
    if (ulfius_set_default_endpoint(&s->inst, trampoline, &s->fallback) != U_OK)
        goto out;

    if (s->metrics != NULL) {
        const char *ln[] = {"method", "endpoint", "status", "tenant"};
        const char *dn[] = {"method", "endpoint", "tenant"};
        size_t max_tenants = opts->max_tenants > 0 ? opts->max_tenants : HTTP_DEFAULT_MAX_TENANTS;
        s->tenants = metrics_label_limiter_new(max_tenants);
        if (s->tenants == NULL)
            goto out;
        rc = metrics_family_new(s->metrics, METRICS_COUNTER, "http_requests_total",
                                "HTTP requests by method, route template, status and tenant.", 4,
                                ln, NULL, 0, &s->requests);
        if (rc == VALOR_OK)
            rc = metrics_family_new(s->metrics, METRICS_HISTOGRAM, "http_request_duration_seconds",
                                    "HTTP request duration by method, route template and tenant.",
                                    3, dn, NULL, 0, &s->duration);
        if (rc != VALOR_OK)
            goto out;
    }
    *out = s;
    s = NULL;
    rc = VALOR_OK;
out:
    http_server_free(s);
    return rc;
}

struct _u_instance *http_server_instance(struct http_server *s)
{
    return &s->inst;
}

static int add_route(struct http_server *s, const char *method, const char *path, http_handler h,
                     void *ud, int deferrable)
{
    struct route *r, **tail;
    if (s == NULL || method == NULL || path == NULL || h == NULL || s->running ||
        strlen(method) >= sizeof(r->method) || path[0] != '/')
        return VALOR_E_INVALID;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return VALOR_E_NOMEM;
    for (size_t i = 0; method[i] != '\0'; i++)
        r->method[i] = (char)(method[i] >= 'a' && method[i] <= 'z' ? method[i] - 32 : method[i]);
    r->method_id = method_id(r->method);
    r->template = strdup(path);
    r->priority = http__template_priority(path);
    r->handler = h;
    r->ud = ud;
    r->server = s;
    r->deferrable = deferrable;
    s->has_deferrable |= deferrable;
    if (r->template == NULL) {
        free(r);
        return VALOR_E_NOMEM;
    }
    for (tail = &s->routes; *tail != NULL; tail = &(*tail)->next)
        ;
    *tail = r;
    return VALOR_OK;
}

int http_route(struct http_server *s, const char *method, const char *path, http_handler h,
               void *ud)
{
    return add_route(s, method, path, h, ud, 0);
}

int http_route_deferrable(struct http_server *s, const char *method, const char *path,
                          http_handler h, void *ud)
{
    return add_route(s, method, path, h, ud, 1);
}

int http_server_set_pre_hook(struct http_server *s, http_pre_hook hook, void *ud)
{
    if (s == NULL || s->running)
        return VALOR_E_INVALID;
    s->pre_hook = hook;
    s->pre_hook_ud = ud;
    return VALOR_OK;
}

/* s->table: the routes by priority, registration order among equals (the
 * order of ulfius' stable sort of its matches). */
static int build_table(struct http_server *s)
{
    size_t n = 0, k = 0;
    for (struct route *r = s->routes; r != NULL; r = r->next)
        n++;
    struct route **t = calloc(n > 0 ? n : 1, sizeof(struct route *));
    if (t == NULL)
        return VALOR_E_NOMEM;
    for (struct route *r = s->routes; r != NULL; r = r->next) {
        size_t j = k++;
        while (j > 0 && t[j - 1]->priority > r->priority) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = r;
    }
    free(s->table);
    s->table = t;
    s->ntable = n;
    return VALOR_OK;
}

int http_server_start(struct http_server *s)
{
    /* poll(), not epoll: with epoll, MHD_quiesce_daemon() (the drain in
     * http_server_stop) races each worker's own removal of the listening
     * socket from its epoll set and MHD_PANIC()s — "Failed to remove listen
     * FD from epoll set", libmicrohttpd 0.9.75, test_stop_under_connection_churn.
     * With poll() the quiesce is a flag and a wake-up; each worker polls only
     * its own share of the connections. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE;
    const union MHD_DaemonInfo *info;

    if (s == NULL || s->running)
        return VALOR_E_INVALID;
    if (build_table(s) != VALOR_OK)
        return VALOR_E_NOMEM;
    if (s->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (s->has_deferrable)
        flags |= MHD_ALLOW_SUSPEND_RESUME;
    /* s->addr outlives the call: MHD binds inside MHD_start_daemon(). The
     * external logger must come first; a pool of 1 is no pool (MHD warns). */
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, s},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_logger, s},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection_event, s},
        {MHD_OPTION_CONNECTION_LIMIT, s->max_connections, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, s->connection_timeout_s, NULL},
        {MHD_OPTION_SOCK_ADDR, 0, &s->addr},
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
        {s->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, s->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    /* ulfius hands its access handler to MHD_start_daemon(), where
     * http_body.c puts http__access() in front of it for this server */
    http__starting = s;
    int started = ulfius_start_framework_with_mhd_options(&s->inst, flags, ops) == U_OK;
    http__starting = NULL;
    if (!started) {
        log_error(NULL, "http_start", "cannot listen on port %d", s->port);
        return VALOR_E_UNAVAILABLE;
    }
    if (s->ulfius_access == NULL) {
        log_error(NULL, "http_start", "the body-size check could not wrap ulfius' access handler");
        ulfius_stop_framework(&s->inst);
        return VALOR_E_INTERNAL;
    }
    info = MHD_get_daemon_info(s->inst.mhd_daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info != NULL && info->port != 0)
        s->port = info->port;
    atomic_store(&s->draining, 0);
    s->running = 1;
    return VALOR_OK;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

int http_server_inflight(const struct http_server *s)
{
    return atomic_load(&((struct http_server *)s)->inflight);
}

void http_server_stop(struct http_server *s, int grace_s)
{
    if (s == NULL || !s->running)
        return;
    atomic_store(&s->draining, 1);
    s->listen_fd = MHD_quiesce_daemon(s->inst.mhd_daemon);
    /* the socket stays open until the daemon stopped (MHD's rule); shutting it
     * down makes the kernel refuse new connections right away */
    if (s->listen_fd != MHD_INVALID_SOCKET)
        shutdown(s->listen_fd, SHUT_RDWR);
    long long deadline = now_ns() + (long long)(grace_s > 0 ? grace_s : 0) * 1000000000LL;
    while ((atomic_load(&s->busy) > 0 || atomic_load(&s->inflight) > 0) && now_ns() < deadline)
        usleep(5000);
    if (grace_s > 0 && (atomic_load(&s->busy) > 0 || atomic_load(&s->inflight) > 0))
        log_warn(NULL, "http_drain",
                 "grace period over with %d request(s) unfinished (%d in handlers)",
                 atomic_load(&s->busy), atomic_load(&s->inflight));
    /* libmicrohttpd cannot stop with a suspended connection (MHD_PANIC):
     * the owners of deferred requests resume them within their timeouts */
    while (atomic_load(&s->deferred) > 0)
        usleep(1000);
    ulfius_stop_framework(&s->inst);
    if (s->listen_fd != MHD_INVALID_SOCKET)
        close(s->listen_fd);
    s->listen_fd = MHD_INVALID_SOCKET;
    s->running = 0;
}

void http_server_free(struct http_server *s)
{
    struct route *r, *rn;
    struct owned *o, *on;
    if (s == NULL)
        return;
    http_server_stop(s, 0);
    if (s->inst_ready)
        ulfius_clean_instance(&s->inst);
    for (r = s->routes; r != NULL; r = rn) {
        rn = r->next;
        free(r->template);
        free(r);
    }
    for (o = s->owned; o != NULL; o = on) {
        on = o->next;
        free(o->p);
        free(o);
    }
    metrics_label_limiter_free(s->tenants);
    free(s->table);
    free(s);
}

_Thread_local struct http_server *http__starting;

void http__wrap(struct http_server *s, MHD_AccessHandlerCallback ulfius_access, void *cls)
{
    s->ulfius_access = ulfius_access;
    s->ulfius_access_cls = cls;
}

enum MHD_Result http__ulfius_access(struct http_server *s, struct MHD_Connection *con,
                                    const char *url, const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls)
{
    return s->ulfius_access(s->ulfius_access_cls, con, url, method, version, upload_data,
                            upload_data_size, con_cls);
}

size_t http__max_body(const struct http_server *s)
{
    return s->max_body;
}

int http__has_deferrable(const struct http_server *s)
{
    return s->has_deferrable;
}

const char *http__service(const struct http_server *s)
{
    return s->service;
}

struct metrics_registry *http__metrics(const struct http_server *s)
{
    return s->metrics;
}

int http__own(struct http_server *s, void *p)
{
    struct owned *o = malloc(sizeof(*o));
    if (o == NULL)
        return VALOR_E_NOMEM;
    o->p = p;
    o->next = s->owned;
    s->owned = o;
    return VALOR_OK;
}
