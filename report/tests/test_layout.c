/* Page breaks (paginate.c) and chart scales (chart.c), pure: a table longer
 * than a page continues on the next one under a repeated header, a heading
 * never ends a page, spacing is dropped at the top of a page; axis steps are
 * 1/2/2.5/5 × 10^k with bounds that contain the data. */
#include <math.h>

#include "chart.h"
#include "paginate.h"
#include "style.h"
#include "testutil.h"

static const struct rpt_page_box box = {40, 60, 800}; /* 760 first page, 740 after */

START_TEST(test_long_table_repeats_its_header)
{
    struct rpt_flow f[1 + 1 + 120];
    struct rpt_slot s[122];
    int pages, breaks = 0;

    f[0] = (struct rpt_flow){22, 16, RPT_FLOW_KEEP_NEXT, -1}; /* heading */
    f[1] = (struct rpt_flow){17, 6, RPT_FLOW_KEEP_NEXT, -1};  /* table header */
    for (int i = 2; i < 122; i++)
        f[i] = (struct rpt_flow){14.5, 0, 0, 1}; /* rows of table 1 */
    pages = rpt_paginate(f, 122, &box, s);
    ck_assert_int_eq(s[0].page, 0);
    ck_assert(s[0].y == 40); /* space_before dropped at the top */
    ck_assert(s[1].y == 40 + 22 + 6);
    for (int i = 2; i < 122; i++) {
        ck_assert_msg(s[i].y + 14.5 <= 800 + 1e-9, "row %d overflows the page", i);
        ck_assert(s[i].page >= s[i - 1].page);
        if (s[i].page != s[i - 1].page) {
            breaks++;
            ck_assert_msg(s[i].head_y == 60, "row %d starts a page without its header", i);
            ck_assert(s[i].y == 60 + 17);
        } else {
            ck_assert(s[i].head_y < 0);
            ck_assert(fabs(s[i].y - (s[i - 1].y + (i == 2 ? 17 : 14.5))) < 1e-9);
        }
    }
    ck_assert_int_eq(breaks, pages - 1);
    /* 120 rows: (800-85)/14.5 = 49 on page 1, (740-17)/14.5 = 49 per page after */
    ck_assert_int_eq(pages, 3);
}
END_TEST

START_TEST(test_heading_moves_with_what_follows)
{
    struct rpt_flow f[3] = {
        {700, 0, 0, -1},                  /* a tall block: 40..740 */
        {22, 16, RPT_FLOW_KEEP_NEXT, -1}, /* heading would fit (756..778) … */
        {200, 12, 0, -1},                 /* … but its chart would not */
    };
    struct rpt_slot s[3];

    ck_assert_int_eq(rpt_paginate(f, 3, &box, s), 2);
    ck_assert_int_eq(s[1].page, 1);
    ck_assert(s[1].y == 60);
    ck_assert_int_eq(s[2].page, 1);
    ck_assert(s[2].y == 60 + 22 + 12);
}
END_TEST

START_TEST(test_oversized_and_exact_fits)
{
    struct rpt_flow f[4] = {
        {900, 10, 0, -1}, /* taller than any page: alone at the top of page 1 */
        {100, 10, 0, -1}, /* next page */
        {630, 10, 0, -1}, /* 60+100+10 = 170, +630 = 800: fits exactly */
        {1, 0, 0, -1},    /* does not */
    };
    struct rpt_slot s[4];

    ck_assert_int_eq(rpt_paginate(f, 4, &box, s), 3);
    ck_assert_int_eq(s[0].page, 0);
    ck_assert(s[0].y == 40);
    ck_assert_int_eq(s[1].page, 1);
    ck_assert(s[1].y == 60);
    ck_assert_int_eq(s[2].page, 1);
    ck_assert(s[2].y == 170);
    ck_assert_int_eq(s[3].page, 2);
    ck_assert_int_eq(rpt_paginate(f, 0, &box, s), 1); /* an empty document is one page */
}
END_TEST

START_TEST(test_keep_chain_taller_than_a_page)
{
    /* a header kept with a row that cannot both fit a page: breaks normally */
    struct rpt_flow f[3] = {{500, 0, 0, -1}, {17, 6, RPT_FLOW_KEEP_NEXT, -1}, {800, 0, 0, 1}};
    struct rpt_slot s[3];

    ck_assert_int_eq(rpt_paginate(f, 3, &box, s), 2);
    ck_assert_int_eq(s[1].page, 0);
    ck_assert_int_eq(s[2].page, 1);
    ck_assert(s[2].head_y == 60);
}
END_TEST

START_TEST(test_short_table_stays_whole)
{
    /* header + 4 rows kept together (the renderer's rule for short tables): 17 + 58 = 75 pt
     * do not fit under a 700 pt block, so all of it starts the next page, header included */
    struct rpt_flow f[6] = {{700, 0, 0, -1},
                            {17, 6, RPT_FLOW_KEEP_NEXT, -1},
                            {14.5, 0, RPT_FLOW_KEEP_NEXT, 1},
                            {14.5, 0, RPT_FLOW_KEEP_NEXT, 1},
                            {14.5, 0, RPT_FLOW_KEEP_NEXT, 1},
                            {14.5, 0, 0, 1}};
    struct rpt_slot s[6];

    ck_assert_int_eq(rpt_paginate(f, 6, &box, s), 2);
    ck_assert_int_eq(s[1].page, 1);
    ck_assert(s[1].y == 60);
    for (int i = 2; i < 6; i++) {
        ck_assert_int_eq(s[i].page, 1);
        ck_assert(s[i].head_y < 0); /* its header is right above, not repeated */
    }
}
END_TEST

START_TEST(test_nice_axes)
{
    struct rpt_axis a;

    rpt_axis_nice(0, 920.3, 5, &a);
    ck_assert(a.step == 200 && a.lo == 0 && a.hi == 1000 && a.decimals == 0);
    rpt_axis_nice(-35, 120, 5, &a);
    ck_assert(a.step == 50 && a.lo == -50 && a.hi == 150);
    rpt_axis_nice(0, 0.344, 5, &a);
    ck_assert_msg(fabs(a.step - 0.1) < 1e-12 && a.decimals == 1, "step %g", a.step);
    rpt_axis_nice(0, 11, 4, &a);
    ck_assert(a.step == 5 && a.hi == 15);
    rpt_axis_nice(7.1, 13.9, 6, &a); /* 6.8 / 6 = 1.13 → 2 */
    ck_assert(a.step == 2 && a.lo == 6 && a.hi == 14);
    rpt_axis_nice(7.1, 13.9, 7, &a);
    ck_assert(a.step == 1 && a.lo == 7 && a.hi == 14);
    rpt_axis_nice(0, 1.2, 5, &a);
    ck_assert(fabs(a.step - 0.25) < 1e-12 && a.decimals == 2);
    rpt_axis_nice(5, 5, 5, &a); /* flat data still gets a range */
    ck_assert(a.lo < 5 && a.hi > 5);
    rpt_axis_nice(NAN, 3, 5, &a);
    ck_assert(isfinite(a.lo) && isfinite(a.hi) && a.hi > a.lo);
}
END_TEST

START_TEST(test_heat_colours)
{
    ck_assert_uint_eq(rpt_heat_color(0), RPT_C_WHITE);
    ck_assert_uint_eq(rpt_heat_color(1), RPT_C_HEAT_HIGH);
    ck_assert_uint_eq(rpt_heat_color(-1), RPT_C_HEAT_LOW);
    ck_assert_uint_eq(rpt_heat_color(7), RPT_C_HEAT_HIGH);
    ck_assert_uint_eq(rpt_heat_color(NAN), RPT_C_NA);
    ck_assert_uint_ne(rpt_heat_color(0.5), rpt_heat_color(-0.5));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report-layout");
    TCase *tc = tcase_create("layout");
    tcase_add_test(tc, test_long_table_repeats_its_header);
    tcase_add_test(tc, test_heading_moves_with_what_follows);
    tcase_add_test(tc, test_oversized_and_exact_fits);
    tcase_add_test(tc, test_keep_chain_taller_than_a_page);
    tcase_add_test(tc, test_short_table_stays_whole);
    tcase_add_test(tc, test_nice_axes);
    tcase_add_test(tc, test_heat_colours);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
