#include "upstream.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "valor/clock.h"

#define READ_CHUNK ((size_t)16 << 10)
#define MAX_CHUNK_LINE 1024 /* a chunk-size line with its extensions */

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

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - (long long)clock_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* Sets the socket's receive and send timeouts (the connection waits in
 * blocking calls: one system call per read instead of poll + recv). */
static int set_timeouts(struct gw_up_conn *c, long ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    if (ms <= 0)
        tv.tv_usec = 1000; /* 0 would mean "no timeout" */
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
        return -1;
    c->timeout_ms = ms;
    return 0;
}

/* The socket timeouts bound each call; the exchange's deadline bounds their
 * sum: the timeout is lowered to what is left when that is less. */
static int fit_timeout(struct gw_up_conn *c, long long deadline)
{
    long long left = deadline - (long long)clock_mono_ms();
    if (left <= 0)
        return GW_UP_TIMEOUT;
    if (left + 10 < c->timeout_ms || left > c->timeout_ms)
        return set_timeouts(c, (long)left) == 0 ? GW_UP_OK : GW_UP_IO;
    return GW_UP_OK;
}

static int do_connect(struct gw_up_conn *c, const struct gw_up_request *rq, long long deadline)
{
    long long cdl = (long long)clock_mono_ms() + rq->connect_timeout_ms;
    int one = 1, err = 0;
    socklen_t elen = sizeof(err);
    int fd = socket(rq->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return GW_UP_CONNECT;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    if (connect(fd, rq->addr, rq->addrlen) != 0) {
        if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, cdl < deadline ? cdl : deadline) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
            close(fd);
            return GW_UP_CONNECT;
        }
    }
    c->fd = fd;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
        set_timeouts(c, rq->timeout_ms) != 0) {
        gw_up_conn_close(c);
        return GW_UP_CONNECT;
    }
    memcpy(&c->peer, rq->addr, rq->addrlen);
    c->peerlen = rq->addrlen;
    return GW_UP_OK;
}

static int send_all(struct gw_up_conn *c, const struct gw_up_request *rq, long long deadline)
{
    struct iovec iov[GW_UP_MAX_IOV];
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 0};

    for (int i = 0; i < rq->iovcnt && i < GW_UP_MAX_IOV; i++)
        if (rq->iov[i].iov_len > 0)
            iov[m.msg_iovlen++] = rq->iov[i];
    while (m.msg_iovlen > 0) {
        int rc = fit_timeout(c, deadline);
        if (rc != GW_UP_OK)
            return rc;
        ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? GW_UP_TIMEOUT : GW_UP_IO;
        }
        size_t done = (size_t)n;
        while (m.msg_iovlen > 0 && done >= m.msg_iov[0].iov_len) {
            done -= m.msg_iov[0].iov_len;
            m.msg_iov++;
            m.msg_iovlen--;
        }
        if (m.msg_iovlen > 0) {
            m.msg_iov[0].iov_base = (char *)m.msg_iov[0].iov_base + done;
            m.msg_iov[0].iov_len -= done;
        }
    }
    return GW_UP_OK;
}

/* The reading side of one exchange. */
struct reader {
    struct gw_up_conn *c;
    struct gw_up_buf *b;
    size_t limit; /* the buffer never grows beyond this */
    long long deadline;
};

/* Appends what the socket has to the buffer, waiting for it. GW_UP_OK with
 * *eof set when the peer closed. */
static int fill(struct reader *r, int *eof)
{
    struct gw_up_buf *b = r->b;

    *eof = 0;
    if (b->cap - b->len < READ_CHUNK / 4) {
        size_t cap = b->cap ? b->cap * 2 : READ_CHUNK;
        if (cap > r->limit)
            cap = r->limit;
        if (cap <= b->len)
            return GW_UP_TOO_LARGE;
        char *nd = realloc(b->data, cap);
        if (nd == NULL)
            return GW_UP_NOMEM;
        b->data = nd;
        b->cap = cap;
    }
    for (;;) {
        int rc = fit_timeout(r->c, r->deadline);
        if (rc != GW_UP_OK)
            return rc;
        ssize_t n = recv(r->c->fd, b->data + b->len, b->cap - b->len, 0);
        if (n > 0) {
            b->len += (size_t)n;
            return GW_UP_OK;
        }
        if (n == 0) {
            *eof = 1;
            return GW_UP_OK;
        }
        if (errno == EINTR)
            continue;
        return errno == EAGAIN ? GW_UP_TIMEOUT : GW_UP_IO;
    }
}

/* Reads until at least `need` bytes are buffered; EOF first is GW_UP_IO. */
static int fill_to(struct reader *r, size_t need)
{
    int eof;
    while (r->b->len < need) {
        if (need > r->limit)
            return GW_UP_TOO_LARGE;
        int rc = fill(r, &eof);
        if (rc != GW_UP_OK)
            return rc;
        if (eof)
            return GW_UP_IO;
    }
    return GW_UP_OK;
}

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

static const char *find_head_end(const char *data, size_t len)
{
    if (len < 4)
        return NULL;
    const char *p = data, *end = data + len;
    while ((p = find_crlf(p, end)) != NULL) {
        if (p + 3 < end && p[2] == '\r' && p[3] == '\n')
            return p + 4;
        p += 2;
    }
    return NULL;
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

/* What the headers say about framing. */
struct head {
    size_t len; /* bytes of status line + headers + empty line */
    unsigned status;
    int http10;
    int chunked;
    int close;
    int has_length;
    unsigned long long length;
    size_t want_off[GW_UP_MAX_WANT]; /* value offsets, (size_t)-1 when absent */
};

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

/* Parses the head of buf (head_len bytes, ending with CRLF CRLF); writes a
 * NUL at the end of each captured value. */
static int parse_head(char *data, size_t head_len, const struct gw_up_request *rq, struct head *h)
{
    char *p = data, *end = data + head_len;
    char *eol = (char *)find_crlf(p, end);

    h->len = head_len;
    /* HTTP/1.x SP 3DIGIT [SP reason] */
    if (eol == NULL || eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
        (p[7] != '0' && p[7] != '1') || p[8] != ' ' || (eol - p > 12 && p[12] != ' ') ||
        has_bare_ctl(p, eol))
        return GW_UP_MALFORMED;
    for (int i = 9; i < 12; i++)
        if (p[i] < '0' || p[i] > '9')
            return GW_UP_MALFORMED;
    h->http10 = p[7] == '0';
    h->close = h->http10;
    h->status = (unsigned)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
    if (h->status < 100 || h->status > 599)
        return GW_UP_MALFORMED;
    for (size_t i = 0; i < GW_UP_MAX_WANT; i++)
        h->want_off[i] = (size_t)-1;

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
            if (parse_length(v, vlen, &n) != 0 || (h->has_length && n != h->length))
                return GW_UP_MALFORMED;
            h->has_length = 1;
            h->length = n;
        } else if (token_eq(p, nlen, "Transfer-Encoding")) {
            if (!token_eq(v, vlen, "chunked"))
                return GW_UP_MALFORMED; /* nothing else is sent by the services */
            h->chunked = 1;
        } else if (token_eq(p, nlen, "Connection")) {
            if (token_eq(v, vlen, "close"))
                h->close = 1;
            else if (token_eq(v, vlen, "keep-alive"))
                h->close = 0;
        }
        for (size_t i = 0; i < rq->nwant; i++) {
            if (token_eq(p, nlen, rq->want[i])) {
                *ve = '\0'; /* ve ≤ eol: the line's end is already known */
                h->want_off[i] = (size_t)(v - data);
                break;
            }
        }
    }
    if (h->chunked && h->has_length)
        return GW_UP_MALFORMED; /* RFC 9112 §6.3: a smuggling shape */
    return GW_UP_OK;
}

/* Decodes a chunked body in place after the head: body bytes are moved down
 * to start right after the head. *body_len is their count, *end the offset
 * just past the last chunk's framing. */
static int read_chunked(struct reader *r, size_t head_len, size_t max_body, size_t *body_len,
                        size_t *end)
{
    struct gw_up_buf *b = r->b;
    size_t out = head_len, in = head_len;

    for (;;) {
        const char *eol;
        /* the chunk-size line */
        while ((eol = find_crlf(b->data + in, b->data + b->len)) == NULL) {
            if (b->len - in > MAX_CHUNK_LINE)
                return GW_UP_MALFORMED;
            /* drop the consumed framing before reading more */
            memmove(b->data + out, b->data + in, b->len - in);
            b->len -= in - out;
            in = out;
            int rc = fill_to(r, b->len + 1);
            if (rc != GW_UP_OK)
                return rc;
        }
        const char *p = b->data + in;
        unsigned long long size = 0;
        int digits = 0;
        for (; p < eol && *p != ';' && *p != ' ' && *p != '\t'; p++, digits++) {
            int d = (*p >= '0' && *p <= '9')   ? *p - '0'
                    : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
                    : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
                                               : -1;
            if (d < 0 || digits >= 15)
                return GW_UP_MALFORMED;
            size = size * 16 + (unsigned long long)d;
        }
        if (digits == 0)
            return GW_UP_MALFORMED;
        in = (size_t)(eol - b->data) + 2;
        if (size == 0)
            break;
        if (size > max_body - (out - head_len))
            return GW_UP_TOO_LARGE;
        memmove(b->data + out, b->data + in, b->len - in);
        b->len -= in - out;
        in = out;
        int rc = fill_to(r, in + (size_t)size + 2);
        if (rc != GW_UP_OK)
            return rc;
        if (b->data[in + size] != '\r' || b->data[in + size + 1] != '\n')
            return GW_UP_MALFORMED;
        out += (size_t)size;
        in += (size_t)size + 2;
    }
    /* trailer fields, then the empty line */
    for (;;) {
        const char *eol;
        while ((eol = find_crlf(b->data + in, b->data + b->len)) == NULL) {
            if (b->len - in > MAX_CHUNK_LINE)
                return GW_UP_MALFORMED;
            int rc = fill_to(r, b->len + 1);
            if (rc != GW_UP_OK)
                return rc;
        }
        size_t line = (size_t)(eol - (b->data + in));
        in += line + 2;
        if (line == 0)
            break;
    }
    *body_len = out - head_len;
    *end = in;
    return GW_UP_OK;
}

/* A body without framing: it ends when the connection does. */
static int read_until_close(struct reader *r, const struct gw_up_request *rq, struct head *h,
                            size_t *body_len)
{
    struct gw_up_buf *b = r->b;
    int rc, eof;

    h->close = 1;
    for (;;) {
        if (b->len - h->len > rq->max_body)
            return GW_UP_TOO_LARGE;
        rc = fill(r, &eof);
        if (rc != GW_UP_OK)
            return rc;
        if (eof)
            break;
    }
    if (b->len - h->len > rq->max_body)
        return GW_UP_TOO_LARGE;
    *body_len = b->len - h->len;
    return GW_UP_OK;
}

/* Reads one answer. *got_any: a byte of it arrived. */
static int read_response(struct reader *r, const struct gw_up_request *rq, struct head *h,
                         size_t *body_len, int *got_any)
{
    struct gw_up_buf *b = r->b;
    const char *he;
    int rc, eof;

    b->len = 0;
    *got_any = 0;
    for (;;) {
        while ((he = find_head_end(b->data, b->len)) == NULL) {
            if (b->len >= GW_UP_MAX_HEAD)
                return GW_UP_TOO_LARGE;
            rc = fill(r, &eof);
            if (rc != GW_UP_OK)
                return rc;
            if (eof)
                return GW_UP_IO;
            *got_any = 1;
        }
        memset(h, 0, sizeof(*h));
        rc = parse_head(b->data, (size_t)(he - b->data), rq, h);
        if (rc != GW_UP_OK)
            return rc;
        if (h->status >= 200 || h->status == 101)
            break;
        /* an interim 1xx answer: the real one follows */
        memmove(b->data, he, b->len - h->len);
        b->len -= h->len;
    }
    if (h->status == 101)
        return GW_UP_MALFORMED; /* no upgrade is ever asked for */

    *body_len = 0;
    size_t end = h->len;
    if (rq->head_method || h->status == 204 || h->status == 304) {
        rc = GW_UP_OK;
    } else if (h->chunked) {
        rc = read_chunked(r, h->len, rq->max_body, body_len, &end);
    } else if (h->has_length) {
        if (h->length > rq->max_body)
            return GW_UP_TOO_LARGE;
        rc = fill_to(r, h->len + (size_t)h->length);
        *body_len = (size_t)h->length;
        end = h->len + *body_len;
    } else {
        return read_until_close(r, rq, h, body_len);
    }
    if (rc == GW_UP_OK && b->len != end)
        h->close = 1; /* bytes after the answer: the connection is out of step */
    return rc;
}

int gw_up_roundtrip(struct gw_up_conn *c, const struct gw_up_request *rq, struct gw_up_buf *buf,
                    struct gw_up_response *out)
{
    long long now = (long long)clock_mono_ms(), deadline = now + rq->timeout_ms;
    struct head h;
    size_t body_len = 0;
    int rc = GW_UP_IO;

    memset(out, 0, sizeof(*out));
    if (c->fd >= 0 && (c->peerlen != rq->addrlen || memcmp(&c->peer, rq->addr, rq->addrlen) != 0 ||
                       now - c->idle_since_ms > rq->max_age_ms))
        gw_up_conn_close(c);

    for (int attempt = 0; attempt < 2; attempt++) {
        int reused = c->fd >= 0, got_any = 0;
        if (!reused && (rc = do_connect(c, rq, deadline)) != GW_UP_OK)
            return rc;
        rc = send_all(c, rq, deadline);
        if (rc == GW_UP_OK) {
            struct reader r = {.c = c,
                               .b = buf,
                               .limit = GW_UP_MAX_HEAD + rq->max_body + READ_CHUNK,
                               .deadline = deadline};
            rc = read_response(&r, rq, &h, &body_len, &got_any);
        }
        if (rc == GW_UP_OK)
            break;
        gw_up_conn_close(c);
        /* the service closed an idle connection: the request never reached it */
        if (!(rc == GW_UP_IO && reused && !got_any))
            return rc;
    }
    if (rc != GW_UP_OK)
        return rc;
    if (h.close)
        gw_up_conn_close(c);
    else
        c->idle_since_ms = (long long)clock_mono_ms();
    out->status = h.status;
    out->body = buf->data + h.len;
    out->body_len = body_len;
    for (size_t i = 0; i < rq->nwant && i < GW_UP_MAX_WANT; i++)
        out->header[i] = h.want_off[i] == (size_t)-1 ? NULL : buf->data + h.want_off[i];
    return GW_UP_OK;
}
