/* openapi: GET /api/openapi.json — the OpenAPI 3.1 document of every route of
 * api.md, kept in gateway/openapi.json and compiled in (openapi_doc.c is
 * generated from it by gateway/tools/embed-openapi.sh). */
#ifndef VALOR_GW_OPENAPI_H
#define VALOR_GW_OPENAPI_H

struct http_server;

extern const char gw_openapi_json[];
extern const unsigned long gw_openapi_json_len;

int gw_openapi_register(struct http_server *s);

#endif
