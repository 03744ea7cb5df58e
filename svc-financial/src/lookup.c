/* lookup: store → cache → Alpha Vantage (see lookup.h).
 *
 * One provider call per ticker across every replica: within a process the
 * single-flight table (sflight.h) elects one leader; across replicas the
 * leaders race for a short Redis lock (SET NX PX, FIN_LOCK_PREFIX<ticker>,
 * its lifetime the provider's worst case). The winner calls Alpha Vantage and
 * caches the company before it releases the lock; the others wait on the
 * cache while the lock lives. A lock that vanishes without a cached company
 * (the winner failed) lets one waiter try in its turn; Redis being down
 * leaves each replica to its own single flight. */
#include "lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "company.h"
#include "provider_av.h"
#include "service.h"
#include "sflight.h"
#include "store.h"
#include "valor/bus.h"
#include "valor/clock.h"
#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/kv.h"
#include "valor/log.h"

#include <unistd.h>

#define FIN_LOCK_PREFIX "valor:fin:fetch:"
#define FIN_LOCK_POLL_MS 25
#define FIN_AV_CALLS 4 /* OVERVIEW, INCOME_STATEMENT, BALANCE_SHEET, CASH_FLOW */

static int from_store(struct fin_service *fs, struct http_ctx *ctx, const char *ticker,
                      struct fin_found *found)
{
    struct db_conn *conn = NULL;
    int rc = db_acquire(fs->svc->db, &conn);
    if (rc != VALOR_OK)
        return rc;
    rc = fin_store_get_company(conn, ctx->tenant, ticker, &found->company, found->source,
                               found->as_of);
    db_release(conn);
    return rc;
}

/* The cached company JSON, or NULL (miss, Redis down, or unusable entry). */
static json_t *cache_get(struct fin_service *fs, const char *ticker)
{
    char key[64];
    const char *argv[2] = {"GET", key};
    size_t len[2];
    redisReply *r = NULL;
    struct kv_client *kv = kv_pool_get(fs->svc->kv);
    json_t *j = NULL, *norm = NULL;
    const char *cite;
    struct jsonv_err e;

    snprintf(key, sizeof(key), "%s%s", FIN_CACHE_PREFIX, ticker);
    len[0] = 3;
    len[1] = strlen(key);
    if (kv == NULL || kv_command_argv(kv, 2, argv, len, &r) != VALOR_OK)
        return NULL;
    if (r->type == REDIS_REPLY_STRING)
        j = json_loadb(r->str, r->len, JSON_REJECT_DUPLICATES, NULL);
    freeReplyObject(r);
    /* what comes back from Redis is validated like an upload */
    if (j != NULL && fin_company_normalize(j, ticker, &norm, &cite, &e) != VALOR_OK)
        norm = NULL;
    json_decref(j);
    return norm;
}

static void cache_put(struct fin_service *fs, const char *ticker, const json_t *company)
{
    char key[64], ttl[24];
    char *text = json_dumps(company, JSON_COMPACT);
    const char *argv[5] = {"SET", key, text, "EX", ttl};
    size_t len[5];
    redisReply *r = NULL;
    struct kv_client *kv = kv_pool_get(fs->svc->kv);

    if (text == NULL || kv == NULL)
        goto out;
    snprintf(key, sizeof(key), "%s%s", FIN_CACHE_PREFIX, ticker);
    snprintf(ttl, sizeof(ttl), "%ld", fs->cache_ttl_s);
    for (int i = 0; i < 5; i++)
        len[i] = strlen(argv[i]);
    if (kv_command_argv(kv, 5, argv, len, &r) == VALOR_OK)
        freeReplyObject(r);
    else
        log_warn(NULL, "cache", "could not cache %s in Redis", ticker);
out:
    free(text);
}

static void lock_key(const char *ticker, char key[64])
{
    snprintf(key, 64, "%s%s", FIN_LOCK_PREFIX, ticker);
}

/* The fleet's lock on fetching ticker: VALOR_OK (ours, token set),
 * VALOR_E_CONFLICT (another replica holds it), VALOR_E_UNAVAILABLE. */
static int lock_take(struct fin_service *fs, const char *ticker, char token[CRYPTO_UUID_LEN])
{
    struct kv_client *kv = kv_pool_get(fs->svc->kv);
    char key[64];
    lock_key(ticker, key);
    /* the provider's worst case: every call waits for both timeouts */
    return kv != NULL
               ? kv_lock_take(kv, key,
                              FIN_AV_CALLS * (fs->av.connect_timeout_ms + fs->av.timeout_ms) + 1000,
                              token)
               : VALOR_E_UNAVAILABLE;
}

static void lock_release(struct fin_service *fs, const char *ticker, const char *token)
{
    struct kv_client *kv = kv_pool_get(fs->svc->kv);
    char key[64];
    lock_key(ticker, key);
    if (kv != NULL)
        kv_lock_release(kv, key, token);
}

/* 1 while another replica holds the lock on ticker (0 gone, or Redis down). */
static int lock_held(struct fin_service *fs, const char *ticker)
{
    struct kv_client *kv = kv_pool_get(fs->svc->kv);
    char key[64];
    lock_key(ticker, key);
    return kv != NULL && kv_exists(kv, key) == 1;
}

/* Waits while another replica fetches ticker; its company from the cache, or
 * NULL when its lock went without one. */
static json_t *await_other(struct fin_service *fs, const char *ticker)
{
    json_t *company;
    while ((company = cache_get(fs, ticker)) == NULL && lock_held(fs, ticker))
        usleep(FIN_LOCK_POLL_MS * 1000);
    return company != NULL ? company : cache_get(fs, ticker);
}

/* Writes a fetched company to the shared store with a company.updated event
 * for the tenant whose request fetched it. */
static int save(struct fin_service *fs, struct http_ctx *ctx, const json_t *company)
{
    struct db_conn *conn = NULL;
    int changed = 0, rc;
    const char *ticker = json_string_value(json_object_get(company, "ticker"));

    if ((rc = db_acquire(fs->svc->db, &conn)) != VALOR_OK)
        return rc;
    if ((rc = db_begin(conn)) != VALOR_OK)
        goto out;
    rc = fin_store_put_company(conn, NULL, company, "alpha_vantage",
                               "Alpha Vantage (OVERVIEW, INCOME_STATEMENT, BALANCE_SHEET, "
                               "CASH_FLOW)",
                               &changed);
    if (rc == VALOR_OK && changed) {
        json_t *data = json_pack("{s:s, s:s, s:s}", "ticker", ticker, "scope", "shared", "change",
                                 "alpha_vantage");
        struct bus_event ev = {.type = "company.updated",
                               .tenant = ctx->tenant,
                               .user_id = ctx->user,
                               .entity_id = ticker,
                               .request_id = ctx->request_id,
                               .data = data};
        rc = bus_outbox_add(conn, &ev, NULL);
        json_decref(data);
    }
    rc = rc == VALOR_OK ? db_commit(conn) : rc;
    if (rc == VALOR_OK && changed)
        bus_publisher_kick(fs->svc->publisher);
out:
    db_release(conn);
    return rc;
}

/* The process leader's work: cache, else (holding the fleet's lock, or
 * after another replica's attempt failed) upstream; then the store. */
static int fetch(struct fin_service *fs, struct http_ctx *ctx, const char *ticker,
                 struct fin_upstream_err *uerr)
{
    json_t *company = cache_get(fs, ticker);
    char token[CRYPTO_UUID_LEN];
    int rc = VALOR_OK, lock = VALOR_E_UNAVAILABLE;

    /* another replica fetching: wait for it; it failed: our turn (a few times at most) */
    for (int turn = 0; company == NULL && turn < 3; turn++) {
        if ((lock = lock_take(fs, ticker, token)) != VALOR_E_CONFLICT)
            break;
        company = await_other(fs, ticker);
    }
    if (company == NULL) {
        if (lock == VALOR_E_UNAVAILABLE)
            log_warn(&ctx->log, "fetch_lock",
                     "Redis unavailable: fetching %s without the fleet "
                     "lock",
                     ticker);
        log_info(&ctx->log, "alpha_vantage_fetch", "fetching %s from Alpha Vantage", ticker);
        rc = fin_av_fetch_company(&fs->av, ticker, &company, uerr);
        if (rc == VALOR_OK)
            cache_put(fs, ticker, company); /* before the lock goes: waiters read it */
    }
    if (lock == VALOR_OK)
        lock_release(fs, ticker, token);
    if (rc == VALOR_OK)
        rc = save(fs, ctx, company);
    json_decref(company);
    return rc;
}

int fin_lookup_company(struct fin_service *fs, struct http_ctx *ctx, const char *ticker,
                       struct fin_found *found, struct fin_upstream_err *uerr)
{
    struct fin_flight *f;
    int leader = 0, rc;

    memset(found, 0, sizeof(*found));
    rc = from_store(fs, ctx, ticker, found);
    if (rc != VALOR_E_NOT_FOUND || fs->av_key == NULL)
        return rc;

    if ((f = fin_sflight_join(fs->sflight, ticker, &leader)) == NULL)
        return VALOR_E_NOMEM;
    if (leader) {
        /* a flight that ended between our store miss and the join wrote it */
        rc = from_store(fs, ctx, ticker, found);
        int have = rc == VALOR_OK;
        if (rc == VALOR_E_NOT_FOUND)
            rc = fetch(fs, ctx, ticker, uerr);
        fin_sflight_finish(fs->sflight, f, rc, uerr);
        fin_sflight_leave(fs->sflight, f);
        if (have)
            return VALOR_OK;
    } else {
        rc = fin_sflight_wait(fs->sflight, f, uerr);
        fin_sflight_leave(fs->sflight, f);
    }
    if (rc == VALOR_OK)
        rc = from_store(fs, ctx, ticker, found);
    return rc;
}
