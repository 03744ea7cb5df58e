/* http_body: MAX_BODY_BYTES enforced before the body is read.
 *
 * ulfius reads a whole request body before it dispatches (truncating it at
 * max_post_body_size) and offers no earlier hook, so a 2 GB upload used to
 * be received — and thrown away — before its 413. libmicrohttpd calls its
 * access handler once the headers are in, before any body byte is read, and
 * then once per piece of the body; ulfius registers its own handler when it
 * starts the daemon. So:
 *
 *  - MHD_start_daemon() is defined here. It takes the place of
 *    libmicrohttpd's for the whole process (the executable's symbol wins
 *    over the shared library's, ELF symbol interposition) and, while
 *    http_server_start() runs (http__starting), keeps ulfius' handler and
 *    starts the daemon with http__access() in front of it; the real work is
 *    libmicrohttpd's own MHD_start_daemon_va(). Any other caller gets the
 *    daemon it asked for, untouched.
 *  - http__access(): on the first call of a request, a Content-Length over
 *    the limit is answered at once — the 413 of the pipeline (request id,
 *    security and CORS headers, JSON body, access log, metrics) queued with
 *    Connection: close. libmicrohttpd then reads nothing more of the
 *    request: a response queued before the body closes the reading side, is
 *    sent without a 100 Continue, and the connection is closed after it.
 *  - A body without a length (chunked) is counted as it arrives; when the
 *    total passes the limit, libmicrohttpd 0.9.75 no longer accepts a
 *    response (MHD_queue_response() refuses one mid-body), so the same 413
 *    is written to the socket here, the sending side shut down, and MHD_NO
 *    returned: libmicrohttpd closes the connection without reading on.
 *  - A path no route serves gets its 404/405 the same way: the pipeline
 *    runs as for any request, with the body known to be too large.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "http_internal.h"
#include "valor/err.h"

#define HTTP_REFUSAL_SEND_MS 1000 /* writing a ~1 KiB answer to an empty send buffer */

static _Thread_local int closing_refused;

int http__closing_refused(void)
{
    int v = closing_refused;
    closing_refused = 0;
    return v;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    struct http_server *s = http__starting;
    struct MHD_Daemon *d;
    va_list ap;

    va_start(ap, dh_cls);
    if (s != NULL) {
        http__wrap(s, dh, dh_cls);
        dh = http__access;
        dh_cls = s;
    }
    d = MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
    va_end(ap);
    return d;
}

/* Content-Length as a number; 0 when it is not one (libmicrohttpd refuses
 * such a request itself). */
static int parse_length(const char *v, unsigned long long *out)
{
    unsigned long long n = 0;
    if (v == NULL || *v < '0' || *v > '9')
        return 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        if (n > (~0ULL - 9) / 10)
            return 0;
        n = n * 10 + (unsigned long long)(*v - '0');
    }
    *out = n;
    return *v == '\0';
}

static enum MHD_Result put_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    if (key != NULL)
        u_map_put(cls, key, value != NULL ? value : "");
    return MHD_YES;
}

/* The request as the pipeline needs it (verb, path, peer, headers; the path
 * as libmicrohttpd decoded it, which is what route matching needs), run with
 * its body known to be too large. On VALOR_OK the caller cleans req and resp
 * (ulfius_clean_request / ulfius_clean_response). */
static int run_refused(struct http_server *s, struct MHD_Connection *con, const char *url,
                       const char *method, const char *version, struct _u_request *req,
                       struct _u_response *resp)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    if (ulfius_init_request(req) != U_OK)
        return VALOR_E_NOMEM;
    if (ulfius_init_response(resp) != U_OK) {
        ulfius_clean_request(req);
        return VALOR_E_NOMEM;
    }
    /* ulfius frees these with o_free(), which is free() (no other allocators) */
    req->http_verb = strdup(method);
    req->http_protocol = strdup(version);
    req->http_url = strdup(url);
    req->url_path = strdup(url);
    req->client_address = calloc(1, sizeof(struct sockaddr));
    if (req->http_verb == NULL || req->http_protocol == NULL || req->http_url == NULL ||
        req->url_path == NULL || req->client_address == NULL) {
        ulfius_clean_request(req);
        ulfius_clean_response(resp);
        return VALOR_E_NOMEM;
    }
    if (ci != NULL && ci->client_addr != NULL) /* as much as ulfius keeps */
        memcpy(req->client_address, ci->client_addr, sizeof(struct sockaddr));
    MHD_get_connection_values(con, MHD_HEADER_KIND, put_header, req->map_header);
    http__run(s, req, resp, 1);
    return VALOR_OK;
}

/* Before the body: the answer queued, libmicrohttpd reads no further. */
static enum MHD_Result refuse_before_body(struct http_server *s, struct MHD_Connection *con,
                                          const char *url, const char *method, const char *version)
{
    struct _u_request req;
    struct _u_response resp;
    struct MHD_Response *m;
    enum MHD_Result ret = MHD_NO;

    if (run_refused(s, con, url, method, version, &req, &resp) != VALOR_OK)
        return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
    m = MHD_create_response_from_buffer(resp.binary_body_length, resp.binary_body,
                                        MHD_RESPMEM_MUST_COPY);
    if (m != NULL) {
        const char **keys = u_map_enum_keys(resp.map_header);
        for (size_t i = 0; keys != NULL && keys[i] != NULL; i++)
            if (strcasecmp(keys[i], MHD_HTTP_HEADER_CONNECTION) != 0)
                MHD_add_response_header(m, keys[i], u_map_get(resp.map_header, keys[i]));
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
        ret = MHD_queue_response(con, (unsigned)resp.status, m);
        MHD_destroy_response(m);
    }
    ulfius_clean_request(&req);
    ulfius_clean_response(&resp);
    return ret;
}

/* The whole answer, head and body, as HTTP/1.1 text. Caller frees. */
static char *answer_text(const struct _u_response *resp, size_t *len)
{
    const char *reason = MHD_get_reason_phrase_for((unsigned)resp->status);
    const char **keys = u_map_enum_keys(resp->map_header);
    char date[64];
    size_t cap = 256 + resp->binary_body_length, used;
    char *out;
    struct tm tm;
    time_t now = time(NULL);

    for (size_t i = 0; keys != NULL && keys[i] != NULL; i++)
        cap += strlen(keys[i]) + strlen(u_map_get(resp->map_header, keys[i])) + 4;
    if ((out = malloc(cap)) == NULL)
        return NULL;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    used = (size_t)snprintf(out, cap, "HTTP/1.1 %ld %s\r\nDate: %s\r\n", resp->status,
                            reason != NULL ? reason : "", date);
    for (size_t i = 0; keys != NULL && keys[i] != NULL; i++)
        if (strcasecmp(keys[i], MHD_HTTP_HEADER_CONNECTION) != 0)
            used += (size_t)snprintf(out + used, cap - used, "%s: %s\r\n", keys[i],
                                     u_map_get(resp->map_header, keys[i]));
    used +=
        (size_t)snprintf(out + used, cap - used, "Connection: close\r\nContent-Length: %zu\r\n\r\n",
                         resp->binary_body_length);
    if (resp->binary_body_length > 0)
        memcpy(out + used, resp->binary_body, resp->binary_body_length);
    *len = used + resp->binary_body_length;
    return out;
}

/* Writes all of buf to the (non-blocking) socket, waiting at most
 * HTTP_REFUSAL_SEND_MS in all for room. */
static void send_all(int fd, const char *buf, size_t len)
{
    int waited = 0;
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waited < HTTP_REFUSAL_SEND_MS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 50);
            waited += 50;
            continue;
        }
        return; /* the peer went away: nothing to tell it */
    }
}

/* In the middle of the body: the answer written here, the connection closed. */
static enum MHD_Result refuse_mid_body(struct http_server *s, struct MHD_Connection *con,
                                       const char *url, const char *method, const char *version)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct _u_request req;
    struct _u_response resp;
    size_t len = 0;

    if (ci != NULL && run_refused(s, con, url, method, version, &req, &resp) == VALOR_OK) {
        char *text = answer_text(&resp, &len);
        if (text != NULL) {
            send_all(ci->connect_fd, text, len);
            shutdown(ci->connect_fd, SHUT_WR);
        }
        free(text);
        ulfius_clean_request(&req);
        ulfius_clean_response(&resp);
    }
    closing_refused = 1; /* libmicrohttpd logs the MHD_NO below as an internal error */
    return MHD_NO;
}

enum MHD_Result http__access(void *cls, struct MHD_Connection *con, const char *url,
                             const char *method, const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct http__conn *cs = ci != NULL ? ci->socket_context : NULL;
    unsigned long long declared = 0;

    closing_refused = 0;
    if (cs != NULL && !cs->headers_seen) {
        cs->headers_seen = 1;
        if (parse_length(
                MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH),
                &declared) &&
            declared > http__max_body(s))
            return refuse_before_body(s, con, url, method, version);
    } else if (cs != NULL && *upload_data_size > 0) {
        cs->received += *upload_data_size;
        if (cs->received > http__max_body(s))
            return refuse_mid_body(s, con, url, method, version);
    } else if (cs != NULL && http__has_deferrable(s)) {
        if (http__final_call(s, con, cs, con_cls))
            return MHD_YES; /* deferred: the connection is suspended */
        if (cs->pending != NULL)
            return http__answer(con, cs);
    }
    return http__ulfius_access(s, con, url, method, version, upload_data, upload_data_size,
                               con_cls);
}
