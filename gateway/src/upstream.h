/* upstream: the gateway's HTTP/1.1 client to the services.
 *
 * One keep-alive connection per worker thread and replica (struct
 * gw_up_conn, owned by the thread that uses it), a blocking socket whose
 * timeouts are fitted to the exchange's deadline. A request is written with
 * one sendmsg of the caller's iovecs; the answer is read into a buffer the
 * caller keeps between requests and parsed in place: status line, headers
 * (the ones asked for are returned as NUL-terminated strings inside the
 * buffer), a Content-Length, chunked or read-until-close body.
 *
 * It replaces libcurl on the forwarding path: building a request in libcurl
 * cost about a third of the gateway's instructions per request
 * (docs/gateway.md, "Where the time goes"). Plain HTTP only; the
 * configuration refuses https:// service URLs.
 *
 * A reused connection that turns out to be closed (the service dropped it
 * while idle: send fails, or EOF/reset before the first byte of the answer)
 * is replaced and the request written once more, as HTTP clients do. */
#ifndef VALOR_GW_UPSTREAM_H
#define VALOR_GW_UPSTREAM_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define GW_UP_MAX_HEAD ((size_t)64 << 10) /* status line + headers of an answer */
#define GW_UP_MAX_WANT 12                 /* response headers captured */
#define GW_UP_MAX_IOV 4

/* A connection; fd -1 when there is none. */
struct gw_up_conn {
    int fd;
    struct sockaddr_storage peer;
    socklen_t peerlen;
    long long idle_since_ms; /* monotonic */
    long timeout_ms;         /* the socket's receive/send timeout now */
};

/* The receive buffer, grown as needed and kept by the caller. */
struct gw_up_buf {
    char *data;
    size_t len, cap;
};

enum gw_up_result {
    GW_UP_OK = 0,
    GW_UP_CONNECT,   /* no connection (refused, unreachable, connect timeout): nothing sent */
    GW_UP_IO,        /* the connection failed or closed before a whole answer */
    GW_UP_TIMEOUT,   /* no whole answer within the timeout */
    GW_UP_TOO_LARGE, /* headers over GW_UP_MAX_HEAD or body over max_body */
    GW_UP_MALFORMED, /* not an HTTP/1.x answer we can frame */
    GW_UP_NOMEM,
};

struct gw_up_request {
    const struct sockaddr *addr; /* the replica */
    socklen_t addrlen;
    const struct iovec *iov; /* the request: head (ending in an empty line) and body */
    int iovcnt;              /* ≤ GW_UP_MAX_IOV */
    int head_method;         /* HEAD: the answer has no body */
    long connect_timeout_ms;
    long timeout_ms; /* the whole exchange, connect included */
    long max_age_ms; /* an idle connection older than this is not reused */
    size_t max_body;
    const char *const *want; /* response header names to capture (case-insensitive) */
    size_t nwant;            /* ≤ GW_UP_MAX_WANT */
};

struct gw_up_response {
    unsigned status;
    const char *body; /* inside the buffer; body_len bytes */
    size_t body_len;
    /* want[i]'s value (the last one when repeated), inside the buffer, or NULL */
    const char *header[GW_UP_MAX_WANT];
};

void gw_up_conn_init(struct gw_up_conn *c);
void gw_up_conn_close(struct gw_up_conn *c);
void gw_up_buf_free(struct gw_up_buf *b);

/* Sends rq on c (connecting, or reconnecting when c is idle too long or was
 * made to another address) and reads the answer into buf; out points into
 * buf until the next call. Returns an enum gw_up_result. On anything but
 * GW_UP_OK the connection is closed; after an answer that ends the
 * connection (Connection: close, HTTP/1.0, body until close) too. */
int gw_up_roundtrip(struct gw_up_conn *c, const struct gw_up_request *rq, struct gw_up_buf *buf,
                    struct gw_up_response *out);

/* Short text for logs. */
const char *gw_up_strerror(int result);

#endif
