/* rl_link: an event loop's own connection to Redis for the limiter's
 * decisions (forward_loop.c).
 *
 * The decisions queued during one turn of the loop are framed into one
 * buffer (rl_redis.h: gw_rl_redis_frame) and written with one send at the
 * end of the turn (gw_rl_link_flush); their replies come back in order and
 * are parsed with the limiter's reader. Nothing here blocks but the connect
 * (kv, bounded by REDIS_TIMEOUT_MS; the caller links only while the breaker
 * is closed) and the SCRIPT LOAD after a NOSCRIPT, which goes through the
 * pipelined connections of rl_redis. A connection that closes before the
 * replies came (Redis restarted while the link was idle) is replaced and the
 * waiting commands written once more; a reply missing REDIS_TIMEOUT_MS after
 * its command was queued, a second failure or a protocol error fail every
 * decision on the link (rc VALOR_E_UNAVAILABLE); the caller completes them
 * (gw_ratelimit_complete), which opens the breaker. A generation change
 * (gw_rl_redis_reset) makes the link reconnect before its next write. */
#ifndef VALOR_GW_RL_LINK_H
#define VALOR_GW_RL_LINK_H

#include "ratelimit.h"
#include "rl_redis.h"

/* One decision on the link, owned by the caller until it is handed back. */
struct gw_rl_wait {
    struct gw_rl_call *call; /* call->sent_ms is set when queued */
    struct gw_rl_reply reply;
    int resent;  /* written again after a NOSCRIPT */
    int retried; /* written again on a fresh connection */
    void *ud;    /* the caller's */
    struct gw_rl_wait *next;
};

struct gw_rl_link;

int gw_rl_link_new(struct gw_rl_redis *r, int timeout_ms, struct gw_rl_link **out);
/* Nothing may be waiting on the link any more. */
void gw_rl_link_free(struct gw_rl_link *k);

/* Queues w for the next flush (VALOR_E_INVALID: its command cannot be framed,
 * w is not queued). */
int gw_rl_link_queue(struct gw_rl_link *k, struct gw_rl_wait *w);
/* Writes what is queued, connecting first when needed. */
void gw_rl_link_flush(struct gw_rl_link *k);
/* After gw_rl_link_fd() was ready, or once gw_rl_link_deadline() passed
 * (timed_out): reads and parses what arrived. */
void gw_rl_link_step(struct gw_rl_link *k, int timed_out);
/* The decisions answered or failed since the last call, in order (each
 * w->reply.rc set); NULL when none. */
struct gw_rl_wait *gw_rl_link_take_done(struct gw_rl_link *k);

/* What to watch: the socket (-1: nothing), POLLIN or POLLOUT, and when the
 * oldest reply is due (monotonic ms; LLONG_MAX: none). */
int gw_rl_link_fd(const struct gw_rl_link *k);
/* Counts the connections made: a new one may have the old one's number. */
unsigned gw_rl_link_serial(const struct gw_rl_link *k);
short gw_rl_link_events(const struct gw_rl_link *k);
long long gw_rl_link_deadline(const struct gw_rl_link *k);

#endif
