/* system: the gateway's own routes — GET / and GET /api/health (api.md §1). */
#ifndef VALOR_GW_SYSTEM_H
#define VALOR_GW_SYSTEM_H

struct http_server;

int gw_system_register(struct http_server *s);

#endif
