/* init: the start-up check of the report fonts and a warm-up render (see
 * report.h). */
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas_cairo.h"
#include "valor/err.h"
#include "valor/report.h"

/* The family fontconfig picks for RPT_FONT_FAMILY into out. */
static int matched_family(char *out, size_t len)
{
    FcPattern *pat = NULL, *match = NULL;
    FcChar8 *family = NULL;
    FcResult res = FcResultNoMatch;
    int rc = VALOR_E_UNAVAILABLE;

    if (!FcInit())
        return rc;
    pat = FcNameParse((const FcChar8 *)RPT_FONT_FAMILY);
    if (pat == NULL)
        goto out;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    match = FcFontMatch(NULL, pat, &res);
    if (match != NULL && FcPatternGetString(match, FC_FAMILY, 0, &family) == FcResultMatch) {
        snprintf(out, len, "%s", (const char *)family);
        rc = VALOR_OK;
    }
out:
    if (match != NULL)
        FcPatternDestroy(match);
    if (pat != NULL)
        FcPatternDestroy(pat);
    return rc;
}

/* Only the font map: pango 1.50 loads the fontconfig configuration and sorts fonts on threads
 * of its own, which may still hold cairo fonts and fontconfig patterns, so neither
 * cairo_debug_reset_static_data() nor FcFini() is safe here (cairo asserts on a live font).
 * What fontconfig keeps for the life of the process is listed in scripts/lsan.supp. */
void rpt_shutdown(void)
{
    pango_cairo_font_map_set_default(NULL);
}

int rpt_init(char *why, size_t why_len)
{
    static const struct rpt_kv kv[2] = {{"Warm-up", "1,234.56"}, {"Check", "(7.00%)"}};
    struct rpt_doc_info info = {"Warm-up", NULL, "1970-01-01T00:00:00.000Z", "valor", "-"};
    struct rpt_doc *d = NULL;
    char family[128] = "", *pdf = NULL;
    size_t len = 0;
    int rc;

    if (why_len > 0)
        why[0] = '\0';
    rc = matched_family(family, sizeof(family));
    if (rc != VALOR_OK || strcmp(family, RPT_FONT_FAMILY) != 0) {
        snprintf(why, why_len,
                 "font %s not installed (fontconfig picks '%s'): install "
                 "fonts-dejavu-core",
                 RPT_FONT_FAMILY, family);
        rc = VALOR_E_UNAVAILABLE;
    }
    if (rpt_doc_new(&info, &d) == VALOR_OK && rpt_add_kv(d, kv, 2) == VALOR_OK &&
        rpt_render_pdf(d, &pdf, &len) != VALOR_OK && rc == VALOR_OK) {
        snprintf(why, why_len, "the warm-up report did not render");
        rc = VALOR_E_INTERNAL;
    }
    free(pdf);
    rpt_doc_free(d);
    rpt_html_csp();
    return rc;
}
