/* provider_av: Alpha Vantage over libcurl (see provider_av.h). */
#include "provider_av.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "valor/err.h"
#include "valor/log.h"

struct body {
    char *p;
    size_t len;
    size_t max;
    int too_big;
};

/* Caps the size here: CURLOPT_MAXFILESIZE does not stop chunked bodies. */
static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    struct body *b = ud;
    size_t add = size * n;
    char *np;

    if (b->len + add > b->max) {
        b->too_big = 1;
        return 0;
    }
    np = realloc(b->p, b->len + add + 1);
    if (np == NULL)
        return 0;
    memcpy(np + b->len, data, add);
    b->p = np;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static int set_err(struct fin_upstream_err *err, unsigned status, const char *msg,
                   const char *function)
{
    err->status = status;
    err->retry_after = status == 503 ? FIN_AV_RETRY_AFTER_S : 0;
    snprintf(err->message, sizeof(err->message), "%s (%s)", msg, function);
    return status == 503 ? VALOR_E_UNAVAILABLE : VALOR_E_INTERNAL;
}

/* One GET {base}/query?function=F&symbol=T&apikey=K → parsed JSON object. */
static int call(const struct fin_av_opts *o, const char *function, const char *ticker, json_t **out,
                struct fin_upstream_err *err)
{
    struct body b = {.max = o->max_bytes};
    char *sym = NULL, *key = NULL, *url = NULL;
    CURL *h = curl_easy_init();
    CURLcode cr;
    long status = 0;
    json_error_t je;
    int rc = VALOR_E_NOMEM;

    *out = NULL;
    if (h == NULL)
        goto out;
    sym = curl_easy_escape(h, ticker, 0);
    key = curl_easy_escape(h, o->api_key, 0);
    if (sym == NULL || key == NULL ||
        asprintf(&url, "%s/query?function=%s&symbol=%s&apikey=%s", o->base_url, function, sym,
                 key) < 0) {
        url = NULL;
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "valor-ivx-financial/1");
    cr = curl_easy_perform(h);
    if (cr != CURLE_OK) {
        if (b.too_big) {
            rc = set_err(err, 502, "Alpha Vantage answer too large", function);
        } else {
            log_warn(NULL, "alpha_vantage", "%s %s: %s", function, ticker, curl_easy_strerror(cr));
            rc = set_err(err, 503, "Alpha Vantage unavailable", function);
        }
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status == 429 || status >= 500) {
        rc = set_err(err, 503, "Alpha Vantage unavailable", function);
        goto out;
    }
    if (status != 200) {
        char msg[64];
        snprintf(msg, sizeof(msg), "Alpha Vantage answered HTTP %ld", status);
        rc = set_err(err, 502, msg, function);
        goto out;
    }
    *out = json_loadb(b.p != NULL ? b.p : "", b.len, JSON_REJECT_DUPLICATES, &je);
    if (*out == NULL) {
        rc = set_err(err, 502, "Alpha Vantage returned malformed data", function);
        goto out;
    }
    rc = fin_av_classify(*out, function, err);
    if (rc != VALOR_OK) {
        json_decref(*out);
        *out = NULL;
    }
out:
    curl_free(sym);
    curl_free(key);
    free(url);
    free(b.p);
    if (h != NULL)
        curl_easy_cleanup(h);
    return rc;
}

int fin_av_fetch_company(const struct fin_av_opts *o, const char *ticker, json_t **out,
                         struct fin_upstream_err *err)
{
    static const char *const fns[] = {"INCOME_STATEMENT", "BALANCE_SHEET", "CASH_FLOW"};
    json_t *ov = NULL, *st[3] = {NULL, NULL, NULL};
    int rc;

    *out = NULL;
    if ((rc = call(o, "OVERVIEW", ticker, &ov, err)) != VALOR_OK)
        goto out;
    for (int i = 0; i < 3; i++) {
        rc = call(o, fns[i], ticker, &st[i], err);
        /* a symbol without statements still has an overview */
        if (rc == VALOR_E_NOT_FOUND)
            rc = VALOR_OK;
        if (rc != VALOR_OK)
            goto out;
    }
    rc = fin_av_company(ticker, ov, st[0], st[1], st[2], out, err);
out:
    json_decref(ov);
    for (int i = 0; i < 3; i++)
        json_decref(st[i]);
    return rc;
}
