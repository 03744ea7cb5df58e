#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "valor/cpus.h"
#include "valor/err.h"

static const struct {
    const char *name;
    const char *env;
    const char *def;
} services[GW_SVC_COUNT] = {
    [GW_SVC_AUTH] = {"auth", "AUTH_SERVICE_URL", "http://127.0.0.1:5101"},
    [GW_SVC_RUNS] = {"runs", "RUNS_SERVICE_URL", "http://127.0.0.1:5102"},
    [GW_SVC_FINANCIAL] = {"financial", "FINANCIAL_SERVICE_URL", "http://127.0.0.1:5103"},
    [GW_SVC_DEALS] = {"deals", "DEALS_SERVICE_URL", "http://127.0.0.1:5104"},
};

static const struct {
    const char *name; /* the limit_type label */
    const char *env;
    struct gw_limit def;
} buckets[GW_BUCKET_COUNT] = {
    [GW_BUCKET_NONE] = {"none", NULL, {0, 0}},
    [GW_BUCKET_AUTH] = {"auth", "RATE_LIMIT_AUTH", {5, 60}},
    [GW_BUCKET_API] = {"api", "RATE_LIMIT_API", {100, 60}},
    [GW_BUCKET_FINANCIAL] = {"financial_data", "RATE_LIMIT_FINANCIAL_DATA", {30, 60}},
    [GW_BUCKET_HEAVY] = {"heavy", "RATE_LIMIT_HEAVY", {10, 60}},
};

static const struct {
    const char *name;
    const char *env;
    struct gw_limit def;
} plans[GW_PLAN_COUNT] = {
    [GW_PLAN_STANDARD] = {"standard", "RATE_LIMIT_API_STANDARD", {100, 60}},
    [GW_PLAN_PROFESSIONAL] = {"professional", "RATE_LIMIT_API_PROFESSIONAL", {500, 60}},
    [GW_PLAN_ENTERPRISE] = {"enterprise", "RATE_LIMIT_API_ENTERPRISE", {2000, 60}},
};

const char *gw_service_name(enum gw_service svc)
{
    return (unsigned)svc < GW_SVC_COUNT ? services[svc].name : "unknown";
}

const char *gw_bucket_name(enum gw_bucket b)
{
    return (unsigned)b < GW_BUCKET_COUNT ? buckets[b].name : "none";
}

enum gw_plan gw_plan_from_claim(const char *plan)
{
    for (int i = 0; plan != NULL && i < GW_PLAN_COUNT; i++)
        if (strcmp(plan, plans[i].name) == 0)
            return (enum gw_plan)i;
    return GW_PLAN_STANDARD;
}

int gw_limit_parse(const char *s, struct gw_limit *out)
{
    char *end = NULL;
    long n, p;

    if (s == NULL || *s < '0' || *s > '9')
        return VALOR_E_INVALID;
    n = strtol(s, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9')
        return VALOR_E_INVALID;
    p = strtol(end + 1, &end, 10);
    if (*end != '\0' || n < 1 || n > 1000000000L || p < 1 || p > 86400)
        return VALOR_E_INVALID;
    out->n = n;
    out->period_s = p;
    return VALOR_OK;
}

int gw_cidr_parse(const char *s, struct gw_cidr *out)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
    int max;

    if (len == 0 || len >= sizeof(buf))
        return VALOR_E_INVALID;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else {
        return VALOR_E_INVALID;
    }
    out->prefix = max;
    if (slash != NULL) {
        char *end = NULL;
        long p = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || p < 0 || p > max)
            return VALOR_E_INVALID;
        out->prefix = (int)p;
    }
    return VALOR_OK;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int gw_cidr_contains(const struct gw_cidr *list, size_t n, const char *ip)
{
    struct gw_cidr a;
    if (ip == NULL || gw_cidr_parse(ip, &a) != VALOR_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int bits = list[i].prefix < a.prefix ? list[i].prefix : a.prefix;
        if (list[i].family == a.family && bits == list[i].prefix &&
            prefix_equal(list[i].addr, a.addr, bits))
            return 1;
    }
    return 0;
}

/* Worker threads per CPU this process may use (the cgroup's CPU quota
 * included). With event loops (the default) a worker parses requests and
 * verifies tokens and never waits: 2 per CPU, 4 to 64. Without them it waits
 * on Redis and on the upstream for every request and needs more threads than
 * cores to keep the cores busy: 8 per CPU, 16 to 64 (docs/gateway.md,
 * "Workers" and "Fourth round"). */
static int gw_default_workers(int loops)
{
    long per = loops > 0 ? 2 : 8, lo = loops > 0 ? 4 : 16, n = per * cpus_available();
    return (int)(n < lo ? lo : n > 64 ? 64 : n);
}

/* http://host[:port] with an optional path prefix; no query, fragment,
 * whitespace or control characters. https:// is refused: the gateway speaks
 * plain HTTP/1.1 to the services (upstream.h); encryption inside the cluster
 * is the network's job (docs/gateway.md). Returns an owned copy without
 * trailing '/'. */
static int parse_url(const char *name, const char *value, size_t len, char **out, char *errbuf,
                     size_t errlen)
{
    const char *host = NULL;

    if (len > 7 && strncmp(value, "http://", 7) == 0)
        host = value + 7;
    if (host == NULL || *host == '/' || memchr(value, '?', len) || memchr(value, '#', len)) {
        snprintf(errbuf, errlen, "%s must be http:// URLs without query", name);
        return VALOR_E_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)value[i] < 0x21 || (unsigned char)value[i] == 0x7f) {
            snprintf(errbuf, errlen, "%s contains a control character or a space", name);
            return VALOR_E_INVALID;
        }
    }
    while (len > 0 && value[len - 1] == '/')
        len--;
    *out = strndup(value, len);
    return *out != NULL ? VALOR_OK : VALOR_E_NOMEM;
}

/* Calls fn(item, len) for each comma-separated item, blanks trimmed, empty
 * items skipped. Stops at the first error. */
static int each_item(const char *list, int (*fn)(void *ud, const char *item, size_t len), void *ud)
{
    const char *p = list;
    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        const char *end = comma != NULL ? comma : p + strlen(p);
        const char *s = p;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end > s) {
            int rc = fn(ud, s, (size_t)(end - s));
            if (rc != VALOR_OK)
                return rc;
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    return VALOR_OK;
}

struct load_state {
    struct gw_config *c;
    int svc;
    const char *var;
    struct gw_cidr *cidrs;
    size_t *ncidrs;
    char *errbuf;
    size_t errlen;
};

static int add_url(void *ud, const char *item, size_t len)
{
    struct load_state *st = ud;
    size_t *n = &st->c->n_upstream_url[st->svc];
    if (*n >= GW_MAX_URLS) {
        snprintf(st->errbuf, st->errlen, "%s lists more than %d URLs", st->var, GW_MAX_URLS);
        return VALOR_E_INVALID;
    }
    int rc =
        parse_url(st->var, item, len, &st->c->upstream_url[st->svc][*n], st->errbuf, st->errlen);
    if (rc == VALOR_OK)
        (*n)++;
    return rc;
}

static int add_origin(void *ud, const char *item, size_t len)
{
    struct load_state *st = ud;
    if (st->c->n_cors_origins >= GW_MAX_ORIGINS) {
        snprintf(st->errbuf, st->errlen, "CORS_ORIGINS lists more than %d origins", GW_MAX_ORIGINS);
        return VALOR_E_INVALID;
    }
    while (len > 0 && item[len - 1] == '/')
        len--;
    char *o = strndup(item, len);
    if (o == NULL)
        return VALOR_E_NOMEM;
    st->c->cors_origins[st->c->n_cors_origins++] = o;
    return VALOR_OK;
}

static int add_cidr(void *ud, const char *item, size_t len)
{
    struct load_state *st = ud;
    char buf[64];
    if (*st->ncidrs >= GW_MAX_CIDRS || len >= sizeof(buf)) {
        snprintf(st->errbuf, st->errlen, "%s: too many or too long entries", st->var);
        return VALOR_E_INVALID;
    }
    memcpy(buf, item, len);
    buf[len] = '\0';
    if (gw_cidr_parse(buf, &st->cidrs[*st->ncidrs]) != VALOR_OK) {
        snprintf(st->errbuf, st->errlen, "%s must be a comma-separated list of CIDR blocks",
                 st->var);
        return VALOR_E_INVALID;
    }
    (*st->ncidrs)++;
    return VALOR_OK;
}

static int load_limit(const char *env, struct gw_limit def, struct gw_limit *out, char *errbuf,
                      size_t errlen)
{
    const char *v = cfg_env_str(env, NULL);
    *out = def;
    if (v != NULL && gw_limit_parse(v, out) != VALOR_OK) {
        snprintf(errbuf, errlen, "%s must be <requests>/<seconds>, e.g. 100/60", env);
        return VALOR_E_INVALID;
    }
    return VALOR_OK;
}

static int load_limits(struct gw_config *c, char *errbuf, size_t errlen)
{
    struct gw_limit api;
    int rc = VALOR_OK;

    for (int b = GW_BUCKET_AUTH; b < GW_BUCKET_COUNT && rc == VALOR_OK; b++)
        rc = load_limit(buckets[b].env, buckets[b].def, &c->limits[b], errbuf, errlen);
    /* RATE_LIMIT_API sets every plan; RATE_LIMIT_API_<PLAN> overrides one */
    api = c->limits[GW_BUCKET_API];
    for (int p = 0; p < GW_PLAN_COUNT && rc == VALOR_OK; p++)
        rc = load_limit(plans[p].env, cfg_env_str("RATE_LIMIT_API", NULL) ? api : plans[p].def,
                        &c->api_plan[p], errbuf, errlen);
    return rc;
}

static int load_lists(struct gw_config *c, char *errbuf, size_t errlen)
{
    struct load_state st = {.c = c, .errbuf = errbuf, .errlen = errlen};
    int rc;

    for (int i = 0; i < GW_SVC_COUNT; i++) {
        st.svc = i;
        st.var = services[i].env;
        rc = each_item(cfg_env_str(services[i].env, services[i].def), add_url, &st);
        if (rc == VALOR_OK && c->n_upstream_url[i] == 0) {
            snprintf(errbuf, errlen, "%s must name at least one URL", services[i].env);
            rc = VALOR_E_INVALID;
        }
        if (rc != VALOR_OK)
            return rc;
    }
    rc = each_item(cfg_env_str("CORS_ORIGINS", "http://localhost:8000,http://127.0.0.1:8000"),
                   add_origin, &st);
    if (rc != VALOR_OK)
        return rc;
    st.var = "TRUSTED_PROXIES";
    st.cidrs = c->trusted_proxies;
    st.ncidrs = &c->n_trusted_proxies;
    rc = each_item(cfg_env_str("TRUSTED_PROXIES", ""), add_cidr, &st);
    if (rc != VALOR_OK)
        return rc;
    st.var = "METRICS_ALLOW_CIDRS";
    st.cidrs = c->metrics_allow;
    st.ncidrs = &c->n_metrics_allow;
    return each_item(cfg_env_str("METRICS_ALLOW_CIDRS", ""), add_cidr, &st);
}

int gw_config_load(struct gw_config *c, char *errbuf, size_t errlen)
{
    static const struct {
        const char *env;
        long def, min, max;
        size_t off;
    } longs[] = {
        {"UPSTREAM_CONNECT_TIMEOUT_MS", 1000, 1, 60000,
         offsetof(struct gw_config, upstream_connect_timeout_ms)},
        {"UPSTREAM_TIMEOUT_MS", 10000, 1, 600000, offsetof(struct gw_config, upstream_timeout_ms)},
        {"UPSTREAM_RESOLVE_INTERVAL_S", 5, 1, 3600,
         offsetof(struct gw_config, upstream_resolve_interval_s)},
        {"UPSTREAM_FAIL_THRESHOLD", 3, 1, 1000,
         offsetof(struct gw_config, upstream_fail_threshold)},
        {"UPSTREAM_COOLDOWN_MS", 5000, 10, 3600000,
         offsetof(struct gw_config, upstream_cooldown_ms)},
        {"RATE_LIMIT_LOCAL_ENTRIES", 65536, 64, 16777216,
         offsetof(struct gw_config, local_limiter_entries)},
        {"REDIS_PROBE_INTERVAL_MS", 1000, 10, 600000,
         offsetof(struct gw_config, redis_probe_interval_ms)},
        {"RATE_LIMIT_REDIS_CONNECTIONS", 2, 1, 64, offsetof(struct gw_config, redis_connections)},
        {"WS_QUEUE_MAX", 256, 1, 100000, offsetof(struct gw_config, ws_queue_max)},
        {"FORWARD_LOOPS", -1, 0, 64, offsetof(struct gw_config, forward_loops)},
        {"FORWARD_LOOP_CONNECTIONS", 128, 1, 4096,
         offsetof(struct gw_config, forward_loop_connections)},
    };
    int rc;

    memset(c, 0, sizeof(*c));
    rc = cfg_load(&c->base, "gateway", GW_DEFAULT_PORT, errbuf, errlen);
    if (rc != VALOR_OK)
        return rc;
    rc = load_lists(c, errbuf, errlen);
    if (rc != VALOR_OK)
        return rc;
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
        rc = cfg_env_long(longs[i].env, longs[i].def, longs[i].min, longs[i].max,
                          (long *)((char *)c + longs[i].off), errbuf, errlen);
        if (rc != VALOR_OK)
            return rc;
    }
    if (c->forward_loops < 0) { /* FORWARD_LOOPS unset: one loop per two CPUs */
        int n = (cpus_available() + 1) / 2;
        c->forward_loops = n > 64 ? 64 : n;
    }
    if (getenv("WORKER_THREADS") == NULL)
        c->base.worker_threads = gw_default_workers((int)c->forward_loops);
    return load_limits(c, errbuf, errlen);
}

void gw_config_free(struct gw_config *c)
{
    cfg_free(&c->base);
    for (int i = 0; i < GW_SVC_COUNT; i++) {
        for (size_t k = 0; k < c->n_upstream_url[i]; k++) {
            free(c->upstream_url[i][k]);
            c->upstream_url[i][k] = NULL;
        }
        c->n_upstream_url[i] = 0;
    }
    for (size_t i = 0; i < c->n_cors_origins; i++) {
        free(c->cors_origins[i]);
        c->cors_origins[i] = NULL;
    }
    c->n_cors_origins = 0;
}
