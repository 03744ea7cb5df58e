/* jtiset: the bounded set of revoked token ids (see jtiset.h).
 *
 * Open addressing with linear probing over a power-of-two table kept at most
 * half full, so a probe ends at an empty slot quickly. Entries are never
 * removed one by one: an expired entry reads as absent and is dropped when
 * the table is rebuilt (on growth, or when the set reaches its bound).
 */
#include "valor/jtiset.h"

#include <gnutls/crypto.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "valor/err.h"

#define MIN_SLOTS 1024

struct slot {
    uint8_t id[16];
    long long until_ms; /* 0: empty */
};

struct jtiset {
    pthread_rwlock_t lock;
    struct slot *slots;
    size_t nslots;    /* a power of two */
    size_t max_slots; /* the table never grows past this */
    size_t used;      /* slots taken, live or expired */
    /* a copy of used readable without the lock: jtiset_has() on an empty set
     * (the usual case, checked on every request) skips the hash and the lock */
    atomic_size_t used_hint;
    size_t max; /* live entries allowed */
    size_t dropped;
    /* no entry expires before this: a full set whose entries all still live
     * is not scanned again on every add (that would cost a rebuild each) */
    long long first_expiry_ms;
};

static void key_of(const char *jti, uint8_t id[16])
{
    uint8_t md[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, jti, strlen(jti), md) < 0)
        memset(md, 0, sizeof(md)); /* cannot happen for SHA-256; stays deterministic */
    memcpy(id, md, 16);
}

/* The slot holding id, or the empty slot where it would go. */
static struct slot *probe(struct slot *slots, size_t nslots, const uint8_t id[16])
{
    uint64_t h;
    memcpy(&h, id, sizeof(h));
    for (size_t i = h & (nslots - 1);; i = (i + 1) & (nslots - 1))
        if (slots[i].until_ms == 0 || memcmp(slots[i].id, id, 16) == 0)
            return &slots[i];
}

/* Rebuilds the table with nslots slots, keeping only entries live at now. */
static int rebuild(struct jtiset *s, size_t nslots, long long now_ms)
{
    struct slot *fresh = calloc(nslots, sizeof(*fresh));
    long long first = LLONG_MAX;
    size_t used = 0;

    if (fresh == NULL)
        return VALOR_E_NOMEM;
    for (size_t i = 0; i < s->nslots; i++) {
        if (s->slots[i].until_ms <= now_ms)
            continue;
        *probe(fresh, nslots, s->slots[i].id) = s->slots[i];
        used++;
        if (s->slots[i].until_ms < first)
            first = s->slots[i].until_ms;
    }
    s->first_expiry_ms = first;
    free(s->slots);
    s->slots = fresh;
    s->nslots = nslots;
    s->used = used;
    atomic_store(&s->used_hint, used);
    return VALOR_OK;
}

struct jtiset *jtiset_new(size_t max)
{
    struct jtiset *s = calloc(1, sizeof(*s));
    if (s == NULL || max == 0)
        goto fail;
    s->max = max;
    s->max_slots = MIN_SLOTS;
    while (s->max_slots / 2 < max)
        s->max_slots *= 2;
    s->nslots = MIN_SLOTS;
    s->first_expiry_ms = LLONG_MAX;
    s->slots = calloc(s->nslots, sizeof(*s->slots));
    if (s->slots == NULL || pthread_rwlock_init(&s->lock, NULL) != 0)
        goto fail;
    return s;
fail:
    if (s != NULL)
        free(s->slots);
    free(s);
    return NULL;
}

void jtiset_free(struct jtiset *s)
{
    if (s == NULL)
        return;
    pthread_rwlock_destroy(&s->lock);
    free(s->slots);
    free(s);
}

/* Makes room for one more entry; the caller holds the write lock. */
static int make_room(struct jtiset *s, long long now_ms)
{
    if (s->used + 1 > s->max && now_ms >= s->first_expiry_ms &&
        rebuild(s, s->nslots, now_ms) != VALOR_OK)
        return VALOR_E_NOMEM;
    if (s->used + 1 > s->max)
        return VALOR_E_NOMEM;
    if (s->used + 1 > s->nslots / 2)
        return rebuild(s, s->nslots < s->max_slots ? s->nslots * 2 : s->nslots, now_ms);
    return VALOR_OK;
}

int jtiset_add(struct jtiset *s, const char *jti, long long until_ms, long long now_ms)
{
    uint8_t id[16];
    struct slot *e;
    int rc = VALOR_OK;

    if (until_ms <= now_ms)
        return VALOR_E_INVALID;
    key_of(jti, id);
    pthread_rwlock_wrlock(&s->lock);
    e = probe(s->slots, s->nslots, id);
    if (e->until_ms == 0) {
        rc = make_room(s, now_ms);
        if (rc != VALOR_OK) {
            s->dropped++;
            goto out;
        }
        e = probe(s->slots, s->nslots, id);
        memcpy(e->id, id, sizeof(id));
        s->used++;
        atomic_store(&s->used_hint, s->used);
        if (until_ms < s->first_expiry_ms)
            s->first_expiry_ms = until_ms;
    }
    if (until_ms > e->until_ms)
        e->until_ms = until_ms;
out:
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

int jtiset_has(struct jtiset *s, const char *jti, long long now_ms)
{
    uint8_t id[16];
    int has;

    /* an add that races this call is ordered after it */
    if (atomic_load(&s->used_hint) == 0)
        return 0;
    key_of(jti, id);
    pthread_rwlock_rdlock(&s->lock);
    const struct slot *e = probe(s->slots, s->nslots, id);
    has = e->until_ms > now_ms;
    pthread_rwlock_unlock(&s->lock);
    return has;
}

size_t jtiset_size(struct jtiset *s)
{
    pthread_rwlock_rdlock(&s->lock);
    size_t n = s->used;
    pthread_rwlock_unlock(&s->lock);
    return n;
}

size_t jtiset_dropped(struct jtiset *s)
{
    pthread_rwlock_rdlock(&s->lock);
    size_t n = s->dropped;
    pthread_rwlock_unlock(&s->lock);
    return n;
}
