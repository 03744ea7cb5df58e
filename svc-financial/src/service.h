/* The svc-financial service definition: schema, port, migrations and routes for svc_main(). */
#ifndef VALOR_FINANCIAL_SERVICE_H
#define VALOR_FINANCIAL_SERVICE_H

#include "valor/svc.h"

extern const struct svc_def financial_def;

#endif
