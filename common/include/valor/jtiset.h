/* jtiset: a bounded in-memory set of revoked access-token ids (jti), each
 * kept until its token can no longer be presented (exp + leeway).
 *
 * Every process that verifies tokens holds one (revoke.h feeds it), so a
 * revoked token is refused even while Redis is down or empty. A jti is kept
 * as the first 16 bytes of its SHA-256: 24 bytes a slot, at most half the
 * slots used, so 100,000 entries take about 6 MiB. The table grows by
 * doubling up to `max` entries; at the limit it first forgets expired ones,
 * and refuses (counting the refusal) only when all of them still live.
 * Thread-safe: lookups share a read lock.
 */
#ifndef VALOR_JTISET_H
#define VALOR_JTISET_H

#include <stddef.h>

struct jtiset;

/* max: the most live entries held (≥ 1). NULL on allocation failure. */
struct jtiset *jtiset_new(size_t max);
void jtiset_free(struct jtiset *s);

/* Adds jti until until_ms (epoch ms; a later time extends an entry).
 * VALOR_OK, VALOR_E_INVALID when until_ms is not after now_ms (nothing to
 * keep), VALOR_E_NOMEM when the set is full of live entries. */
int jtiset_add(struct jtiset *s, const char *jti, long long until_ms, long long now_ms);

/* 1 when jti is in the set and not expired at now_ms, else 0. */
int jtiset_has(struct jtiset *s, const char *jti, long long now_ms);

/* Entries held (live or not yet forgotten), and adds refused because full. */
size_t jtiset_size(struct jtiset *s);
size_t jtiset_dropped(struct jtiset *s);

#endif
