/* kv: Redis through hiredis 0.14 (see kv.h).
 *
 * hiredis 0.14 pitfalls handled here:
 *  - no command timeout by default: redisSetTimeout() after every connect;
 *  - redisReconnect() forgets the timeouts and keepalive: never used; after
 *    any error the context is freed and the next command connects afresh;
 *  - a context is unusable after an I/O error (including a timeout);
 *  - a kept connection the server closed (Redis restarted, a proxy's idle
 *    timeout) fails the next command written on it: before a command on a
 *    connection idle for KV_IDLE_CHECK_MS, one non-blocking peek tells a
 *    closed socket from an open one, and a closed one is replaced first, so
 *    no command fails for a stale connection;
 *  - writes to a closed socket raise SIGPIPE: the process ignores it
 *    (app_signals_init()).
 */
#include "valor/clock.h"
#include "valor/kv.h"

#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/fmt.h"
#include "valor/log.h"

struct kv_client {
    char *host;
    int port;
    char *user;     /* Redis 6 ACL user, may be NULL */
    char *password; /* may be NULL; never logged */
    int db;
    int connect_timeout_ms;
    int command_timeout_ms;
    redisContext *ctx;      /* NULL while disconnected */
    double last_used_ms;    /* clock_mono_ms() of the last command */
    int down;               /* last attempt failed (log transitions only) */
    struct kv_client *next; /* kv_pool list */
};

struct kv_pool {
    struct kv_opts opts; /* url owned */
    pthread_key_t key;
    pthread_mutex_t lock;
    struct kv_client *clients;
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Copies [s, s+n) percent-decoded into a new string; NULL on bad escapes. */
static char *dup_decoded(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
            continue;
        }
        *o++ = s[i];
    }
    *o = '\0';
    return out;
}

static int parse_port(const char *s, size_t n, int *out)
{
    long v = 0;
    if (n == 0 || n > 5)
        return VALOR_E_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return VALOR_E_INVALID;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return VALOR_E_INVALID;
    *out = (int)v;
    return VALOR_OK;
}

/* redis://[[user]:password@]host[:port][/db]; host may be [v6]. */
static int parse_url(struct kv_client *c, const char *url)
{
    const char *p, *at, *hostend, *end;
    int rc = VALOR_E_INVALID;

    if (url == NULL || strncasecmp(url, "redis://", 8) != 0)
        return VALOR_E_INVALID;
    p = url + 8;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon == NULL) {
            /* redis://password@host is not a valid form; treat it as the password */
            colon = p - 1;
        } else if (colon > p) {
            c->user = dup_decoded(p, (size_t)(colon - p));
            if (c->user == NULL)
                return VALOR_E_INVALID;
        }
        if (at > colon + 1) {
            c->password = dup_decoded(colon + 1, (size_t)(at - colon - 1));
            if (c->password == NULL)
                return VALOR_E_INVALID;
        }
        p = at + 1;
    }
    c->port = 6379;
    if (*p == '[') {
        hostend = memchr(p, ']', (size_t)(end - p));
        if (hostend == NULL || hostend == p + 1)
            return VALOR_E_INVALID;
        c->host = strndup(p + 1, (size_t)(hostend - p - 1));
        p = hostend + 1;
        if (p < end && *p != ':')
            return VALOR_E_INVALID;
    } else {
        hostend = memchr(p, ':', (size_t)(end - p));
        if (hostend == NULL)
            hostend = end;
        if (hostend == p)
            return VALOR_E_INVALID;
        c->host = strndup(p, (size_t)(hostend - p));
        p = hostend;
    }
    if (c->host == NULL)
        return VALOR_E_NOMEM;
    if (p < end && *p == ':' && parse_port(p + 1, (size_t)(end - p - 1), &c->port) != VALOR_OK)
        return VALOR_E_INVALID;
    c->db = 0;
    if (*end == '/' && end[1] != '\0') {
        char *dbend = NULL;
        errno = 0;
        long db = strtol(end + 1, &dbend, 10);
        if (errno != 0 || dbend == end + 1 || (*dbend != '\0' && *dbend != '?') || db < 0 ||
            db > INT_MAX)
            goto out;
        c->db = (int)db;
    }
    rc = VALOR_OK;
out:
    return rc;
}

#define KV_IDLE_CHECK_MS 10

static struct timeval ms_tv(int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

static void drop_ctx(struct kv_client *c, const char *why)
{
    if (!c->down)
        log_warn(NULL, "redis_down", "redis %s:%d unavailable: %s", c->host, c->port,
                 why != NULL ? why : "unknown error");
    c->down = 1;
    if (c->ctx != NULL)
        redisFree(c->ctx);
    c->ctx = NULL;
}

/* Runs AUTH/SELECT during connect; VALOR_OK only on a status reply. */
static int setup_command(struct kv_client *c, int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(c->ctx, argc, argv, NULL);
    int rc = VALOR_OK;
    if (r == NULL) {
        drop_ctx(c, c->ctx->errstr);
        return VALOR_E_UNAVAILABLE;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        /* the server's message (e.g. WRONGPASS) never contains the password */
        drop_ctx(c, r->str);
        rc = VALOR_E_UNAVAILABLE;
    }
    freeReplyObject(r);
    return rc;
}

static int kv_connect(struct kv_client *c)
{
    char dbs[16];
    c->ctx = redisConnectWithTimeout(c->host, c->port, ms_tv(c->connect_timeout_ms));
    if (c->ctx == NULL) {
        drop_ctx(c, "out of memory");
        return VALOR_E_UNAVAILABLE;
    }
    if (c->ctx->err) {
        drop_ctx(c, c->ctx->errstr);
        return VALOR_E_UNAVAILABLE;
    }
    if (redisSetTimeout(c->ctx, ms_tv(c->command_timeout_ms)) != REDIS_OK ||
        redisEnableKeepAlive(c->ctx) != REDIS_OK) {
        drop_ctx(c, c->ctx->errstr);
        return VALOR_E_UNAVAILABLE;
    }
    if (c->password != NULL) {
        const char *auth_user[] = {"AUTH", c->user, c->password};
        const char *auth[] = {"AUTH", c->password};
        int rc = c->user != NULL ? setup_command(c, 3, auth_user) : setup_command(c, 2, auth);
        if (rc != VALOR_OK)
            return rc;
    }
    if (c->db != 0) {
        snprintf(dbs, sizeof(dbs), "%d", c->db);
        const char *sel[] = {"SELECT", dbs};
        if (setup_command(c, 2, sel) != VALOR_OK)
            return VALOR_E_UNAVAILABLE;
    }
    if (c->down)
        log_info(NULL, "redis_up", "redis %s:%d reachable again", c->host, c->port);
    c->down = 0;
    return VALOR_OK;
}

/* 1 when the server closed the connection (EOF or an error pending), or
 * sent something no command asked for; 0 while it is open and quiet. */
static int peer_closed(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

/* A connection to write a command on: connects when there is none, and
 * replaces one found closed after some idle time (quietly: Redis is fine). */
static int kv_ready(struct kv_client *c)
{
    double now = clock_mono_ms();
    if (c->ctx != NULL && now - c->last_used_ms >= KV_IDLE_CHECK_MS && peer_closed(c->ctx->fd)) {
        redisFree(c->ctx);
        c->ctx = NULL;
    }
    c->last_used_ms = now;
    return c->ctx != NULL ? VALOR_OK : kv_connect(c);
}

static void client_free(struct kv_client *c)
{
    if (c == NULL)
        return;
    if (c->ctx != NULL)
        redisFree(c->ctx);
    free(c->host);
    free(c->user);
    free(c->password);
    free(c);
}

int kv_open(const struct kv_opts *opts, struct kv_client **out)
{
    struct kv_client *c = NULL;
    int rc;

    *out = NULL;
    if (opts == NULL || opts->connect_timeout_ms < 0 || opts->command_timeout_ms < 0)
        return VALOR_E_INVALID;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return VALOR_E_NOMEM;
    c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 1000;
    c->command_timeout_ms = opts->command_timeout_ms > 0 ? opts->command_timeout_ms : 50;
    rc = parse_url(c, opts->url);
    if (rc != VALOR_OK) {
        client_free(c);
        return rc;
    }
    *out = c;
    return VALOR_OK;
}

void kv_close(struct kv_client *c)
{
    client_free(c);
}

int kv_command_argv(struct kv_client *c, int argc, const char **argv, const size_t *argvlen,
                    redisReply **reply)
{
    redisReply *r;

    *reply = NULL;
    if (c == NULL || argc < 1 || argv == NULL)
        return VALOR_E_INVALID;
    if (kv_ready(c) != VALOR_OK)
        return VALOR_E_UNAVAILABLE;
    r = redisCommandArgv(c->ctx, argc, argv, argvlen);
    if (r == NULL) {
        /* I/O error, EOF or timeout (EAGAIN): the context is dead either way */
        int timed_out = c->ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
        drop_ctx(c, timed_out ? "command timeout" : c->ctx->errstr);
        return VALOR_E_UNAVAILABLE;
    }
    *reply = r;
    return VALOR_OK;
}

int kv_raw_fd(struct kv_client *c, int *fd)
{
    *fd = -1;
    if (c == NULL)
        return VALOR_E_INVALID;
    if (kv_ready(c) != VALOR_OK)
        return VALOR_E_UNAVAILABLE;
    *fd = c->ctx->fd;
    return VALOR_OK;
}

void kv_raw_drop(struct kv_client *c, const char *why)
{
    if (c != NULL && c->ctx != NULL)
        drop_ctx(c, why);
}

int kv_ping(struct kv_client *c, int *latency_ms)
{
    const char *argv[] = {"PING"};
    redisReply *r = NULL;
    double t0 = clock_mono_ms();
    int rc = kv_command_argv(c, 1, argv, NULL, &r);

    if (latency_ms != NULL)
        *latency_ms = (int)(clock_mono_ms() - t0 + 0.5);
    if (rc != VALOR_OK)
        return rc;
    if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0)
        rc = VALOR_E_UNAVAILABLE; /* e.g. -LOADING or -NOAUTH */
    freeReplyObject(r);
    return rc;
}

int kv_pool_new(const struct kv_opts *opts, struct kv_pool **out)
{
    struct kv_pool *p = NULL;
    struct kv_client *probe = NULL;
    int rc;

    *out = NULL;
    /* validates the URL and timeouts once, at start-up */
    rc = kv_open(opts, &probe);
    if (rc != VALOR_OK)
        return rc;
    kv_close(probe);
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return VALOR_E_NOMEM;
    p->opts = *opts;
    p->opts.url = strdup(opts->url);
    if (p->opts.url == NULL) {
        free(p);
        return VALOR_E_NOMEM;
    }
    if (pthread_key_create(&p->key, NULL) != 0) {
        free((char *)p->opts.url);
        free(p);
        return VALOR_E_INTERNAL;
    }
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return VALOR_OK;
}

void kv_pool_free(struct kv_pool *p)
{
    struct kv_client *c, *next;
    if (p == NULL)
        return;
    pthread_key_delete(p->key);
    for (c = p->clients; c != NULL; c = next) {
        next = c->next;
        client_free(c);
    }
    pthread_mutex_destroy(&p->lock);
    free((char *)p->opts.url);
    free(p);
}

struct kv_client *kv_pool_get(struct kv_pool *p)
{
    struct kv_client *c = pthread_getspecific(p->key);
    if (c != NULL)
        return c;
    if (kv_open(&p->opts, &c) != VALOR_OK)
        return NULL;
    if (pthread_setspecific(p->key, c) != 0) {
        kv_close(c);
        return NULL;
    }
    pthread_mutex_lock(&p->lock);
    c->next = p->clients;
    p->clients = c;
    pthread_mutex_unlock(&p->lock);
    return c;
}

int kv_denylist_key(const char *jti, char *buf, size_t len)
{
    const char *parts[] = {KV_DENYLIST_PREFIX, jti};
    if (jti == NULL || *jti == '\0' || buf == NULL || len == 0)
        return VALOR_E_INVALID;
    return fmt_join(buf, len, parts, 2) < len ? VALOR_OK : VALOR_E_INVALID;
}

int kv_denylist_put(struct kv_client *c, size_t n, const char *const *jtis, const long long *ttl_s)
{
    char key[128], ex[24];
    const char *argv[] = {"SET", key, "1", "EX", ex};
    size_t argvlen[5] = {3, 0, 1, 2, 0};
    int rc = VALOR_OK;

    if (c == NULL)
        return VALOR_E_INVALID;
    if (n == 0)
        return VALOR_OK;
    for (size_t i = 0; i < n; i++) /* all or nothing: no command may stay unanswered */
        if (kv_denylist_key(jtis[i], key, sizeof(key)) != VALOR_OK)
            return VALOR_E_INVALID;
    if (kv_ready(c) != VALOR_OK)
        return VALOR_E_UNAVAILABLE;
    for (size_t i = 0; i < n; i++) {
        kv_denylist_key(jtis[i], key, sizeof(key));
        snprintf(ex, sizeof(ex), "%lld", ttl_s[i] < 1 ? 1 : ttl_s[i]);
        argvlen[1] = strlen(key);
        argvlen[4] = strlen(ex);
        if (redisAppendCommandArgv(c->ctx, 5, argv, argvlen) != REDIS_OK) {
            drop_ctx(c, "out of memory");
            return VALOR_E_UNAVAILABLE;
        }
    }
    for (size_t i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReply(c->ctx, &r) != REDIS_OK || r == NULL) {
            int timed_out =
                c->ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
            drop_ctx(c, timed_out ? "command timeout" : c->ctx->errstr);
            return VALOR_E_UNAVAILABLE;
        }
        if (((redisReply *)r)->type == REDIS_REPLY_ERROR)
            rc = VALOR_E_UNAVAILABLE;
        freeReplyObject(r);
    }
    return rc;
}

int kv_command(struct kv_client *c, int argc, const char **argv, redisReply **reply)
{
    size_t len[8];
    for (int i = 0; i < argc && i < 8; i++)
        len[i] = strlen(argv[i]);
    return argc <= 8 ? kv_command_argv(c, argc, argv, len, reply) : VALOR_E_INVALID;
}

int kv_lock_take(struct kv_client *c, const char *key, long ttl_ms, char token[37])
{
    char ttl[24];
    const char *argv[] = {"SET", key, token, "NX", "PX", ttl};
    redisReply *r = NULL;
    int rc;

    snprintf(ttl, sizeof(ttl), "%ld", ttl_ms);
    if ((rc = crypto_uuid4(token)) != VALOR_OK || (rc = kv_command(c, 6, argv, &r)) != VALOR_OK)
        return rc;
    rc = r->type == REDIS_REPLY_STATUS ? VALOR_OK
         : r->type == REDIS_REPLY_NIL  ? VALOR_E_CONFLICT
                                       : VALOR_E_UNAVAILABLE;
    freeReplyObject(r);
    return rc;
}

int kv_lock_release(struct kv_client *c, const char *key, const char *token)
{
    static const char script[] =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
        "return 0\n";
    const char *argv[] = {"EVAL", script, "1", key, token};
    redisReply *r = NULL;
    int rc = kv_command(c, 5, argv, &r);
    if (rc == VALOR_OK) {
        rc = r->type == REDIS_REPLY_INTEGER ? VALOR_OK : VALOR_E_UNAVAILABLE;
        freeReplyObject(r);
    }
    return rc;
}

int kv_exists(struct kv_client *c, const char *key)
{
    const char *argv[] = {"EXISTS", key};
    redisReply *r = NULL;
    int rc = kv_command(c, 2, argv, &r);
    if (rc != VALOR_OK)
        return rc;
    rc = r->type == REDIS_REPLY_INTEGER ? r->integer > 0 : VALOR_E_UNAVAILABLE;
    freeReplyObject(r);
    return rc;
}
