#include "service.h"

#include "valor/err.h"
#include "valor/migrations.h"

/* No routes yet: the service answers /health, /ready and /metrics. */
static int register_routes(struct svc *s)
{
    (void)s;
    return VALOR_OK;
}

const struct svc_def runs_def = {
    .name = "runs",
    .schema = "runs",
    .default_port = 5102,
    .migrations = valor_migrations,
    .stmts = NULL,
    .nstmts = 0,
    .register_routes = register_routes,
    .cleanup = NULL,
};
