/* paginate: the page-break rules of paginate.h. */
#include "paginate.h"

/* Height of items[i] and of every item it keeps with (the KEEP_NEXT chain),
 * from the current position: i's own space counts only when not at the top. */
static double chain_height(const struct rpt_flow *items, size_t n, size_t i, int at_top)
{
    double h = (at_top ? 0 : items[i].space_before) + items[i].height;

    while ((items[i].flags & RPT_FLOW_KEEP_NEXT) && i + 1 < n) {
        i++;
        h += items[i].space_before + items[i].height;
    }
    return h;
}

int rpt_paginate(const struct rpt_flow *items, size_t n, const struct rpt_page_box *box,
                 struct rpt_slot *out)
{
    int page = 0;
    double top = box->first_top, bottom = box->bottom, y = top;

    for (size_t i = 0; i < n; i++) {
        int at_top = y <= top;
        double need = chain_height(items, n, i, at_top);

        /* A chain taller than a page breaks anyway, item by item. */
        if (need > bottom - box->top)
            need = (at_top ? 0 : items[i].space_before) + items[i].height;
        out[i].head_y = -1;
        if (!at_top && y + need > bottom) {
            page++;
            top = box->top;
            y = top;
            if (items[i].head >= 0 && (size_t)items[i].head < i) {
                out[i].head_y = y;
                y += items[items[i].head].height;
            }
            out[i].page = page;
            out[i].y = y;
            y += items[i].height;
            continue;
        }
        out[i].page = page;
        out[i].y = y + (at_top ? 0 : items[i].space_before);
        y = out[i].y + items[i].height;
    }
    return page + 1;
}
