/* The svc-auth service definition: schema, port, migrations and routes for svc_main(). */
#ifndef VALOR_AUTH_SERVICE_H
#define VALOR_AUTH_SERVICE_H

#include "valor/svc.h"

extern const struct svc_def auth_def;

#endif
