/* revoke: the local revocation set, its NATS feed, and the one check every
 * process makes (see revoke.h). */
#include "valor/revoke.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "valor/bus.h"
#include "valor/clock.h"
#include "valor/err.h"
#include "valor/jtiset.h"
#include "valor/kv.h"
#include "valor/log.h"
#include "valor/metrics.h"

#define REVOKE_SUBJECT BUS_SUBJECT_PREFIX ".*." REVOKE_EVENT_TYPE
#define FEED_RETRY_MS 500
#define SUB_CLOSE_WAIT_MS 5000 /* a hang guard: the close is immediate unless a callback hangs */

struct revoke {
    struct revoke_opts o;
    struct jtiset *set;
    struct metrics_family *entries, *events, *dropped, *redis_unavailable;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t feeder;
    int feeder_started;
    int stopping;
    natsSubscription *sub; /* set once subscribed */
    int sub_done;          /* the library is done with sub: no callback runs any more */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void add(struct revoke *r, const char *jti, long long exp_s)
{
    long long until = (exp_s + r->o.leeway_s) * 1000;
    int rc = jtiset_add(r->set, jti, until, now_ms());

    if (rc == VALOR_E_NOMEM) {
        metrics_counter_add(r->dropped, NULL, 1);
        log_error(NULL, "revocations_local_full",
                  "local revocation set full (%zu live entries, REVOCATION_LOCAL_MAX): a "
                  "revocation is known only to Redis",
                  r->o.max_entries);
    }
    metrics_gauge_set(r->entries, NULL, (double)jtiset_size(r->set));
}

int revoke_take_event(struct revoke *r, const char *json, size_t len)
{
    json_t *ev = json_loadb(json, len, 0, NULL), *tok;
    json_t *toks = json_object_get(json_object_get(ev, "data"), REVOKE_EVENT_FIELD);
    size_t i;
    int n = 0;

    json_array_foreach(toks, i, tok)
    {
        const char *jti = json_string_value(json_object_get(tok, "jti"));
        json_t *exp = json_object_get(tok, "exp");
        if (jti == NULL || *jti == '\0' || !json_is_integer(exp))
            continue;
        add(r, jti, (long long)json_integer_value(exp));
        n++;
    }
    metrics_counter_add(r->events, NULL, 1);
    json_decref(ev);
    return n;
}

static void on_event(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    revoke_take_event(closure, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
}

/* The subscription is closed and its last callback has returned (the
 * library's delivery thread): r may go. */
static void on_sub_complete(void *closure)
{
    struct revoke *r = closure;
    pthread_mutex_lock(&r->mu);
    r->sub_done = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* An ordered consumer of every tenant's session.revoked, from replay_s ago:
 * what was revoked before this process started, then each revocation live.
 * The client library re-creates it after a reconnect or a gap. */
static int subscribe(struct revoke *r, jsCtx *js, natsSubscription **sub)
{
    jsSubOptions so;
    jsErrCode jerr = 0;

    jsSubOptions_Init(&so);
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverByStartTime;
    so.Config.OptStartTime = ((int64_t)time(NULL) - r->o.replay_s) * 1000000000LL;
    natsStatus s = js_Subscribe(sub, js, REVOKE_SUBJECT, on_event, r, NULL, &so, &jerr);
    if (s != NATS_OK) {
        *sub = NULL;
        return VALOR_E_UNAVAILABLE;
    }
    /* before any unsubscribe: revoke_free() waits for it */
    natsSubscription_SetOnCompleteCB(*sub, on_sub_complete, r);
    log_info(NULL, "revocations_feed", "following %s from %d s ago", REVOKE_SUBJECT, r->o.replay_s);
    return VALOR_OK;
}

/* Subscribes as soon as NATS is connected and the stream exists. */
static void *feed_main(void *arg)
{
    struct revoke *r = arg;
    struct timespec dl;

    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        jsCtx *js = bus_connected(r->o.bus) ? bus_js(r->o.bus) : NULL;
        if (js != NULL) {
            natsSubscription *sub = NULL;
            pthread_mutex_unlock(&r->mu);
            int rc = subscribe(r, js, &sub);
            pthread_mutex_lock(&r->mu);
            if (rc == VALOR_OK) {
                r->sub = sub;
                break;
            }
        }
        clock_deadline(&dl, FEED_RETRY_MS);
        pthread_cond_timedwait(&r->cv, &r->mu, &dl);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static int add_metrics(struct revoke *r, struct metrics_registry *reg)
{
    int rc = metrics_family_new(reg, METRICS_GAUGE, "revocations_local",
                                "Revoked access tokens held in this process's local set.", 0, NULL,
                                NULL, 0, &r->entries);
    if (rc == VALOR_OK)
        rc = metrics_family_new(reg, METRICS_COUNTER, "revocation_events_total",
                                "session.revoked events taken into the local set.", 0, NULL, NULL,
                                0, &r->events);
    if (rc == VALOR_OK)
        rc = metrics_family_new(reg, METRICS_COUNTER, "revocations_local_dropped_total",
                                "Revocations not held locally because the set was full.", 0, NULL,
                                NULL, 0, &r->dropped);
    if (rc == VALOR_OK && r->o.kv != NULL)
        rc = metrics_family_new(reg, METRICS_COUNTER, "revocation_redis_unavailable_total",
                                "Token checks Redis could not answer (the local set decided).", 0,
                                NULL, NULL, 0, &r->redis_unavailable);
    return rc;
}

int revoke_new(const struct revoke_opts *o, struct revoke **out)
{
    struct revoke *r = calloc(1, sizeof(*r));
    int rc = VALOR_OK;

    *out = NULL;
    if (r == NULL)
        return VALOR_E_NOMEM;
    r->o = *o;
    pthread_mutex_init(&r->mu, NULL);
    clock_cond_init(&r->cv);
    r->set = jtiset_new(o->max_entries);
    if (r->set == NULL)
        rc = VALOR_E_NOMEM;
    if (rc == VALOR_OK && o->reg != NULL)
        rc = add_metrics(r, o->reg);
    if (rc == VALOR_OK && o->bus != NULL) {
        if (pthread_create(&r->feeder, NULL, feed_main, r) != 0)
            rc = VALOR_E_INTERNAL;
        else
            r->feeder_started = 1;
    }
    if (rc != VALOR_OK) {
        revoke_free(r);
        return rc;
    }
    *out = r;
    return VALOR_OK;
}

void revoke_free(struct revoke *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->feeder_started)
        pthread_join(r->feeder, NULL);
    if (r->sub != NULL) {
        /* Unsubscribing does not wait for a callback in progress on the
         * library's delivery thread (a replayed event being added to the
         * set): wait until the library says it is done with r. */
        struct timespec dl;
        int done;
        natsSubscription_Unsubscribe(r->sub);
        clock_deadline(&dl, SUB_CLOSE_WAIT_MS);
        pthread_mutex_lock(&r->mu);
        while (!r->sub_done && pthread_cond_timedwait(&r->cv, &r->mu, &dl) == 0)
            ;
        done = r->sub_done;
        pthread_mutex_unlock(&r->mu);
        natsSubscription_Destroy(r->sub);
        if (!done) {
            log_error(NULL, "revocations_feed",
                      "the feed's subscription did not close; leaking the revocation set");
            return;
        }
    }
    jtiset_free(r->set);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int revoke_local_has(struct revoke *r, const char *jti)
{
    return jtiset_has(r->set, jti, now_ms());
}

void revoke_local_add(struct revoke *r, const char *jti, long long exp_s)
{
    add(r, jti, exp_s);
}

size_t revoke_local_size(struct revoke *r)
{
    return jtiset_size(r->set);
}

/* 1 on Redis' denylist, 0 not, VALOR_E_UNAVAILABLE when Redis cannot say. */
static int redis_has(struct kv_pool *kv, const char *jti)
{
    char key[128];
    const char *argv[2] = {"EXISTS", key};
    size_t argvlen[2];
    redisReply *reply = NULL;
    struct kv_client *c = kv_pool_get(kv);
    int rc;

    if (c == NULL || kv_denylist_key(jti, key, sizeof(key)) != VALOR_OK)
        return VALOR_E_UNAVAILABLE;
    argvlen[0] = strlen(argv[0]);
    argvlen[1] = strlen(key);
    rc = kv_command_argv(c, 2, argv, argvlen, &reply);
    if (rc != VALOR_OK)
        return rc;
    rc = reply->type == REDIS_REPLY_INTEGER ? reply->integer > 0 : VALOR_E_UNAVAILABLE;
    freeReplyObject(reply);
    return rc;
}

int revoke_check(struct revoke *r, const char *jti, long long exp_s)
{
    if (revoke_local_has(r, jti))
        return 1;
    if (r->o.kv == NULL)
        return 0;
    int rc = redis_has(r->o.kv, jti);
    if (rc == 1) {
        add(r, jti, exp_s); /* asked once, known locally from now on */
        return 1;
    }
    if (rc < 0) {
        metrics_counter_add(r->redis_unavailable, NULL, 1);
        log_warn(NULL, "denylist_unavailable",
                 "Redis cannot say whether a token is revoked: the local set decided");
    }
    return 0;
}
