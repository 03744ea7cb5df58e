/* A trivial upstream for the gateway benchmark: answers every GET with a
 * small JSON body, through the same common http module as the services.
 *
 *   PORT=… WORKER_THREADS=… gateway-bench_upstream      (until SIGTERM) */
#include <stdio.h>
#include <stdlib.h>

#include "valor/app.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/log.h"

static void answer(struct http_ctx *ctx)
{
    http_reply_json(ctx, 200, json_pack("{s:b, s:s}", "success", 1, "data", "bench"));
}

int main(void)
{
    const char *p = getenv("PORT"), *t = getenv("WORKER_THREADS");
    struct http_server_opts o = {.service = "bench-upstream",
                                 .bind_host = "127.0.0.1",
                                 .port = p != NULL ? (int)strtol(p, NULL, 10) : 0,
                                 .threads = t != NULL ? (int)strtol(t, NULL, 10) : 2,
                                 .max_connections = 4096,
                                 .connection_timeout_s = 60,
                                 .max_body_bytes = 1 << 20};
    struct http_server *s = NULL;

    if (app_signals_init() != VALOR_OK || log_init("bench-upstream", 1, 0) != VALOR_OK)
        return 1;
    if (http_server_new(&o, &s) != VALOR_OK ||
        http_route(s, "GET", "/*", answer, NULL) != VALOR_OK || http_server_start(s) != VALOR_OK) {
        fprintf(stderr, "bench_upstream: cannot start\n");
        return 1;
    }
    printf("%d\n", http_server_port(s));
    fflush(stdout);
    app_wait_signal();
    http_server_stop(s, 1);
    http_server_free(s);
    log_close();
    return 0;
}
