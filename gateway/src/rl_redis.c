#include "rl_redis.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "valor/clock.h"
#include "valor/err.h"
#include "valor/fmt.h"
#include "valor/kv.h"
#include "valor/metrics.h"

/* KEYS[1] the bucket key, KEYS[2] (optional) the denylist key;
 * ARGV[1] n, ARGV[2] period in ms.
 * → {1 allowed | 0 refused | -1 revoked, remaining, reset_ms, retry_ms} */
static const char script[] =
    "if #KEYS > 1 and redis.call('EXISTS', KEYS[2]) == 1 then return {-1, 0, 0, 0} end\n"
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local n = tonumber(ARGV[1])\n"
    "local period = tonumber(ARGV[2])\n"
    "local interval = period / n\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]))\n"
    "if tat == nil or tat < now then tat = now end\n"
    "local new_tat = tat + interval\n"
    "local allow_at = new_tat - period\n"
    "if allow_at > now then\n"
    "  return {0, 0, math.ceil(tat - now), math.ceil(allow_at - now)}\n"
    "end\n"
    "redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now) + "
    "1)\n"
    "return {1, math.floor((period - (new_tat - now)) / interval + 1e-9), math.ceil(new_tat - "
    "now), 0}\n";

#define RL_BATCH_MAX 128 /* commands per write; the rest wait for the next turn */
#define RL_CMD_MAX 768   /* one framed EVALSHA: keys ≤ 256 + 128 bytes */

enum rl_state { RL_QUEUED, RL_LEAD, RL_INFLIGHT, RL_DONE };

/* A decision waiting for its reply; lives on its thread's stack. */
struct rl_waiter {
    const char *cmd;
    size_t len;
    enum rl_state state; /* under the connection's lock */
    struct gw_rl_reply res;
    pthread_cond_t cv;
    struct rl_waiter *next;
};

struct rl_conn {
    pthread_mutex_t lock;
    struct rl_waiter *head, *tail; /* queued, not yet taken by a leader */
    int busy;                      /* a leader is doing I/O */
    /* the leader's alone: */
    struct kv_client *c;
    unsigned gen;
    redisReader *rd;
};

struct gw_rl_redis {
    char *url;
    int timeout_ms;
    char sha[41];
    char load_cmd[sizeof(script) + 64];
    size_t load_len;
    atomic_uint gen;
    atomic_uint next_conn;
    atomic_ullong batches, commands;
    struct metrics_family *m_batches, *m_commands;
    pthread_condattr_t cattr;
    int nconns;
    struct rl_conn *conns;
};

static int script_sha1(char out[41])
{
    unsigned char d[20];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA1, script, sizeof(script) - 1, d) != 0)
        return VALOR_E_INTERNAL;
    for (int i = 0; i < 20; i++)
        snprintf(out + (ptrdiff_t)2 * i, 3, "%02x", d[i]);
    return VALOR_OK;
}

/* --- RESP framing by hand --- */

/* $<len>\r\n<s>\r\n at buf+*off; 0 when it does not fit. */
static int put_bulk(char *buf, size_t cap, size_t *off, const char *s, size_t len)
{
    char *p;
    if (*off + len + 32 > cap)
        return 0;
    p = buf + *off;
    *p++ = '$';
    p += fmt_uint(p, len);
    *p++ = '\r';
    *p++ = '\n';
    memcpy(p, s, len);
    p += len;
    *p++ = '\r';
    *p++ = '\n';
    *off = (size_t)(p - buf);
    return 1;
}

size_t gw_rl_redis_frame(char *buf, size_t cap, const char *sha, const char *key,
                         const char *deny_key, long n, long long period_ms)
{
    char ns[24], ps[24];
    size_t off = 0, nl = fmt_int(ns, n), pl = fmt_int(ps, period_ms);

    if (cap < 8)
        return 0;
    buf[0] = '*';
    buf[1] = deny_key != NULL ? '7' : '6';
    buf[2] = '\r';
    buf[3] = '\n';
    off = 4;
    if (!put_bulk(buf, cap, &off, "EVALSHA", 7) || !put_bulk(buf, cap, &off, sha, strlen(sha)) ||
        !put_bulk(buf, cap, &off, deny_key != NULL ? "2" : "1", 1) ||
        !put_bulk(buf, cap, &off, key, strlen(key)) ||
        (deny_key != NULL && !put_bulk(buf, cap, &off, deny_key, strlen(deny_key))) ||
        !put_bulk(buf, cap, &off, ns, nl) || !put_bulk(buf, cap, &off, ps, pl))
        return 0;
    return off;
}

/* --- the reply path --- */

static void parse_eval(const redisReply *reply, struct gw_rl_reply *out)
{
    long long v[4];
    out->rc = VALOR_E_UNAVAILABLE;
    if (reply->type == REDIS_REPLY_ERROR) {
        out->noscript = reply->len >= 8 && strncmp(reply->str, "NOSCRIPT", 8) == 0;
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4)
        return;
    for (int i = 0; i < 4; i++) {
        if (reply->element[i]->type != REDIS_REPLY_INTEGER)
            return;
        v[i] = reply->element[i]->integer;
    }
    if (v[0] < -1 || v[0] > 1)
        return;
    memset(&out->g, 0, sizeof(out->g));
    out->revoked = v[0] < 0;
    out->g.allowed = v[0] == 1;
    out->g.remaining = v[1];
    out->g.reset_ms = v[2];
    out->g.retry_ms = v[3];
    out->rc = VALOR_OK;
}

int gw_rl_redis_take_replies(redisReader *rd, const char *sha, struct gw_rl_reply *const *res,
                             size_t n, size_t *got)
{
    while (*got < n) {
        void *p = NULL;
        struct gw_rl_reply *o = res[*got];
        if (redisReaderGetReply(rd, &p) != REDIS_OK)
            return VALOR_E_UNAVAILABLE;
        if (p == NULL)
            return VALOR_OK; /* incomplete: more bytes needed */
        const redisReply *reply = p;
        o->rc = VALOR_E_UNAVAILABLE;
        o->noscript = o->revoked = 0;
        if (o->kind == GW_RL_EVAL)
            parse_eval(reply, o);
        else if (reply->type == REDIS_REPLY_STRING && reply->len == 40 &&
                 memcmp(reply->str, sha, 40) == 0)
            o->rc = VALOR_OK;
        freeReplyObject(p);
        (*got)++;
    }
    return VALOR_OK;
}

/* hiredis 0.14's reader allocates an array for the element count it reads
 * ("*999999999" → gigabytes) before any element arrived, and has no limit
 * of its own (1.0 added maxelements): the default functions, with arrays
 * above RL_ARRAY_MAX refused (a protocol error: the connection is dropped). */
#define RL_ARRAY_MAX 64
static redisReplyObjectFunctions rl_fns;
static void *(*dflt_create_array)(const redisReadTask *, int);
static pthread_once_t rl_fns_once = PTHREAD_ONCE_INIT;

static void *create_array(const redisReadTask *task, int elements)
{
    if (elements > RL_ARRAY_MAX)
        return NULL;
    return dflt_create_array(task, elements);
}

static void rl_fns_init(void)
{
    redisReader *rd = redisReaderCreate();
    if (rd == NULL)
        return;
    rl_fns = *rd->fn;
    dflt_create_array = rl_fns.createArray;
    rl_fns.createArray = create_array;
    redisReaderFree(rd);
}

redisReader *gw_rl_redis_reader_new(void)
{
    pthread_once(&rl_fns_once, rl_fns_init);
    return dflt_create_array != NULL ? redisReaderCreateWithFunctions(&rl_fns) : NULL;
}

/* --- set-up --- */

int gw_rl_redis_new(const char *url, int timeout_ms, int connections, struct metrics_registry *reg,
                    struct gw_rl_redis **out)
{
    struct gw_rl_redis *r = calloc(1, sizeof(*r));
    struct kv_opts o = {
        .url = url, .connect_timeout_ms = timeout_ms, .command_timeout_ms = timeout_ms};
    struct kv_client *probe = NULL;
    size_t off = 0;
    int rc;

    *out = NULL;
    if (r == NULL)
        return VALOR_E_NOMEM;
    if (connections < 1)
        connections = 1;
    rc = kv_open(&o, &probe); /* validates the URL */
    kv_close(probe);
    if (rc != VALOR_OK || script_sha1(r->sha) != VALOR_OK || (r->url = strdup(url)) == NULL ||
        (r->conns = calloc((size_t)connections, sizeof(*r->conns))) == NULL) {
        free(r->url);
        free(r);
        return rc != VALOR_OK ? rc : VALOR_E_NOMEM;
    }
    r->timeout_ms = timeout_ms;
    r->load_cmd[0] = '*';
    r->load_cmd[1] = '3';
    r->load_cmd[2] = '\r';
    r->load_cmd[3] = '\n';
    off = 4;
    put_bulk(r->load_cmd, sizeof(r->load_cmd), &off, "SCRIPT", 6);
    put_bulk(r->load_cmd, sizeof(r->load_cmd), &off, "LOAD", 4);
    put_bulk(r->load_cmd, sizeof(r->load_cmd), &off, script, sizeof(script) - 1);
    r->load_len = off;
    pthread_condattr_init(&r->cattr);
    pthread_condattr_setclock(&r->cattr, CLOCK_MONOTONIC);
    r->nconns = connections;
    for (int i = 0; i < connections; i++) {
        pthread_mutex_init(&r->conns[i].lock, NULL);
        r->conns[i].gen = atomic_load(&r->gen) - 1; /* connects on first use */
    }
    if (reg != NULL) {
        rc = metrics_family_new(reg, METRICS_COUNTER, "rate_limit_redis_batches_total",
                                "Pipelined writes of rate-limit commands to Redis.", 0, NULL, NULL,
                                0, &r->m_batches);
        if (rc == VALOR_OK)
            rc = metrics_family_new(reg, METRICS_COUNTER, "rate_limit_redis_commands_total",
                                    "Rate-limit commands sent to Redis (in batches).", 0, NULL,
                                    NULL, 0, &r->m_commands);
        if (rc != VALOR_OK) {
            gw_rl_redis_free(r);
            return rc;
        }
    }
    *out = r;
    return VALOR_OK;
}

void gw_rl_redis_free(struct gw_rl_redis *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nconns; i++) {
        kv_close(r->conns[i].c);
        if (r->conns[i].rd != NULL)
            redisReaderFree(r->conns[i].rd);
        pthread_mutex_destroy(&r->conns[i].lock);
    }
    pthread_condattr_destroy(&r->cattr);
    free(r->conns);
    free(r->url);
    free(r);
}

void gw_rl_redis_reset(struct gw_rl_redis *r)
{
    atomic_fetch_add(&r->gen, 1);
}

void gw_rl_redis_stats(struct gw_rl_redis *r, unsigned long long *batches,
                       unsigned long long *commands)
{
    *batches = atomic_load(&r->batches);
    *commands = atomic_load(&r->commands);
}

/* --- the leader's I/O --- */

static void conn_drop(struct rl_conn *k, const char *why)
{
    kv_raw_drop(k->c, why);
    if (k->rd != NULL)
        redisReaderFree(k->rd);
    k->rd = NULL;
}

/* The connection's socket, reconnected when the generation moved on. */
static int conn_fd(struct gw_rl_redis *r, struct rl_conn *k, int *fd)
{
    unsigned gen = atomic_load(&r->gen);
    struct kv_opts o = {
        .url = r->url, .connect_timeout_ms = r->timeout_ms, .command_timeout_ms = r->timeout_ms};

    if (k->c == NULL || k->gen != gen) {
        kv_close(k->c);
        k->c = NULL;
        if (k->rd != NULL)
            redisReaderFree(k->rd);
        k->rd = NULL;
        if (kv_open(&o, &k->c) != VALOR_OK)
            return VALOR_E_UNAVAILABLE;
        k->gen = gen;
    }
    if (k->rd == NULL && (k->rd = gw_rl_redis_reader_new()) == NULL)
        return VALOR_E_NOMEM;
    return kv_raw_fd(k->c, fd);
}

static int wait_fd(int fd, short events, double deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        double left = deadline - clock_mono_ms();
        if (left <= 0)
            return VALOR_E_TIMEOUT;
        int n = poll(&p, 1, (int)left + 1);
        if (n > 0)
            return VALOR_OK;
        if (n < 0 && errno != EINTR)
            return VALOR_E_UNAVAILABLE;
    }
}

static int write_all(int fd, struct iovec *iov, int cnt, double deadline)
{
    while (cnt > 0) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
        ssize_t w = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return VALOR_E_UNAVAILABLE;
            int rc = wait_fd(fd, POLLOUT, deadline);
            if (rc != VALOR_OK)
                return rc;
            continue;
        }
        while (cnt > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return VALOR_OK;
}

/* Writes cmds, reads n replies into res. VALOR_OK when all n arrived and
 * nothing else did; otherwise the connection is dropped (replies already
 * taken keep their rc, the others are VALOR_E_UNAVAILABLE). */
static int exchange(struct gw_rl_redis *r, struct rl_conn *k, struct iovec *iov,
                    struct gw_rl_reply *const *res, size_t n, double deadline)
{
    char buf[16384];
    size_t got = 0;
    int fd = -1, rc;
    const char *why = "command timeout";

    for (size_t i = 0; i < n; i++)
        res[i]->rc = VALOR_E_UNAVAILABLE;
    rc = conn_fd(r, k, &fd);
    if (rc != VALOR_OK)
        return rc; /* kv logged it */
    gw_rl_redis_count(r, n);
    rc = write_all(fd, iov, (int)n, deadline);
    while (rc == VALOR_OK && got < n) {
        ssize_t m = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (m > 0) {
            if (redisReaderFeed(k->rd, buf, (size_t)m) != REDIS_OK ||
                gw_rl_redis_take_replies(k->rd, r->sha, res, n, &got) != VALOR_OK) {
                why = "protocol error";
                rc = VALOR_E_UNAVAILABLE;
            }
        } else if (m == 0) {
            why = "connection closed";
            rc = VALOR_E_UNAVAILABLE;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            rc = wait_fd(fd, POLLIN, deadline);
        } else if (errno != EINTR) {
            why = strerror(errno);
            rc = VALOR_E_UNAVAILABLE;
        }
    }
    if (rc == VALOR_OK && k->rd->len > k->rd->pos) {
        rc = VALOR_E_UNAVAILABLE; /* more replies than commands: out of step */
        why = "unexpected reply";
    }
    if (rc != VALOR_OK) {
        conn_drop(k, rc == VALOR_E_TIMEOUT ? "command timeout" : why);
        rc = VALOR_E_UNAVAILABLE;
    }
    return rc;
}

/* The leader's turn, called with k->lock held and itself at the queue's
 * head: takes the queue, does the I/O unlocked, hands out the replies, and
 * passes the leadership on (or fails the queue after a failed batch). */
static void lead(struct gw_rl_redis *r, struct rl_conn *k, struct rl_waiter *self)
{
    struct rl_waiter *batch[RL_BATCH_MAX];
    struct gw_rl_reply *res[RL_BATCH_MAX + 1] = {NULL}, load = {.kind = GW_RL_LOAD};
    struct iovec iov[RL_BATCH_MAX + 1];
    size_t n = 0, retry = 0;
    double deadline;
    int rc;

    while (k->head != NULL && n < RL_BATCH_MAX) {
        struct rl_waiter *w = k->head;
        k->head = w->next;
        w->state = RL_INFLIGHT;
        batch[n++] = w;
    }
    if (k->head == NULL)
        k->tail = NULL;
    pthread_mutex_unlock(&k->lock);

    deadline = clock_mono_ms() + r->timeout_ms;
    for (size_t i = 0; i < n; i++) {
        iov[i].iov_base = (void *)batch[i]->cmd;
        iov[i].iov_len = batch[i]->len;
        res[i] = &batch[i]->res;
    }
    rc = exchange(r, k, iov, res, n, deadline);
    /* NOSCRIPT (Redis restarted, SCRIPT FLUSH): load it and resend those,
     * one more pipelined write on the same connection */
    for (size_t i = 0; rc == VALOR_OK && i < n; i++)
        if (batch[i]->res.noscript) {
            if (retry == 0) {
                iov[0].iov_base = r->load_cmd;
                iov[0].iov_len = r->load_len;
                res[0] = &load;
                retry = 1;
            }
            iov[retry].iov_base = (void *)batch[i]->cmd;
            iov[retry].iov_len = batch[i]->len;
            res[retry++] = &batch[i]->res;
        }
    if (retry > 0) {
        rc = exchange(r, k, iov, res, retry, clock_mono_ms() + r->timeout_ms);
        if (rc == VALOR_OK && load.rc != VALOR_OK)
            for (size_t i = 1; i < retry; i++)
                res[i]->rc = VALOR_E_UNAVAILABLE;
    }

    pthread_mutex_lock(&k->lock);
    for (size_t i = 0; i < n; i++) {
        batch[i]->state = RL_DONE;
        if (batch[i] != self)
            pthread_cond_signal(&batch[i]->cv);
    }
    if (rc != VALOR_OK) {
        /* the same connection would fail them too: let them fall back now */
        while (k->head != NULL) {
            struct rl_waiter *w = k->head;
            k->head = w->next;
            w->res.rc = VALOR_E_UNAVAILABLE;
            w->state = RL_DONE;
            pthread_cond_signal(&w->cv);
        }
        k->tail = NULL;
    }
    if (k->head != NULL) {
        k->head->state = RL_LEAD;
        pthread_cond_signal(&k->head->cv);
    } else {
        k->busy = 0;
    }
}

static void unlink_waiter(struct rl_conn *k, struct rl_waiter *w)
{
    struct rl_waiter **pp = &k->head, *prev = NULL;
    while (*pp != NULL && *pp != w) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL)
        return;
    *pp = w->next;
    if (k->tail == w)
        k->tail = prev;
}

/* Queues one framed command and blocks until its reply (or the deadline). */
static int submit(struct gw_rl_redis *r, const char *cmd, size_t len, enum gw_rl_kind kind,
                  struct gw_rl_reply *out)
{
    struct rl_conn *k = &r->conns[atomic_fetch_add(&r->next_conn, 1) % (unsigned)r->nconns];
    struct rl_waiter w = {.cmd = cmd, .len = len, .state = RL_QUEUED};
    struct timespec until;
    long long ns;

    w.res.kind = kind;
    w.res.rc = VALOR_E_UNAVAILABLE;
    clock_gettime(CLOCK_MONOTONIC, &until);
    ns = (long long)until.tv_nsec + (long long)r->timeout_ms * 1000000LL;
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    pthread_cond_init(&w.cv, &r->cattr);

    pthread_mutex_lock(&k->lock);
    if (k->tail != NULL)
        k->tail->next = &w;
    else
        k->head = &w;
    k->tail = &w;
    if (!k->busy) {
        k->busy = 1;
        w.state = RL_LEAD;
    }
    while (w.state == RL_QUEUED)
        if (pthread_cond_timedwait(&w.cv, &k->lock, &until) == ETIMEDOUT && w.state == RL_QUEUED) {
            unlink_waiter(k, &w); /* too slow: the caller falls back */
            w.state = RL_DONE;
        }
    if (w.state == RL_LEAD)
        lead(r, k, &w);
    while (w.state != RL_DONE) /* in a batch: its leader's I/O is bounded */
        pthread_cond_wait(&w.cv, &k->lock);
    pthread_mutex_unlock(&k->lock);
    pthread_cond_destroy(&w.cv);
    *out = w.res;
    return w.res.rc;
}

const char *gw_rl_redis_sha(const struct gw_rl_redis *r)
{
    return r->sha;
}

unsigned gw_rl_redis_generation(struct gw_rl_redis *r)
{
    return atomic_load(&r->gen);
}

int gw_rl_redis_connect(struct gw_rl_redis *r, struct kv_client **out)
{
    struct kv_opts o = {
        .url = r->url, .connect_timeout_ms = r->timeout_ms, .command_timeout_ms = r->timeout_ms};
    return kv_open(&o, out);
}

void gw_rl_redis_count(struct gw_rl_redis *r, size_t commands)
{
    atomic_fetch_add(&r->batches, 1);
    atomic_fetch_add(&r->commands, commands);
    if (r->m_batches != NULL) {
        metrics_counter_add(r->m_batches, NULL, 1);
        metrics_counter_add(r->m_commands, NULL, (double)commands);
    }
}

int gw_rl_redis_load(struct gw_rl_redis *r)
{
    struct gw_rl_reply res;
    return submit(r, r->load_cmd, r->load_len, GW_RL_LOAD, &res);
}

int gw_rl_redis_check(struct gw_rl_redis *r, const char *key, const char *deny_key, long n,
                      long long period_ms, int *revoked, struct gw_gcra *out)
{
    char cmd[RL_CMD_MAX];
    struct gw_rl_reply res;
    size_t len = gw_rl_redis_frame(cmd, sizeof(cmd), r->sha, key, deny_key, n, period_ms);
    int rc;

    *revoked = 0;
    if (len == 0)
        return VALOR_E_INVALID;
    rc = submit(r, cmd, len, GW_RL_EVAL, &res);
    if (rc != VALOR_OK)
        return rc;
    *revoked = res.revoked;
    *out = res.g;
    return VALOR_OK;
}
