#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const char *gw_service_name(enum gw_service svc)
{
    return (unsigned)svc < GW_SVC_COUNT ? services[svc].name : "unknown";
}

/* http(s)://host[:port] with an optional path prefix; no query, fragment,
 * whitespace or control characters. Returns an owned copy without trailing '/'. */
static int parse_url(const char *name, const char *value, char **out, char *errbuf, size_t errlen)
{
    size_t len = strlen(value);
    const char *host = NULL;

    if (strncmp(value, "http://", 7) == 0)
        host = value + 7;
    else if (strncmp(value, "https://", 8) == 0)
        host = value + 8;
    if (host == NULL || *host == '\0' || *host == '/' || strpbrk(value, "?# \t\r\n") != NULL) {
        snprintf(errbuf, errlen, "%s must be an http:// or https:// URL without query", name);
        return VALOR_E_INVALID;
    }
    for (const char *p = value; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x21 || (unsigned char)*p == 0x7f) {
            snprintf(errbuf, errlen, "%s contains a control character", name);
            return VALOR_E_INVALID;
        }
    }
    while (len > 0 && value[len - 1] == '/')
        len--;
    *out = strndup(value, len);
    return *out != NULL ? VALOR_OK : VALOR_E_NOMEM;
}

int gw_config_load(struct gw_config *c, char *errbuf, size_t errlen)
{
    int rc;

    memset(c, 0, sizeof(*c));
    rc = cfg_load(&c->base, "gateway", GW_DEFAULT_PORT, errbuf, errlen);
    if (rc != VALOR_OK)
        return rc;
    for (int i = 0; i < GW_SVC_COUNT; i++) {
        const char *v = cfg_env_str(services[i].env, services[i].def);
        rc = parse_url(services[i].env, v, &c->upstream_url[i], errbuf, errlen);
        if (rc != VALOR_OK)
            return rc;
    }
    rc = cfg_env_long("UPSTREAM_CONNECT_TIMEOUT_MS", 1000, 1, 60000,
                      &c->upstream_connect_timeout_ms, errbuf, errlen);
    if (rc != VALOR_OK)
        return rc;
    return cfg_env_long("UPSTREAM_TIMEOUT_MS", 10000, 1, 600000, &c->upstream_timeout_ms, errbuf,
                        errlen);
}

void gw_config_free(struct gw_config *c)
{
    cfg_free(&c->base);
    for (int i = 0; i < GW_SVC_COUNT; i++) {
        free(c->upstream_url[i]);
        c->upstream_url[i] = NULL;
    }
}
