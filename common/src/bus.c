/* bus: NATS connection (retried in the background, reconnecting forever),
 * the VALOR_EVENTS stream and acknowledged JetStream publishes. The outbox
 * and its publisher thread are in bus_outbox.c. */
#include "valor/clock.h"
#include "valor/bus.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "valor/err.h"
#include "valor/log.h"

#define BUS_DUP_WINDOW_NS (120LL * 1000 * 1000 * 1000)
#define BUS_ENSURE_WAIT_MS 2000
#define BUS_MAX_URLS 16

struct bus {
    natsOptions *opts;
    natsConnection *nc;
    jsCtx *js;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t ensurer;
    int ensurer_started;
    int stopping;
    int ever_connected;
    int stream_ok;   /* stream known to exist on the current connection */
    int closed_seen; /* the closed callback ran: no callback will touch b again */
};

/* --- connection callbacks (run on the library's callback thread) --- */

static void on_connected(natsConnection *nc, void *closure)
{
    struct bus *b = closure;
    (void)nc;
    pthread_mutex_lock(&b->mu);
    b->ever_connected = 1;
    b->stream_ok = 0;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
    log_info(NULL, "nats_connected", "connected to NATS");
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    struct bus *b = closure;
    (void)nc;
    pthread_mutex_lock(&b->mu);
    b->stream_ok = 0;
    int stopping = b->stopping;
    pthread_mutex_unlock(&b->mu);
    if (!stopping)
        log_warn(NULL, "nats_disconnected", "disconnected from NATS, reconnecting");
}

static void on_closed(natsConnection *nc, void *closure)
{
    struct bus *b = closure;
    (void)nc;
    pthread_mutex_lock(&b->mu);
    b->closed_seen = 1;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
}

/* --- stream --- */

static int ensure_stream(struct bus *b, int wait_ms)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    jsOptions o;
    natsStatus s;
    int rc = VALOR_E_UNAVAILABLE;

    jsOptions_Init(&o);
    o.Wait = wait_ms;
    s = js_GetStreamInfo(&si, b->js, BUS_STREAM, &o, &jerr);
    if (s == NATS_OK) {
        rc = VALOR_OK;
        goto out;
    }
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        jsStreamConfig cfg;
        const char *subjects[] = {BUS_SUBJECT_PREFIX ".>"};
        jsStreamConfig_Init(&cfg);
        cfg.Name = BUS_STREAM;
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_FileStorage;
        cfg.Duplicates = BUS_DUP_WINDOW_NS;
        jerr = 0;
        s = js_AddStream(&si, b->js, &cfg, &o, &jerr);
        if (s == NATS_OK || jerr == JSStreamNameExistErr) {
            if (s == NATS_OK)
                log_info(NULL, "nats_stream", "created stream %s", BUS_STREAM);
            rc = VALOR_OK;
            goto out;
        }
    }
    log_warn(NULL, "nats_stream", "stream %s not ready: %s (js error %d)", BUS_STREAM,
             natsStatus_GetText(s), (int)jerr);
out:
    jsStreamInfo_Destroy(si);
    if (rc == VALOR_OK) {
        pthread_mutex_lock(&b->mu);
        b->stream_ok = 1;
        pthread_mutex_unlock(&b->mu);
    }
    return rc;
}

/* Creates the stream as soon as the connection is (re)established. */
static void *ensurer_main(void *arg)
{
    struct bus *b = arg;
    struct timespec dl;

    pthread_mutex_lock(&b->mu);
    while (!b->stopping) {
        if (!b->stream_ok && natsConnection_Status(b->nc) == NATS_CONN_STATUS_CONNECTED) {
            pthread_mutex_unlock(&b->mu);
            int rc = ensure_stream(b, BUS_ENSURE_WAIT_MS);
            pthread_mutex_lock(&b->mu);
            if (rc == VALOR_OK)
                continue;
        }
        /* Woken by the connected callback; re-checks every second anyway. */
        clock_deadline(&dl, 1000);
        pthread_cond_timedwait(&b->cond, &b->mu, &dl);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* "nats://a:4222,nats://b:4222" → natsOptions_SetServers. */
static natsStatus set_servers(natsOptions *opts, const char *url)
{
    char *copy = strdup(url), *save = NULL;
    const char *list[BUS_MAX_URLS];
    int n = 0;
    natsStatus s = NATS_NO_MEMORY;

    if (copy == NULL)
        return s;
    for (char *t = strtok_r(copy, ", ", &save); t && n < BUS_MAX_URLS;
         t = strtok_r(NULL, ", ", &save))
        list[n++] = t;
    s = n > 0 ? natsOptions_SetServers(opts, list, n) : NATS_INVALID_ARG;
    free(copy);
    return s;
}

int bus_open(const struct bus_opts *opts, struct bus **out)
{
    struct bus *b = NULL;
    natsStatus s;
    int tmo = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 2000;
    int rc = VALOR_E_INVALID;

    *out = NULL;
    if (opts == NULL || opts->url == NULL || opts->url[0] == '\0')
        return rc;
    rc = VALOR_E_NOMEM;
    b = calloc(1, sizeof(*b));
    if (b == NULL)
        return rc;
    pthread_mutex_init(&b->mu, NULL);
    clock_cond_init(&b->cond);

    s = natsOptions_Create(&b->opts);
    if (s == NATS_OK)
        s = set_servers(b->opts, opts->url);
    if (s == NATS_OK && opts->name)
        s = natsOptions_SetName(b->opts, opts->name);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(b->opts, tmo);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(b->opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(b->opts, 250);
    if (s == NATS_OK)
        s = natsOptions_SetPingInterval(b->opts, 5000);
    if (s == NATS_OK)
        s = natsOptions_SetMaxPingsOut(b->opts, 3);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(b->opts, true, on_connected, b);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(b->opts, on_connected, b);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(b->opts, on_disconnected, b);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(b->opts, on_closed, b);
    if (s != NATS_OK) {
        log_error(NULL, "nats_error", "options: %s", natsStatus_GetText(s));
        rc = s == NATS_NO_MEMORY ? VALOR_E_NOMEM : VALOR_E_INVALID;
        goto fail;
    }
    s = natsConnection_Connect(&b->nc, b->opts);
    if (s == NATS_OK) {
        pthread_mutex_lock(&b->mu);
        b->ever_connected = 1;
        pthread_mutex_unlock(&b->mu);
    } else if (s == NATS_NOT_YET_CONNECTED) {
        log_warn(NULL, "nats_unavailable", "NATS not reachable yet, retrying in the background");
    } else {
        log_error(NULL, "nats_error", "connect: %s", natsStatus_GetText(s));
        rc = VALOR_E_UNAVAILABLE;
        goto fail;
    }
    s = natsConnection_JetStream(&b->js, b->nc, NULL);
    if (s != NATS_OK) {
        log_error(NULL, "nats_error", "jetstream context: %s", natsStatus_GetText(s));
        goto fail_conn;
    }
    if (pthread_create(&b->ensurer, NULL, ensurer_main, b) != 0)
        goto fail_conn;
    b->ensurer_started = 1;
    *out = b;
    return VALOR_OK;

fail_conn:
    bus_close(b);
    return VALOR_E_INTERNAL;
fail:
    if (b->nc)
        natsConnection_Destroy(b->nc);
    natsOptions_Destroy(b->opts);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->mu);
    free(b);
    return rc;
}

void bus_close(struct bus *b)
{
    struct timespec dl;
    int closed;

    if (b == NULL)
        return;
    pthread_mutex_lock(&b->mu);
    b->stopping = 1;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
    if (b->ensurer_started)
        pthread_join(b->ensurer, NULL);
    if (b->js)
        jsCtx_Destroy(b->js);
    natsConnection_Close(b->nc);
    /* Callbacks run on the library's thread in order; once the closed
     * callback has run, none will touch b again. */
    clock_deadline(&dl, 5000);
    pthread_mutex_lock(&b->mu);
    while (!b->closed_seen)
        if (pthread_cond_timedwait(&b->cond, &b->mu, &dl) == ETIMEDOUT)
            break;
    closed = b->closed_seen;
    pthread_mutex_unlock(&b->mu);
    natsConnection_Destroy(b->nc);
    natsOptions_Destroy(b->opts);
    if (!closed) {
        log_error(NULL, "nats_error", "closed callback did not run; leaking the bus handle");
        return;
    }
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

int bus_connected(struct bus *b)
{
    return b != NULL && natsConnection_Status(b->nc) == NATS_CONN_STATUS_CONNECTED;
}

static int ever_connected(struct bus *b)
{
    pthread_mutex_lock(&b->mu);
    int v = b->ever_connected;
    pthread_mutex_unlock(&b->mu);
    return v;
}

natsConnection *bus_nats(struct bus *b)
{
    return b != NULL && ever_connected(b) ? b->nc : NULL;
}

jsCtx *bus_js(struct bus *b)
{
    return b != NULL && ever_connected(b) ? b->js : NULL;
}

int bus_publish(struct bus *b, const char *subject, const char *msg_id, const void *data,
                size_t len, int timeout_ms)
{
    jsPubAck *ack = NULL;
    jsPubOptions po;
    jsErrCode jerr = 0;
    natsStatus s;
    int stream_ok;

    if (b == NULL || subject == NULL || (data == NULL && len > 0) || len > INT_MAX)
        return VALOR_E_INVALID;
    if (timeout_ms <= 0)
        timeout_ms = 2000;
    /* While disconnected the library would buffer the message and the ack
     * could never come in time: fail now, the caller retries later. */
    if (!bus_connected(b))
        return VALOR_E_UNAVAILABLE;
    pthread_mutex_lock(&b->mu);
    stream_ok = b->stream_ok;
    pthread_mutex_unlock(&b->mu);
    if (!stream_ok && ensure_stream(b, timeout_ms) != VALOR_OK)
        return VALOR_E_UNAVAILABLE;

    jsPubOptions_Init(&po);
    po.MaxWait = timeout_ms;
    po.MsgId = msg_id;
    po.ExpectStream = BUS_STREAM;
    s = js_Publish(&ack, b->js, subject, data, (int)len, &po, &jerr);
    if (s == NATS_OK) {
        jsPubAck_Destroy(ack);
        return VALOR_OK; /* a duplicate ack also means the stream has it */
    }
    if (s == NATS_NO_RESPONDERS) {
        pthread_mutex_lock(&b->mu);
        b->stream_ok = 0; /* stream deleted behind our back? */
        pthread_mutex_unlock(&b->mu);
    }
    log_warn(NULL, "nats_publish", "publish failed: %s (js error %d)", natsStatus_GetText(s),
             (int)jerr);
    return VALOR_E_UNAVAILABLE;
}

struct unsub_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void unsub_complete(void *closure)
{
    struct unsub_wait *w = closure;
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void bus_unsubscribe(natsSubscription *sub, int timeout_ms)
{
    struct unsub_wait *w = calloc(1, sizeof(*w));
    struct timespec dl;
    int done = 1;

    if (sub == NULL) {
        free(w);
        return;
    }
    if (w != NULL) {
        pthread_mutex_init(&w->mu, NULL);
        clock_cond_init(&w->cv);
        if (natsSubscription_SetOnCompleteCB(sub, unsub_complete, w) != NATS_OK)
            w->done = 1; /* already closed: no callback will come */
    }
    natsSubscription_Unsubscribe(sub);
    if (w != NULL) {
        clock_deadline(&dl, timeout_ms);
        pthread_mutex_lock(&w->mu);
        while (!w->done && pthread_cond_timedwait(&w->cv, &w->mu, &dl) == 0)
            ;
        done = w->done;
        pthread_mutex_unlock(&w->mu);
    }
    natsSubscription_Destroy(sub);
    if (!done) {
        /* the handler may still run and the callback still come: w stays */
        log_error(NULL, "nats_unsubscribe", "a subscription's handler did not return in %d ms",
                  timeout_ms);
        return;
    }
    if (w != NULL) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
    }
}
