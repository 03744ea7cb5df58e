/* svc-financial: configuration, state and routes. */
#include "service.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "handlers.h"
#include "sflight.h"
#include "valor/cfg.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/log.h"
#include "valor/migrations.h"

static void cleanup(struct svc *s)
{
    struct fin_service *fs = s->priv;
    if (fs == NULL)
        return;
    fin_sflight_free(fs->sflight);
    free(fs->av_key);
    free(fs->av_base_url);
    free(fs);
    s->priv = NULL;
    curl_global_cleanup();
}

static int load_config(struct fin_service *fs)
{
    char why[256];
    long connect_ms, timeout_ms;
    const char *key = cfg_env_str("ALPHA_VANTAGE_API_KEY", NULL);
    const char *base = cfg_env_str("ALPHA_VANTAGE_BASE_URL", "https://www.alphavantage.co");
    size_t n;

    if (cfg_env_long("FINANCIAL_CACHE_TTL_S", 86400, 1, 30L * 86400, &fs->cache_ttl_s, why,
                     sizeof(why)) != VALOR_OK ||
        cfg_env_long("ALPHA_VANTAGE_CONNECT_TIMEOUT_MS", 2000, 1, 60000, &connect_ms, why,
                     sizeof(why)) != VALOR_OK ||
        cfg_env_long("ALPHA_VANTAGE_TIMEOUT_MS", 5000, 1, 120000, &timeout_ms, why, sizeof(why)) !=
            VALOR_OK) {
        log_error(NULL, "config_refused", "%s", why);
        return VALOR_E_INVALID;
    }
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
        log_error(NULL, "config_refused", "ALPHA_VANTAGE_BASE_URL must start with http(s)://");
        return VALOR_E_INVALID;
    }
    if ((key != NULL && (fs->av_key = strdup(key)) == NULL) ||
        (fs->av_base_url = strdup(base)) == NULL)
        return VALOR_E_NOMEM;
    n = strlen(fs->av_base_url);
    while (n > 0 && fs->av_base_url[n - 1] == '/')
        fs->av_base_url[--n] = '\0';
    fs->av = (struct fin_av_opts){.base_url = fs->av_base_url,
                                  .api_key = fs->av_key,
                                  .connect_timeout_ms = connect_ms,
                                  .timeout_ms = timeout_ms,
                                  .max_bytes = (size_t)8 * 1024 * 1024};
    return VALOR_OK;
}

static int register_routes(struct svc *s)
{
    struct fin_service *fs = calloc(1, sizeof(*fs));
    int rc;

    if (fs == NULL)
        return VALOR_E_NOMEM;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(fs);
        return VALOR_E_INTERNAL;
    }
    s->priv = fs;
    fs->svc = s;
    if ((rc = load_config(fs)) != VALOR_OK || (rc = fin_sflight_new(&fs->sflight)) != VALOR_OK)
        return rc;
    struct {
        const char *method, *path;
        http_handler h;
    } routes[] = {
        {"GET", "/api/financial-data", fin_h_search},
        {"GET", "/api/financial-data/:ticker", fin_h_company},
        {"PUT", "/api/financial-data/:ticker", fin_h_put_company},
        {"GET", "/api/financial-data/:ticker/dcf-inputs", fin_h_dcf_inputs},
        {"GET", "/api/financial-data/:ticker/historical-prices", fin_h_prices},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if ((rc = http_route(s->http, routes[i].method, routes[i].path, routes[i].h, fs)) !=
            VALOR_OK)
            return rc;
    log_info(NULL, "alpha_vantage", "Alpha Vantage provider %s",
             fs->av_key != NULL ? "enabled" : "disabled (no ALPHA_VANTAGE_API_KEY)");
    return VALOR_OK;
}

const struct svc_def financial_def = {
    .name = "financial",
    .schema = "financial",
    .default_port = 5103,
    .migrations = valor_migrations,
    .stmts = NULL,
    .nstmts = 0,
    .register_routes = register_routes,
    .cleanup = cleanup,
};
