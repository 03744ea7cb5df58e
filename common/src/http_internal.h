/* http_internal: what http.c shares with http_reply.c (not a public API). */
#ifndef VALOR_HTTP_INTERNAL_H
#define VALOR_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <stddef.h>

#include "valor/http.h"

/* Per TCP connection (MHD socket context), used by the connection's worker
 * thread only. */
struct http__conn {
    int busy;                      /* a request is in progress */
    int headers_seen;              /* the access handler ran for this request */
    unsigned long long received;   /* body bytes of this request so far */
    struct http__pending *pending; /* the request of a deferrable route, until answered */
};

/* The service name given to http_server_new() (borrowed). */
const char *http__service(const struct http_server *s);
/* The metrics registry given to http_server_new() (borrowed, may be NULL). */
struct metrics_registry *http__metrics(const struct http_server *s);
/* Hands `p` to the server, which frees it with free() in http_server_free(). */
int http__own(struct http_server *s, void *p);

/* 1 when `path` matches `tmpl` under ulfius' rules: ":x"/"@x" match one
 * non-empty segment, a last segment "*" matches the rest (also nothing),
 * empty segments ("//", a trailing "/") are ignored. */
int http__template_match(const char *tmpl, const char *path);
/* ulfius endpoint priority (lower runs first): 0 for a literal template, more
 * for each parameter, much more for a wildcard, so the exact template wins. */
unsigned http__template_priority(const char *tmpl);

/* The server being started by this thread (http_server_start), for the
 * MHD_start_daemon() of http_body.c; NULL otherwise. */
extern _Thread_local struct http_server *http__starting;
/* Records ulfius' access handler, which http__access() calls. */
void http__wrap(struct http_server *s, MHD_AccessHandlerCallback ulfius_access, void *cls);
/* Calls ulfius' access handler. */
enum MHD_Result http__ulfius_access(struct http_server *s, struct MHD_Connection *con,
                                    const char *url, const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls);
size_t http__max_body(const struct http_server *s);
/* The pipeline of http.c for a request built outside ulfius (req and resp
 * borrowed): request id, security headers, pre-hook, route match (404/405),
 * 413 when too_large, access log, metrics. */
void http__run(struct http_server *s, const struct _u_request *req, struct _u_response *resp,
               int too_large);

/* The final call of the access handler (the whole request is in) for a
 * server with deferrable routes: runs the pipeline of a deferrable route
 * here, ahead of ulfius' dispatcher (cs->pending). Returns 1 when the
 * request was deferred (the connection is suspended: return MHD_YES), 0
 * otherwise: cs->pending is then the answered request (answered now or
 * resumed) for http__answer(), or NULL when ulfius runs the request. */
int http__final_call(struct http_server *s, struct MHD_Connection *con, struct http__conn *cs,
                     void **con_cls);
/* Queues the answer of cs->pending on libmicrohttpd (the access line and
 * metrics written); the access handler's return value. */
enum MHD_Result http__answer(struct MHD_Connection *con, struct http__conn *cs);
/* Frees the connection's pending request, if any (its request is over). */
void http__conn_done(struct http__conn *cs);
/* A deferrable route is registered. */
int http__has_deferrable(const struct http_server *s);

/* http_body.c: MHD's access handler for our servers (cls: the server). It
 * answers a request whose body is too large before reading the body
 * (Content-Length) or as soon as the received total passes the limit, and
 * closes the connection; anything else goes to ulfius. */
enum MHD_Result http__access(void *cls, struct MHD_Connection *con, const char *url,
                             const char *method, const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls);
/* 1 while this thread closes a connection after a refusal (MHD's "internal
 * error" log line about it is expected). */
int http__closing_refused(void);

#endif
