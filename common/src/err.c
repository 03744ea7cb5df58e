/* err: error codes → HTTP status, stable names and client-facing messages. */
#include "valor/err.h"

#include <stddef.h>

struct err_info {
    int code;
    unsigned status;
    const char *name;
    const char *message; /* api.md §0 wording where the spec fixes one */
};

static const struct err_info err_table[] = {
    {VALOR_OK, 200, "ok", "OK"},
    {VALOR_E_INVALID, 400, "invalid", "Bad request"},
    {VALOR_E_UNAUTHORIZED, 401, "unauthorized", "Invalid token"},
    {VALOR_E_EXPIRED, 401, "expired", "Token expired"},
    {VALOR_E_FORBIDDEN, 403, "forbidden", "Insufficient permissions"},
    {VALOR_E_NOT_FOUND, 404, "not_found", "Not found"},
    {VALOR_E_METHOD, 405, "method_not_allowed", "Method not allowed"},
    {VALOR_E_CONFLICT, 409, "conflict", "Conflict"},
    {VALOR_E_PRECONDITION, 412, "precondition_failed", "Precondition failed"},
    {VALOR_E_TOO_LARGE, 413, "too_large", "Request body too large"},
    {VALOR_E_MEDIA_TYPE, 415, "unsupported_media_type", "Content-Type must be application/json"},
    {VALOR_E_RATE_LIMITED, 429, "rate_limited", "Rate limit exceeded"},
    {VALOR_E_INTERNAL, 500, "internal", "Internal server error"},
    {VALOR_E_NOMEM, 500, "nomem", "Internal server error"},
    {VALOR_E_UNAVAILABLE, 503, "unavailable", "Service unavailable"},
    {VALOR_E_TIMEOUT, 504, "timeout", "Upstream timeout"},
};

static const struct err_info err_unknown = {1, 500, "unknown", "Internal server error"};

static const struct err_info *err_lookup(int err)
{
    for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++) {
        if (err_table[i].code == err)
            return &err_table[i];
    }
    return &err_unknown;
}

unsigned valor_err_http_status(int err)
{
    return err_lookup(err)->status;
}

const char *valor_err_name(int err)
{
    return err_lookup(err)->name;
}

const char *valor_err_message(int err)
{
    return err_lookup(err)->message;
}

json_t *valor_err_body(int err, const char *message, const char *request_id)
{
    json_t *body = json_object();
    if (body == NULL)
        return NULL;
    if (message == NULL)
        message = valor_err_message(err);
    /* json_string() refuses invalid UTF-8; fall back to the default text
     * rather than return a body without "error". */
    json_t *msg = json_string(message);
    if (msg == NULL)
        msg = json_string(valor_err_message(err));
    if (json_object_set_new(body, "error", msg) != 0)
        goto fail;
    if (request_id != NULL && *request_id != '\0') {
        json_t *rid = json_string(request_id);
        if (rid != NULL && json_object_set_new(body, "request_id", rid) != 0)
            goto fail;
    }
    return body;
fail:
    json_decref(body);
    return NULL;
}
