/* upstream: the gateway's HTTP/1.1 client to the services.
 *
 * One keep-alive connection per worker thread and replica (struct
 * gw_up_conn, owned by the thread that uses it); its socket is non-blocking
 * for its whole life. An exchange (struct gw_up_exchange) is a resumable
 * state machine: the caller's event loop watches ex->fd for ex->events until
 * ex->deadline_ms and calls gw_up_step(), which does whatever can be done
 * without blocking, so many exchanges can be in flight in one thread.
 * gw_up_roundtrip() is the blocking driver of the same machine (a poll()
 * loop on one exchange).
 *
 * A request is written with sendmsg of the caller's iovecs (resumed where a
 * partial write stopped); the answer is read into a buffer the caller keeps
 * between requests and parsed in place as it arrives: status line, headers
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
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define GW_UP_MAX_HEAD ((size_t)64 << 10) /* status line + headers of an answer */
#define GW_UP_MAX_WANT 12                 /* response headers captured */
#define GW_UP_MAX_IOV 4

/* A connection; fd -1 when there is none. */
struct gw_up_conn {
    int fd;
    unsigned serial; /* sockets opened: a new one may reuse the old one's number */
    struct sockaddr_storage peer;
    socklen_t peerlen;
    long long idle_since_ms; /* monotonic */
};

/* The receive buffer, grown as needed and kept by the caller. */
struct gw_up_buf {
    char *data;
    size_t len, cap;
};

enum gw_up_result {
    GW_UP_AGAIN = -1, /* not a result: the exchange is in flight (gw_up_start/gw_up_step) */
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

/* One exchange in flight on one connection, driven by the caller's loop.
 * The first three fields are read by the loop; the rest is private state of
 * the state machine (upstream.c), not to be touched. The struct may live on
 * the caller's stack or in its per-request state; nothing in it needs
 * freeing (the connection and buffer are the caller's). */
struct gw_up_exchange {
    int fd;                /* the socket to watch now (it may change after a step: a stale
                              reused connection is replaced by a new one), -1 when finished */
    short events;          /* POLLIN or POLLOUT */
    long long deadline_ms; /* monotonic (clock_mono_ms()): once it passed, the loop calls
                              gw_up_step(ex, 1) */

    /* private */
    struct gw_up_conn *conn;
    const struct gw_up_request *rq;
    struct gw_up_buf *buf;
    struct gw_up_response *out;
    int phase, result;               /* result: the final one, once phase is done */
    int attempt, reused;             /* a stale reused connection is replaced once */
    int got_any;                     /* a byte of the answer arrived on this connection */
    long long end_ms;                /* the whole exchange's deadline */
    struct iovec iov[GW_UP_MAX_IOV]; /* what is left to write */
    int iov_at, iov_n;
    size_t scan;    /* where the search for the current line or head end resumes */
    size_t in;      /* the next byte to parse; at the end, just past the answer */
    size_t out_off; /* the end of the body (chunked: of the decoded part so far) */
    unsigned long long chunk_left;
    /* the head of the answer */
    size_t head_len;
    unsigned status;
    int chunked, close, has_length;
    unsigned long long length;
    size_t want_off[GW_UP_MAX_WANT]; /* value offsets, (size_t)-1 when absent */
};

/* Starts an exchange: rq on c, connecting without blocking when c has no
 * socket, is idle longer than rq->max_age_ms or was made to another address.
 * Returns GW_UP_AGAIN (watch ex->fd for ex->events until ex->deadline_ms,
 * then call gw_up_step) or a final enum gw_up_result (out filled on
 * GW_UP_OK: it points into buf until buf's next use). c, rq (and the memory
 * its iovecs and want point to), buf and out are borrowed and must stay
 * valid until the exchange finished. The connect is bounded by
 * min(rq->connect_timeout_ms, rq->timeout_ms) (GW_UP_CONNECT when it
 * passes), the whole exchange by rq->timeout_ms from this call
 * (GW_UP_TIMEOUT). On anything but GW_UP_OK the connection is closed; after
 * an answer that ends the connection (Connection: close, HTTP/1.0, body
 * until close, bytes after the answer) too; otherwise it is kept with
 * idle_since_ms updated. */
int gw_up_start(struct gw_up_exchange *ex, struct gw_up_conn *c, const struct gw_up_request *rq,
                struct gw_up_buf *buf, struct gw_up_response *out);

/* Continues after ex->fd became ready for ex->events (timed_out 0) or after
 * ex->deadline_ms passed (timed_out 1): reads until EAGAIN and parses what
 * arrived, or writes what the socket takes. Returns like gw_up_start. After
 * the final result it returns that result again. */
int gw_up_step(struct gw_up_exchange *ex, int timed_out);

/* Abandons an exchange in flight (the caller is shutting down): closes its
 * connection; ex->fd is -1 afterwards. Nothing happens to a finished one. */
void gw_up_abort(struct gw_up_exchange *ex);

/* The blocking form of the same exchange: gw_up_start, then poll() on
 * ex->fd until it finished. Sends rq on c (connecting, or reconnecting when
 * c is idle too long or was made to another address) and reads the answer
 * into buf; out points into buf until the next call. Returns an enum
 * gw_up_result (never GW_UP_AGAIN), with the connection rules of
 * gw_up_start. */
int gw_up_roundtrip(struct gw_up_conn *c, const struct gw_up_request *rq, struct gw_up_buf *buf,
                    struct gw_up_response *out);

/* Short text for logs. */
const char *gw_up_strerror(int result);

#endif
