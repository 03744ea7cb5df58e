/* store_list: the SQL shared by the run and the scenario listings (private
 * to the store files). Both tables have tenant_id, ticker, created_at,
 * updated_at and id, so one filter and one set of orders serve both:
 *   $1 tenant, $2 exact ticker or NULL, $3 LIKE-escaped substring of the
 *   ticker or NULL, $4 LIMIT, $5 OFFSET.
 * STORE_LIST_STMTS(prefix, table, columns) expands to the count statement
 * and the six page statements named by store_list.c's tables, in
 * enum store_sort order (descending, then ascending); ties are broken by id
 * in the same direction so that pages are stable. */
#ifndef RUNS_STORE_LIST_H
#define RUNS_STORE_LIST_H

#define STORE_LIST_FILTER                                                                          \
    "tenant_id = $1 AND ($2::text IS NULL OR ticker = $2) AND "                                    \
    "($3::text IS NULL OR ticker ILIKE ('%' || $3 || '%') ESCAPE '\\')"
#define STORE_LIST_PAGE(table, columns, order)                                                     \
    "SELECT " columns " FROM " table " WHERE " STORE_LIST_FILTER " ORDER BY " order                \
    " LIMIT $4 OFFSET $5"
#define STORE_LIST_STMTS(prefix, table, columns)                                                   \
    {prefix "_count", "SELECT count(*) FROM " table " WHERE " STORE_LIST_FILTER},                  \
        {prefix "_list_created_desc",                                                              \
         STORE_LIST_PAGE(table, columns, "created_at DESC, id DESC")},                             \
        {prefix "_list_created_asc", STORE_LIST_PAGE(table, columns, "created_at ASC, id ASC")},   \
        {prefix "_list_updated_desc",                                                              \
         STORE_LIST_PAGE(table, columns, "updated_at DESC, id DESC")},                             \
        {prefix "_list_updated_asc", STORE_LIST_PAGE(table, columns, "updated_at ASC, id ASC")},   \
        {prefix "_list_ticker_desc",                                                               \
         STORE_LIST_PAGE(table, columns, "ticker DESC, created_at DESC, id DESC")},                \
    {                                                                                              \
        prefix "_list_ticker_asc",                                                                 \
            STORE_LIST_PAGE(table, columns, "ticker ASC, created_at ASC, id ASC")                  \
    }

#endif
