#include "rl_link.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "valor/clock.h"
#include "valor/err.h"
#include "valor/kv.h"

#define LINK_CMD_MAX ((size_t)1024) /* one framed EVALSHA (keys are bounded by gw_rl_call) */
#define LINK_TAKE_MAX 64            /* replies parsed per reader call */
#define LINK_READ 16384

struct gw_rl_link {
    struct gw_rl_redis *r;
    int timeout_ms;
    struct kv_client *c; /* NULL: not connected */
    int fd;
    unsigned gen;
    unsigned serial; /* connections made */
    redisReader *rd;
    char *out; /* framed commands not yet written: out[off..len) */
    size_t len, off, cap;
    size_t unsent;           /* entries whose bytes are (partly) in out */
    struct gw_rl_wait *head; /* every entry on the link, oldest first */
    struct gw_rl_wait *tail;
    struct gw_rl_wait *done_h; /* handed back by gw_rl_link_take_done */
    struct gw_rl_wait *done_t;
};

int gw_rl_link_new(struct gw_rl_redis *r, int timeout_ms, struct gw_rl_link **out)
{
    struct gw_rl_link *k = calloc(1, sizeof(*k));
    *out = NULL;
    if (k == NULL)
        return VALOR_E_NOMEM;
    k->r = r;
    k->timeout_ms = timeout_ms;
    k->fd = -1;
    *out = k;
    return VALOR_OK;
}

static void disconnect(struct gw_rl_link *k)
{
    kv_close(k->c);
    k->c = NULL;
    k->fd = -1;
    if (k->rd != NULL)
        redisReaderFree(k->rd);
    k->rd = NULL;
}

void gw_rl_link_free(struct gw_rl_link *k)
{
    if (k == NULL)
        return;
    disconnect(k);
    free(k->out);
    free(k);
}

static void done(struct gw_rl_link *k, struct gw_rl_wait *w)
{
    w->next = NULL;
    if (k->done_t != NULL)
        k->done_t->next = w;
    else
        k->done_h = w;
    k->done_t = w;
}

/* Every entry fails (the connection is gone or out of step). */
static void fail_all(struct gw_rl_link *k)
{
    while (k->head != NULL) {
        struct gw_rl_wait *w = k->head;
        k->head = w->next;
        w->reply.rc = VALOR_E_UNAVAILABLE;
        done(k, w);
    }
    k->tail = NULL;
    k->len = k->off = k->unsent = 0;
    disconnect(k);
}

static int frame(struct gw_rl_link *k, struct gw_rl_wait *w)
{
    const struct gw_rl_call *c = w->call;
    if (k->cap - k->len < LINK_CMD_MAX) {
        size_t cap = k->cap ? k->cap * 2 : 8 * LINK_CMD_MAX;
        char *p = realloc(k->out, cap);
        if (p == NULL)
            return VALOR_E_NOMEM;
        k->out = p;
        k->cap = cap;
    }
    size_t n = gw_rl_redis_frame(k->out + k->len, k->cap - k->len, gw_rl_redis_sha(k->r), c->key,
                                 c->has_deny ? c->deny : NULL, c->n, c->period_ms);
    if (n == 0)
        return VALOR_E_INVALID;
    k->len += n;
    return VALOR_OK;
}

static void append(struct gw_rl_link *k, struct gw_rl_wait *w)
{
    w->next = NULL;
    if (k->tail != NULL)
        k->tail->next = w;
    else
        k->head = w;
    k->tail = w;
    k->unsent++;
}

int gw_rl_link_queue(struct gw_rl_link *k, struct gw_rl_wait *w)
{
    int rc;
    memset(&w->reply, 0, sizeof(w->reply));
    w->reply.kind = GW_RL_EVAL;
    w->reply.rc = VALOR_E_UNAVAILABLE;
    if ((rc = frame(k, w)) != VALOR_OK)
        return rc;
    w->call->sent_ms = (long long)clock_mono_ms(); /* its reply is due from now */
    append(k, w);
    return VALOR_OK;
}

static int connect_link(struct gw_rl_link *k)
{
    unsigned gen = gw_rl_redis_generation(k->r);
    int fd;
    if (k->c != NULL && k->gen == gen)
        return VALOR_OK;
    disconnect(k);
    if (gw_rl_redis_connect(k->r, &k->c) != VALOR_OK || kv_raw_fd(k->c, &fd) != VALOR_OK ||
        (k->rd = gw_rl_redis_reader_new()) == NULL ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        disconnect(k);
        return VALOR_E_UNAVAILABLE;
    }
    k->fd = fd;
    k->gen = gen;
    k->serial++;
    return VALOR_OK;
}

/* The connection failed (closed, reset, a write refused) before the
 * waiting entries got their replies. A connection Redis closed while it was
 * idle (a restart) fails like that on first use: the entries are written
 * once more on a fresh connection; a second failure fails them all. */
static void broken(struct gw_rl_link *k, const char *why)
{
    struct gw_rl_wait *list = k->head;
    int retry = list != NULL;

    for (struct gw_rl_wait *w = list; w != NULL; w = w->next)
        retry &= !w->retried;
    kv_raw_drop(k->c, why);
    if (!retry) {
        fail_all(k);
        return;
    }
    disconnect(k);
    k->head = k->tail = NULL;
    k->len = k->off = k->unsent = 0;
    while (list != NULL) {
        struct gw_rl_wait *w = list;
        list = w->next;
        w->retried = 1;
        if (frame(k, w) != VALOR_OK) {
            w->reply.rc = VALOR_E_UNAVAILABLE;
            done(k, w);
        } else {
            append(k, w);
        }
    }
    gw_rl_link_flush(k);
}

void gw_rl_link_flush(struct gw_rl_link *k)
{
    if (k->len == k->off)
        return;
    if (k->off == 0 && connect_link(k) != VALOR_OK) {
        fail_all(k);
        return;
    }
    if (k->off == 0)
        gw_rl_redis_count(k->r, k->unsent); /* a new batch */
    while (k->off < k->len) {
        ssize_t n = send(k->fd, k->out + k->off, k->len - k->off, MSG_NOSIGNAL);
        if (n > 0) {
            k->off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return; /* the rest when the socket takes it (POLLOUT) */
        } else {
            broken(k, n < 0 ? strerror(errno) : "write failed");
            return;
        }
    }
    k->len = k->off = k->unsent = 0;
}

/* Replies for the oldest entries, in order. */
static int take(struct gw_rl_link *k)
{
    struct gw_rl_reply *res[LINK_TAKE_MAX];
    struct gw_rl_wait *ws[LINK_TAKE_MAX];
    struct gw_rl_wait *again = NULL, **again_t = &again;
    int reload = 0;

    for (;;) {
        size_t n = 0, got = 0;
        for (struct gw_rl_wait *w = k->head; w != NULL && n < LINK_TAKE_MAX; w = w->next) {
            ws[n] = w;
            res[n++] = &w->reply;
        }
        if (n == 0)
            break;
        if (gw_rl_redis_take_replies(k->rd, gw_rl_redis_sha(k->r), res, n, &got) != VALOR_OK)
            return VALOR_E_UNAVAILABLE;
        for (size_t i = 0; i < got && i < n; i++) {
            struct gw_rl_wait *w = ws[i];
            k->head = w->next;
            if (k->head == NULL)
                k->tail = NULL;
            if (w->reply.noscript && !w->resent) { /* Redis lost the script */
                reload = 1;
                w->resent = 1;
                w->next = NULL;
                *again_t = w;
                again_t = &w->next;
            } else {
                done(k, w);
            }
        }
        if (got < n)
            break; /* more bytes needed */
    }
    if (again != NULL) {
        int ok = reload && gw_rl_redis_load(k->r) == VALOR_OK;
        while (again != NULL) {
            struct gw_rl_wait *w = again;
            again = w->next;
            if (!ok || frame(k, w) != VALOR_OK) {
                w->reply.rc = VALOR_E_UNAVAILABLE;
                done(k, w);
            } else {
                append(k, w);
            }
        }
        gw_rl_link_flush(k);
    }
    return VALOR_OK;
}

void gw_rl_link_step(struct gw_rl_link *k, int timed_out)
{
    char buf[LINK_READ];

    if (k->c == NULL)
        return;
    if (timed_out && k->head != NULL && (long long)clock_mono_ms() >= gw_rl_link_deadline(k)) {
        kv_raw_drop(k->c, "command timeout");
        fail_all(k);
        return;
    }
    if (k->off < k->len) {
        gw_rl_link_flush(k);
        if (k->c == NULL)
            return;
    }
    for (;;) {
        ssize_t n = recv(k->fd, buf, sizeof(buf), 0);
        if (n > 0) {
            if (redisReaderFeed(k->rd, buf, (size_t)n) != REDIS_OK || take(k) != VALOR_OK) {
                kv_raw_drop(k->c, "protocol error");
                fail_all(k);
                return;
            }
            if (k->c == NULL) /* a resend failed */
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        broken(k, n == 0 ? "connection closed" : strerror(errno));
        return;
    }
    if (k->head == NULL && k->rd->len > k->rd->pos) { /* more replies than commands */
        kv_raw_drop(k->c, "unexpected reply");
        fail_all(k);
    }
}

struct gw_rl_wait *gw_rl_link_take_done(struct gw_rl_link *k)
{
    struct gw_rl_wait *d = k->done_h;
    k->done_h = k->done_t = NULL;
    return d;
}

int gw_rl_link_fd(const struct gw_rl_link *k)
{
    return k->c != NULL && k->head != NULL ? k->fd : -1;
}

unsigned gw_rl_link_serial(const struct gw_rl_link *k)
{
    return k->serial;
}

short gw_rl_link_events(const struct gw_rl_link *k)
{
    return k->off < k->len ? POLLOUT : POLLIN;
}

long long gw_rl_link_deadline(const struct gw_rl_link *k)
{
    if (k->c == NULL || k->head == NULL || k->head->call->sent_ms == 0)
        return LLONG_MAX;
    return k->head->call->sent_ms + k->timeout_ms;
}
