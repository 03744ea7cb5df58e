/* paginate: where each piece of a document goes on the pages — pure, so
 * the page-break rules are unit-tested without drawing anything.
 *
 * The PDF renderer measures the document into a flat list of items (a
 * heading, a chart, a table's header row, each table row …) and gets back
 * a page and a y for each. Rules: an item that does not fit below the last
 * one starts a new page; its space_before is dropped at the top of a page;
 * an item flagged RPT_FLOW_KEEP_NEXT moves to the next page together with
 * the item after it (a heading with its table's header and first row); a
 * table row that starts a page gets its table's header row repeated above
 * it; an item taller than a page is put at the top of one. (The renderer
 * keeps a short table whole by flagging every row but its last.) */
#ifndef VALOR_REPORT_PAGINATE_H
#define VALOR_REPORT_PAGINATE_H

#include <stddef.h>

enum { RPT_FLOW_KEEP_NEXT = 1u << 0 };

struct rpt_flow {
    double height, space_before;
    unsigned flags;
    long head; /* a table row: index of its table's header item (or -1: none / not a row) */
};

struct rpt_slot {
    int page;      /* 0-based */
    double y;      /* top of the item */
    double head_y; /* ≥ 0: draw the header item `head` again at this y on this page */
};

/* The content area: from first_top (page 1) or top (the others) down to
 * bottom, which is below both. */
struct rpt_page_box {
    double first_top, top, bottom;
};

/* Fills out[0..n). Returns the number of pages (≥ 1). */
int rpt_paginate(const struct rpt_flow *items, size_t n, const struct rpt_page_box *box,
                 struct rpt_slot *out);

#endif
