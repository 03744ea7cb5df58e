/* audit_consumer: durable JetStream pull consumer → audit_events (see
 * audit_consumer.h). */
#include "audit_consumer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "valor/bus.h"
#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/log.h"

#define FETCH_BATCH 64
#define FETCH_WAIT_MS 500
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define ACK_WAIT_NS (30LL * 1000 * 1000 * 1000)
#define RESUBSCRIBE_AFTER 3 /* consecutive fetch errors while connected */

struct audit_consumer {
    struct bus *bus;
    struct db_pool *pool;
    char durable[64];
    /* Set and destroyed by the consumer thread only; under mu so that
     * stop() can close it to end a Fetch that is waiting. */
    natsSubscription *sub;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stop;
};

int audit_store(struct db_pool *pool, const char *payload, size_t len)
{
    struct db_conn *c = NULL;
    json_error_t jerr;
    json_t *ev = json_loadb(payload, len, 0, &jerr);
    const char *id, *type, *tenant;
    int rc = VALOR_E_INVALID;

    if (!json_is_object(ev))
        goto out;
    id = json_string_value(json_object_get(ev, "id"));
    type = json_string_value(json_object_get(ev, "type"));
    tenant = json_string_value(json_object_get(ev, "tenant"));
    if (id == NULL || !crypto_is_uuid(id) || type == NULL || tenant == NULL)
        goto out;
    const char *v[] = {id,
                       tenant,
                       type,
                       json_string_value(json_object_get(ev, "user_id")),
                       json_string_value(json_object_get(ev, "entity_id")),
                       json_string_value(json_object_get(ev, "occurred_at")),
                       NULL};
    /* payload is not NUL-terminated by contract: re-dump the parsed event */
    char *text = json_dumps(ev, JSON_COMPACT);
    if (text == NULL) {
        rc = VALOR_E_NOMEM;
        goto out;
    }
    v[6] = text;
    if ((rc = db_acquire(pool, &c)) == VALOR_OK) {
        rc = db_exec(c,
                     "INSERT INTO audit_events "
                     "(event_id, tenant, type, user_id, entity_id, occurred_at, payload) "
                     "VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz, $7::jsonb) "
                     "ON CONFLICT (event_id) DO NOTHING",
                     7, v, NULL);
        db_release(c);
    }
    free(text);
out:
    json_decref(ev);
    return rc;
}

static void set_deadline(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Sleeps ms unless stopped; returns 1 when stopping. */
static int pause_ms(struct audit_consumer *ac, int ms)
{
    struct timespec dl;
    int stop;
    set_deadline(&dl, ms);
    pthread_mutex_lock(&ac->mu);
    while (!ac->stop)
        if (pthread_cond_timedwait(&ac->cond, &ac->mu, &dl) == ETIMEDOUT)
            break;
    stop = ac->stop;
    pthread_mutex_unlock(&ac->mu);
    return stop;
}

static int stopping(struct audit_consumer *ac)
{
    pthread_mutex_lock(&ac->mu);
    int stop = ac->stop;
    pthread_mutex_unlock(&ac->mu);
    return stop;
}

/* Creates the durable consumer unless it exists. Subscribing to a consumer
 * that exists binds to it, and a binding never deletes the consumer when it
 * is unsubscribed: stop() relies on that. */
static int ensure_consumer(struct audit_consumer *ac, jsCtx *js)
{
    jsConsumerConfig cc;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    jsConsumerConfig_Init(&cc);
    cc.Durable = ac->durable;
    cc.AckPolicy = js_AckExplicit;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckWait = ACK_WAIT_NS;
    cc.MaxAckPending = 1000;
    cc.FilterSubject = BUS_SUBJECT_PREFIX ".>";
    s = js_AddConsumer(&ci, js, BUS_STREAM, &cc, NULL, &jerr);
    if (s != NATS_OK) /* already there (another replica, an earlier run)? */
        s = js_GetConsumerInfo(&ci, js, BUS_STREAM, ac->durable, NULL, &jerr);
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK) {
        log_warn(NULL, "audit_consumer", "consumer %s not ready: %s (js error %d), retrying",
                 ac->durable, natsStatus_GetText(s), (int)jerr);
        return VALOR_E_UNAVAILABLE;
    }
    return VALOR_OK;
}

static int subscribe(struct audit_consumer *ac)
{
    jsCtx *js = bus_js(ac->bus);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsErrCode jerr = 0;
    natsStatus s;

    if (js == NULL || !bus_connected(ac->bus) || ensure_consumer(ac, js) != VALOR_OK)
        return VALOR_E_UNAVAILABLE;
    jsSubOptions_Init(&so);
    so.Stream = BUS_STREAM;
    so.Config.Durable = ac->durable;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.DeliverPolicy = js_DeliverAll;
    so.Config.AckWait = ACK_WAIT_NS;
    so.Config.MaxAckPending = 1000;
    s = js_PullSubscribe(&sub, js, BUS_SUBJECT_PREFIX ".>", ac->durable, NULL, &so, &jerr);
    if (s != NATS_OK) {
        log_warn(NULL, "audit_consumer", "subscribe failed: %s (js error %d), retrying",
                 natsStatus_GetText(s), (int)jerr);
        return VALOR_E_UNAVAILABLE;
    }
    pthread_mutex_lock(&ac->mu);
    ac->sub = sub;
    if (ac->stop) /* stop() came first and found nothing to close */
        natsSubscription_Unsubscribe(sub);
    pthread_mutex_unlock(&ac->mu);
    log_info(NULL, "audit_consumer", "durable consumer %s subscribed", ac->durable);
    return VALOR_OK;
}

/* Closes and frees the subscription (consumer thread only); the durable
 * consumer stays on the server. */
static void drop_sub(struct audit_consumer *ac)
{
    pthread_mutex_lock(&ac->mu);
    natsSubscription *sub = ac->sub;
    ac->sub = NULL;
    pthread_mutex_unlock(&ac->mu);
    natsSubscription_Destroy(sub);
}

/* Handles one fetched batch; VALOR_E_UNAVAILABLE when the database failed
 * (the rest is nak'ed for redelivery). */
static int handle_batch(struct audit_consumer *ac, natsMsgList *list)
{
    int rc = VALOR_OK;
    for (int i = 0; i < list->Count; i++) {
        natsMsg *m = list->Msgs[i];
        if (rc != VALOR_OK) {
            natsMsg_Nak(m, NULL);
            continue;
        }
        rc = audit_store(ac->pool, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
        if (rc == VALOR_E_INVALID) {
            log_warn(NULL, "audit_consumer", "dropping a message on %s that is not an event",
                     natsMsg_GetSubject(m));
            rc = VALOR_OK;
        }
        if (rc == VALOR_OK)
            natsMsg_Ack(m, NULL);
        else
            natsMsg_Nak(m, NULL);
    }
    return rc;
}

static void *consumer_main(void *arg)
{
    struct audit_consumer *ac = arg;
    int backoff = BACKOFF_MIN_MS, errors = 0;

    while (!stopping(ac)) {
        if (ac->sub == NULL && subscribe(ac) != VALOR_OK) {
            if (pause_ms(ac, backoff))
                break;
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s = natsSubscription_Fetch(&list, ac->sub, FETCH_BATCH, FETCH_WAIT_MS, &jerr);
        if (s == NATS_OK) {
            errors = 0;
            int rc = handle_batch(ac, &list);
            natsMsgList_Destroy(&list);
            if (rc != VALOR_OK) {
                log_warn(NULL, "audit_consumer", "storing events failed (%s), retrying",
                         valor_err_name(rc));
                if (pause_ms(ac, backoff))
                    break;
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            } else {
                backoff = BACKOFF_MIN_MS;
            }
            continue;
        }
        natsMsgList_Destroy(&list);
        if (s == NATS_TIMEOUT)
            continue; /* nothing new */
        /* Disconnected: the library resubscribes on reconnect. Connected yet
         * failing: the consumer or the stream is gone — subscribe anew. */
        if (stopping(ac))
            break; /* stop() closed the subscription */
        if (bus_connected(ac->bus) && ++errors >= RESUBSCRIBE_AFTER) {
            log_warn(NULL, "audit_consumer", "fetch keeps failing (%s), re-subscribing",
                     natsStatus_GetText(s));
            drop_sub(ac);
            errors = 0;
        }
        if (pause_ms(ac, backoff))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    drop_sub(ac);
    return NULL;
}

int audit_consumer_start(struct bus *bus, struct db_pool *pool, const char *durable,
                         struct audit_consumer **out)
{
    struct audit_consumer *ac;
    pthread_condattr_t ca;

    *out = NULL;
    if (bus == NULL || pool == NULL || durable == NULL || strlen(durable) >= 64 ||
        strpbrk(durable, ". *>") != NULL || durable[0] == '\0')
        return VALOR_E_INVALID;
    ac = calloc(1, sizeof(*ac));
    if (ac == NULL)
        return VALOR_E_NOMEM;
    ac->bus = bus;
    ac->pool = pool;
    snprintf(ac->durable, sizeof(ac->durable), "%s", durable);
    pthread_mutex_init(&ac->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ac->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&ac->thread, NULL, consumer_main, ac) != 0) {
        pthread_cond_destroy(&ac->cond);
        pthread_mutex_destroy(&ac->mu);
        free(ac);
        return VALOR_E_INTERNAL;
    }
    *out = ac;
    return VALOR_OK;
}

void audit_consumer_stop(struct audit_consumer *ac)
{
    if (ac == NULL)
        return;
    pthread_mutex_lock(&ac->mu);
    ac->stop = 1;
    /* A Fetch waiting for messages returns as soon as its subscription is
     * closed, so stopping waits for nothing. The consumer was bound, not
     * created, by the subscription (ensure_consumer): unsubscribing keeps it
     * on the server. */
    if (ac->sub != NULL)
        natsSubscription_Unsubscribe(ac->sub);
    pthread_cond_broadcast(&ac->cond);
    pthread_mutex_unlock(&ac->mu);
    pthread_join(ac->thread, NULL);
    pthread_cond_destroy(&ac->cond);
    pthread_mutex_destroy(&ac->mu);
    free(ac);
}
