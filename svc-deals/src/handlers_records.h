/* handlers_records: list, last, get and delete of LBO/M&A runs and scenarios,
 * shared through struct deals_kind (the route's kind). */
#ifndef VALOR_DEALS_HANDLERS_RECORDS_H
#define VALOR_DEALS_HANDLERS_RECORDS_H

#include "valor/http.h"

/* GET …: {"success":true, <kind->list_key>: [rows…]} newest first, ?limit/?offset. */
void deals_records_list(struct http_ctx *ctx);
/* GET …/last: {"success":true,"data":row}; 404 kind->none_found. */
void deals_records_last(struct http_ctx *ctx);
/* GET …/:id: {"success":true,"data":row}; 404 kind->not_found (also for
 * malformed ids and other tenants' ids). */
void deals_records_get(struct http_ctx *ctx);
/* DELETE …/:id: {"success":true,"message":kind->deleted} plus the kind's
 * event; 404 as get; 403 when kind->author_only and the caller is neither the
 * author nor an admin. */
void deals_records_delete(struct http_ctx *ctx);

#endif
