#include "rl_local.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "valor/err.h"

#define WAYS 4
#define STRIPES 64

struct entry {
    uint64_t hash; /* 0 = empty */
    double tat_ms;
    long long expires_ms; /* the entry means nothing after this */
};

struct table {
    struct entry *e;
    size_t nsets;
};

struct gw_rl_local {
    struct table limits;
    pthread_mutex_t lock[STRIPES];
};

long long gw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void gw_gcra_step(double *tat_ms, long long now_ms, long n, long long period_ms,
                  struct gw_gcra *out)
{
    double interval = (double)period_ms / (double)n;
    double now = (double)now_ms;
    double tat = *tat_ms > now ? *tat_ms : now;
    double new_tat = tat + interval;
    double allow_at = new_tat - (double)period_ms;

    if (allow_at > now) {
        out->allowed = 0;
        out->remaining = 0;
        out->reset_ms = (long long)ceil(tat - now);
        out->retry_ms = (long long)ceil(allow_at - now);
        return;
    }
    *tat_ms = new_tat;
    out->allowed = 1;
    out->remaining = (long long)floor(((double)period_ms - (new_tat - now)) / interval + 1e-9);
    out->reset_ms = (long long)ceil(new_tat - now);
    out->retry_ms = 0;
}

static uint64_t hash64(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h != 0 ? h : 1;
}

static int table_init(struct table *t, size_t entries)
{
    t->nsets = entries / WAYS;
    t->e = calloc(t->nsets * WAYS, sizeof(*t->e));
    return t->e != NULL ? VALOR_OK : VALOR_E_NOMEM;
}

/* The way holding `h`, or the way to evict for it. Caller holds the stripe. */
static struct entry *table_slot(struct table *t, uint64_t h, long long now_ms, int *found)
{
    struct entry *set = &t->e[(h % t->nsets) * WAYS], *victim = &set[0];
    for (int i = 0; i < WAYS; i++) {
        if (set[i].hash == h && set[i].expires_ms > now_ms) {
            *found = 1;
            return &set[i];
        }
        if (set[i].hash == 0 || set[i].expires_ms <= now_ms) {
            victim = &set[i];
            break;
        }
        if (set[i].expires_ms < victim->expires_ms)
            victim = &set[i];
    }
    *found = 0;
    return victim;
}

static pthread_mutex_t *stripe(struct gw_rl_local *t, const struct table *tab, uint64_t h)
{
    return &t->lock[(h % tab->nsets) % STRIPES];
}

int gw_rl_local_new(size_t entries, struct gw_rl_local **out)
{
    struct gw_rl_local *t = calloc(1, sizeof(*t));
    *out = NULL;
    if (t == NULL)
        return VALOR_E_NOMEM;
    if (entries < 64)
        entries = 64;
    if (table_init(&t->limits, entries) != VALOR_OK) {
        gw_rl_local_free(t);
        return VALOR_E_NOMEM;
    }
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&t->lock[i], NULL);
    *out = t;
    return VALOR_OK;
}

void gw_rl_local_free(struct gw_rl_local *t)
{
    if (t == NULL)
        return;
    if (t->limits.e != NULL)
        for (int i = 0; i < STRIPES; i++)
            pthread_mutex_destroy(&t->lock[i]);
    free(t->limits.e);
    free(t);
}

void gw_rl_local_check(struct gw_rl_local *t, const char *key, long n, long long period_ms,
                       long long now_ms, struct gw_gcra *out)
{
    uint64_t h = hash64(key);
    pthread_mutex_t *m = stripe(t, &t->limits, h);
    int found;

    pthread_mutex_lock(m);
    struct entry *e = table_slot(&t->limits, h, now_ms, &found);
    double tat = found ? e->tat_ms : 0;
    gw_gcra_step(&tat, now_ms, n, period_ms, out);
    if (out->allowed || found) {
        e->hash = h;
        e->tat_ms = tat;
        e->expires_ms = (long long)ceil(tat);
    }
    pthread_mutex_unlock(m);
}
