/* ws: the websocket feed (api.md §1, platform.md §1).
 *
 * GET /api/ws (Upgrade), authenticated by a Bearer header or ?access_token=
 * (and counted in the api bucket, which also checks the jti denylist). Each
 * connection receives, as text frames, the events of its own tenant: one core
 * NATS subscription on valor.events.> feeds every connection whose tenant is
 * the subject's second token. Each connection has a bounded queue
 * (WS_QUEUE_MAX); a client too slow to keep up is disconnected rather than
 * buffered forever. {"type":"ping"} is answered {"type":"pong"}.
 * GET /api/websocket/status reports the feed.
 *
 * ulfius 2.7.13: no message list is kept (keep_messages = none; the
 * incoming-message callback answers pings) and
 * ulfius_websocket_pop_first_message is never used. */
#ifndef VALOR_GW_WS_H
#define VALOR_GW_WS_H

#include "config.h"

struct bus;
struct http_server;
struct metrics_registry;
struct gw_ratelimit;
struct gw_ws;

/* Everything borrowed for the lifetime of ws; bus and reg may be NULL. */
int gw_ws_new(const struct gw_config *cfg, struct bus *bus, struct gw_ratelimit *rl,
              struct metrics_registry *reg, struct gw_ws **out);
/* GET /api/ws and GET /api/websocket/status. */
int gw_ws_register(struct http_server *s, struct gw_ws *ws);
/* Closes every websocket with status 1001 (going away) and waits up to
 * wait_ms for them to be gone. Call before http_server_stop(). */
void gw_ws_shutdown(struct gw_ws *ws, int wait_ms);
/* After the HTTP server stopped. */
void gw_ws_free(struct gw_ws *ws);

#endif
