#include "readiness.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "valor/bus.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/kv.h"

struct gw_readiness {
    const struct gw_config *cfg; /* borrowed */
    struct bus *bus;             /* borrowed, may be NULL */
};

struct check {
    int ok;
    int done; /* the service check finished (in time) */
    long latency_ms;
    char detail[128];
};

struct redis_job {
    const char *url; /* borrowed */
    struct check result;
};

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

int gw_readiness_new(const struct gw_config *cfg, struct bus *bus, struct gw_readiness **out)
{
    struct gw_readiness *r = calloc(1, sizeof(*r));
    *out = r;
    if (r == NULL)
        return VALOR_E_NOMEM;
    r->cfg = cfg;
    r->bus = bus;
    return VALOR_OK;
}

void gw_readiness_free(struct gw_readiness *r)
{
    free(r);
}

/* A fresh connection each time, so the check proves Redis accepts clients;
 * connect + PING are bounded to the limit together. */
static void *redis_check(void *arg)
{
    struct redis_job *j = arg;
    struct kv_opts o = {.url = j->url,
                        .connect_timeout_ms = GW_READY_LIMIT_MS / 2,
                        .command_timeout_ms = GW_READY_LIMIT_MS / 2};
    struct kv_client *c = NULL;
    struct timespec t0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (kv_open(&o, &c) != VALOR_OK) {
        snprintf(j->result.detail, sizeof(j->result.detail), "invalid REDIS_URL");
    } else if (kv_ping(c, NULL) != VALOR_OK) {
        snprintf(j->result.detail, sizeof(j->result.detail), "PING failed");
    } else {
        j->result.ok = 1;
        snprintf(j->result.detail, sizeof(j->result.detail), "ok");
    }
    kv_close(c);
    j->result.latency_ms = elapsed_ms(&t0);
    if (j->result.ok && j->result.latency_ms > GW_READY_LIMIT_MS) {
        j->result.ok = 0;
        snprintf(j->result.detail, sizeof(j->result.detail), "timeout after %d ms",
                 GW_READY_LIMIT_MS);
    }
    return NULL;
}

static size_t discard(char *data, size_t size, size_t n, void *ud)
{
    (void)data;
    (void)ud;
    return size * n;
}

static CURL *service_handle(const char *base_url, char *url, size_t urllen, struct check *c)
{
    CURL *h = curl_easy_init();
    if (h == NULL)
        return NULL;
    snprintf(url, urllen, "%s/ready", base_url);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)GW_READY_LIMIT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)GW_READY_LIMIT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_PRIVATE, c);
    return h;
}

static void service_result(CURL *h, CURLcode cr, struct check *c)
{
    curl_off_t total_us = 0;
    long code = 0, os_errno = 0;

    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
    c->latency_ms = (long)(total_us / 1000);
    if (cr == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        c->ok = code == 200;
        if (c->ok)
            snprintf(c->detail, sizeof(c->detail), "ok");
        else
            snprintf(c->detail, sizeof(c->detail), "HTTP %ld", code);
    } else if (cr == CURLE_OPERATION_TIMEDOUT) {
        snprintf(c->detail, sizeof(c->detail), "timeout after %d ms", GW_READY_LIMIT_MS);
    } else if (cr == CURLE_COULDNT_CONNECT) {
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
        snprintf(c->detail, sizeof(c->detail), "%s",
                 os_errno == ECONNREFUSED ? "connection refused" : "cannot connect");
    } else {
        snprintf(c->detail, sizeof(c->detail), "%s", curl_easy_strerror(cr));
    }
}

/* Runs the four GET /ready requests at once on a curl multi handle. */
static void check_services(const struct gw_config *cfg, struct check *res)
{
    CURLM *m = curl_multi_init();
    CURL *h[GW_SVC_COUNT] = {0};
    char url[GW_SVC_COUNT][512];
    struct timespec t0;
    int running = 0;

    for (int i = 0; i < GW_SVC_COUNT; i++)
        snprintf(res[i].detail, sizeof(res[i].detail), "timeout after %d ms", GW_READY_LIMIT_MS);
    if (m == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < GW_SVC_COUNT; i++) {
        h[i] = service_handle(cfg->upstream_url[i][0], url[i], sizeof(url[i]), &res[i]);
        if (h[i] != NULL)
            curl_multi_add_handle(m, h[i]);
    }
    do {
        CURLMsg *msg;
        int left;
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            void *priv = NULL;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            service_result(msg->easy_handle, msg->data.result, priv);
            ((struct check *)priv)->done = 1;
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 50, NULL);
    } while (running > 0 && elapsed_ms(&t0) <= GW_READY_LIMIT_MS + 100);

    for (int i = 0; i < GW_SVC_COUNT; i++) {
        if (!res[i].done)
            res[i].latency_ms = elapsed_ms(&t0);
        if (h[i] != NULL) {
            curl_multi_remove_handle(m, h[i]);
            curl_easy_cleanup(h[i]);
        }
    }
    curl_multi_cleanup(m);
}

static void put_check(json_t *checks, const char *name, const struct check *c)
{
    json_object_set_new(checks, name,
                        json_pack("{s:b, s:s, s:I}", "ok", c->ok, "detail", c->detail, "latency_ms",
                                  (json_int_t)c->latency_ms));
}

int gw_readiness_check(void *ud, json_t *checks)
{
    struct gw_readiness *r = ud;
    struct redis_job redis = {.url = r->cfg->base.redis_url};
    struct check nats = {0}, svc[GW_SVC_COUNT] = {{0}};
    pthread_t tid;
    int threaded, all_ok;

    threaded = pthread_create(&tid, NULL, redis_check, &redis) == 0;
    if (r->bus == NULL) {
        snprintf(nats.detail, sizeof(nats.detail), "not configured");
    } else {
        nats.ok = bus_connected(r->bus) != 0;
        snprintf(nats.detail, sizeof(nats.detail), "%s", nats.ok ? "ok" : "disconnected");
    }
    check_services(r->cfg, svc);
    if (threaded)
        pthread_join(tid, NULL);
    else
        redis_check(&redis);

    put_check(checks, "redis", &redis.result);
    put_check(checks, "nats", &nats);
    all_ok = redis.result.ok && nats.ok;
    for (int i = 0; i < GW_SVC_COUNT; i++) {
        put_check(checks, gw_service_name((enum gw_service)i), &svc[i]);
        all_ok = all_ok && svc[i].ok;
    }
    return all_ok ? VALOR_OK : VALOR_E_UNAVAILABLE;
}

static void handle_readiness(struct http_ctx *ctx)
{
    json_t *checks = json_object();
    char ts[32];
    int rc;

    if (checks == NULL) {
        http_reply_error(ctx, VALOR_E_NOMEM, NULL);
        return;
    }
    rc = gw_readiness_check(ctx->ud, checks);
    http_timestamp(ts, sizeof(ts));
    http_reply_json(ctx, rc == VALOR_OK ? 200 : 503,
                    json_pack("{s:s, s:o, s:s}", "status", rc == VALOR_OK ? "ready" : "degraded",
                              "checks", checks, "timestamp", ts));
}

int gw_readiness_register(struct http_server *s, struct gw_readiness *r)
{
    int rc = http_route(s, "GET", "/api/readiness", handle_readiness, r);
    if (rc == VALOR_OK)
        rc = http_route(s, "GET", "/api/ready", handle_readiness, r);
    return rc;
}
