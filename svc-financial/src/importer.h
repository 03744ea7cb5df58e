/* importer: `svc-financial import <file>...` — loads company JSON (one
 * <Company> object or an array of them, an optional "source" citation each)
 * and daily-price CSV (prices_csv.h) into the shared dataset.
 *
 * One transaction per file: a file with any bad item or row imports nothing
 * and its problems are reported with their position. Idempotent: identical
 * content is left alone (no rewrite, no event); changed content is upserted
 * and a company.updated event goes to the outbox (tenant "system"). */
#ifndef FIN_IMPORTER_H
#define FIN_IMPORTER_H

#include <stdio.h>

struct db_pool;

struct fin_import_stats {
    long companies_changed;
    long companies_unchanged;
    long price_rows; /* rows read */
    long price_rows_changed;
};

#define FIN_IMPORT_MAX_BYTES (64L * 1024 * 1024)
#define FIN_IMPORT_EVENT_TENANT "system"

/* Imports one file (.json or .csv by its extension). VALOR_OK, or
 * VALOR_E_INVALID after writing the problems to report, or another error
 * (database). Adds to *st. */
int fin_import_file(struct db_pool *pool, const char *path, FILE *report,
                    struct fin_import_stats *st);

/* The CLI: argv[1] == "import", argv[2..] files. Reads DATABASE_URL etc.
 * from the environment, applies the migrations, imports every file, prints
 * a summary. Exit status 0 when every file was imported, 1 otherwise, 2 on a
 * configuration refusal or no file given. */
int fin_import_main(int argc, char **argv);

#endif
