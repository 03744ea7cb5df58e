/* forward_loop: event-driven forwarding — no thread parked per request.
 *
 * FORWARD_LOOPS threads, each with its own epoll set, submission queue
 * (a mutex and an eventfd) and keep-alive connections to the replicas. A
 * worker thread that has a request to forward defers it (http_defer: the
 * connection is suspended) and queues it on a loop, round robin, then goes
 * on serving other connections. The loop runs the exchange without blocking
 * (upstream.h: gw_up_start/gw_up_step), puts the answer in the request's
 * response and resumes it (http_resume); libmicrohttpd's worker sends it.
 *
 * Per loop and replica at most FORWARD_LOOP_CONNECTIONS connections are
 * open; a request beyond that waits (FIFO) for one to come back, its
 * timeout running (UPSTREAM_TIMEOUT_MS bounds the wait and the exchange
 * together). Idle connections are kept (up to LOOP_IDLE_MAX) and reused under
 * the same rules as the blocking path (age, peer, the retry of a stale one);
 * their sockets stay in the epoll set, so one the replica closes is dropped
 * at once. Finished jobs are kept for reuse (LOOP_SPARE_MAX).
 * Timeouts: the loop wakes for the earliest deadline of its requests
 * (next_due) and then looks at every request it holds; deadlines are rare
 * events (a connect, a timeout), not one per request.
 *
 * Everything a loop holds is touched by its own thread only, except the
 * submission queue. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "forward_internal.h"
#include "rl_link.h"
#include "valor/clock.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/log.h"

#define LOOP_EVENTS 256
#define LOOP_IDLE_MAX 64 /* idle keep-alive connections kept per replica and loop */
/* Finished jobs kept per loop for the next requests (64 cover -c64 without
 * an allocation), with their request buffers. The answer's buffer (16 KiB
 * from its first read) is freed: kept in every spare it cost 8 MiB of RSS
 * at 1000 connections for 1.4 k instructions per request. */
#define LOOP_SPARE_MAX 64
#define LOOP_SPARE_BUF_BYTES ((size_t)4 << 10)

struct loop;

enum job_state {
    J_LIMIT,     /* waiting for the limiter's answer from Redis */
    J_WAIT_CONN, /* waiting for a connection to its replica */
    J_RUN,       /* the exchange: a connection, its socket watched (or about to start) */
};

/* One forwarded request. */
struct job {
    struct loop *loop;
    struct http_ctx *ctx;
    enum job_state state;
    enum gw_service svc;
    struct gw_pick pick;
    int exclude; /* the slot a refused attempt used, -1 */
    int tries;   /* attempts made */
    int last_rc; /* of the last attempt */
    double t0;   /* clock_mono_ms() at submission */
    long long wait_deadline_ms;
    struct gw_fwd_attempt a;
    struct gw_up_exchange ex;
    struct lconn *conn; /* NULL while waiting for one */
    int in_exchange;    /* ex is in flight on conn */
    struct gw_up_response resp;
    struct gw_up_buf in;
    struct job *prev, *next; /* loop->active */
    struct job *qnext;       /* the submission queue, a pool's waiters, loop->runnable */
    /* J_LIMIT: the decision asked on the loop's Redis link */
    struct gw_ratelimit *rl;
    struct gw_rl_call call;
    struct gw_rl_wait wait;
    gw_fwd_decided decided;
    void *decided_state;
};

/* A socket in a loop's epoll set. */
struct reg {
    int fd;          /* -1: none */
    short events;    /* POLLIN or POLLOUT */
    unsigned serial; /* the socket's (gw_up_conn.serial, gw_rl_link_serial) */
};

/* A loop's connection to a replica. Its socket stays in the epoll set for as
 * long as it is open (closing it removes it), in use or idle: a request
 * costs no epoll_ctl, and an idle connection the replica closes is noticed. */
struct lconn {
    struct gw_up_conn c;
    struct reg reg;
    struct job *job;   /* using it; NULL while idle */
    struct pool *home; /* its pool */
};

/* The connections of one loop to one replica slot. */
struct pool {
    struct lconn *idle[LOOP_IDLE_MAX];
    int nidle, in_use;
    struct job *whead, *wtail; /* waiting for a connection */
};

struct loop {
    struct gw_fwd_loops *owner;
    pthread_t thread;
    int started;
    int ep, wake; /* epoll set, eventfd */
    pthread_mutex_t lock;
    struct job *qhead, *qtail; /* submitted, under lock */
    int stopping;              /* under lock */
    struct job *spare;         /* finished, kept for reuse (qnext), under lock */
    int nspare;                /* under lock */
    struct job *active;        /* taken from the queue, not finished */
    struct job *runnable;      /* given a connection by release(), to start this turn */
    long long next_due_ms;     /* earliest deadline of the active jobs, LLONG_MAX */
    struct gw_rl_link *link;   /* the limiter's Redis connection, made on first use */
    struct reg link_reg;       /* its socket */
    struct pool pool[GW_SVC_COUNT][GW_MAX_REPLICAS];
};

struct gw_fwd_loops {
    struct gw_forward *f;
    int n;
    int max_conns; /* per replica and loop */
    atomic_uint next;
    struct loop loop[];
};

static void start(struct job *j);

static void note_due(struct loop *l, long long at)
{
    if (at < l->next_due_ms)
        l->next_due_ms = at;
}

/* r becomes fd watched for events (fd < 0: none). A socket other than the
 * one registered (another descriptor, or a new socket under the old one's
 * number: the close removed the old one) is added; the same one modified
 * when the events differ. */
static void reg_set(int ep, struct reg *r, int fd, unsigned serial, short events, void *ptr)
{
    struct epoll_event ev = {.events = events == POLLOUT ? EPOLLOUT : EPOLLIN, .data.ptr = ptr};

    if (fd >= 0 && fd == r->fd && serial == r->serial) {
        if (events != r->events && epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    } else if (fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST) {
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    }
    r->fd = fd;
    r->serial = serial;
    r->events = events;
}

/* The epoll set watches what j's exchange waits for. */
static void watch(struct job *j)
{
    struct lconn *lc = j->conn;
    reg_set(j->loop->ep, &lc->reg, j->ex.fd, lc->c.serial, j->ex.events, lc);
}

static void conn_free(struct lconn *lc)
{
    gw_up_conn_close(&lc->c); /* out of the epoll set with its socket */
    free(lc);
}

/* An idle connection became readable: the replica closed it (or sent what
 * nobody asked for). It leaves its pool. */
static void drop_idle(struct lconn *lc)
{
    struct pool *p = lc->home;
    for (int i = 0; i < p->nidle; i++)
        if (p->idle[i] == lc) {
            p->idle[i] = p->idle[--p->nidle];
            break;
        }
    conn_free(lc);
}

static struct pool *pool_of(struct job *j)
{
    return &j->loop->pool[j->svc][j->pick.slot];
}

/* A connection for j: an idle one, a new one, or none (j waits). */
static int take_conn(struct pool *p, struct job *j)
{
    struct lconn *c;
    if (p->nidle > 0) {
        c = p->idle[--p->nidle];
    } else if (p->in_use < j->loop->owner->max_conns) {
        if ((c = calloc(1, sizeof(*c))) == NULL)
            return 0;
        gw_up_conn_init(&c->c);
        c->reg.fd = -1;
        c->home = p;
    } else {
        return 0;
    }
    p->in_use++;
    c->job = j;
    j->conn = c;
    return 1;
}

/* j's connection goes back (kept when keep and still open); the first
 * waiter of the pool gets a connection and starts this turn. */
static void release(struct job *j, int keep)
{
    struct pool *p = pool_of(j);
    struct lconn *c = j->conn;

    j->conn = NULL;
    c->job = NULL;
    p->in_use--;
    if (keep && c->c.fd >= 0 && p->nidle < LOOP_IDLE_MAX) {
        reg_set(j->loop->ep, &c->reg, c->c.fd, c->c.serial, POLLIN, c); /* watched while idle */
        p->idle[p->nidle++] = c;
    } else {
        conn_free(c);
    }
    struct job *w = p->whead;
    if (w != NULL && take_conn(p, w)) {
        w->state = J_RUN;
        p->whead = w->qnext;
        if (p->whead == NULL)
            p->wtail = NULL;
        w->qnext = j->loop->runnable;
        j->loop->runnable = w;
    }
}

static void job_free(struct job *j)
{
    free(j->a.line.p);
    free(j->a.headers.p);
    gw_up_buf_free(&j->in);
    free(j);
}

/* A job for a new request, queued on the next loop (round robin): a spare
 * one of that loop, emptied but for its buffers, or a new one. */
static struct job *job_take(struct gw_fwd_loops *ls)
{
    struct loop *l = &ls->loop[atomic_fetch_add(&ls->next, 1) % (unsigned)ls->n];
    struct job *j;

    pthread_mutex_lock(&l->lock);
    j = l->spare;
    if (j != NULL) {
        l->spare = j->qnext;
        l->nspare--;
    }
    pthread_mutex_unlock(&l->lock);
    if (j == NULL) {
        j = calloc(1, sizeof(*j));
    } else {
        struct gw_sb line = j->a.line, headers = j->a.headers;
        struct gw_up_buf in = j->in;
        memset(j, 0, sizeof(*j));
        j->a.line = line;
        j->a.headers = headers;
        j->in = in;
    }
    if (j != NULL)
        j->loop = l;
    return j;
}

/* j is finished: kept as a spare of its loop, or freed. */
static void job_recycle(struct job *j)
{
    struct loop *l = j->loop;

    gw_sb_release_if_large(&j->a.line, LOOP_SPARE_BUF_BYTES);
    gw_sb_release_if_large(&j->a.headers, LOOP_SPARE_BUF_BYTES);
    if (j->in.cap > LOOP_SPARE_BUF_BYTES)
        gw_up_buf_free(&j->in);
    pthread_mutex_lock(&l->lock);
    if (l->nspare < LOOP_SPARE_MAX && !l->stopping) {
        j->qnext = l->spare;
        l->spare = j;
        l->nspare++;
        j = NULL;
    }
    pthread_mutex_unlock(&l->lock);
    if (j != NULL)
        job_free(j);
}

/* The request is answered (in ctx->resp): it goes back to its worker. */
static void done(struct job *j)
{
    struct loop *l = j->loop;
    struct http_ctx *ctx = j->ctx;

    if (l->active == j)
        l->active = j->next;
    else if (j->prev != NULL)
        j->prev->next = j->next;
    if (j->next != NULL)
        j->next->prev = j->prev;
    job_recycle(j);
    http_resume(ctx);
}

/* The outcome of the exchange (rc: an enum gw_up_result) is the answer. */
static void finish(struct job *j, int rc)
{
    gw_fwd_answer(j->loop->owner->f, j->svc, j->ctx, rc, &j->resp, j->t0);
    done(j);
}

/* An attempt ended with rc (an enum gw_up_result). */
static void attempt_done(struct job *j, int rc)
{
    struct gw_forward *f = j->loop->owner->f;
    int refused = rc == GW_UP_CONNECT;

    j->in_exchange = 0;
    gw_balancer_done(f->balancer, j->svc, &j->pick, refused);
    release(j, rc == GW_UP_OK);
    j->tries++;
    j->last_rc = rc;
    if (refused && j->tries < 2 && gw_fwd_idempotent(j->ctx->req->http_verb)) {
        j->exclude = j->pick.slot; /* the request never left: once more elsewhere */
        start(j);
        return;
    }
    finish(j, rc);
}

static void progress(struct job *j, int rc)
{
    if (rc == GW_UP_AGAIN) {
        j->in_exchange = 1;
        watch(j);
        note_due(j->loop, j->ex.deadline_ms);
    } else {
        attempt_done(j, rc);
    }
}

/* j has a connection: the exchange begins, with what is left of its time
 * (a request that waited for the connection has less). */
static void begin(struct job *j)
{
    struct gw_forward *f = j->loop->owner->f;
    double left = j->t0 + (double)f->timeout_ms - clock_mono_ms();

    if (left < 1) {
        gw_balancer_done(f->balancer, j->svc, &j->pick, 0);
        release(j, 1);
        finish(j, GW_UP_TIMEOUT);
        return;
    }
    j->a.rq.timeout_ms = (long)left;
    progress(j, gw_up_start(&j->ex, &j->conn->c, &j->a.rq, &j->in, &j->resp));
}

/* An attempt: a replica, then a connection or a place in its queue. */
static void start(struct job *j)
{
    struct gw_forward *f = j->loop->owner->f;
    struct pool *p;
    int rc;

    if (gw_balancer_pick(f->balancer, j->svc, j->exclude, &j->pick) != VALOR_OK) {
        /* none at all, or the retry found no other: keep the first answer */
        finish(j, j->tries > 0 ? j->last_rc : GW_UP_CONNECT);
        return;
    }
    rc = gw_fwd_attempt_init(f, j->ctx->req, &j->pick, &j->a);
    if (rc != GW_UP_OK) {
        gw_balancer_done(f->balancer, j->svc, &j->pick, 0);
        finish(j, rc);
        return;
    }
    p = pool_of(j);
    if (p->whead == NULL && take_conn(p, j)) {
        j->state = J_RUN;
        begin(j);
        return;
    }
    j->state = J_WAIT_CONN;
    j->wait_deadline_ms = (long long)(j->t0 + (double)f->timeout_ms);
    j->qnext = NULL;
    if (p->wtail != NULL)
        p->wtail->qnext = j;
    else
        p->whead = j;
    p->wtail = j;
    note_due(j->loop, j->wait_deadline_ms);
}

static void unqueue_waiter(struct job *j)
{
    struct pool *p = pool_of(j);
    struct job **pp = &p->whead, *prev = NULL;
    while (*pp != NULL && *pp != j) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (*pp == NULL)
        return;
    *pp = j->qnext;
    if (p->wtail == j)
        p->wtail = prev;
}

/* The limiter decided j: the pipeline's stages after it (decided), then the
 * exchange, unless they answered. */
static void decided(struct job *j, const struct gw_rl_decision *d)
{
    if (!j->decided(j->ctx, j->decided_state, d) ||
        gw_fwd_prepare(j->ctx, &j->a.headers) != VALOR_OK) {
        done(j);
        return;
    }
    start(j);
}

/* Decisions the link answered (or failed: the local table decides). */
static void link_done(struct loop *l)
{
    struct gw_rl_wait *w;
    if (l->link == NULL)
        return;
    while ((w = gw_rl_link_take_done(l->link)) != NULL)
        while (w != NULL) {
            struct gw_rl_wait *next = w->next;
            struct job *j = w->ud;
            struct gw_rl_decision d;
            gw_ratelimit_complete(j->rl, &j->call, w->reply.rc, w->reply.revoked, &w->reply.g, &d);
            decided(j, &d);
            w = next;
        }
}

/* The epoll set watches the link's socket while it is open. */
static void link_watch(struct loop *l)
{
    int fd = l->link != NULL ? gw_rl_link_fd(l->link) : -1;

    if (fd < 0) {
        l->link_reg.fd = -1;
        return;
    }
    note_due(l, gw_rl_link_deadline(l->link));
    reg_set(l->ep, &l->link_reg, fd, gw_rl_link_serial(l->link),
            gw_rl_link_events(l->link) == POLLOUT ? POLLOUT : POLLIN, &l->link_reg);
}

/* A submitted job that brings its limiter decision goes on the link. */
static void ask(struct job *j)
{
    struct loop *l = j->loop;
    struct gw_rl_decision d;

    j->wait.call = &j->call;
    j->wait.ud = j;
    j->wait.resent = 0;
    j->wait.retried = 0;
    if ((l->link != NULL || gw_rl_link_new(gw_ratelimit_redis(j->rl), l->owner->f->redis_timeout_ms,
                                           &l->link) == VALOR_OK) &&
        gw_rl_link_queue(l->link, &j->wait) == VALOR_OK)
        return;
    gw_ratelimit_complete(j->rl, &j->call, VALOR_E_UNAVAILABLE, 0, NULL, &d);
    decided(j, &d);
}

/* Deadlines: a request whose exchange or wait is over its time. */
static void check_due(struct loop *l, long long now)
{
    struct job *j, *next;

    if (now < l->next_due_ms)
        return;
    l->next_due_ms = LLONG_MAX;
    for (j = l->active; j != NULL; j = next) {
        next = j->next;
        if (j->state == J_LIMIT) { /* the link's deadline covers it */
            continue;
        } else if (j->state == J_WAIT_CONN) {
            if (now >= j->wait_deadline_ms) {
                unqueue_waiter(j);
                finish(j, GW_UP_TIMEOUT);
            } else {
                note_due(l, j->wait_deadline_ms);
            }
        } else if (j->in_exchange) {
            if (now >= j->ex.deadline_ms)
                progress(j, gw_up_step(&j->ex, 1));
            else
                note_due(l, j->ex.deadline_ms);
        }
    }
}

/* The submitted jobs become active and start; 1 when the loop is stopping. */
static int take_submitted(struct loop *l)
{
    struct job *q;
    uint64_t v;
    int stopping;

    if (read(l->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
        log_warn(NULL, "forward_loop", "eventfd read: %s", strerror(errno));
    pthread_mutex_lock(&l->lock);
    q = l->qhead;
    l->qhead = l->qtail = NULL;
    stopping = l->stopping;
    pthread_mutex_unlock(&l->lock);
    for (struct job *j = q; j != NULL; j = j->qnext) {
        j->prev = NULL;
        j->next = l->active;
        if (l->active != NULL)
            l->active->prev = j;
        l->active = j;
    }
    while (q != NULL) { /* start() may finish (free) the job it starts, no other */
        struct job *j = q;
        q = q->qnext;
        if (j->state == J_LIMIT)
            ask(j);
        else
            start(j);
    }
    return stopping;
}

static void *loop_main(void *arg)
{
    struct loop *l = arg;
    struct epoll_event ev[LOOP_EVENTS];
    int stopping = 0;

    while (!(stopping && l->active == NULL)) {
        long long now = (long long)clock_mono_ms();
        int timeout = -1;
        if (l->next_due_ms != LLONG_MAX)
            timeout = l->next_due_ms <= now                ? 0
                      : l->next_due_ms - now > INT_MAX / 2 ? INT_MAX / 2
                                                           : (int)(l->next_due_ms - now);
        int n = epoll_wait(l->ep, ev, LOOP_EVENTS, timeout);
        if (n < 0 && errno != EINTR) {
            log_error(NULL, "forward_loop", "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr == &l->wake) {
                stopping |= take_submitted(l);
                continue;
            }
            if (ev[i].data.ptr == &l->link_reg) {
                gw_rl_link_step(l->link, 0);
                continue;
            }
            struct lconn *lc = ev[i].data.ptr;
            if (lc->job == NULL)
                drop_idle(lc);
            else if (lc->job->in_exchange) /* not when handed on and to begin this turn */
                progress(lc->job, gw_up_step(&lc->job->ex, 0));
        }
        if (l->link != NULL) {
            /* one write for the decisions of this turn; then what it answered */
            gw_rl_link_flush(l->link);
            if (l->link_reg.fd >= 0 && (long long)clock_mono_ms() >= gw_rl_link_deadline(l->link))
                gw_rl_link_step(l->link, 1);
            link_done(l);
        }
        check_due(l, (long long)clock_mono_ms());
        while (l->runnable != NULL) { /* connections handed on this turn */
            struct job *j = l->runnable;
            l->runnable = j->qnext;
            begin(j);
        }
        link_watch(l);
    }
    return NULL;
}

static void loop_close(struct loop *l)
{
    for (int s = 0; s < GW_SVC_COUNT; s++)
        for (int k = 0; k < GW_MAX_REPLICAS; k++) {
            struct pool *p = &l->pool[s][k];
            while (p->nidle > 0) {
                conn_free(p->idle[--p->nidle]);
            }
        }
    while (l->spare != NULL) {
        struct job *j = l->spare;
        l->spare = j->qnext;
        job_free(j);
    }
    gw_rl_link_free(l->link);
    if (l->ep >= 0)
        close(l->ep);
    if (l->wake >= 0)
        close(l->wake);
    pthread_mutex_destroy(&l->lock);
}

int gw_fwd_loops_new(struct gw_forward *f, int n, int max_conns, struct gw_fwd_loops **out)
{
    struct gw_fwd_loops *ls = calloc(1, sizeof(*ls) + (size_t)n * sizeof(struct loop));
    int rc = VALOR_OK;

    *out = NULL;
    if (ls == NULL)
        return VALOR_E_NOMEM;
    ls->f = f;
    ls->n = n;
    ls->max_conns = max_conns;
    for (int i = 0; i < n; i++) {
        struct loop *l = &ls->loop[i];
        l->owner = ls;
        l->next_due_ms = LLONG_MAX;
        l->link_reg.fd = -1;
        pthread_mutex_init(&l->lock, NULL);
        l->ep = epoll_create1(EPOLL_CLOEXEC);
        l->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    for (int i = 0; i < n && rc == VALOR_OK; i++) {
        struct loop *l = &ls->loop[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->wake};
        if (l->ep < 0 || l->wake < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, l->wake, &ev) != 0 ||
            pthread_create(&l->thread, NULL, loop_main, l) != 0)
            rc = VALOR_E_INTERNAL;
        else
            l->started = 1;
    }
    if (rc != VALOR_OK) {
        gw_fwd_loops_free(ls);
        return rc;
    }
    *out = ls;
    return VALOR_OK;
}

void gw_fwd_loops_free(struct gw_fwd_loops *ls)
{
    uint64_t one = 1;
    if (ls == NULL)
        return;
    for (int i = 0; i < ls->n; i++) {
        struct loop *l = &ls->loop[i];
        if (!l->started)
            continue;
        pthread_mutex_lock(&l->lock);
        l->stopping = 1;
        pthread_mutex_unlock(&l->lock);
        if (write(l->wake, &one, sizeof(one)) < 0)
            log_warn(NULL, "forward_loop", "eventfd write: %s", strerror(errno));
    }
    for (int i = 0; i < ls->n; i++) {
        struct loop *l = &ls->loop[i];
        if (l->started)
            pthread_join(l->thread, NULL);
        loop_close(l);
    }
    free(ls);
}

/* Defers ctx and queues j on its loop (job_take chose it). */
static int enqueue(struct job *j, enum gw_service svc, struct http_ctx *ctx)
{
    struct loop *l;
    uint64_t one = 1;
    int was_empty;

    if (http_defer(ctx) != VALOR_OK)
        return VALOR_E_INVALID;
    l = j->loop;
    j->ctx = ctx;
    j->svc = svc;
    j->exclude = -1;
    j->t0 = clock_mono_ms();
    ctx->upstream = gw_service_name(svc);
    pthread_mutex_lock(&l->lock);
    was_empty = l->qhead == NULL;
    if (l->qtail != NULL)
        l->qtail->qnext = j;
    else
        l->qhead = j;
    l->qtail = j;
    pthread_mutex_unlock(&l->lock);
    if (was_empty && write(l->wake, &one, sizeof(one)) < 0)
        log_warn(NULL, "forward_loop", "eventfd write: %s", strerror(errno));
    return VALOR_OK;
}

int gw_fwd_loops_submit(struct gw_fwd_loops *ls, enum gw_service svc, struct http_ctx *ctx)
{
    struct job *j = job_take(ls);

    if (j == NULL)
        return VALOR_E_NOMEM;
    if (gw_fwd_prepare(ctx, &j->a.headers) != VALOR_OK) {
        job_recycle(j); /* refused and answered */
        return VALOR_OK;
    }
    j->state = J_RUN;
    if (enqueue(j, svc, ctx) != VALOR_OK) {
        job_recycle(j);
        return VALOR_E_INVALID;
    }
    return VALOR_OK;
}

int gw_fwd_loops_submit_limited(struct gw_fwd_loops *ls, enum gw_service svc, struct http_ctx *ctx,
                                struct gw_ratelimit *rl, const struct gw_rl_call *call,
                                gw_fwd_decided cb, void *state)
{
    struct job *j = job_take(ls);

    if (j == NULL)
        return VALOR_E_NOMEM;
    j->state = J_LIMIT;
    j->rl = rl;
    j->call = *call;
    j->decided = cb;
    j->decided_state = state;
    if (enqueue(j, svc, ctx) != VALOR_OK) {
        job_recycle(j);
        return VALOR_E_INVALID;
    }
    return VALOR_OK;
}
