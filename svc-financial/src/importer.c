/* importer: the import CLI and per-file loading (see importer.h). */
#include "importer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "company.h"
#include "fin_util.h"
#include "prices_csv.h"
#include "store.h"
#include "valor/bus.h"
#include "valor/cfg.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/log.h"
#include "valor/migrations.h"

static int read_file(const char *path, FILE *report, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;
    int rc = VALOR_E_INVALID;

    *out = NULL;
    if (f == NULL) {
        fprintf(report, "%s: cannot open: %s\n", path, strerror(errno));
        return rc;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > FIN_IMPORT_MAX_BYTES) {
        fprintf(report, "%s: not a regular file of at most %ld bytes\n", path,
                FIN_IMPORT_MAX_BYTES);
        goto out;
    }
    rc = VALOR_E_NOMEM;
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
        goto out;
    *len = fread(buf, 1, (size_t)st.st_size, f);
    buf[*len] = '\0';
    if (ferror(f)) {
        fprintf(report, "%s: read error\n", path);
        rc = VALOR_E_INVALID;
        goto out;
    }
    *out = buf;
    buf = NULL;
    rc = VALOR_OK;
out:
    free(buf);
    fclose(f);
    return rc;
}

static int add_event(struct db_conn *conn, const char *ticker, json_t *data)
{
    struct bus_event ev = {.type = "company.updated",
                           .tenant = FIN_IMPORT_EVENT_TENANT,
                           .entity_id = ticker,
                           .data = data};
    int rc = bus_outbox_add(conn, &ev, NULL);
    json_decref(data);
    return rc;
}

/* Validates every item first (all problems reported), then writes. */
static int import_json(struct db_conn *conn, const char *path, const char *text, size_t len,
                       FILE *report, struct fin_import_stats *st)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *items = NULL, *norm;
    const char **cites = NULL;
    size_t n, i, bad = 0;
    int rc = VALOR_E_INVALID;

    if (doc == NULL) {
        fprintf(report, "%s:%d:%d: invalid JSON: %s\n", path, je.line, je.column, je.text);
        return rc;
    }
    if (json_is_array(doc)) {
        items = json_incref(doc);
    } else {
        items = json_array();
        json_array_append(items, doc);
    }
    n = json_array_size(items);
    json_t *normed = json_array();
    cites = calloc(n + 1, sizeof(*cites));
    if (normed == NULL || cites == NULL) {
        rc = VALOR_E_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        struct jsonv_err e = {0};
        const char *t = json_string_value(json_object_get(json_array_get(items, i), "ticker"));
        if (fin_company_normalize(json_array_get(items, i), NULL, &norm, &cites[i], &e) !=
            VALOR_OK) {
            fprintf(report, "%s: item %zu (%s): %s: %s\n", path, i, t ? t : "?", e.field, e.msg);
            bad++;
            json_array_append_new(normed, json_null());
            continue;
        }
        json_array_append_new(normed, norm);
    }
    for (i = 0; bad == 0 && i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(normed, i), "ticker"),
                           json_object_get(json_array_get(normed, j), "ticker"))) {
                fprintf(report, "%s: item %zu: ticker appears twice (also item %zu)\n", path, i, j);
                bad++;
            }
    if (bad != 0)
        goto out;
    for (i = 0; i < n; i++) {
        int changed = 0;
        json_t *c = json_array_get(normed, i);
        const char *t = json_string_value(json_object_get(c, "ticker"));
        if ((rc = fin_store_put_company(conn, NULL, c, "store", cites[i], &changed)) != VALOR_OK)
            goto out;
        if (changed) {
            st->companies_changed++;
            rc = add_event(
                conn, t,
                json_pack("{s:s, s:s, s:s}", "ticker", t, "scope", "shared", "change", "company"));
            if (rc != VALOR_OK)
                goto out;
        } else {
            st->companies_unchanged++;
        }
    }
    rc = VALOR_OK;
out:
    free(cites);
    json_decref(normed);
    json_decref(items);
    json_decref(doc);
    return rc;
}

/* "dir/BRK.B.csv" → "BRK.B" when that is a valid ticker. */
static int ticker_from_name(const char *path, char t[FIN_TICKER_MAX + 1])
{
    const char *base = strrchr(path, '/');
    char name[64];
    size_t n;
    base = base != NULL ? base + 1 : path;
    n = strlen(base);
    if (n <= 4 || n - 4 >= sizeof(name))
        return VALOR_E_INVALID;
    memcpy(name, base, n - 4);
    name[n - 4] = '\0';
    return fin_ticker_norm(name, t);
}

static int import_csv(struct db_conn *conn, const char *path, const char *text, size_t len,
                      FILE *report, struct fin_import_stats *st)
{
    char t[FIN_TICKER_MAX + 1];
    json_t *rows = NULL, *changed = NULL, *v;
    const char *key;
    int rc;

    rc = fin_prices_csv_parse(path, text, len, ticker_from_name(path, t) == VALOR_OK ? t : NULL,
                              report, &rows);
    if (rc != 0)
        return rc > 0 ? VALOR_E_INVALID : rc;
    st->price_rows += (long)json_array_size(rows);
    if ((rc = fin_store_put_prices(conn, rows, &changed)) != VALOR_OK)
        goto out;
    json_object_foreach(changed, key, v)
    {
        st->price_rows_changed += (long)json_integer_value(v);
        rc = add_event(conn, key,
                       json_pack("{s:s, s:s, s:s, s:I}", "ticker", key, "scope", "shared", "change",
                                 "prices", "rows", json_integer_value(v)));
        if (rc != VALOR_OK)
            goto out;
    }
out:
    json_decref(rows);
    json_decref(changed);
    return rc;
}

static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

int fin_import_file(struct db_pool *pool, const char *path, FILE *report,
                    struct fin_import_stats *st)
{
    struct db_conn *conn = NULL;
    char *text = NULL;
    size_t len = 0;
    int json = has_ext(path, ".json"), rc;

    if (!json && !has_ext(path, ".csv")) {
        fprintf(report, "%s: unknown file type (expected .json or .csv)\n", path);
        return VALOR_E_INVALID;
    }
    if ((rc = read_file(path, report, &text, &len)) != VALOR_OK)
        return rc;
    if ((rc = db_acquire(pool, &conn)) != VALOR_OK) {
        fprintf(report, "%s: database unavailable\n", path);
        goto out;
    }
    if ((rc = db_begin(conn)) != VALOR_OK)
        goto out;
    rc = json ? import_json(conn, path, text, len, report, st)
              : import_csv(conn, path, text, len, report, st);
    if (rc == VALOR_OK)
        rc = db_commit(conn);
    else
        db_rollback(conn);
    if (rc != VALOR_OK && rc != VALOR_E_INVALID)
        fprintf(report, "%s: database error (%s); nothing imported\n", path, valor_err_name(rc));
    else if (rc == VALOR_E_INVALID)
        fprintf(report, "%s: rejected; nothing imported from this file\n", path);
out:
    if (conn != NULL)
        db_release(conn);
    free(text);
    return rc;
}

int fin_import_main(int argc, char **argv)
{
    struct valor_cfg cfg = {0};
    struct db_pool *pool = NULL;
    struct fin_import_stats st = {0};
    char why[256];
    size_t nmig = 0;
    int rc, failed = 0, status = 2;

    if (argc < 3) {
        fprintf(stderr, "usage: %s import FILE.json|FILE.csv...\n", argv[0]);
        return 2;
    }
    if (cfg_load(&cfg, "financial", 5103, why, sizeof(why)) != VALOR_OK) {
        fprintf(stderr, "import: %s\n", why);
        goto out;
    }
    log_init("financial", cfg.log_json, cfg.log_level);
    if (cfg.database_url == NULL) {
        fprintf(stderr, "import: DATABASE_URL is not set\n");
        goto out;
    }
    status = 1;
    while (valor_migrations[nmig].name != NULL)
        nmig++;
    rc = db_migrate(cfg.database_url, "financial", valor_migrations, nmig, cfg.db_timeout_ms);
    if (rc != VALOR_OK) {
        fprintf(stderr, "import: migrations failed (%s)\n", valor_err_name(rc));
        goto out;
    }
    struct db_pool_opts o = {
        .url = cfg.database_url, .schema = "financial", .connect_timeout_ms = cfg.db_timeout_ms};
    if (db_pool_new(&o, &pool) != VALOR_OK)
        goto out;
    for (int i = 2; i < argc; i++)
        if (fin_import_file(pool, argv[i], stderr, &st) != VALOR_OK)
            failed++;
    printf("import: %d file(s), %d failed; companies %ld changed, %ld unchanged; "
           "price rows %ld read, %ld changed\n",
           argc - 2, failed, st.companies_changed, st.companies_unchanged, st.price_rows,
           st.price_rows_changed);
    status = failed == 0 ? 0 : 1;
out:
    db_pool_free(pool);
    log_close();
    cfg_free(&cfg);
    return status;
}
