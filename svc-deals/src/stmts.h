/* stmts: every SQL statement of svc-deals, prepared on each connection.
 * Each one filters by tenant_id ($1). */
#ifndef VALOR_DEALS_STMTS_H
#define VALOR_DEALS_STMTS_H

#include <stddef.h>

#include "valor/db.h"

/* The number of statements; a wrong count fails to compile (stmts.c). */
#define DEALS_NSTMTS 26

extern const struct db_stmt deals_stmts[DEALS_NSTMTS];

#endif
