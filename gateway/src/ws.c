#include "ws.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "ratelimit.h"
#include "valor/bus.h"
#include "valor/clock.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/log.h"
#include "valor/metrics.h"

#define WS_SUBJECT BUS_SUBJECT_PREFIX ".>"
#define WS_WAIT_MS 200

struct ws_client {
    struct gw_ws *hub;
    char tenant[64];
    struct _websocket_manager *wsm; /* set once the upgrade happened */
    char **queue;                   /* ring of owned event texts */
    size_t head, len;
    int overflow;     /* the client fell behind: disconnect it */
    int closing;      /* shutdown: close with 1001 */
    int manager_done; /* ws_manager returned */
    int orphan;       /* ws_onclose ran first: ws_manager frees */
    pthread_cond_t cv;
    struct ws_client *prev, *next; /* hub->clients, under hub->mu */
};

struct gw_ws {
    const struct gw_config *cfg;
    struct bus *bus;
    struct gw_ratelimit *rl;
    struct vjwt_params jwt;
    struct metrics_family *gauge; /* websocket_connections */
    pthread_mutex_t mu;           /* clients and their queues */
    struct ws_client *clients;
    int active; /* upgraded and not yet closed */
    int stopping;
    natsSubscription *sub;
    pthread_t sub_thread;
    int sub_thread_started;
    pthread_cond_t sub_cv; /* wakes the subscriber's retry wait when stopping */
};

static void client_free(struct ws_client *c)
{
    for (size_t i = 0; i < c->len; i++)
        free(c->queue[(c->head + i) % (size_t)c->hub->cfg->ws_queue_max]);
    free(c->queue);
    pthread_cond_destroy(&c->cv);
    free(c);
}

/* Under hub->mu. */
static void unlink_client(struct gw_ws *ws, struct ws_client *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        ws->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
}

static void set_gauge(struct gw_ws *ws)
{
    if (ws->gauge != NULL)
        metrics_gauge_set(ws->gauge, NULL, ws->active);
}

/* NATS thread: one event for every client of the subject's tenant. */
static void on_event(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    struct gw_ws *ws = closure;
    const char *subject = natsMsg_GetSubject(msg);
    const char *t = subject + strlen(BUS_SUBJECT_PREFIX) + 1;
    size_t tlen = strcspn(t, ".");
    size_t max = (size_t)ws->cfg->ws_queue_max;

    (void)nc;
    (void)sub;
    if (strncmp(subject, BUS_SUBJECT_PREFIX ".", strlen(BUS_SUBJECT_PREFIX) + 1) != 0 ||
        tlen == 0 || t[tlen] != '.') {
        natsMsg_Destroy(msg);
        return;
    }
    pthread_mutex_lock(&ws->mu);
    for (struct ws_client *c = ws->clients; c != NULL; c = c->next) {
        if (c->wsm == NULL || c->overflow || strlen(c->tenant) != tlen ||
            strncmp(c->tenant, t, tlen) != 0)
            continue;
        if (c->len >= max) {
            c->overflow = 1; /* slow consumer: dropped, not buffered */
        } else {
            char *text = strndup(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
            if (text == NULL)
                continue;
            c->queue[(c->head + c->len) % max] = text;
            c->len++;
        }
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&ws->mu);
    natsMsg_Destroy(msg);
}

/* Subscribes as soon as NATS is connected (the bus connects in the
 * background), retrying every 100 ms; stopping ends the wait at once. */
static void *subscriber_main(void *arg)
{
    struct gw_ws *ws = arg;
    struct timespec dl;

    pthread_mutex_lock(&ws->mu);
    while (!ws->stopping) {
        pthread_mutex_unlock(&ws->mu);
        natsConnection *nc = bus_nats(ws->bus);
        natsSubscription *sub = NULL;
        if (nc != NULL && natsConnection_Subscribe(&sub, nc, WS_SUBJECT, on_event, ws) == NATS_OK) {
            pthread_mutex_lock(&ws->mu);
            ws->sub = sub;
            break;
        }
        pthread_mutex_lock(&ws->mu);
        clock_deadline(&dl, 100);
        while (!ws->stopping && pthread_cond_timedwait(&ws->sub_cv, &ws->mu, &dl) == 0)
            ;
    }
    pthread_mutex_unlock(&ws->mu);
    return NULL;
}

int gw_ws_new(const struct gw_config *cfg, struct bus *bus, struct gw_ratelimit *rl,
              struct metrics_registry *reg, struct gw_ws **out)
{
    struct gw_ws *ws = calloc(1, sizeof(*ws));
    int rc = VALOR_OK;

    *out = NULL;
    if (ws == NULL)
        return VALOR_E_NOMEM;
    ws->cfg = cfg;
    ws->bus = bus;
    ws->rl = rl;
    vjwt_params_from_cfg(&ws->jwt, &cfg->base);
    pthread_mutex_init(&ws->mu, NULL);
    clock_cond_init(&ws->sub_cv);
    if (reg != NULL)
        rc = metrics_family_new(reg, METRICS_GAUGE, "websocket_connections",
                                "Open websocket feed connections.", 0, NULL, NULL, 0, &ws->gauge);
    if (rc == VALOR_OK && bus != NULL) {
        if (pthread_create(&ws->sub_thread, NULL, subscriber_main, ws) != 0)
            rc = VALOR_E_INTERNAL;
        else
            ws->sub_thread_started = 1;
    }
    if (rc != VALOR_OK) {
        gw_ws_free(ws);
        return rc;
    }
    set_gauge(ws);
    *out = ws;
    return VALOR_OK;
}

/* Sends queued events until the connection closes, the client falls behind
 * or the gateway shuts down. Runs in ulfius' manager thread. */
static void ws_manager(const struct _u_request *req, struct _websocket_manager *wsm, void *ud)
{
    struct ws_client *c = ud;
    struct gw_ws *ws = c->hub;
    size_t max = (size_t)ws->cfg->ws_queue_max;

    (void)req;
    wsm->keep_messages = U_WEBSOCKET_KEEP_NONE; /* no list may grow */
    pthread_mutex_lock(&ws->mu);
    c->wsm = wsm;
    ws->active++;
    set_gauge(ws);
    while (!c->closing && !c->overflow && ulfius_websocket_status(wsm) == U_WEBSOCKET_STATUS_OPEN) {
        if (c->len == 0) {
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_nsec += WS_WAIT_MS * 1000000L;
            if (dl.tv_nsec >= 1000000000L) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&c->cv, &ws->mu, &dl);
            continue;
        }
        char *text = c->queue[c->head];
        c->head = (c->head + 1) % max;
        c->len--;
        pthread_mutex_unlock(&ws->mu);
        ulfius_websocket_send_message(wsm, U_WEBSOCKET_OPCODE_TEXT, strlen(text), text);
        free(text);
        pthread_mutex_lock(&ws->mu);
    }
    int going_away = c->closing, slow = c->overflow;
    pthread_mutex_unlock(&ws->mu);
    if (ulfius_websocket_status(wsm) == U_WEBSOCKET_STATUS_OPEN) {
        /* A close frame with 1001 (going away) on shutdown, 1008 (policy
         * violation) for a slow client. ulfius 2.7 sends close frames without
         * a status code, so this one is written under its write lock. */
        static const unsigned char away[] = {0x88, 0x02, 0x03, 0xe9},
                                   slow_code[] = {0x88, 0x02, 0x03, 0xf0};
        pthread_mutex_lock(&wsm->write_lock);
        ssize_t sent =
            send(wsm->mhd_sock, going_away ? away : slow_code, sizeof(away), MSG_NOSIGNAL);
        pthread_mutex_unlock(&wsm->write_lock);
        (void)sent; /* a peer already gone is fine */
        if (slow)
            log_warn(NULL, "websocket_slow_client", "tenant %s: queue full, disconnected",
                     c->tenant);
        ulfius_websocket_wait_close(wsm, 1000);
    }
    pthread_mutex_lock(&ws->mu);
    c->manager_done = 1;
    int orphan = c->orphan;
    pthread_mutex_unlock(&ws->mu);
    if (orphan)
        client_free(c);
}

/* {"type":"ping"} → {"type":"pong"}; anything else is ignored. */
static void ws_incoming(const struct _u_request *req, struct _websocket_manager *wsm,
                        const struct _websocket_message *msg, void *ud)
{
    static const char pong[] = "{\"type\":\"pong\"}";
    json_t *j;
    (void)req;
    (void)ud;
    if (msg->opcode != U_WEBSOCKET_OPCODE_TEXT || msg->data_len > 1024)
        return;
    j = json_loadb(msg->data, msg->data_len, JSON_REJECT_DUPLICATES, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (type != NULL && strcmp(type, "ping") == 0)
        ulfius_websocket_send_message(wsm, U_WEBSOCKET_OPCODE_TEXT, sizeof(pong) - 1, pong);
    json_decref(j);
}

/* The connection is over (possibly called twice by ulfius): the client is
 * found by its manager, so a second call finds nothing. */
static void ws_onclose(const struct _u_request *req, struct _websocket_manager *wsm, void *ud)
{
    struct gw_ws *ws = ud;
    struct ws_client *c;
    (void)req;
    pthread_mutex_lock(&ws->mu);
    for (c = ws->clients; c != NULL && c->wsm != wsm; c = c->next)
        ;
    if (c != NULL) {
        unlink_client(ws, c);
        ws->active--;
        set_gauge(ws);
        /* some ulfius versions call this before the manager thread ended */
        if (c->manager_done)
            client_free(c);
        else
            c->orphan = 1;
    }
    pthread_mutex_unlock(&ws->mu);
}

static int is_upgrade(const struct http_ctx *ctx)
{
    const char *up = http_header(ctx, "Upgrade");
    return up != NULL && strcasecmp(up, "websocket") == 0 &&
           http_header(ctx, "Sec-WebSocket-Key") != NULL;
}

static void handle_ws(struct http_ctx *ctx)
{
    struct gw_ws *ws = ctx->ud;
    const char *hdr = http_header(ctx, "Authorization"), *token = http_query(ctx, "access_token");
    struct vjwt_claims claims;
    struct gw_rl_decision d;
    struct ws_client *c;
    char key[160];

    ctx->route = "/api/ws";
    if (hdr != NULL || token == NULL) {
        if (gw_auth_token(ctx, &ws->jwt, &claims) != VALOR_OK)
            return;
    } else if (gw_auth_check(ctx, &ws->jwt, token, &claims) != VALOR_OK) {
        return;
    }
    snprintf(key, sizeof(key), "%s:%s", claims.tid, claims.sub);
    gw_ratelimit_check(ws->rl, GW_BUCKET_API, &ws->cfg->api_plan[gw_plan_from_claim(claims.plan)],
                       key, claims.jti, claims.exp, claims.tid, &d);
    if (d.revoked) {
        http_reply_error(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");
        return;
    }
    gw_ratelimit_headers(ctx, &d);
    if (!d.allowed) {
        gw_ratelimit_reply(ctx, &d);
        return;
    }
    snprintf(ctx->tenant, sizeof(ctx->tenant), "%s", claims.tid);
    snprintf(ctx->user, sizeof(ctx->user), "%s", claims.sub);
    if (!is_upgrade(ctx)) {
        http_reply_error(ctx, VALOR_E_INVALID, "Websocket upgrade required");
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c != NULL)
        c->queue = calloc((size_t)ws->cfg->ws_queue_max, sizeof(*c->queue));
    pthread_mutex_lock(&ws->mu);
    int stopping = ws->stopping;
    pthread_mutex_unlock(&ws->mu);
    if (c == NULL || c->queue == NULL || stopping) {
        if (c != NULL)
            free(c->queue);
        free(c);
        http_reply_error(ctx, VALOR_E_UNAVAILABLE, "Service unavailable");
        return;
    }
    c->hub = ws;
    snprintf(c->tenant, sizeof(c->tenant), "%s", claims.tid);
    pthread_cond_init(&c->cv, NULL);
    if (ulfius_set_websocket_response(ctx->resp, NULL, NULL, ws_manager, c, ws_incoming, c,
                                      ws_onclose, ws) != U_OK) {
        client_free(c);
        http_reply_error(ctx, VALOR_E_INTERNAL, NULL);
        return;
    }
    /* listed now so that it is freed at shutdown even if the upgrade fails */
    pthread_mutex_lock(&ws->mu);
    c->next = ws->clients;
    if (ws->clients != NULL)
        ws->clients->prev = c;
    ws->clients = c;
    pthread_mutex_unlock(&ws->mu);
}

static void handle_status(struct http_ctx *ctx)
{
    struct gw_ws *ws = ctx->ud;
    char ts[32];
    int connections, tenants = 0;

    http_timestamp(ts, sizeof(ts));
    pthread_mutex_lock(&ws->mu);
    connections = ws->active;
    for (struct ws_client *c = ws->clients; c != NULL; c = c->next) {
        int seen = 0;
        if (c->wsm == NULL)
            continue;
        for (struct ws_client *o = ws->clients; o != c && !seen; o = o->next)
            seen = o->wsm != NULL && strcmp(o->tenant, c->tenant) == 0;
        tenants += !seen;
    }
    int subscribed = ws->sub != NULL;
    pthread_mutex_unlock(&ws->mu);
    http_reply_json(ctx, 200,
                    json_pack("{s:b, s:{s:b, s:i, s:i, s:s}}", "success", 1, "data", "connected",
                              subscribed && bus_connected(ws->bus), "connections", connections,
                              "tenants", tenants, "timestamp", ts));
}

int gw_ws_register(struct http_server *s, struct gw_ws *ws)
{
    int rc = http_route(s, "GET", "/api/ws", handle_ws, ws);
    if (rc == VALOR_OK)
        rc = http_route(s, "GET", "/api/websocket/status", handle_status, ws);
    return rc;
}

void gw_ws_shutdown(struct gw_ws *ws, int wait_ms)
{
    if (ws == NULL)
        return;
    pthread_mutex_lock(&ws->mu);
    ws->stopping = 1;
    pthread_cond_broadcast(&ws->sub_cv);
    for (struct ws_client *c = ws->clients; c != NULL; c = c->next) {
        c->closing = 1;
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&ws->mu);
    for (int waited = 0; waited < wait_ms; waited += 10) {
        pthread_mutex_lock(&ws->mu);
        int active = ws->active;
        pthread_mutex_unlock(&ws->mu);
        if (active == 0)
            break;
        usleep(10 * 1000);
    }
}

void gw_ws_free(struct gw_ws *ws)
{
    if (ws == NULL)
        return;
    pthread_mutex_lock(&ws->mu);
    ws->stopping = 1;
    pthread_cond_broadcast(&ws->sub_cv);
    pthread_mutex_unlock(&ws->mu);
    if (ws->sub_thread_started)
        pthread_join(ws->sub_thread, NULL);
    if (bus_unsubscribe(ws->sub, 10000) != VALOR_OK)
        return; /* on_event may still use ws and its clients: left to the process's exit */
    while (ws->clients != NULL) { /* never upgraded, or still closing at exit */
        struct ws_client *c = ws->clients;
        ws->clients = c->next;
        client_free(c);
    }
    pthread_cond_destroy(&ws->sub_cv);
    pthread_mutex_destroy(&ws->mu);
    free(ws);
}
