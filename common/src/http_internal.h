/* http_internal: what http.c shares with http_reply.c (not a public API). */
#ifndef VALOR_HTTP_INTERNAL_H
#define VALOR_HTTP_INTERNAL_H

#include "valor/http.h"

/* The service name given to http_server_new() (borrowed). */
const char *http__service(const struct http_server *s);
/* The metrics registry given to http_server_new() (borrowed, may be NULL). */
struct metrics_registry *http__metrics(const struct http_server *s);
/* Hands `p` to the server, which frees it with free() in http_server_free(). */
int http__own(struct http_server *s, void *p);

/* 1 when `path` matches `tmpl` under ulfius' rules: ":x"/"@x" match one
 * non-empty segment, a last segment "*" matches the rest (also nothing),
 * empty segments ("//", a trailing "/") are ignored. */
int http__template_match(const char *tmpl, const char *path);
/* ulfius endpoint priority (lower runs first): 0 for a literal template, more
 * for each parameter, much more for a wildcard, so the exact template wins. */
unsigned http__template_priority(const char *tmpl);

#endif
