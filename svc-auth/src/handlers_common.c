/* handlers_common: body parsing, new-account validation and events shared by
 * the handlers (see handlers.h). */
#include "handlers.h"

#include <string.h>

#include "auth_rules.h"
#include "valor/bus.h"
#include "valor/err.h"
#include "valor/jsonv.h"
#include "valor/log.h"

#define FIELD_MAX 1024 /* code points; the rules below are stricter */

int auth_body_object(struct http_ctx *ctx, json_t **out)
{
    int rc = http_json_body(ctx, out);
    if (rc != VALOR_OK)
        return rc;
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        http_reply_validation(ctx, "body", "must be a JSON object");
        return VALOR_E_INVALID;
    }
    return VALOR_OK;
}

int auth_new_user_read(struct http_ctx *ctx, const json_t *body, enum auth_new_user_kind kind,
                       struct auth_new_user *nu)
{
    struct jsonv_err e;
    char msg[AUTH_MSG_LEN];
    const char *why;

    memset(nu, 0, sizeof(*nu));
    if (jsonv_string(body, "username", JSONV_REQUIRED, 0, FIELD_MAX, &nu->username, &e) < 0 ||
        jsonv_string(body, "email", JSONV_REQUIRED, 0, FIELD_MAX, &nu->email, &e) < 0 ||
        jsonv_string(body, "password", JSONV_REQUIRED, 0, FIELD_MAX, &nu->password, &e) < 0 ||
        (kind == AUTH_NEW_REGISTER &&
         jsonv_string(body, "tenant", JSONV_OPTIONAL, 0, FIELD_MAX, &nu->tenant, &e) < 0) ||
        (kind == AUTH_NEW_MEMBER &&
         jsonv_string(body, "role", JSONV_REQUIRED, 0, FIELD_MAX, &nu->role, &e) < 0))
        return jsonv_reply(ctx, &e);
    why = auth_check_new_user(nu->username, nu->email, nu->password, msg);
    if (why != NULL) {
        http_reply_error(ctx, VALOR_E_INVALID, why);
        return VALOR_E_INVALID;
    }
    if (kind == AUTH_NEW_MEMBER && !auth_role_valid(nu->role)) {
        http_reply_validation(ctx, "role", "must be one of admin, analyst, viewer");
        return VALOR_E_INVALID;
    }
    return VALOR_OK;
}

int auth_emit(struct http_ctx *ctx, struct db_conn *c, const char *type, const char *tenant,
              const char *user_id, const char *entity_id, json_t *data)
{
    struct bus_event ev = {.type = type,
                           .tenant = tenant,
                           .user_id = user_id,
                           .entity_id = entity_id,
                           .request_id = ctx->request_id,
                           .data = data};
    int rc = bus_outbox_add(c, &ev, NULL);
    if (rc != VALOR_OK)
        log_error(&ctx->log, "outbox_failed", "event %s not written: %s", type, valor_err_name(rc));
    return rc;
}

int auth_is_id(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 18 || s[0] == '0')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

void auth_reply_failure(struct http_ctx *ctx, int rc, const char *what)
{
    if (rc == VALOR_E_UNAVAILABLE) {
        log_warn(&ctx->log, "dependency_unavailable", "%s: %s", what, valor_err_name(rc));
        http_reply_error(ctx, rc, NULL);
        return;
    }
    log_error(&ctx->log, "internal_error", "%s: %s", what, valor_err_name(rc));
    http_reply_error(ctx, VALOR_E_INTERNAL, NULL);
}
