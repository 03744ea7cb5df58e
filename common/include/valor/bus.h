/* bus: events on NATS JetStream, through a transactional outbox.
 *
 * A service writes the event into its schema's `outbox` table in the same
 * transaction as the change (bus_outbox_add); a publisher thread sends unsent
 * rows to JetStream with the event id as the message id (so a resend is
 * de-duplicated) and marks them sent only on the JetStream ack, backing off
 * while NATS is down. A request never waits for NATS.
 */
#ifndef VALOR_BUS_H
#define VALOR_BUS_H

#include <stddef.h>
#include <jansson.h>
#include <nats/nats.h>

struct db_conn;
struct db_pool;
struct metrics_registry;

#define BUS_STREAM "VALOR_EVENTS"
#define BUS_SUBJECT_PREFIX "valor.events"

struct bus_opts {
    const char *url;        /* nats://host:port[,nats://…]; copied */
    const char *name;       /* connection name (service), copied */
    int connect_timeout_ms; /* 0 → 2000 */
};

struct bus;

/* Connects with retry (the first connect too, in the background) and
 * reconnects forever; never blocks start-up on NATS. The stream
 * VALOR_EVENTS (subjects valor.events.>) is created when missing, as soon as
 * the connection is up. */
int bus_open(const struct bus_opts *opts, struct bus **out);
void bus_close(struct bus *b);
int bus_connected(struct bus *b);
/* Borrowed handles for subscribers; NULL until connected. */
natsConnection *bus_nats(struct bus *b);
jsCtx *bus_js(struct bus *b);

/* Unsubscribes an asynchronous subscription, waits (up to timeout_ms) until
 * its message handler has returned for the last time, and destroys it: after
 * this, nothing the handler uses is touched again, so it may be freed.
 * NULL is a no-op. */
void bus_unsubscribe(natsSubscription *sub, int timeout_ms);

/* JetStream publish that waits for the ack (timeout_ms). VALOR_OK only on ack;
 * VALOR_E_UNAVAILABLE otherwise. msg_id de-duplicates. */
int bus_publish(struct bus *b, const char *subject, const char *msg_id, const void *data,
                size_t len, int timeout_ms);

struct bus_event {
    const char *type;       /* "run.created" (entity.action) */
    const char *tenant;     /* tenant slug */
    const char *user_id;    /* may be NULL */
    const char *entity_id;  /* may be NULL */
    const char *request_id; /* may be NULL */
    json_t *data;           /* borrowed small summary, may be NULL; never secrets */
};

/* Builds the payload {"id","type","tenant","user_id","entity_id","request_id",
 * "occurred_at","data"} and inserts it, with subject
 * valor.events.<tenant>.<type>, into the outbox within the caller's open
 * transaction on conn. out_id (37 bytes, may be NULL) receives the event id. */
int bus_outbox_add(struct db_conn *conn, const struct bus_event *ev, char *out_id);

struct bus_publisher;

/* Starts the publisher thread on `pool` (its own connection). reg may be NULL;
 * otherwise it registers events_published_total{type} and outbox_pending. */
int bus_publisher_start(struct bus *b, struct db_pool *pool, struct metrics_registry *reg,
                        struct bus_publisher **out);
/* Wakes the publisher now (after a commit that added events). */
void bus_publisher_kick(struct bus_publisher *p);
/* Unsent rows at the last poll. */
long bus_publisher_pending(struct bus_publisher *p);
/* Stops and joins the thread (publishing what it can for up to 1 s). */
void bus_publisher_stop(struct bus_publisher *p);

#endif
