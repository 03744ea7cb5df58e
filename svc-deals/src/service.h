/* The svc-deals service definition: schema, port, migrations and routes for svc_main(). */
#ifndef VALOR_DEALS_SERVICE_H
#define VALOR_DEALS_SERVICE_H

#include "valor/svc.h"

extern const struct svc_def deals_def;

#endif
