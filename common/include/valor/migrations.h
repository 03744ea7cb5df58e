/* migrations: the SQL migrations embedded into a service binary at build time
 * (scripts/embed-sql.sh turns the .sql files of common/migrations/ and
 * svc-<name>/migrations/ into one generated C file, in name order). */
#ifndef VALOR_MIGRATIONS_H
#define VALOR_MIGRATIONS_H

#include <stddef.h>

#include "valor/db.h"

/* Ends with an entry whose name is NULL. */
extern const struct db_migration valor_migrations[];

#endif
