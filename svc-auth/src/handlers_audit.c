/* handlers_audit: GET /api/audit — the caller's tenant's events, newest
 * first, from the audit trail the JetStream consumer keeps. */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>

#include "service.h"
#include "valor/authn.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/jsonv.h"

#define AUDIT_LIMIT_DEFAULT 50
#define AUDIT_LIMIT_MAX 200

void auth_audit_list(struct http_ctx *ctx)
{
    struct auth_state *st = ctx->ud;
    struct vjwt_claims cl;
    struct db_conn *c = NULL;
    struct jsonv_err e;
    PGresult *res = NULL;
    json_t *events = NULL, *next = NULL;
    const char *cursor = http_query(ctx, "cursor");
    char limit_s[24];
    long limit = 0;
    int rc, n;

    if (authn_request(ctx, &st->svc->jwt, st->svc->revoke, AUTHN_ADMIN | AUTHN_NO_TENANT, &cl) !=
        VALOR_OK)
        goto out;
    if (jsonv_query_long(ctx, "limit", AUDIT_LIMIT_DEFAULT, 1, AUDIT_LIMIT_MAX, &limit, &e) < 0) {
        jsonv_reply(ctx, &e);
        goto out;
    }
    if (cursor != NULL && *cursor == '\0')
        cursor = NULL;
    if (cursor != NULL && !auth_is_id(cursor)) {
        http_reply_validation(ctx, "cursor", "must be a next_cursor value");
        goto out;
    }
    /* one more than asked: tells whether there is a next page */
    snprintf(limit_s, sizeof(limit_s), "%ld", limit + 1);
    const char *v[] = {cl.tid, cursor, limit_s};
    if ((rc = db_acquire(st->svc->db, &c)) != VALOR_OK ||
        (rc = db_exec(c,
                      "SELECT id, payload FROM audit_events WHERE tenant = $1 "
                      "AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3::int",
                      3, v, &res)) != VALOR_OK) {
        auth_reply_failure(ctx, rc, "audit list");
        goto out;
    }
    n = PQntuples(res);
    events = json_array();
    for (int i = 0; events != NULL && i < n && i < limit; i++) {
        json_t *row = db_row_json(res, i);
        json_array_append(events, json_object_get(row, "payload"));
        json_decref(row);
    }
    next = n > limit ? json_string(PQgetvalue(res, (int)limit - 1, 0)) : json_null();
    http_reply_json(
        ctx, 200,
        json_pack("{s:b, s:o, s:o}", "success", 1, "events", events, "next_cursor", next));
    events = next = NULL;
out:
    PQclear(res);
    if (c != NULL)
        db_release(c);
    json_decref(events);
    json_decref(next);
}
