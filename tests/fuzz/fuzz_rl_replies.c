/* gateway: the pipelined limiter's reply path (gateway/src/rl_redis.c,
 * gw_rl_redis_take_replies). The bytes are what Redis sends back for a batch.
 * First byte: the number of commands in the batch (1-16); second byte: a
 * kind per command (bit i set → SCRIPT LOAD, else EVALSHA); third byte: the
 * chunk size (1-256) the bytes arrive in. Checks: never more replies than
 * commands are taken, in order; each taken reply has rc OK or UNAVAILABLE
 * and consistent fields; a reply not taken is left untouched; feeding the
 * bytes in chunks gives exactly what feeding them at once gives (no reply is
 * assigned to the wrong waiter because of where a read ended). */
#include <assert.h>
#include <hiredis/hiredis.h>

#include "fuzz_common.h"
#include "rl_redis.h"
#include "valor/err.h"

#define NMAX 16
#define SENTINEL 424242

static const char sha[] = "0123456789abcdef0123456789abcdef01234567";

/* Returns the error of the run (VALOR_OK or not) and fills res/got. */
static int run(const uint8_t *data, size_t size, size_t chunk, size_t n, unsigned kinds,
               struct gw_rl_reply *res, size_t *got)
{
    struct gw_rl_reply *p[NMAX];
    redisReader *rd = gw_rl_redis_reader_new();
    int rc = VALOR_OK;

    assert(rd != NULL);
    for (size_t i = 0; i < n; i++) {
        memset(&res[i], 0, sizeof(res[i]));
        res[i].kind = kinds & (1u << i) ? GW_RL_LOAD : GW_RL_EVAL;
        res[i].rc = SENTINEL;
        p[i] = &res[i];
    }
    *got = 0;
    for (size_t off = 0; off < size && rc == VALOR_OK && *got < n; off += chunk) {
        size_t len = size - off < chunk ? size - off : chunk;
        if (redisReaderFeed(rd, (const char *)data + off, len) != REDIS_OK)
            break;
        size_t before = *got;
        rc = gw_rl_redis_take_replies(rd, sha, p, n, got);
        assert(*got >= before && *got <= n);
    }
    redisReaderFree(rd);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gw_rl_reply a[NMAX], b[NMAX];
    size_t ga, gb;

    if (size < 3)
        return 0;
    size_t n = (size_t)(data[0] % NMAX) + 1, chunk = (size_t)data[2] + 1;
    unsigned kinds = data[1];
    data += 3;
    size -= 3;

    int ra = run(data, size, size > 0 ? size : 1, n, kinds, a, &ga);
    int rb = run(data, size, chunk, n, kinds, b, &gb);
    for (size_t i = 0; i < n; i++) {
        if (i >= ga) {
            assert(a[i].rc == SENTINEL); /* never written past what was parsed */
            continue;
        }
        assert(a[i].rc == VALOR_OK || a[i].rc == VALOR_E_UNAVAILABLE);
        assert(!a[i].noscript || (a[i].rc != VALOR_OK && a[i].kind == GW_RL_EVAL));
        if (a[i].rc == VALOR_OK && a[i].kind == GW_RL_EVAL)
            assert(!(a[i].revoked && a[i].g.allowed));
    }
    /* the same replies whatever the chunking, when neither hit an error */
    if (ra == VALOR_OK && rb == VALOR_OK) {
        assert(ga == gb);
        for (size_t i = 0; i < ga; i++) {
            assert(a[i].rc == b[i].rc && a[i].noscript == b[i].noscript);
            if (a[i].rc == VALOR_OK && a[i].kind == GW_RL_EVAL)
                assert(a[i].revoked == b[i].revoked && a[i].g.allowed == b[i].g.allowed &&
                       a[i].g.remaining == b[i].g.remaining && a[i].g.reset_ms == b[i].g.reset_ms &&
                       a[i].g.retry_ms == b[i].g.retry_ms);
        }
    }
    return 0;
}
