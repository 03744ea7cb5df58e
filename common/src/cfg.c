/* cfg: configuration from the environment (platform.md §2). */
#include "valor/cfg.h"
#include "valor/cpus.h"

#include "valor/err.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#define CFG_SECRET_MIN 32
#define CFG_GENERATED_SECRET_BYTES 32

/* Compared case-insensitively with the whole value. */
static const char *const secret_placeholders[] = {
    "change-me",
    "changeme",
    "change_me",
    "dev-secret-key-change-in-production",
    "jwt-secret-key-change-in-production",
    "secret",
    "secret-key",
    "secret_key",
    "secretkey",
    "your-secret-key",
    "your_secret_key",
    "jwt-secret",
    "jwt_secret",
    "supersecret",
    "mysecret",
    "password",
    "default",
    "test",
    "development",
    "production",
};

/* Markers that betray a placeholder wherever they appear (so padded or
 * suffixed copies of the template values are refused too). */
static const char *const secret_markers[] = {
    "replace-with-strong",
    "replace_with_strong",
    "change-me",
    "changeme",
    "change_me",
    "change-in-production",
    "change_in_production",
    "your-secret-key",
    "your_secret_key",
    "placeholder",
};

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang 14 */
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* Borrowed value of `name`, NULL when unset or empty. */
static const char *env_get(const char *name)
{
    const char *v = getenv(name);
    return (v != NULL && *v != '\0') ? v : NULL;
}

const char *cfg_env_str(const char *name, const char *def)
{
    const char *v = env_get(name);
    return v != NULL ? v : def;
}

int cfg_env_long(const char *name, long def, long min, long max, long *out, char *errbuf,
                 size_t errlen)
{
    const char *v = env_get(name);
    if (v == NULL) {
        *out = def;
        return VALOR_OK;
    }
    /* strtol accepts leading blanks and a sign; we accept only an optional
     * '-' followed by digits and nothing else. */
    const char *p = (*v == '-') ? v + 1 : v;
    if (*p < '0' || *p > '9')
        goto bad;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == NULL || *end != '\0')
        goto bad;
    if (n < min || n > max)
        goto bad;
    *out = n;
    return VALOR_OK;
bad:
    set_err(errbuf, errlen, "%s must be an integer in [%ld, %ld]", name, min, max);
    return VALOR_E_INVALID;
}

int cfg_env_bool(const char *name, int def, int *out, char *errbuf, size_t errlen)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    const char *v = env_get(name);
    if (v == NULL) {
        *out = def ? 1 : 0;
        return VALOR_OK;
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return VALOR_OK;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return VALOR_OK;
        }
    }
    set_err(errbuf, errlen, "%s must be true or false", name);
    return VALOR_E_INVALID;
}

/* Reason a value is not acceptable as a production secret, NULL if it is. */
static const char *secret_problem(const char *value)
{
    if (value == NULL || *value == '\0')
        return "is not set (required in production)";
    for (size_t i = 0; i < sizeof(secret_placeholders) / sizeof(secret_placeholders[0]); i++) {
        if (strcasecmp(value, secret_placeholders[i]) == 0)
            return "is a well-known placeholder";
    }
    for (size_t i = 0; i < sizeof(secret_markers) / sizeof(secret_markers[0]); i++) {
        if (strcasestr(value, secret_markers[i]) != NULL)
            return "is a well-known placeholder";
    }
    if (strlen(value) < CFG_SECRET_MIN)
        return "is shorter than 32 bytes";
    return NULL;
}

int cfg_secret_check(const char *value)
{
    return secret_problem(value) == NULL ? VALOR_OK : VALOR_E_INVALID;
}

static int random_hex(char **out)
{
    unsigned char raw[CFG_GENERATED_SECRET_BYTES];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return VALOR_E_INTERNAL;
        }
        got += (size_t)n;
    }
    char *hex = malloc(2 * sizeof(raw) + 1);
    if (hex == NULL) {
        explicit_bzero(raw, sizeof(raw));
        return VALOR_E_NOMEM;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(raw); i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 0x0f];
    }
    hex[2 * sizeof(raw)] = '\0';
    explicit_bzero(raw, sizeof(raw));
    *out = hex;
    return VALOR_OK;
}

/* Owned copy of the variable (or def) into *out; NULL stays NULL. */
static int dup_env(const char *name, const char *def, char **out)
{
    const char *v = cfg_env_str(name, def);
    *out = NULL;
    if (v == NULL)
        return VALOR_OK;
    *out = strdup(v);
    return *out != NULL ? VALOR_OK : VALOR_E_NOMEM;
}

static int load_secret(struct valor_cfg *cfg, const char *name, char **out, char *errbuf,
                       size_t errlen)
{
    const char *v = env_get(name);
    if (cfg->production) {
        const char *why = secret_problem(v);
        if (why != NULL) {
            set_err(errbuf, errlen, "%s %s", name, why);
            return VALOR_E_INVALID;
        }
    } else if (v == NULL) {
        int rc = random_hex(out);
        if (rc == VALOR_OK)
            cfg->generated_secret = 1;
        else
            set_err(errbuf, errlen, "%s: cannot generate a development secret", name);
        return rc;
    }
    *out = strdup(v);
    if (*out == NULL) {
        set_err(errbuf, errlen, "%s: out of memory", name);
        return VALOR_E_NOMEM;
    }
    return VALOR_OK;
}

/* JWT_PREVIOUS_SECRET_KEYS: up to CFG_MAX_PREVIOUS_KEYS comma-separated keys
 * (spaces around a key ignored), each under the production rules of a
 * secret, none equal to JWT_SECRET_KEY. */
static int load_previous_keys(struct valor_cfg *cfg, char *errbuf, size_t errlen)
{
    static const char name[] = "JWT_PREVIOUS_SECRET_KEYS";
    const char *v = env_get(name), *p = v;

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 0) {
            set_err(errbuf, errlen, "%s has an empty key", name);
            return VALOR_E_INVALID;
        }
        if (cfg->njwt_previous == CFG_MAX_PREVIOUS_KEYS) {
            set_err(errbuf, errlen, "%s holds more than %d keys", name, CFG_MAX_PREVIOUS_KEYS);
            return VALOR_E_INVALID;
        }
        char *key = strndup(p, n);
        if (key == NULL) {
            set_err(errbuf, errlen, "%s: out of memory", name);
            return VALOR_E_NOMEM;
        }
        cfg->jwt_previous[cfg->njwt_previous++] = key;
        const char *why = cfg->production ? secret_problem(key) : NULL;
        if (why != NULL) {
            set_err(errbuf, errlen, "%s key %d %s", name, cfg->njwt_previous, why);
            return VALOR_E_INVALID;
        }
        if (strcmp(key, cfg->jwt_secret) == 0) {
            set_err(errbuf, errlen, "%s key %d is JWT_SECRET_KEY itself", name, cfg->njwt_previous);
            return VALOR_E_INVALID;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return VALOR_OK;
}

static int load_env_mode(struct valor_cfg *cfg, char *errbuf, size_t errlen)
{
    const char *name = "APP_ENV";
    const char *v = env_get(name);
    if (v == NULL) {
        name = "FLASK_ENV";
        v = env_get(name);
    }
    if (v == NULL || strcasecmp(v, "development") == 0 || strcasecmp(v, "testing") == 0 ||
        strcasecmp(v, "test") == 0) {
        cfg->production = 0;
        return VALOR_OK;
    }
    if (strcasecmp(v, "production") == 0) {
        cfg->production = 1;
        return VALOR_OK;
    }
    set_err(errbuf, errlen, "%s must be development or production", name);
    return VALOR_E_INVALID;
}

static int load_log_level(struct valor_cfg *cfg, char *errbuf, size_t errlen)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {
        {"ERROR", CFG_LOG_ERROR}, {"WARNING", CFG_LOG_WARNING}, {"WARN", CFG_LOG_WARNING},
        {"INFO", CFG_LOG_INFO},   {"DEBUG", CFG_LOG_DEBUG},
    };
    const char *v = env_get("LOG_LEVEL");
    if (v == NULL) {
        cfg->log_level = CFG_LOG_INFO;
        return VALOR_OK;
    }
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcasecmp(v, levels[i].name) == 0) {
            cfg->log_level = levels[i].level;
            if (cfg->production && cfg->log_level == CFG_LOG_DEBUG) {
                set_err(errbuf, errlen, "LOG_LEVEL must not be DEBUG in production");
                return VALOR_E_INVALID;
            }
            return VALOR_OK;
        }
    }
    set_err(errbuf, errlen, "LOG_LEVEL must be one of ERROR, WARNING, INFO, DEBUG");
    return VALOR_E_INVALID;
}

/* 2 per CPU this process may use (its cgroup's CPU quota counts: a
 * container limited to 1 CPU gets 4, not 2 × the node's cores). */
static int default_workers(void)
{
    long n = 2L * cpus_available();
    if (n < 4)
        n = 4;
    if (n > 64)
        n = 64;
    return (int)n;
}

/* Reads an int-sized variable through cfg_env_long. */
static int env_int(const char *name, long def, long min, long max, int *out, char *errbuf,
                   size_t errlen)
{
    long v = 0;
    int rc = cfg_env_long(name, def, min, max, &v, errbuf, errlen);
    if (rc == VALOR_OK)
        *out = (int)v;
    return rc;
}

int cfg_load(struct valor_cfg *cfg, const char *service, int default_port, char *errbuf,
             size_t errlen)
{
    int rc;
    long body = 0;

    memset(cfg, 0, sizeof(*cfg));
    set_err(errbuf, errlen, "%s", "");
    if (service == NULL || strlen(service) >= sizeof(cfg->service)) {
        set_err(errbuf, errlen, "service name missing or too long");
        return VALOR_E_INVALID;
    }
    snprintf(cfg->service, sizeof(cfg->service), "%s", service);

    if ((rc = load_env_mode(cfg, errbuf, errlen)) != VALOR_OK)
        goto out;

    const char *host = cfg_env_str("HOST", "127.0.0.1");
    if (strlen(host) >= sizeof(cfg->host)) {
        set_err(errbuf, errlen, "HOST is longer than %zu bytes", sizeof(cfg->host) - 1);
        rc = VALOR_E_INVALID;
        goto out;
    }
    snprintf(cfg->host, sizeof(cfg->host), "%s", host);

    if ((rc = env_int("PORT", default_port, 0, 65535, &cfg->port, errbuf, errlen)) != VALOR_OK)
        goto out;

    if ((rc = dup_env("DATABASE_URL", NULL, &cfg->database_url)) != VALOR_OK ||
        (rc = dup_env("REDIS_URL", "redis://127.0.0.1:6379/0", &cfg->redis_url)) != VALOR_OK ||
        (rc = dup_env("NATS_URL", "nats://127.0.0.1:4222", &cfg->nats_url)) != VALOR_OK ||
        (rc = dup_env("JWT_ISSUER", "valor-ivx", &cfg->jwt_issuer)) != VALOR_OK ||
        (rc = dup_env("JWT_AUDIENCE", "valor-ivx-api", &cfg->jwt_audience)) != VALOR_OK) {
        set_err(errbuf, errlen, "out of memory");
        goto out;
    }

    if ((rc = load_secret(cfg, "JWT_SECRET_KEY", &cfg->jwt_secret, errbuf, errlen)) != VALOR_OK ||
        (rc = load_previous_keys(cfg, errbuf, errlen)) != VALOR_OK ||
        (rc = load_secret(cfg, "SECRET_KEY", &cfg->secret_key, errbuf, errlen)) != VALOR_OK)
        goto out;

    if ((rc = load_log_level(cfg, errbuf, errlen)) != VALOR_OK)
        goto out;

    if ((rc = env_int("JWT_LEEWAY", 30, 0, 3600, &cfg->jwt_leeway_s, errbuf, errlen)) ||
        (rc = cfg_env_bool("LOG_JSON", 1, &cfg->log_json, errbuf, errlen)) ||
        (rc = cfg_env_bool("FEATURE_PROMETHEUS_METRICS", 1, &cfg->metrics_enabled, errbuf,
                           errlen)) ||
        (rc = env_int("WORKER_THREADS", default_workers(), 1, 64, &cfg->worker_threads, errbuf,
                      errlen)) ||
        (rc =
             env_int("MAX_CONNECTIONS", 1024, 1, 1000000, &cfg->max_connections, errbuf, errlen)) ||
        (rc = env_int("CONNECTION_TIMEOUT_S", 30, 1, 3600, &cfg->connection_timeout_s, errbuf,
                      errlen)) ||
        (rc = env_int("SHUTDOWN_GRACE_S", 10, 0, 3600, &cfg->shutdown_grace_s, errbuf, errlen)) ||
        (rc = cfg_env_long("MAX_BODY_BYTES", 1024L * 1024, 1, 1024L * 1024 * 1024, &body, errbuf,
                           errlen)) ||
        (rc = env_int("REDIS_TIMEOUT_MS", 50, 1, 60000, &cfg->redis_timeout_ms, errbuf, errlen)) ||
        (rc = env_int("METRICS_MAX_TENANTS", 100, 1, 100000, &cfg->metrics_max_tenants, errbuf,
                      errlen)) ||
        (rc = env_int("DB_CONNECT_TIMEOUT_MS", 2000, 1, 600000, &cfg->db_timeout_ms, errbuf,
                      errlen)) ||
        (rc = env_int("REVOCATION_LOCAL_MAX", 262144, 1, 10000000, &cfg->revocation_local_max,
                      errbuf, errlen)) ||
        (rc = env_int("REVOCATION_REPLAY_S", 90000, 60, 31622400, &cfg->revocation_replay_s, errbuf,
                      errlen)))
        goto out;
    cfg->max_body_bytes = (size_t)body;
    rc = VALOR_OK;
out:
    return rc;
}

static void free_secret(char **s)
{
    if (*s != NULL) {
        explicit_bzero(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}

void cfg_free(struct valor_cfg *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->database_url);
    free(cfg->redis_url);
    free(cfg->nats_url);
    free(cfg->jwt_issuer);
    free(cfg->jwt_audience);
    free_secret(&cfg->jwt_secret);
    for (int i = 0; i < cfg->njwt_previous; i++)
        free_secret(&cfg->jwt_previous[i]);
    cfg->njwt_previous = 0;
    free_secret(&cfg->secret_key);
    cfg->database_url = cfg->redis_url = cfg->nats_url = NULL;
    cfg->jwt_issuer = cfg->jwt_audience = NULL;
}
