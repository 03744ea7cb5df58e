#include "balancer.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "valor/clock.h"
#include "valor/err.h"
#include "valor/fmt.h"
#include "valor/log.h"
#include "valor/metrics.h"

struct replica {
    /* fixed while active; changed only under the write lock */
    int url_index;
    char addr[64]; /* numeric; "" = the URL's host is numeric, no pinning */
    struct sockaddr_storage sa;
    socklen_t salen;
    char label[128];
    int active;
    /* health, lock-free */
    atomic_int fails;
    atomic_llong out_until; /* monotonic ms; 0 = in use */
    atomic_int probing;
};

struct url_info {
    const char *url; /* borrowed from the configuration */
    char host[256];  /* without brackets */
    int port;
    int numeric;
    char host_header[300]; /* "host:port", brackets around an IPv6 literal */
    const char *prefix;    /* the URL's path ("" or "/base"), inside url */
};

struct pool {
    enum gw_service svc;
    struct url_info urls[GW_MAX_URLS];
    size_t nurls;
    struct replica slots[GW_MAX_REPLICAS];
    int nslots;
    atomic_uint rr;
    pthread_rwlock_t lock;
};

struct gw_balancer {
    const struct gw_config *cfg;
    struct pool pools[GW_SVC_COUNT];
    struct metrics_family *up; /* may be NULL */
    pthread_t thread;
    int thread_started;
    int stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void set_up(struct gw_balancer *b, const struct pool *p, const struct replica *r, int v)
{
    if (b->up == NULL)
        return;
    const char *lv[] = {gw_service_name(p->svc), r->label};
    metrics_gauge_set(b->up, lv, v);
}

static int parse_host_port(const char *url, struct url_info *u)
{
    const char *h = strstr(url, "://");
    const char *end;

    if (h == NULL)
        return VALOR_E_INVALID;
    h += 3;
    u->port = 80;
    if (*h == '[') {
        end = strchr(h, ']');
        if (end == NULL || (size_t)(end - h - 1) >= sizeof(u->host))
            return VALOR_E_INVALID;
        memcpy(u->host, h + 1, (size_t)(end - h - 1));
        u->host[end - h - 1] = '\0';
        end++;
    } else {
        end = h + strcspn(h, ":/");
        if (end == h || (size_t)(end - h) >= sizeof(u->host))
            return VALOR_E_INVALID;
        memcpy(u->host, h, (size_t)(end - h));
        u->host[end - h] = '\0';
    }
    if (*end == ':') {
        char *after;
        long port = strtol(end + 1, &after, 10);
        if (port < 1 || port > 65535)
            return VALOR_E_INVALID;
        u->port = (int)port;
        end = after;
    }
    if (*end != '\0' && *end != '/')
        return VALOR_E_INVALID;
    u->prefix = end;
    unsigned char buf[16];
    int v6 = inet_pton(AF_INET6, u->host, buf) == 1;
    u->numeric = v6 || inet_pton(AF_INET, u->host, buf) == 1;
    snprintf(u->host_header, sizeof(u->host_header), "%s%s%s:%d", v6 ? "[" : "", u->host,
             v6 ? "]" : "", u->port);
    return VALOR_OK;
}

/* A numeric address and a port as a socket address. */
static int to_sockaddr(const char *addr, int port, struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;

    memset(sa, 0, sizeof(*sa));
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof(*v4);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*v6);
        return 0;
    }
    return -1;
}

/* Marks slot active for (url, addr); a new slot when unknown. Write lock held. */
static void ensure_slot(struct gw_balancer *b, struct pool *p, int ui, const char *addr, int *seen)
{
    const struct url_info *u = &p->urls[ui];
    int free_slot = -1;
    for (int i = 0; i < p->nslots; i++) {
        struct replica *r = &p->slots[i];
        if (r->url_index == ui && strcmp(r->addr, addr) == 0) {
            seen[i] = 1;
            if (!r->active) {
                r->active = 1;
                atomic_store(&r->fails, 0);
                atomic_store(&r->out_until, 0);
                set_up(b, p, r, 1);
            }
            return;
        }
        if (!r->active && free_slot < 0)
            free_slot = i;
    }
    if (p->nslots < GW_MAX_REPLICAS)
        free_slot = p->nslots++;
    if (free_slot < 0)
        return; /* more addresses than slots: the rest are not used */
    struct replica *r = &p->slots[free_slot];
    const char *numeric = *addr != '\0' ? addr : u->host;
    int v6 = strchr(numeric, ':') != NULL;
    if (to_sockaddr(numeric, u->port, &r->sa, &r->salen) != 0)
        return; /* resolve() and parse_host_port() only give numeric addresses */
    r->url_index = ui;
    /* built in locals: GCC cannot tell the pool's strings apart otherwise */
    char a[sizeof(r->addr)], label[sizeof(r->label)];
    snprintf(a, sizeof(a), "%s", addr);
    snprintf(label, sizeof(label), "%s%s%s:%d", v6 ? "[" : "", numeric, v6 ? "]" : "", u->port);
    memcpy(r->addr, a, sizeof(a));
    memcpy(r->label, label, sizeof(label));
    r->active = 1;
    atomic_store(&r->fails, 0);
    atomic_store(&r->out_until, 0);
    atomic_store(&r->probing, 0);
    seen[free_slot] = 1;
    set_up(b, p, r, 1);
}

/* Resolves URL ui into at most GW_MAX_REPLICAS numeric addresses. -1 on failure. */
static int resolve(const struct url_info *u, char addrs[][64], int max)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int n = 0;

    if (getaddrinfo(u->host, NULL, &hints, &res) != 0)
        return -1;
    for (struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
        char a[64];
        const void *src = ai->ai_family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                              : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        if (inet_ntop(ai->ai_family, src, a, sizeof(a)) == NULL)
            continue;
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= strcmp(addrs[k], a) == 0;
        if (!dup)
            snprintf(addrs[n++], 64, "%s", a);
    }
    freeaddrinfo(res);
    return n;
}

static void refresh_pool(struct gw_balancer *b, struct pool *p)
{
    char(*addrs)[GW_MAX_REPLICAS][64] = calloc(GW_MAX_URLS, sizeof(*addrs));
    int counts[GW_MAX_URLS] = {0}, seen[GW_MAX_REPLICAS] = {0};

    if (addrs == NULL)
        return;

    /* resolve outside the lock: getaddrinfo may take a while */
    for (size_t ui = 0; ui < p->nurls; ui++) {
        if (p->urls[ui].numeric) {
            counts[ui] = 1;
            addrs[ui][0][0] = '\0';
        } else {
            counts[ui] = resolve(&p->urls[ui], addrs[ui], GW_MAX_REPLICAS);
            if (counts[ui] <= 0)
                log_warn(NULL, "upstream_resolve", "%s: cannot resolve %s; keeping what we had",
                         gw_service_name(p->svc), p->urls[ui].host);
        }
    }
    pthread_rwlock_wrlock(&p->lock);
    for (size_t ui = 0; ui < p->nurls; ui++) {
        if (counts[ui] <= 0) { /* keep the URL's current replicas */
            for (int i = 0; i < p->nslots; i++)
                if (p->slots[i].url_index == (int)ui && p->slots[i].active)
                    seen[i] = 1;
            continue;
        }
        for (int k = 0; k < counts[ui]; k++)
            ensure_slot(b, p, (int)ui, addrs[ui][k], seen);
    }
    for (int i = 0; i < p->nslots; i++) {
        if (p->slots[i].active && !seen[i]) {
            p->slots[i].active = 0;
            set_up(b, p, &p->slots[i], 0);
            log_info(NULL, "upstream_removed", "%s: replica %s no longer resolves",
                     gw_service_name(p->svc), p->slots[i].label);
        }
    }
    pthread_rwlock_unlock(&p->lock);
    free(addrs);
}

static void *resolver_main(void *arg)
{
    struct gw_balancer *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->stopping) {
        struct timespec dl;
        clock_deadline(&dl, (int)(b->cfg->upstream_resolve_interval_s * 1000));
        int rc = 0;
        while (!b->stopping && rc == 0)
            rc = pthread_cond_timedwait(&b->cv, &b->mu, &dl);
        if (b->stopping)
            break;
        pthread_mutex_unlock(&b->mu);
        for (int s = 0; s < GW_SVC_COUNT; s++)
            refresh_pool(b, &b->pools[s]);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

int gw_balancer_new(const struct gw_config *cfg, struct metrics_registry *reg,
                    struct gw_balancer **out)
{
    static const char *const ln[] = {"service", "address"};
    struct gw_balancer *b = calloc(1, sizeof(*b));
    int rc = VALOR_OK, any_name = 0;

    *out = NULL;
    if (b == NULL)
        return VALOR_E_NOMEM;
    b->cfg = cfg;
    pthread_mutex_init(&b->mu, NULL);
    clock_cond_init(&b->cv);
    for (int s = 0; s < GW_SVC_COUNT; s++)
        pthread_rwlock_init(&b->pools[s].lock, NULL);
    if (reg != NULL)
        rc = metrics_family_new(reg, METRICS_GAUGE, "upstream_up",
                                "1 when the gateway sends requests to this replica.", 2, ln, NULL,
                                0, &b->up);
    for (int s = 0; s < GW_SVC_COUNT && rc == VALOR_OK; s++) {
        struct pool *p = &b->pools[s];
        p->svc = (enum gw_service)s;
        for (size_t i = 0; i < cfg->n_upstream_url[s] && rc == VALOR_OK; i++) {
            p->urls[i].url = cfg->upstream_url[s][i];
            rc = parse_host_port(p->urls[i].url, &p->urls[i]);
            any_name |= !p->urls[i].numeric;
            p->nurls = i + 1;
        }
        if (rc == VALOR_OK)
            refresh_pool(b, p);
    }
    if (rc == VALOR_OK && any_name) {
        if (pthread_create(&b->thread, NULL, resolver_main, b) != 0)
            rc = VALOR_E_INTERNAL;
        else
            b->thread_started = 1;
    }
    if (rc != VALOR_OK) {
        gw_balancer_free(b);
        return rc;
    }
    *out = b;
    return VALOR_OK;
}

void gw_balancer_free(struct gw_balancer *b)
{
    if (b == NULL)
        return;
    if (b->thread_started) {
        pthread_mutex_lock(&b->mu);
        b->stopping = 1;
        pthread_cond_broadcast(&b->cv);
        pthread_mutex_unlock(&b->mu);
        pthread_join(b->thread, NULL);
    }
    for (int s = 0; s < GW_SVC_COUNT; s++)
        pthread_rwlock_destroy(&b->pools[s].lock);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

static void fill_pick(const struct pool *p, int slot, int probe, struct gw_pick *out)
{
    const struct replica *r = &p->slots[slot];
    const struct url_info *u = &p->urls[r->url_index];
    out->slot = slot;
    out->probe = probe;
    memcpy(&out->addr, &r->sa, r->salen);
    out->addrlen = r->salen;
    out->host_header = u->host_header;
    out->prefix = u->prefix;
    fmt_copy(out->address, sizeof(out->address), r->label);
}

int gw_balancer_pick(struct gw_balancer *b, enum gw_service svc, int exclude, struct gw_pick *out)
{
    struct pool *p = &b->pools[svc];
    long long now = (long long)clock_mono_ms(), oldest = 0;
    int n, start, found = -1, probe = 0, fallback = -1;

    out->slot = -1;
    pthread_rwlock_rdlock(&p->lock);
    n = p->nslots;
    start = n > 0 ? (int)(atomic_fetch_add(&p->rr, 1) % (unsigned)n) : 0;
    for (int i = 0; i < n && found < 0; i++) {
        int s = (start + i) % n;
        struct replica *r = &p->slots[s];
        if (!r->active || s == exclude)
            continue;
        long long until = atomic_load(&r->out_until);
        if (until == 0) {
            found = s;
        } else if (until <= now) {
            int zero = 0; /* half-open: one probe at a time */
            if (atomic_compare_exchange_strong(&r->probing, &zero, 1)) {
                found = s;
                probe = 1;
            }
        } else if (fallback < 0 || until < oldest) {
            fallback = s;
            oldest = until;
        }
    }
    if (found < 0)
        found = fallback; /* all out: try the one out longest rather than fail blind */
    if (found >= 0)
        fill_pick(p, found, probe, out);
    pthread_rwlock_unlock(&p->lock);
    return found >= 0 ? VALOR_OK : VALOR_E_UNAVAILABLE;
}

void gw_balancer_done(struct gw_balancer *b, enum gw_service svc, const struct gw_pick *pick,
                      int connect_failed)
{
    struct pool *p = &b->pools[svc];
    struct replica *r;

    if (pick->slot < 0 || pick->slot >= GW_MAX_REPLICAS)
        return;
    r = &p->slots[pick->slot];
    if (pick->probe)
        atomic_store(&r->probing, 0);
    if (!connect_failed) {
        atomic_store(&r->fails, 0);
        if (atomic_exchange(&r->out_until, 0) != 0) {
            set_up(b, p, r, 1);
            log_info(NULL, "upstream_back", "%s: replica %s is back", gw_service_name(svc),
                     pick->address);
        }
        return;
    }
    int fails = atomic_fetch_add(&r->fails, 1) + 1;
    long long until = atomic_load(&r->out_until);
    if (until != 0 || fails >= b->cfg->upstream_fail_threshold) {
        atomic_store(&r->out_until, (long long)clock_mono_ms() + b->cfg->upstream_cooldown_ms);
        if (until == 0) {
            set_up(b, p, r, 0);
            log_warn(NULL, "upstream_out",
                     "%s: replica %s out for %ld ms after %d connect failures",
                     gw_service_name(svc), pick->address, b->cfg->upstream_cooldown_ms, fails);
        }
    }
}

size_t gw_balancer_count(struct gw_balancer *b, enum gw_service svc)
{
    struct pool *p = &b->pools[svc];
    size_t n = 0;
    pthread_rwlock_rdlock(&p->lock);
    for (int i = 0; i < p->nslots; i++)
        n += p->slots[i].active != 0;
    pthread_rwlock_unlock(&p->lock);
    return n;
}
