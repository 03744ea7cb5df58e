/* The svc-runs service definition: schema, port, migrations and routes for svc_main(). */
#ifndef VALOR_RUNS_SERVICE_H
#define VALOR_RUNS_SERVICE_H

#include "valor/svc.h"

extern const struct svc_def runs_def;

#endif
