/* store: the `financial` schema — companies with their statements (a shared
 * row per ticker, tenant_id NULL, and optional tenant overlays) and daily
 * prices. Every function runs on the caller's connection; writers run inside
 * the caller's transaction. */
#ifndef FIN_STORE_H
#define FIN_STORE_H

#include <jansson.h>

struct db_conn;

/* Inserts or replaces the company (a normalised <Company>) for `tenant`
 * (NULL = shared) with its statements. data_source: "store" or
 * "alpha_vantage"; citation may be NULL. *changed = 0 when the stored
 * content was identical (nothing rewritten), 1 otherwise. */
int fin_store_put_company(struct db_conn *conn, const char *tenant, const json_t *company,
                          const char *data_source, const char *citation, int *changed);

/* The company as `tenant` sees it (its overlay, else the shared row), with
 * the newest FIN_SHOW_STATEMENTS statements of each kind. VALOR_E_NOT_FOUND
 * when absent. *company: caller json_decref()s; data_source ≥ 16 bytes,
 * as_of ≥ 32 bytes (RFC 3339 UTC). */
int fin_store_get_company(struct db_conn *conn, const char *tenant, const char *ticker,
                          json_t **company, char *data_source, char *as_of);

/* Up to 50 {"ticker","company_name","sector"} visible to tenant whose ticker
 * or name starts with q (case-insensitive; q may be ""), ordered by ticker. */
int fin_store_search(struct db_conn *conn, const char *tenant, const char *q, json_t **out);

/* Upserts shared daily prices: rows is an array of {"ticker","date","open",
 * "high","low","close","volume"}. *changed (may be NULL) receives
 * {"<ticker>": rows inserted or changed, …} (caller json_decref()s). */
int fin_store_put_prices(struct db_conn *conn, const json_t *rows, json_t **changed);

/* Newest-first {"date","open","high","low","close","volume"} for ticker as
 * tenant sees it; interval "day", "week" or "month" (aggregated from daily:
 * date = period start, open = first open, close = last close, high = max,
 * low = min, volume = sum); at most limit rows. An empty array when none. */
int fin_store_prices(struct db_conn *conn, const char *tenant, const char *ticker,
                     const char *interval, long limit, json_t **out);

#endif
