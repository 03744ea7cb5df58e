/* handlers_notes: versioned per-ticker notes with ETags (see handlers_notes.h). */
#include "handlers_notes.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deals.h"
#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/jsonv.h"

#define BAD_NOTES "Invalid notes data"
#define WRITE_ATTEMPTS 5 /* a first write racing another first write retries */

int notes_ticker(const char *in, char *out, size_t len)
{
    size_t n = in != NULL ? strlen(in) : 0;
    if (n < 1 || n > NOTES_TICKER_MAX || n >= len)
        return VALOR_E_INVALID;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 128 || !(isalnum(c) || c == '.' || c == '-'))
            return VALOR_E_INVALID;
        out[i] = (char)toupper(c);
    }
    out[n] = '\0';
    return VALOR_OK;
}

int notes_etag_matches(const char *h, const char *etag, int weak)
{
    const char *p = h;

    if (h == NULL)
        return 0;
    while (*p) {
        const char *start, *end;
        int is_weak = 0;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        if (*p == '*')
            return etag != NULL;
        if (p[0] == 'W' && p[1] == '/') {
            is_weak = 1;
            p += 2;
        }
        if (*p == '"') {
            start = ++p;
            while (*p && *p != '"')
                p++;
            end = p;
            if (*p == '"')
                p++;
        } else {
            start = p;
            while (*p && *p != ',' && *p != ' ' && *p != '\t')
                p++;
            end = p;
        }
        if (etag != NULL && (!is_weak || weak) && (size_t)(end - start) == strlen(etag) &&
            memcmp(start, etag, strlen(etag)) == 0)
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

/* ETag, Last-Modified (RFC 7231 IMF-fixdate) and, when cacheable, Cache-Control. */
static void set_validators(struct http_ctx *ctx, const char *etag, const char *mtime, int cacheable)
{
    char quoted[70], date[40];
    time_t t = (time_t)strtoll(mtime, NULL, 10);
    struct tm tm;

    snprintf(quoted, sizeof(quoted), "\"%s\"", etag);
    u_map_put(ctx->resp->map_header, "ETag", quoted);
    if (gmtime_r(&t, &tm) != NULL &&
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
        u_map_put(ctx->resp->map_header, "Last-Modified", date);
    if (cacheable)
        u_map_put(ctx->resp->map_header, "Cache-Control", "private, no-cache");
}

static int bad_ticker(struct http_ctx *ctx)
{
    http_reply_validation(ctx, "ticker", "must be 1 to 20 characters of A-Z, 0-9, '.' and '-'");
    return VALOR_E_INVALID;
}

void notes_get(struct http_ctx *ctx)
{
    struct svc *s = deals_route_of(ctx)->svc;
    struct vjwt_claims claims;
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    char ticker[NOTES_TICKER_MAX + 1];
    const char *params[2] = {ctx->tenant, ticker};
    json_t *row;
    int rc;

    if (deals_auth(ctx, AUTHN_READ, &claims) != VALOR_OK)
        return;
    if (notes_ticker(http_param(ctx, "ticker"), ticker, sizeof(ticker)) != VALOR_OK) {
        bad_ticker(ctx);
        return;
    }
    rc = db_acquire(s->db, &conn);
    if (rc == VALOR_OK)
        rc = db_exec(conn, "notes_get", 2, params, &res);
    if (rc != VALOR_OK) {
        deals_reply_db(ctx, rc);
    } else if (PQntuples(res) == 0) {
        deals_reply_ok(ctx, 200,
                       json_pack("{s:s, s:s, s:i}", "ticker", ticker, "content", "", "version", 0));
    } else {
        const char *etag = PQgetvalue(res, 0, PQfnumber(res, "etag"));
        set_validators(ctx, etag, PQgetvalue(res, 0, PQfnumber(res, "mtime")), 1);
        if (notes_etag_matches(http_header(ctx, "If-None-Match"), etag, 1)) {
            ctx->resp->status = 304; /* no body */
        } else {
            row = db_row_json(res, 0);
            json_object_del(row, "etag");
            json_object_del(row, "mtime");
            json_object_set_new(row, "success", json_true());
            http_reply_json(ctx, 200, row);
        }
    }
    PQclear(res);
    if (conn != NULL)
        db_release(conn);
}

/* 400 {"error":"Invalid notes data","details":[{field,msg}]}. */
static void bad_notes(struct http_ctx *ctx, const struct jsonv_err *e)
{
    json_t *err = valor_err_body(VALOR_E_INVALID, BAD_NOTES, ctx->request_id);
    if (e != NULL)
        json_object_set_new(err, "details",
                            json_pack("[{s:s, s:s}]", "field", e->field, "msg", e->msg));
    http_reply_json(ctx, 400, err);
}

struct note_write {
    const char *ticker, *content, *if_match;
    long long version; /* expected current version, -1 when not given */
    long long current; /* out: the version found (on a conflict) */
    long long written; /* out: the new version */
    char etag[65];     /* out */
    char mtime[24];    /* out */
};

/* sha256(tenant|ticker|version|content) as hex. */
static int note_etag(const char *tenant, struct note_write *w, long long version)
{
    size_t len = strlen(tenant) + strlen(w->ticker) + strlen(w->content) + 32;
    char *buf = malloc(len);
    int n, rc;

    if (buf == NULL)
        return VALOR_E_NOMEM;
    n = snprintf(buf, len, "%s|%s|%lld|%s", tenant, w->ticker, version, w->content);
    rc = n > 0 && (size_t)n < len ? crypto_sha256_hex(buf, (size_t)n, w->etag) : VALOR_E_INTERNAL;
    free(buf);
    return rc;
}

/* One attempt inside a transaction. Returns VALOR_OK (written),
 * VALOR_E_CONFLICT (version mismatch: w->current), VALOR_E_PRECONDITION
 * (If-Match), 1 (lost a race to create the note: retry) or a database error. */
static int write_once(struct http_ctx *ctx, struct db_conn *conn, struct note_write *w)
{
    PGresult *res = NULL;
    char version[24];
    const char *params[6] = {ctx->tenant, w->ticker, w->content, NULL, NULL, NULL};
    int rc = db_begin(conn);

    if (rc == VALOR_OK)
        rc = db_exec(conn, "notes_lock", 2, params, &res);
    if (rc != VALOR_OK)
        goto out;
    w->current = PQntuples(res) > 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    if (w->version >= 0 && w->version != w->current) {
        rc = VALOR_E_CONFLICT;
        goto out;
    }
    if (w->if_match != NULL &&
        !notes_etag_matches(w->if_match, PQntuples(res) > 0 ? PQgetvalue(res, 0, 1) : NULL, 0)) {
        rc = VALOR_E_PRECONDITION;
        goto out;
    }
    PQclear(res);
    res = NULL;
    rc = note_etag(ctx->tenant, w, w->current + 1);
    if (rc != VALOR_OK)
        goto out;
    if (w->current == 0) {
        const char *ins[5] = {ctx->tenant, w->ticker, w->content, w->etag, ctx->user};
        rc = db_exec(conn, "notes_insert", 5, ins, &res);
        if (rc == VALOR_OK && PQntuples(res) == 0) {
            rc = 1; /* created meanwhile by another writer */
            goto out;
        }
    } else {
        snprintf(version, sizeof(version), "%lld", w->current + 1);
        params[3] = version;
        params[4] = w->etag;
        params[5] = ctx->user;
        rc = db_exec(conn, "notes_update", 6, params, &res);
    }
    if (rc != VALOR_OK)
        goto out;
    w->written = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(w->mtime, sizeof(w->mtime), "%s", PQgetvalue(res, 0, PQfnumber(res, "mtime")));
    {
        json_t *data =
            json_pack("{s:s, s:I}", "ticker", w->ticker, "version", (json_int_t)w->written);
        rc = data != NULL ? deals_event(conn, ctx, "note.updated", w->ticker, data) : VALOR_E_NOMEM;
        json_decref(data);
    }
    if (rc == VALOR_OK)
        rc = deals_commit(conn, deals_route_of(ctx)->svc);
out:
    PQclear(res);
    if (rc != VALOR_OK)
        db_rollback(conn);
    return rc;
}

void notes_put(struct http_ctx *ctx)
{
    struct svc *s = deals_route_of(ctx)->svc;
    struct vjwt_claims claims;
    struct jsonv_err e;
    struct db_conn *conn = NULL;
    struct note_write w = {.version = -1};
    char ticker[NOTES_TICKER_MAX + 1];
    json_t *body = NULL;
    int rc;

    if (deals_auth(ctx, AUTHN_WRITE, &claims) != VALOR_OK)
        return;
    if (notes_ticker(http_param(ctx, "ticker"), ticker, sizeof(ticker)) != VALOR_OK) {
        bad_ticker(ctx);
        return;
    }
    if (http_json_body(ctx, &body) != VALOR_OK)
        return;
    if (!json_is_object(body)) {
        bad_notes(ctx, NULL);
        goto out;
    }
    if (jsonv_string(body, "content", JSONV_REQUIRED, 0, NOTES_MAX_CHARS, &w.content, &e) < 0 ||
        jsonv_integer(body, "version", JSONV_OPTIONAL, 0, INT_MAX, &w.version, &e) < 0) {
        bad_notes(ctx, &e);
        goto out;
    }
    w.ticker = ticker;
    w.if_match = http_header(ctx, "If-Match");
    rc = db_acquire(s->db, &conn);
    for (int attempt = 0; rc == VALOR_OK && attempt < WRITE_ATTEMPTS; attempt++) {
        rc = write_once(ctx, conn, &w);
        if (rc != 1)
            break;
        rc = attempt + 1 < WRITE_ATTEMPTS ? VALOR_OK : VALOR_E_UNAVAILABLE;
    }
    if (rc == VALOR_OK) {
        set_validators(ctx, w.etag, w.mtime, 0);
        deals_reply_ok(ctx, 200,
                       json_pack("{s:s, s:I}", "message", "Notes saved successfully", "version",
                                 (json_int_t)w.written));
    } else if (rc == VALOR_E_CONFLICT) {
        json_t *err = valor_err_body(rc, "Version conflict", ctx->request_id);
        json_object_set_new(err, "current_version", json_integer(w.current));
        http_reply_json(ctx, 409, err);
    } else if (rc == VALOR_E_PRECONDITION) {
        http_reply_error(ctx, rc, "ETag conflict");
    } else {
        deals_reply_db(ctx, rc);
    }
out:
    if (conn != NULL)
        db_release(conn);
    json_decref(body);
}
