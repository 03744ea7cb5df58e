/* reseed: rebuilds Redis' denylist from revoked_tokens (see reseed.h). */
#include "reseed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "valor/clock.h"
#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/kv.h"
#include "valor/log.h"
#include "valor/metrics.h"
#include "valor/svc.h"

#define LOCK_TTL_MS 60000
#define SEED_TIMEOUT_MS 5000 /* a round trip of RESEED_BATCH writes */
#define PURGE_EVERY_MS 60000

/* KEYS[1] the lock, KEYS[2] the marker; ARGV[1] our lock token, ARGV[2] the
 * marker's value. Sets the marker and releases the lock only if the lock is
 * still ours (a flush during the seed took it: the seed is incomplete). */
static const char finish_script[] = "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end\n"
                                    "redis.call('SET', KEYS[2], ARGV[2])\n"
                                    "redis.call('DEL', KEYS[1])\n"
                                    "return 1\n";

struct reseed {
    struct svc *svc;
    int check_ms;
    atomic_int dirty;
    struct metrics_family *runs, *entries, *seconds, *seeded;

    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

static int open_kv(const struct reseed *r, struct kv_client **out)
{
    struct kv_opts o = {.url = r->svc->cfg.redis_url, .command_timeout_ms = SEED_TIMEOUT_MS};
    return kv_open(&o, out);
}

/* Sets the marker and releases the lock if still ours: VALOR_OK,
 * VALOR_E_CONFLICT when the lock was lost meanwhile. */
static int lock_finish(struct kv_client *kv, const char *token, const char *marker)
{
    const char *argv[] = {"EVAL", finish_script, "2", RESEED_LOCK_KEY, RESEED_MARKER_KEY,
                          token,  marker};
    redisReply *reply = NULL;
    int rc = kv_command(kv, 7, argv, &reply);
    if (rc != VALOR_OK)
        return rc;
    rc = reply->type != REDIS_REPLY_INTEGER ? VALOR_E_UNAVAILABLE
         : reply->integer == 1              ? VALOR_OK
                                            : VALOR_E_CONFLICT;
    freeReplyObject(reply);
    return rc;
}

/* Every revocation still in force, RESEED_BATCH a pipeline. */
static int write_all(struct reseed *r, struct kv_client *kv, PGresult *res)
{
    const char *ids[RESEED_BATCH];
    long long ttl[RESEED_BATCH], now = (long long)time(NULL);
    int n = PQntuples(res), rc = VALOR_OK;

    for (int i = 0; i < n && rc == VALOR_OK; i += RESEED_BATCH) {
        int m = n - i < RESEED_BATCH ? n - i : RESEED_BATCH;
        for (int j = 0; j < m; j++) {
            ids[j] = PQgetvalue(res, i + j, 0);
            ttl[j] = strtoll(PQgetvalue(res, i + j, 1), NULL, 10) + r->svc->jwt.leeway_s - now;
        }
        rc = kv_denylist_put(kv, (size_t)m, ids, ttl);
    }
    return rc;
}

static int seed(struct reseed *r, struct kv_client *kv, long *entries)
{
    char token[CRYPTO_UUID_LEN], leeway[16], marker[24];
    struct db_conn *c = NULL;
    PGresult *res = NULL;
    int rc;

    *entries = 0;
    if ((rc = kv_lock_take(kv, RESEED_LOCK_KEY, LOCK_TTL_MS, token)) != VALOR_OK)
        return rc;
    snprintf(leeway, sizeof(leeway), "%d", r->svc->jwt.leeway_s);
    const char *v[] = {leeway};
    rc = db_acquire(r->svc->db, &c);
    if (rc == VALOR_OK)
        rc = db_exec(c,
                     "SELECT jti::text, extract(epoch FROM expires_at)::bigint FROM revoked_tokens "
                     "WHERE expires_at > now() - $1::int * interval '1 second'",
                     1, v, &res);
    if (rc == VALOR_OK)
        rc = write_all(r, kv, res);
    if (rc == VALOR_OK) {
        *entries = PQntuples(res);
        snprintf(marker, sizeof(marker), "%lld", (long long)time(NULL));
        rc = lock_finish(kv, token, marker);
    } else {
        kv_lock_release(kv, RESEED_LOCK_KEY, token); /* let another try at once */
    }
    PQclear(res);
    if (c != NULL)
        db_release(c);
    return rc;
}

/* Seeds, with the log lines and metrics of one re-seed. */
static int seed_logged(struct reseed *r, struct kv_client *kv, const char *why)
{
    double t0 = clock_mono_ms();
    long n = 0;
    int rc = seed(r, kv, &n);
    double secs = (clock_mono_ms() - t0) / 1000;

    if (rc == VALOR_OK) {
        metrics_counter_add(r->runs, NULL, 1);
        metrics_gauge_set(r->entries, NULL, (double)n);
        metrics_gauge_set(r->seconds, NULL, secs);
        metrics_gauge_set(r->seeded, NULL, 1);
        log_info(NULL, "revocation_reseeded",
                 "Redis re-seeded with %ld revocations in force in %.0f ms (%s)", n, secs * 1000,
                 why);
    } else if (rc != VALOR_E_CONFLICT) {
        log_warn(NULL, "revocation_reseed_failed", "re-seeding Redis failed (%s): retrying",
                 valor_err_name(rc));
    }
    return rc;
}

static void purge(struct reseed *r)
{
    struct db_conn *c = NULL;
    if (db_acquire(r->svc->db, &c) != VALOR_OK)
        return;
    db_exec(c, "DELETE FROM revoked_tokens WHERE expires_at < now() - interval '1 day'", 0, NULL,
            NULL);
    db_release(c);
}

static void *reseed_main(void *arg)
{
    struct reseed *r = arg;
    struct kv_client *kv = NULL;
    struct timespec dl;
    double last_purge = 0;
    int was_down = 0, announced = 0;

    if (open_kv(r, &kv) != VALOR_OK)
        return NULL; /* the URL was validated at start-up */
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        pthread_mutex_unlock(&r->mu);
        int present = kv_exists(kv, RESEED_MARKER_KEY);
        const char *why = present == 0
                              ? "its copy was missing: restarted empty, flushed or failed over"
                          : was_down               ? "it answers again after an outage"
                          : atomic_load(&r->dirty) ? "a denylist write had failed"
                                                   : NULL;
        if (present < 0) {
            if (!was_down)
                metrics_gauge_set(r->seeded, NULL, 0);
            was_down = 1;
        } else if (why != NULL) {
            if (present == 0 && !announced) {
                metrics_gauge_set(r->seeded, NULL, 0);
                log_warn(NULL, "revocation_reseed_needed", "Redis holds no revocation copy (%s)",
                         why);
                announced = 1;
            }
            atomic_store(&r->dirty, 0);
            if (seed_logged(r, kv, why) == VALOR_OK)
                was_down = announced = 0;
            else if (present != 0)
                atomic_store(&r->dirty, 1); /* try again next turn */
        } else {
            announced = 0; /* complete (maybe seeded by another replica) */
            metrics_gauge_set(r->seeded, NULL, 1);
        }
        if (clock_mono_ms() - last_purge >= PURGE_EVERY_MS) {
            purge(r);
            last_purge = clock_mono_ms();
        }
        pthread_mutex_lock(&r->mu);
        if (r->stop)
            break;
        clock_deadline(&dl, r->check_ms);
        pthread_cond_timedwait(&r->cv, &r->mu, &dl);
    }
    pthread_mutex_unlock(&r->mu);
    kv_close(kv);
    return NULL;
}

int reseed_start(struct svc *s, int check_ms, struct reseed **out)
{
    struct reseed *r = calloc(1, sizeof(*r));
    int rc = VALOR_OK;

    *out = NULL;
    if (r == NULL)
        return VALOR_E_NOMEM;
    r->svc = s;
    r->check_ms = check_ms < 10 ? 10 : check_ms;
    pthread_mutex_init(&r->mu, NULL);
    clock_cond_init(&r->cv);
    if (s->metrics != NULL) {
        rc = metrics_family_new(s->metrics, METRICS_COUNTER, "revocation_reseeds_total",
                                "Times Redis' denylist was re-seeded from PostgreSQL.", 0, NULL,
                                NULL, 0, &r->runs);
        if (rc == VALOR_OK)
            rc = metrics_family_new(s->metrics, METRICS_GAUGE, "revocation_reseed_entries",
                                    "Revocations written by the last re-seed.", 0, NULL, NULL, 0,
                                    &r->entries);
        if (rc == VALOR_OK)
            rc = metrics_family_new(s->metrics, METRICS_GAUGE, "revocation_reseed_seconds",
                                    "Duration of the last re-seed.", 0, NULL, NULL, 0, &r->seconds);
        if (rc == VALOR_OK)
            rc = metrics_family_new(s->metrics, METRICS_GAUGE, "revocation_redis_seeded",
                                    "1 while Redis holds the complete revocation copy.", 0, NULL,
                                    NULL, 0, &r->seeded);
    }
    if (rc == VALOR_OK && pthread_create(&r->thread, NULL, reseed_main, r) != 0)
        rc = VALOR_E_INTERNAL;
    if (rc != VALOR_OK) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return rc;
    }
    *out = r;
    return VALOR_OK;
}

void reseed_stop(struct reseed *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

void reseed_mark_dirty(struct reseed *r)
{
    if (r != NULL)
        atomic_store(&r->dirty, 1);
}

int reseed_now(struct reseed *r, long *entries)
{
    struct kv_client *kv = NULL;
    double t0 = clock_mono_ms();
    int rc = open_kv(r, &kv);
    /* the thread (or another replica) may hold the lock for a while */
    if (rc == VALOR_OK)
        while ((rc = seed(r, kv, entries)) == VALOR_E_CONFLICT && clock_mono_ms() - t0 < 60000)
            usleep(10 * 1000);
    kv_close(kv);
    return rc;
}
