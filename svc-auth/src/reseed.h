/* reseed: keeps Redis' copy of the revocations whole (docs/auth.md "Where
 * revocation lives").
 *
 * revoked_tokens in PostgreSQL is the record; Redis' denylist is a copy for
 * the request path. A thread asks Redis every REVOCATION_CHECK_MS whether the
 * copy is complete, and re-seeds it from the record — every revocation still
 * in force, pipelined RESEED_BATCH a round trip, then the marker
 * RESEED_MARKER_KEY — when:
 *  - the marker is missing: Redis restarted without persistence, was flushed,
 *    evicted it, or a failover promoted an empty replica;
 *  - Redis answers again after this process saw it unreachable, or after a
 *    denylist write of this process failed (reseed_mark_dirty()).
 * Replicas take a short lock (SET NX PX) so one seeds at a time; the marker
 * is written only if the lock survived the seed (a flush in the middle
 * means seeding again). The thread also deletes rows a day past expiry.
 *
 * Metrics: revocation_reseeds_total, revocation_reseed_entries and
 * revocation_reseed_seconds (the last seed), revocation_redis_seeded (1 while
 * Redis holds the complete copy). Log lines: revocation_reseed_needed,
 * revocation_reseeded.
 */
#ifndef VALOR_AUTH_RESEED_H
#define VALOR_AUTH_RESEED_H

#include <stddef.h>

#define RESEED_MARKER_KEY "valor:denylist:seeded"
#define RESEED_LOCK_KEY "valor:denylist:seeding"
#define RESEED_BATCH 1000

struct svc;
struct reseed;

/* Starts the thread (check_ms ≥ 10). s is borrowed and must outlive it. */
int reseed_start(struct svc *s, int check_ms, struct reseed **out);
/* Stops and joins the thread. NULL is a no-op. */
void reseed_stop(struct reseed *r);

/* A denylist write failed: re-seed once Redis answers. Thread-safe. */
void reseed_mark_dirty(struct reseed *r);

/* One re-seed now, on the caller's thread, whatever the marker says (waiting
 * up to a minute for the lock): VALOR_OK with *entries written, or the
 * error. For tests and benchmarks. */
int reseed_now(struct reseed *r, long *entries);

#endif
