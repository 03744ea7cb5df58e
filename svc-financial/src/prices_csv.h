/* prices_csv: the daily-price CSV format of `svc-financial import` (pure).
 *
 *   # comment lines and blank lines are skipped
 *   ticker,date,open,high,low,close,volume     (header; columns in any order;
 *   AAPL,2023-01-03,130.28,130.90,124.17,125.07,112117471   ticker optional)
 *
 * Without a ticker column every row belongs to default_ticker (the file's
 * name without ".csv"). Checks per row: the column count, the ticker rule,
 * a valid date, prices finite and > 0, low ≤ open, close ≤ high, volume a
 * non-negative integer, no (ticker, date) twice. */
#ifndef FIN_PRICES_CSV_H
#define FIN_PRICES_CSV_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#define FIN_CSV_MAX_ERRORS 20

/* Parses text. Each problem is written to `report` as "<name>:<line>: <msg>"
 * (at most FIN_CSV_MAX_ERRORS lines, then a count). Returns the number of
 * problems (0 = *rows is the array of {"ticker","date","open","high","low",
 * "close","volume"}, caller json_decref()s) or VALOR_E_NOMEM. default_ticker
 * may be NULL. */
int fin_prices_csv_parse(const char *name, const char *text, size_t len, const char *default_ticker,
                         FILE *report, json_t **rows);

#endif
