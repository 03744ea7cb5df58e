/* audit_consumer: the durable JetStream consumer that keeps the audit trail.
 *
 * A thread pulls every event of the stream (subject valor.events.>) through
 * a durable pull consumer with explicit acks and stores each one once in
 * audit_events (INSERT … ON CONFLICT (event_id) DO NOTHING), acking only
 * after the row is written. It waits for NATS when it is down at start-up
 * (bus_js() is NULL until the first connect), re-creates its subscription when
 * the consumer or the stream vanished, and keeps going across reconnects.
 */
#ifndef VALOR_AUTH_AUDIT_CONSUMER_H
#define VALOR_AUTH_AUDIT_CONSUMER_H

#include <jansson.h>

struct bus;
struct db_pool;
struct audit_consumer;

/* durable: the consumer name (no '.', ' ', '*', '>'), copied. bus and pool
 * are borrowed and must outlive the consumer. */
int audit_consumer_start(struct bus *bus, struct db_pool *pool, const char *durable,
                         struct audit_consumer **out);
/* Stops and joins the thread without waiting for a fetch to time out (its
 * subscription is closed); keeps the durable consumer on the server. NULL is
 * a no-op. */
void audit_consumer_stop(struct audit_consumer *c);

/* Stores one event payload (platform.md §3 shape) into audit_events through
 * pool; VALOR_OK also when it was already there. VALOR_E_INVALID for a
 * payload that can never be stored (not an event): ack and drop it. */
int audit_store(struct db_pool *pool, const char *payload, size_t len);

#endif
