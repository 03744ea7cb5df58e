/* upstream: the exchange is a resumable, non-blocking state machine; the
 * parser runs on whatever bytes have arrived and keeps its progress in the
 * exchange, so the same code serves an event loop (gw_up_start/gw_up_step)
 * and the blocking driver (gw_up_roundtrip).
 *
 * Phases, in order (each one returns to the loop when the socket has nothing
 * more to give or take, with ex->fd/ex->events/ex->deadline_ms to wait on):
 *
 *   CONNECT       a non-blocking connect is in progress (POLLOUT); its
 *                 deadline is min(connect timeout, whole exchange)
 *   SEND          sendmsg of the request; a partial write resumes from
 *                 ex->iov[ex->iov_at] (POLLOUT)
 *   HEAD          status line and headers: the search for the empty line
 *                 resumes at ex->scan; a 1xx interim answer is dropped and
 *                 the search starts over (POLLIN from here on)
 *   BODY_LENGTH   a Content-Length body: waits until it is all buffered
 *   CHUNK_LINE    chunked body, decoded in place: a chunk-size line at
 *   CHUNK_DATA    ex->in, its bytes moved down to ex->out_off (the end of
 *   CHUNK_CRLF    the decoded body), then the CRLF after them; consumed
 *   TRAILER       framing is dropped before each read; then trailer fields
 *                 up to the empty line
 *   UNTIL_CLOSE   a body without framing, ended by EOF
 *   DONE          ex->result holds the final result; ex->fd is -1
 *
 * A failure of a reused connection before any byte of the answer (send
 * fails, EOF/reset first) goes back to CONNECT once with a new connection. */
#include "upstream.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "valor/clock.h"

#define READ_CHUNK ((size_t)16 << 10)
#define MAX_CHUNK_LINE 1024 /* a chunk-size line with its extensions */

enum phase {
    PH_CONNECT,
    PH_SEND,
    PH_HEAD,
    PH_BODY_LENGTH,
    PH_CHUNK_LINE,
    PH_CHUNK_DATA,
    PH_CHUNK_CRLF,
    PH_TRAILER,
    PH_UNTIL_CLOSE,
    PH_DONE,
};

/* What fill() saw besides bytes and results. */
#define FILL_EOF 100

void gw_up_conn_init(struct gw_up_conn *c)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

void gw_up_conn_close(struct gw_up_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void gw_up_buf_free(struct gw_up_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *gw_up_strerror(int result)
{
    switch (result) {
    case GW_UP_AGAIN:
        return "in progress";
    case GW_UP_OK:
        return "ok";
    case GW_UP_CONNECT:
        return "cannot connect";
    case GW_UP_IO:
        return "connection closed or failed before a whole answer";
    case GW_UP_TIMEOUT:
        return "timed out";
    case GW_UP_TOO_LARGE:
        return "response too large";
    case GW_UP_MALFORMED:
        return "malformed response";
    default:
        return "out of memory";
    }
}

static long long now_ms(void)
{
    return (long long)clock_mono_ms();
}

/* ---- parsing: pure functions of the buffered bytes ---- */

static const char *find_crlf(const char *p, const char *end)
{
    while (p + 1 < end) {
        const char *cr = memchr(p, '\r', (size_t)(end - p - 1));
        if (cr == NULL)
            return NULL;
        if (cr[1] == '\n')
            return cr;
        p = cr + 1;
    }
    return NULL;
}

/* The offset just past the first CRLF CRLF that starts at `from` or later,
 * 0 when there is none yet. */
static size_t find_head_end(const char *data, size_t from, size_t len)
{
    if (len < from + 4)
        return 0; /* also keeps an empty buffer's NULL out of the arithmetic */
    const char *p = data + from, *end = data + len;
    while ((p = find_crlf(p, end)) != NULL) {
        if (p + 3 < end && p[2] == '\r' && p[3] == '\n')
            return (size_t)(p + 4 - data);
        p += 2;
    }
    return 0;
}

/* RFC 9110 tchar: the bytes of a field name. */
static int is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* A bare CR, LF or NUL inside a line: the line is refused, not repaired. */
static int has_bare_ctl(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p == '\r' || *p == '\n' || *p == '\0')
            return 1;
    return 0;
}

static int token_eq(const char *p, size_t n, const char *tok)
{
    return strlen(tok) == n && strncasecmp(p, tok, n) == 0;
}

static int parse_length(const char *v, size_t n, unsigned long long *out)
{
    unsigned long long x = 0;
    if (n == 0 || n > 18)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (unsigned long long)(v[i] - '0');
    }
    *out = x;
    return 0;
}

/* Parses the head at the start of the buffer (head_len bytes, ending with
 * CRLF CRLF) into ex's head fields; writes a NUL at the end of each captured
 * value. */
static int parse_head(struct gw_up_exchange *ex, size_t head_len)
{
    const struct gw_up_request *rq = ex->rq;
    char *data = ex->buf->data, *p = data, *end = data + head_len;
    char *eol = (char *)find_crlf(p, end);

    ex->head_len = head_len;
    ex->chunked = ex->has_length = 0;
    ex->length = 0;
    for (size_t i = 0; i < GW_UP_MAX_WANT; i++)
        ex->want_off[i] = (size_t)-1;
    /* HTTP/1.x SP 3DIGIT [SP reason] */
    if (eol == NULL || eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
        (p[7] != '0' && p[7] != '1') || p[8] != ' ' || (eol - p > 12 && p[12] != ' ') ||
        has_bare_ctl(p, eol))
        return GW_UP_MALFORMED;
    for (int i = 9; i < 12; i++)
        if (p[i] < '0' || p[i] > '9')
            return GW_UP_MALFORMED;
    ex->close = p[7] == '0'; /* HTTP/1.0 */
    ex->status = (unsigned)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
    if (ex->status < 100 || ex->status > 599)
        return GW_UP_MALFORMED;

    for (p = eol + 2; p < end - 2; p = eol + 2) {
        eol = (char *)find_crlf(p, end);
        char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon == NULL || colon == p || has_bare_ctl(p, eol))
            return GW_UP_MALFORMED;
        for (const char *q = p; q < colon; q++)
            if (!is_tchar((unsigned char)*q))
                return GW_UP_MALFORMED; /* e.g. "Content-Length : 5" */
        size_t nlen = (size_t)(colon - p);
        char *v = colon + 1, *ve = eol;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        size_t vlen = (size_t)(ve - v);
        if (token_eq(p, nlen, "Content-Length")) {
            unsigned long long n;
            if (parse_length(v, vlen, &n) != 0 || (ex->has_length && n != ex->length))
                return GW_UP_MALFORMED;
            ex->has_length = 1;
            ex->length = n;
        } else if (token_eq(p, nlen, "Transfer-Encoding")) {
            if (!token_eq(v, vlen, "chunked"))
                return GW_UP_MALFORMED; /* nothing else is sent by the services */
            ex->chunked = 1;
        } else if (token_eq(p, nlen, "Connection")) {
            if (token_eq(v, vlen, "close"))
                ex->close = 1;
            else if (token_eq(v, vlen, "keep-alive"))
                ex->close = 0;
        }
        for (size_t i = 0; i < rq->nwant && i < GW_UP_MAX_WANT; i++) {
            if (token_eq(p, nlen, rq->want[i])) {
                *ve = '\0'; /* ve ≤ eol: the line's end is already known */
                ex->want_off[i] = (size_t)(v - data);
                break;
            }
        }
    }
    if (ex->chunked && ex->has_length)
        return GW_UP_MALFORMED; /* RFC 9112 §6.3: a smuggling shape */
    return GW_UP_OK;
}

/* A chunk-size line from data[in] to eol: its size (extensions ignored). */
static int parse_chunk_size(const char *p, const char *eol, unsigned long long *size)
{
    int digits = 0;
    *size = 0;
    for (; p < eol && *p != ';' && *p != ' ' && *p != '\t'; p++, digits++) {
        int d = (*p >= '0' && *p <= '9')   ? *p - '0'
                : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
                : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
                                           : -1;
        if (d < 0 || digits >= 15)
            return GW_UP_MALFORMED;
        *size = *size * 16 + (unsigned long long)d;
    }
    return digits == 0 ? GW_UP_MALFORMED : GW_UP_OK;
}

/* Looks for the end of the line that starts at ex->in (chunk-size or
 * trailer line), resuming at ex->scan. NULL: not there yet (*rc AGAIN) or
 * the line is too long (*rc MALFORMED). */
static const char *chunk_line_end(struct gw_up_exchange *ex, int *rc)
{
    const struct gw_up_buf *b = ex->buf;
    const char *eol = find_crlf(b->data + ex->scan, b->data + b->len);
    if (eol != NULL)
        return eol;
    *rc = b->len - ex->in > MAX_CHUNK_LINE ? GW_UP_MALFORMED : GW_UP_AGAIN;
    ex->scan = b->len - 1 > ex->in ? b->len - 1 : ex->in; /* a CR may end the buffer */
    return NULL;
}

/* After the head of the final answer: how its body is framed. */
static int begin_body(struct gw_up_exchange *ex)
{
    const struct gw_up_request *rq = ex->rq;

    ex->in = ex->out_off = ex->scan = ex->head_len;
    if (rq->head_method || ex->status == 204 || ex->status == 304)
        return GW_UP_OK;
    if (ex->chunked) {
        ex->phase = PH_CHUNK_LINE;
    } else if (ex->has_length) {
        if (ex->length > rq->max_body)
            return GW_UP_TOO_LARGE;
        ex->phase = PH_BODY_LENGTH;
    } else {
        ex->close = 1;
        ex->phase = PH_UNTIL_CLOSE;
    }
    return GW_UP_AGAIN;
}

/* Advances the parser over what is buffered: GW_UP_OK when the answer is
 * complete (its body from head_len to out_off, its framing ending at in),
 * GW_UP_AGAIN when it needs more bytes, or a failure. */
static int parse(struct gw_up_exchange *ex)
{
    const struct gw_up_request *rq = ex->rq;
    struct gw_up_buf *b = ex->buf;
    const char *eol;
    int rc;

    for (;;) {
        switch (ex->phase) {
        case PH_HEAD: {
            size_t he = find_head_end(b->data, ex->scan, b->len);
            if (he == 0) {
                if (b->len >= GW_UP_MAX_HEAD)
                    return GW_UP_TOO_LARGE;
                ex->scan = b->len > 3 ? b->len - 3 : 0;
                return GW_UP_AGAIN;
            }
            if (he > GW_UP_MAX_HEAD)
                return GW_UP_TOO_LARGE;
            rc = parse_head(ex, he);
            if (rc != GW_UP_OK)
                return rc;
            if (ex->status == 101)
                return GW_UP_MALFORMED; /* no upgrade is ever asked for */
            if (ex->status < 200) {
                /* an interim 1xx answer: the real one follows */
                memmove(b->data, b->data + he, b->len - he);
                b->len -= he;
                ex->scan = 0;
                continue;
            }
            rc = begin_body(ex);
            if (rc != GW_UP_AGAIN)
                return rc;
            continue;
        }
        case PH_BODY_LENGTH:
            if (b->len - ex->head_len < ex->length)
                return GW_UP_AGAIN;
            ex->in = ex->out_off = ex->head_len + (size_t)ex->length;
            return GW_UP_OK;
        case PH_CHUNK_LINE: {
            unsigned long long size;
            if ((eol = chunk_line_end(ex, &rc)) == NULL)
                return rc;
            rc = parse_chunk_size(b->data + ex->in, eol, &size);
            if (rc != GW_UP_OK)
                return rc;
            ex->in = ex->scan = (size_t)(eol - b->data) + 2;
            if (size == 0) {
                ex->phase = PH_TRAILER;
                continue;
            }
            if (size > rq->max_body - (ex->out_off - ex->head_len))
                return GW_UP_TOO_LARGE;
            ex->chunk_left = size;
            ex->phase = PH_CHUNK_DATA;
            continue;
        }
        case PH_CHUNK_DATA: {
            size_t n = b->len - ex->in;
            if (n > ex->chunk_left)
                n = (size_t)ex->chunk_left;
            if (n > 0 && ex->in != ex->out_off)
                memmove(b->data + ex->out_off, b->data + ex->in, n);
            ex->out_off += n;
            ex->in += n;
            ex->chunk_left -= n;
            if (ex->chunk_left > 0)
                return GW_UP_AGAIN;
            ex->phase = PH_CHUNK_CRLF;
            continue;
        }
        case PH_CHUNK_CRLF:
            if (b->len - ex->in < 2)
                return GW_UP_AGAIN;
            if (b->data[ex->in] != '\r' || b->data[ex->in + 1] != '\n')
                return GW_UP_MALFORMED;
            ex->in = ex->scan = ex->in + 2;
            ex->phase = PH_CHUNK_LINE;
            continue;
        case PH_TRAILER: {
            /* trailer fields, then the empty line */
            if ((eol = chunk_line_end(ex, &rc)) == NULL)
                return rc;
            size_t line = (size_t)(eol - (b->data + ex->in));
            ex->in = ex->scan = ex->in + line + 2;
            if (line == 0)
                return GW_UP_OK;
            continue;
        }
        case PH_UNTIL_CLOSE:
            if (b->len - ex->head_len > rq->max_body)
                return GW_UP_TOO_LARGE;
            return GW_UP_AGAIN; /* complete at EOF only */
        default:
            return GW_UP_MALFORMED; /* not a reading phase: a bug */
        }
    }
}

/* ---- the socket side ---- */

/* Chunked decoding: drops the framing consumed so far (bytes between the
 * decoded body and ex->in) before more is read, so the buffer holds the
 * head, the decoded body and at most a partial line of framing. */
static void compact(struct gw_up_exchange *ex)
{
    struct gw_up_buf *b = ex->buf;
    int chunked = ex->phase == PH_CHUNK_LINE || ex->phase == PH_CHUNK_DATA ||
                  ex->phase == PH_CHUNK_CRLF || ex->phase == PH_TRAILER;

    if (!chunked || ex->in == ex->out_off)
        return;
    size_t gap = ex->in - ex->out_off;
    memmove(b->data + ex->out_off, b->data + ex->in, b->len - ex->in);
    b->len -= gap;
    ex->in -= gap;
    ex->scan -= gap;
}

/* Appends what the socket has to the buffer: GW_UP_OK (bytes arrived),
 * GW_UP_AGAIN (nothing now), FILL_EOF, or a failure. */
static int fill(struct gw_up_exchange *ex)
{
    struct gw_up_buf *b = ex->buf;
    size_t limit = GW_UP_MAX_HEAD + ex->rq->max_body + READ_CHUNK; /* never beyond this */

    compact(ex);
    if (b->cap - b->len < READ_CHUNK / 4) {
        size_t cap = b->cap ? b->cap * 2 : READ_CHUNK;
        if (cap > limit)
            cap = limit;
        if (cap <= b->len)
            return GW_UP_TOO_LARGE;
        char *nd = realloc(b->data, cap);
        if (nd == NULL)
            return GW_UP_NOMEM;
        b->data = nd;
        b->cap = cap;
    }
    for (;;) {
        ssize_t n = recv(ex->conn->fd, b->data + b->len, b->cap - b->len, 0);
        if (n > 0) {
            b->len += (size_t)n;
            ex->got_any = 1;
            return GW_UP_OK;
        }
        if (n == 0)
            return FILL_EOF;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? GW_UP_AGAIN : GW_UP_IO;
    }
}

/* Writes what the socket takes: GW_UP_OK when the request is all out. */
static int send_some(struct gw_up_exchange *ex)
{
    while (ex->iov_at < ex->iov_n) {
        struct msghdr m = {.msg_iov = ex->iov + ex->iov_at,
                           .msg_iovlen = (size_t)(ex->iov_n - ex->iov_at)};
        ssize_t n = sendmsg(ex->conn->fd, &m, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? GW_UP_AGAIN : GW_UP_IO;
        }
        size_t done = (size_t)n;
        while (ex->iov_at < ex->iov_n && done >= ex->iov[ex->iov_at].iov_len)
            done -= ex->iov[ex->iov_at++].iov_len;
        if (ex->iov_at < ex->iov_n) {
            ex->iov[ex->iov_at].iov_base = (char *)ex->iov[ex->iov_at].iov_base + done;
            ex->iov[ex->iov_at].iov_len -= done;
        }
    }
    return GW_UP_OK;
}

/* Opens the connection without waiting: GW_UP_OK (connected already),
 * GW_UP_AGAIN (in progress: PH_CONNECT) or GW_UP_CONNECT. */
static int open_conn(struct gw_up_exchange *ex)
{
    struct gw_up_conn *c = ex->conn;
    const struct gw_up_request *rq = ex->rq;
    int one = 1;
    int fd = socket(rq->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return GW_UP_CONNECT;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    c->fd = fd;
    c->serial++;
    memcpy(&c->peer, rq->addr, rq->addrlen);
    c->peerlen = rq->addrlen;
    if (connect(fd, rq->addr, rq->addrlen) == 0)
        return GW_UP_OK;
    if (errno != EINPROGRESS && errno != EINTR) {
        gw_up_conn_close(c);
        return GW_UP_CONNECT;
    }
    long long cdl = now_ms() + rq->connect_timeout_ms;
    ex->phase = PH_CONNECT;
    ex->fd = fd;
    ex->events = POLLOUT;
    ex->deadline_ms = cdl < ex->end_ms ? cdl : ex->end_ms;
    return GW_UP_AGAIN;
}

/* The end of the exchange with result rc. */
static int finish(struct gw_up_exchange *ex, int rc)
{
    struct gw_up_conn *c = ex->conn;
    struct gw_up_buf *b = ex->buf;
    struct gw_up_response *out = ex->out;

    if (rc == GW_UP_OK) {
        if (b->len != ex->in)
            ex->close = 1; /* bytes after the answer: the connection is out of step */
        if (ex->close)
            gw_up_conn_close(c);
        else
            c->idle_since_ms = now_ms();
        out->status = ex->status;
        out->body = b->data + ex->head_len;
        out->body_len = ex->out_off - ex->head_len;
        for (size_t i = 0; i < ex->rq->nwant && i < GW_UP_MAX_WANT; i++)
            out->header[i] = ex->want_off[i] == (size_t)-1 ? NULL : b->data + ex->want_off[i];
    } else {
        gw_up_conn_close(c);
    }
    ex->phase = PH_DONE;
    ex->result = rc;
    ex->fd = -1;
    return rc;
}

static int run(struct gw_up_exchange *ex);

/* One attempt: on the connection as it is (reused) or a new one. */
static int begin_attempt(struct gw_up_exchange *ex)
{
    const struct gw_up_request *rq = ex->rq;

    ex->reused = ex->conn->fd >= 0;
    ex->got_any = 0;
    ex->iov_at = ex->iov_n = 0;
    for (int i = 0; i < rq->iovcnt && i < GW_UP_MAX_IOV; i++)
        if (rq->iov[i].iov_len > 0)
            ex->iov[ex->iov_n++] = rq->iov[i];
    ex->buf->len = 0;
    ex->scan = 0;
    ex->phase = PH_SEND;
    if (!ex->reused) {
        int rc = open_conn(ex);
        if (rc == GW_UP_AGAIN)
            return rc;
        if (rc != GW_UP_OK)
            return finish(ex, rc);
    }
    return run(ex);
}

/* A failure on the connection: the end, except that a reused connection
 * closed before any byte of the answer is replaced once (the service dropped
 * it while idle: the request never reached it). */
static int fail(struct gw_up_exchange *ex, int rc)
{
    if (rc == GW_UP_IO && ex->reused && !ex->got_any && ex->attempt == 0) {
        gw_up_conn_close(ex->conn);
        ex->attempt++;
        return begin_attempt(ex);
    }
    return finish(ex, rc);
}

/* Does what can be done without blocking from the current phase on. */
static int run(struct gw_up_exchange *ex)
{
    ex->fd = ex->conn->fd;
    ex->deadline_ms = ex->end_ms;
    for (;;) {
        int rc;
        if (ex->phase == PH_SEND) {
            rc = send_some(ex);
            ex->events = POLLOUT;
            if (rc == GW_UP_AGAIN)
                return rc;
            if (rc != GW_UP_OK)
                return fail(ex, rc);
            /* the answer cannot be there yet: wait for it rather than try */
            ex->phase = PH_HEAD;
            ex->events = POLLIN;
            return GW_UP_AGAIN;
        }
        rc = parse(ex);
        if (rc != GW_UP_AGAIN)
            return finish(ex, rc); /* the answer, or what is wrong with it */
        rc = fill(ex);
        if (rc == GW_UP_AGAIN) {
            ex->events = POLLIN;
            return rc;
        }
        if (rc == FILL_EOF) {
            if (ex->phase != PH_UNTIL_CLOSE)
                return fail(ex, GW_UP_IO);
            if (ex->buf->len - ex->head_len > ex->rq->max_body)
                return finish(ex, GW_UP_TOO_LARGE);
            ex->in = ex->out_off = ex->buf->len;
            return finish(ex, GW_UP_OK);
        }
        if (rc != GW_UP_OK)
            return fail(ex, rc);
    }
}

int gw_up_start(struct gw_up_exchange *ex, struct gw_up_conn *c, const struct gw_up_request *rq,
                struct gw_up_buf *buf, struct gw_up_response *out)
{
    long long now = now_ms();

    memset(ex, 0, sizeof(*ex));
    memset(out, 0, sizeof(*out));
    ex->fd = -1;
    ex->conn = c;
    ex->rq = rq;
    ex->buf = buf;
    ex->out = out;
    ex->end_ms = now + rq->timeout_ms;
    if (c->fd >= 0 && (c->peerlen != rq->addrlen || memcmp(&c->peer, rq->addr, rq->addrlen) != 0 ||
                       now - c->idle_since_ms > rq->max_age_ms))
        gw_up_conn_close(c);
    return begin_attempt(ex);
}

int gw_up_step(struct gw_up_exchange *ex, int timed_out)
{
    if (ex->phase == PH_DONE)
        return ex->result;
    /* a connect cut short by the whole exchange's deadline (little time was
     * left) is a timeout, not a replica that cannot be reached */
    if (timed_out || now_ms() >= ex->deadline_ms)
        return finish(ex, ex->phase == PH_CONNECT && ex->deadline_ms < ex->end_ms ? GW_UP_CONNECT
                                                                                  : GW_UP_TIMEOUT);
    if (ex->phase == PH_CONNECT) {
        int err = 0;
        socklen_t elen = sizeof(err);
        if (getsockopt(ex->conn->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0)
            return finish(ex, GW_UP_CONNECT);
        ex->phase = PH_SEND;
    }
    return run(ex);
}

void gw_up_abort(struct gw_up_exchange *ex)
{
    if (ex->phase != PH_DONE)
        finish(ex, GW_UP_IO);
}

int gw_up_roundtrip(struct gw_up_conn *c, const struct gw_up_request *rq, struct gw_up_buf *buf,
                    struct gw_up_response *out)
{
    struct gw_up_exchange ex;
    int rc = gw_up_start(&ex, c, rq, buf, out);

    while (rc == GW_UP_AGAIN) {
        long long left = ex.deadline_ms - now_ms();
        int n = 0;
        if (left > 0) {
            struct pollfd p = {.fd = ex.fd, .events = ex.events};
            n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                gw_up_abort(&ex);
                return GW_UP_IO;
            }
        }
        rc = gw_up_step(&ex, n == 0);
    }
    return rc;
}
