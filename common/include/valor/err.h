/* err: the error codes every module returns, and their mapping to HTTP.
 *
 * Functions return 0 (VALOR_OK) on success and a negative enum valor_err
 * otherwise. valor_err_http_status() is the one place that maps them to HTTP.
 */
#ifndef VALOR_ERR_H
#define VALOR_ERR_H

#include <jansson.h>

enum valor_err {
    VALOR_OK = 0,
    VALOR_E_INVALID = -1,       /* 400: bad input */
    VALOR_E_UNAUTHORIZED = -2,  /* 401: missing/bad credentials or token */
    VALOR_E_EXPIRED = -3,       /* 401: token expired */
    VALOR_E_FORBIDDEN = -4,     /* 403 */
    VALOR_E_NOT_FOUND = -5,     /* 404 */
    VALOR_E_METHOD = -6,        /* 405 */
    VALOR_E_CONFLICT = -7,      /* 409 */
    VALOR_E_PRECONDITION = -8,  /* 412 */
    VALOR_E_TOO_LARGE = -9,     /* 413 */
    VALOR_E_MEDIA_TYPE = -10,   /* 415 */
    VALOR_E_RATE_LIMITED = -11, /* 429 */
    VALOR_E_INTERNAL = -12,     /* 500 */
    VALOR_E_NOMEM = -13,        /* 500 */
    VALOR_E_UNAVAILABLE = -14,  /* 503: a dependency (DB, Redis, NATS, upstream) is down */
    VALOR_E_TIMEOUT = -15,      /* 504 */
};

/* HTTP status for an error code (VALOR_OK → 200, unknown → 500). */
unsigned valor_err_http_status(int err);

/* Short stable name, e.g. "invalid", "not_found" (for logs). Never NULL. */
const char *valor_err_name(int err);

/* Default client-facing message for a code, e.g. "Not found",
 * "Internal server error" (api.md §0). Never NULL. */
const char *valor_err_message(int err);

/* Builds {"error": message[, "request_id": request_id]}.
 * message NULL → valor_err_message(err). Caller owns the result (json_decref). */
json_t *valor_err_body(int err, const char *message, const char *request_id);

#endif
