/* rl_local: GCRA (the generic cell rate algorithm) and the in-process table
 * the rate limiter falls back to while Redis is unavailable.
 *
 * GCRA keeps one number per key, the theoretical arrival time (TAT). With a
 * limit of n per period T, each request moves the TAT by T/n; a request is
 * refused when that would put the TAT more than T ahead of now. So n requests
 * may come at once, an even pace of n per T is never refused, and there is no
 * double burst at a window edge.
 *
 * The table is bounded: set-associative (4 ways), keyed by a 64-bit hash of
 * the key; a new key evicts the way whose TAT is oldest (expired first).
 * (Revoked token ids live in the shared set of valor/revoke.h.) */
#ifndef VALOR_GW_RL_LOCAL_H
#define VALOR_GW_RL_LOCAL_H

#include <stddef.h>
#include <stdint.h>

struct gw_gcra {
    int allowed;
    long long remaining; /* requests still allowed right now */
    long long reset_ms;  /* until the key is back to a full allowance */
    long long retry_ms;  /* refused: until one request is allowed again */
};

/* One GCRA step at now_ms for a limit of n per period_ms. *tat_ms is the
 * stored TAT (0 = none) and is advanced only when the request is allowed. */
void gw_gcra_step(double *tat_ms, long long now_ms, long n, long long period_ms,
                  struct gw_gcra *out);

struct gw_rl_local;

/* entries: the table's capacity (rounded down to a multiple of 4, ≥ 64). */
int gw_rl_local_new(size_t entries, struct gw_rl_local **out);
void gw_rl_local_free(struct gw_rl_local *t);

/* Counts one request of `key` (any string) and fills *out. Thread-safe. */
void gw_rl_local_check(struct gw_rl_local *t, const char *key, long n, long long period_ms,
                       long long now_ms, struct gw_gcra *out);

/* Wall clock in milliseconds (Redis' clock and the Reset header use it too). */
long long gw_now_ms(void);

#endif
