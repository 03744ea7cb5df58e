/* gateway: start-up and shutdown of the API gateway (platform.md §1).
 *
 * Tests start it in-process with gw_start() (PORT=0 for an ephemeral port,
 * *_SERVICE_URL pointing at fake upstreams) and stop it with gw_stop(). */
#ifndef VALOR_GW_GATEWAY_H
#define VALOR_GW_GATEWAY_H

struct gw;

/* Loads the configuration, opens NATS, builds the pipeline and starts the
 * HTTP server. VALOR_E_INVALID on a configuration refusal (the reason is
 * logged). Caller stops with gw_stop(). */
int gw_start(struct gw **out);
/* The bound port. */
int gw_port(const struct gw *g);
/* Drains HTTP (SHUTDOWN_GRACE_S), then frees everything. NULL is a no-op. */
void gw_stop(struct gw *g);
/* main(): gw_start, wait for SIGTERM/SIGINT, gw_stop. Exit status 0, 2 on a
 * configuration refusal, 1 on another start-up failure. */
int gw_main(int argc, char **argv);

#endif
