/* bus_outbox: the transactional outbox (platform.md §3) — bus_outbox_add
 * writes the event in the caller's transaction; the publisher thread sends
 * unsent rows with bus_publish (event id = message id) and marks them sent
 * only on the JetStream ack, backing off while NATS is down. Several
 * publishers (replicas) may share a table: FOR UPDATE SKIP LOCKED. */
#include "valor/clock.h"
#include "valor/bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/log.h"
#include "valor/metrics.h"

/* --- outbox --- */

/* [a-z_]+\.[a-z_]+ */
static int type_valid(const char *t)
{
    const char *dot = t ? strchr(t, '.') : NULL;
    if (dot == NULL || dot == t || dot[1] == '\0' || strlen(t) > 64)
        return 0;
    for (const char *p = t; *p; p++)
        if (p != dot && !((*p >= 'a' && *p <= 'z') || *p == '_'))
            return 0;
    return 1;
}

/* ^[a-z0-9][a-z0-9-]{0,62}$ */
static int tenant_valid(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > 63 || t[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-'))
            return 0;
    return 1;
}

/* RFC 3339 UTC with milliseconds: 2024-05-01T12:34:56.789Z */
int bus_outbox_add(struct db_conn *conn, const struct bus_event *ev, char *out_id)
{
    char id[CRYPTO_UUID_LEN], when[32], subject[160];
    json_t *payload = NULL, *data = NULL;
    char *text = NULL;
    int rc = VALOR_E_INVALID;

    if (conn == NULL || ev == NULL || !type_valid(ev->type) || !tenant_valid(ev->tenant) ||
        (ev->data != NULL && !json_is_object(ev->data)))
        goto out;
    if ((rc = crypto_uuid4(id)) != VALOR_OK)
        goto out;
    clock_rfc3339(when, sizeof(when));
    snprintf(subject, sizeof(subject), "%s.%s.%s", BUS_SUBJECT_PREFIX, ev->tenant, ev->type);
    rc = VALOR_E_NOMEM;
    data = ev->data ? json_incref(ev->data) : json_object();
    if (data == NULL)
        goto out;
    /* Fails on strings that are not UTF-8, among others. */
    rc = VALOR_E_INVALID;
    payload = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:O}", "id", id, "type", ev->type,
                        "tenant", ev->tenant, "user_id", ev->user_id, "entity_id", ev->entity_id,
                        "request_id", ev->request_id, "occurred_at", when, "data", data);
    if (payload == NULL)
        goto out;
    rc = VALOR_E_NOMEM;
    text = json_dumps(payload, JSON_COMPACT);
    if (text == NULL)
        goto out;
    const char *vals[] = {id, subject, ev->type, text};
    rc = db_exec(conn,
                 "INSERT INTO outbox(event_id, subject, type, payload) "
                 "VALUES ($1::uuid, $2, $3, $4::jsonb)",
                 4, vals, NULL);
    if (rc == VALOR_OK && out_id != NULL)
        memcpy(out_id, id, CRYPTO_UUID_LEN);
out:
    free(text);
    json_decref(payload);
    json_decref(data);
    return rc;
}

/* --- publisher thread --- */

#define PUB_BATCH_SQL "100" /* rows per batch, as SQL text */
#define PUB_BATCH 100
#define PUB_IDLE_MS 200
#define PUB_BACKOFF_MIN_MS 100
#define PUB_BACKOFF_MAX_MS 2000
#define PUB_ACK_WAIT_MS 2000
#define PUB_DRAIN_MS 1000

struct bus_publisher {
    struct bus *bus;
    struct db_pool *pool;
    struct metrics_family *published; /* events_published_total{type}, may be NULL */
    struct metrics_family *pending_g; /* outbox_pending, may be NULL */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stop;
    int kicked;
    long pending;
};

/* "{1,2,3}" for id = ANY($1::bigint[]); ids are digits from PostgreSQL. */
static char *id_array(PGresult *r, int n)
{
    size_t cap = 3;
    for (int i = 0; i < n; i++)
        cap += strlen(PQgetvalue(r, i, 0)) + 1;
    char *s = malloc(cap), *p = s;
    if (s == NULL)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "," : "", PQgetvalue(r, i, 0));
    *p++ = '}';
    *p = '\0';
    return s;
}

static void count_pending(struct bus_publisher *p, struct db_conn *c)
{
    PGresult *r = NULL;
    if (db_exec(c, "SELECT count(*) FROM outbox WHERE sent_at IS NULL", 0, NULL, &r) != VALOR_OK)
        return;
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    pthread_mutex_lock(&p->mu);
    p->pending = n;
    pthread_mutex_unlock(&p->mu);
    if (p->pending_g)
        metrics_gauge_set(p->pending_g, NULL, (double)n);
}

/* One batch. *sent: rows marked sent; *full: the batch was full (more may
 * wait). VALOR_E_UNAVAILABLE when NATS or PostgreSQL is down. */
static int publish_batch(struct bus_publisher *p, int *sent, int *full)
{
    struct db_conn *c = NULL;
    PGresult *rows = NULL;
    char *ids = NULL;
    int rc, n = 0, acked = 0;

    *sent = 0;
    *full = 0;
    if ((rc = db_acquire(p->pool, &c)) != VALOR_OK)
        goto out;
    if (!bus_connected(p->bus)) {
        rc = VALOR_E_UNAVAILABLE;
        goto out;
    }
    if ((rc = db_begin(c)) != VALOR_OK)
        goto out;
    rc = db_exec(c,
                 "SELECT id, event_id, subject, type, payload::text FROM outbox "
                 "WHERE sent_at IS NULL ORDER BY id LIMIT " PUB_BATCH_SQL " FOR UPDATE SKIP LOCKED",
                 0, NULL, &rows);
    if (rc != VALOR_OK)
        goto out;
    n = PQntuples(rows);
    *full = n == PUB_BATCH;
    for (; acked < n; acked++) {
        const char *payload = PQgetvalue(rows, acked, 4);
        int prc = bus_publish(p->bus, PQgetvalue(rows, acked, 2), PQgetvalue(rows, acked, 1),
                              payload, strlen(payload), PUB_ACK_WAIT_MS);
        if (prc != VALOR_OK) {
            /* Stop here: later events must not overtake this one. */
            const char *v[] = {PQgetvalue(rows, acked, 0)};
            db_exec(c, "UPDATE outbox SET attempts = attempts + 1 WHERE id = $1::bigint", 1, v,
                    NULL);
            rc = prc;
            break;
        }
    }
    if (acked > 0) {
        int urc;
        ids = id_array(rows, acked);
        const char *v[] = {ids};
        urc = ids ? db_exec(c, "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", 1,
                            v, NULL)
                  : VALOR_E_NOMEM;
        if (urc != VALOR_OK) {
            rc = urc; /* the rows are resent later; JetStream drops the duplicates */
            goto out;
        }
    }
    if (db_commit(c) != VALOR_OK) {
        rc = VALOR_E_UNAVAILABLE;
        goto out;
    }
    *sent = acked;
    if (p->published)
        for (int i = 0; i < acked; i++) {
            const char *labels[] = {PQgetvalue(rows, i, 3)};
            metrics_counter_add(p->published, labels, 1);
        }
out:
    if (c) {
        PGTransactionStatusType ts = PQtransactionStatus(db_pg(c));
        if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
            db_rollback(c); /* a failed batch: its rows stay unsent */
        count_pending(p, c);
        db_release(c);
    }
    free(ids);
    PQclear(rows);
    return rc;
}

static void *publisher_main(void *arg)
{
    struct bus_publisher *p = arg;
    struct timespec dl;
    int backoff = 0, sent, full;

    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        p->kicked = 0;
        pthread_mutex_unlock(&p->mu);
        int rc = publish_batch(p, &sent, &full);
        pthread_mutex_lock(&p->mu);
        if (rc == VALOR_OK) {
            if (backoff > 0 && sent > 0)
                log_info(NULL, "outbox_resumed", "published %d event(s) after an outage", sent);
            backoff = 0;
            if (full)
                continue;
            clock_deadline(&dl, PUB_IDLE_MS);
            while (!p->stop && !p->kicked)
                if (pthread_cond_timedwait(&p->cond, &p->mu, &dl) == ETIMEDOUT)
                    break;
        } else {
            /* NATS or PostgreSQL down: back off, kicks do not shorten it. */
            backoff = backoff ? backoff * 2 : PUB_BACKOFF_MIN_MS;
            if (backoff > PUB_BACKOFF_MAX_MS)
                backoff = PUB_BACKOFF_MAX_MS;
            clock_deadline(&dl, backoff);
            while (!p->stop)
                if (pthread_cond_timedwait(&p->cond, &p->mu, &dl) == ETIMEDOUT)
                    break;
        }
    }
    pthread_mutex_unlock(&p->mu);

    /* Stopping: publish what can be published within PUB_DRAIN_MS. */
    double end = clock_mono_ms() + PUB_DRAIN_MS;
    while (clock_mono_ms() < end && publish_batch(p, &sent, &full) == VALOR_OK && full)
        ;
    return NULL;
}

int bus_publisher_start(struct bus *b, struct db_pool *pool, struct metrics_registry *reg,
                        struct bus_publisher **out)
{
    struct bus_publisher *p = NULL;
    int rc = VALOR_E_INVALID;

    *out = NULL;
    if (b == NULL || pool == NULL)
        return rc;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return VALOR_E_NOMEM;
    p->bus = b;
    p->pool = pool;
    if (reg != NULL) {
        const char *labels[] = {"type"};
        rc = metrics_family_new(reg, METRICS_COUNTER, "events_published_total",
                                "Events published to JetStream (acknowledged)", 1, labels, NULL, 0,
                                &p->published);
        if (rc == VALOR_OK)
            rc = metrics_family_new(reg, METRICS_GAUGE, "outbox_pending",
                                    "Outbox rows not yet published", 0, NULL, NULL, 0,
                                    &p->pending_g);
        if (rc != VALOR_OK)
            goto fail;
    }
    pthread_mutex_init(&p->mu, NULL);
    clock_cond_init(&p->cond);
    if (pthread_create(&p->thread, NULL, publisher_main, p) != 0) {
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->mu);
        rc = VALOR_E_INTERNAL;
        goto fail;
    }
    *out = p;
    return VALOR_OK;
fail:
    free(p);
    return rc;
}

void bus_publisher_kick(struct bus_publisher *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->kicked = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
}

long bus_publisher_pending(struct bus_publisher *p)
{
    pthread_mutex_lock(&p->mu);
    long n = p->pending;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void bus_publisher_stop(struct bus_publisher *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
