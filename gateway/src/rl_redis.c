#include "rl_redis.h"

#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/err.h"
#include "valor/kv.h"

/* KEYS[1] the bucket key, KEYS[2] (optional) the denylist key;
 * ARGV[1] n, ARGV[2] period in ms.
 * → {1 allowed | 0 refused | -1 revoked, remaining, reset_ms, retry_ms} */
static const char script[] =
    "if #KEYS > 1 and redis.call('EXISTS', KEYS[2]) == 1 then return {-1, 0, 0, 0} end\n"
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local n = tonumber(ARGV[1])\n"
    "local period = tonumber(ARGV[2])\n"
    "local interval = period / n\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]))\n"
    "if tat == nil or tat < now then tat = now end\n"
    "local new_tat = tat + interval\n"
    "local allow_at = new_tat - period\n"
    "if allow_at > now then\n"
    "  return {0, 0, math.ceil(tat - now), math.ceil(allow_at - now)}\n"
    "end\n"
    "redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now) + "
    "1)\n"
    "return {1, math.floor((period - (new_tat - now)) / interval + 1e-9), math.ceil(new_tat - "
    "now), 0}\n";

struct rl_thread {
    struct kv_client *c;
    unsigned gen;
    struct rl_thread *next;
};

struct gw_rl_redis {
    char *url;
    int timeout_ms;
    char sha[41];
    atomic_uint gen;
    pthread_key_t key;
    pthread_mutex_t lock;
    struct rl_thread *threads;
};

static int script_sha1(char out[41])
{
    unsigned char d[20];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA1, script, sizeof(script) - 1, d) != 0)
        return VALOR_E_INTERNAL;
    for (int i = 0; i < 20; i++)
        snprintf(out + (ptrdiff_t)2 * i, 3, "%02x", d[i]);
    return VALOR_OK;
}

int gw_rl_redis_new(const char *url, int timeout_ms, struct gw_rl_redis **out)
{
    struct gw_rl_redis *r = calloc(1, sizeof(*r));
    struct kv_opts o = {
        .url = url, .connect_timeout_ms = timeout_ms, .command_timeout_ms = timeout_ms};
    struct kv_client *probe = NULL;
    int rc;

    *out = NULL;
    if (r == NULL)
        return VALOR_E_NOMEM;
    rc = kv_open(&o, &probe); /* validates the URL */
    kv_close(probe);
    if (rc != VALOR_OK || script_sha1(r->sha) != VALOR_OK || (r->url = strdup(url)) == NULL) {
        free(r);
        return rc != VALOR_OK ? rc : VALOR_E_NOMEM;
    }
    r->timeout_ms = timeout_ms;
    if (pthread_key_create(&r->key, NULL) != 0) {
        free(r->url);
        free(r);
        return VALOR_E_INTERNAL;
    }
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return VALOR_OK;
}

void gw_rl_redis_free(struct gw_rl_redis *r)
{
    if (r == NULL)
        return;
    pthread_key_delete(r->key);
    while (r->threads != NULL) {
        struct rl_thread *t = r->threads;
        r->threads = t->next;
        kv_close(t->c);
        free(t);
    }
    pthread_mutex_destroy(&r->lock);
    free(r->url);
    free(r);
}

void gw_rl_redis_reset(struct gw_rl_redis *r)
{
    atomic_fetch_add(&r->gen, 1);
}

/* This thread's client, fresh when the generation moved on. */
static struct kv_client *thread_client(struct gw_rl_redis *r)
{
    struct rl_thread *t = pthread_getspecific(r->key);
    unsigned gen = atomic_load(&r->gen);
    struct kv_opts o = {
        .url = r->url, .connect_timeout_ms = r->timeout_ms, .command_timeout_ms = r->timeout_ms};

    if (t == NULL) {
        t = calloc(1, sizeof(*t));
        if (t == NULL)
            return NULL;
        if (pthread_setspecific(r->key, t) != 0) {
            free(t);
            return NULL;
        }
        t->gen = gen - 1; /* forces the open below */
        pthread_mutex_lock(&r->lock);
        t->next = r->threads;
        r->threads = t;
        pthread_mutex_unlock(&r->lock);
    }
    if (t->c == NULL || t->gen != gen) {
        kv_close(t->c);
        t->c = NULL;
        if (kv_open(&o, &t->c) != VALOR_OK)
            return NULL;
        t->gen = gen;
    }
    return t->c;
}

int gw_rl_redis_load(struct gw_rl_redis *r)
{
    const char *argv[] = {"SCRIPT", "LOAD", script};
    size_t argvlen[] = {6, 4, sizeof(script) - 1};
    struct kv_client *c = thread_client(r);
    redisReply *reply = NULL;
    int rc;

    if (c == NULL)
        return VALOR_E_UNAVAILABLE;
    rc = kv_command_argv(c, 3, argv, argvlen, &reply);
    if (rc != VALOR_OK)
        return rc;
    rc = reply->type == REDIS_REPLY_STRING && strcmp(reply->str, r->sha) == 0 ? VALOR_OK
                                                                              : VALOR_E_UNAVAILABLE;
    freeReplyObject(reply);
    return rc;
}

static int parse_reply(const redisReply *reply, int *revoked, struct gw_gcra *out)
{
    long long v[4];
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4)
        return VALOR_E_UNAVAILABLE;
    for (int i = 0; i < 4; i++) {
        if (reply->element[i]->type != REDIS_REPLY_INTEGER)
            return VALOR_E_UNAVAILABLE;
        v[i] = reply->element[i]->integer;
    }
    memset(out, 0, sizeof(*out));
    *revoked = v[0] < 0;
    out->allowed = v[0] == 1;
    out->remaining = v[1];
    out->reset_ms = v[2];
    out->retry_ms = v[3];
    return VALOR_OK;
}

int gw_rl_redis_check(struct gw_rl_redis *r, const char *key, const char *deny_key, long n,
                      long long period_ms, int *revoked, struct gw_gcra *out)
{
    char ns[24], ps[24];
    const char *argv[] = {"EVALSHA", r->sha, deny_key ? "2" : "1", key, deny_key, ns, ps};
    size_t argvlen[7];
    struct kv_client *c = thread_client(r);
    redisReply *reply = NULL;
    int rc;

    *revoked = 0;
    if (c == NULL)
        return VALOR_E_UNAVAILABLE;
    snprintf(ns, sizeof(ns), "%ld", n);
    snprintf(ps, sizeof(ps), "%lld", period_ms);
    if (deny_key == NULL) { /* shift the arguments over the missing key */
        argv[4] = ns;
        argv[5] = ps;
    }
    int argc = deny_key ? 7 : 6;
    for (int i = 0; i < argc; i++)
        argvlen[i] = strlen(argv[i]);
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = kv_command_argv(c, argc, argv, argvlen, &reply);
        if (rc != VALOR_OK)
            return rc;
        if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0 &&
            attempt == 0) {
            freeReplyObject(reply);
            reply = NULL;
            rc = gw_rl_redis_load(r);
            if (rc != VALOR_OK)
                return rc;
            continue;
        }
        break;
    }
    rc = parse_reply(reply, revoked, out);
    freeReplyObject(reply);
    return rc;
}
