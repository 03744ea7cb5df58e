/* dcf_inputs: JSON → struct dcf_inputs / struct mc_settings (see dcf_inputs.h). */
#include "dcf_inputs.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "valor/err.h"

enum kind {
    K_RATE,     /* a decimal rate in [min, max]; the message carries the percent hint */
    K_POSITIVE, /* > 0 and ≤ max */
    K_NUMBER,   /* in [min, max] */
    K_INT,      /* an integral number in [min, max] */
};

struct field {
    const char *name;
    double min, max;
    size_t offset;
    enum kind kind;
    int required; /* without use_defaults */
};

#define F(name, kind, min, max, req, member)                                                       \
    {                                                                                              \
        name, min, max, offsetof(struct dcf_inputs, member), kind, req                             \
    }

static const struct field fields[] = {
    F("revenue", K_POSITIVE, 0, 1e15, 1, revenue),
    F("growthY1", K_RATE, -0.5, 1, 1, growth_y1),
    F("growthDecay", K_RATE, 0, 0.5, 0, growth_decay),
    F("years", K_INT, DCF_MIN_YEARS, DCF_MAX_YEARS, 1, years),
    F("termGrowth", K_RATE, -0.05, 0.25, 1, term_growth),
    F("ebitMargin", K_RATE, -1, 1, 1, ebit_margin),
    F("taxRate", K_RATE, 0, 0.6, 1, tax_rate),
    F("salesToCap", K_POSITIVE, 0, 10, 1, sales_to_cap),
    F("wacc", K_RATE, 0.03, 0.25, 1, wacc),
    F("shares", K_POSITIVE, 0, 1e13, 1, shares),
    F("netDebt", K_NUMBER, -1e15, 1e15, 1, net_debt),
    F("stage1End", K_INT, 1, 30, 0, stage1_end),
    F("stage2End", K_INT, 1, 30, 0, stage2_end),
    F("waccMin", K_RATE, 0.01, 0.5, 0, wacc_min),
    F("waccMax", K_RATE, 0.01, 0.5, 0, wacc_max),
    F("tgMin", K_RATE, -0.05, 0.25, 0, tg_min),
    F("tgMax", K_RATE, -0.05, 0.25, 0, tg_max),
};

/* Stage override fields: s<1..3><Growth|Margin|S2C|NWC>. */
struct stage_field {
    const char *suffix;
    enum kind kind;
    double min, max;
};

static const struct stage_field stage_fields[4] = {
    {"Growth", K_RATE, -0.5, 1},
    {"Margin", K_RATE, -1, 1},
    {"S2C", K_POSITIVE, 0, 10},
    {"NWC", K_RATE, -1, 1},
};

static double *stage_value(struct dcf_stage *st, int which, unsigned char **has)
{
    switch (which) {
    case 0:
        *has = &st->has_growth;
        return &st->growth;
    case 1:
        *has = &st->has_margin;
        return &st->margin;
    case 2:
        *has = &st->has_s2c;
        return &st->s2c;
    default:
        *has = &st->has_nwc;
        return &st->nwc;
    }
}

/* Checks one value against its kind and range; `example` is the preset
 * value shown in a rate's hint. */
static int check_value(const char *name, enum kind kind, double min, double max, double example,
                       const json_t *v, double *out, struct jsonv_err *e)
{
    double d;

    if (!json_is_number(v))
        return jsonv_fail(e, name, kind == K_INT ? "must be an integer" : "must be a number");
    d = json_number_value(v);
    switch (kind) {
    case K_RATE:
        if (!(d >= min && d <= max))
            return jsonv_fail(e, name, "must be a decimal between %g and %g (%g means %g%%)", min,
                              max, example, example * 100);
        break;
    case K_POSITIVE:
        if (!(d > min && d <= max))
            return jsonv_fail(e, name, "must be a number greater than %g and at most %g", min, max);
        break;
    case K_NUMBER:
        if (!(d >= min && d <= max))
            return jsonv_fail(e, name, "must be a number between %g and %g", min, max);
        break;
    case K_INT:
        if (!(d >= min && d <= max) || d != floor(d))
            return jsonv_fail(e, name, "must be an integer between %g and %g", min, max);
        break;
    }
    *out = d;
    return VALOR_OK;
}

/* The preset value of a field, read from a preset struct at `offset`. */
static double preset_value(const struct dcf_inputs *preset, const struct field *f)
{
    const char *p = (const char *)preset + f->offset;
    if (f->kind == K_INT)
        return *(const int *)(const void *)p;
    return *(const double *)(const void *)p;
}

static void store_value(struct dcf_inputs *in, const struct field *f, double d)
{
    char *p = (char *)in + f->offset;
    if (f->kind == K_INT)
        *(int *)(void *)p = (int)d;
    else
        *(double *)(void *)p = d;
}

static int parse_scalars(const json_t *obj, int use_defaults, const struct dcf_inputs *preset,
                         struct dcf_inputs *in, struct jsonv_err *e)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const struct field *f = &fields[i];
        const json_t *v = json_object_get(obj, f->name);
        double d = preset_value(preset, f);

        if (v == NULL || json_is_null(v)) {
            if (f->required && !use_defaults)
                return jsonv_fail(e, f->name, "required");
        } else if (check_value(f->name, f->kind, f->min, f->max, d, v, &d, e) != VALOR_OK) {
            return VALOR_E_INVALID;
        }
        store_value(in, f, d);
    }
    return VALOR_OK;
}

static int parse_stages(const json_t *obj, int use_defaults, const struct dcf_inputs *preset,
                        struct dcf_inputs *in, struct jsonv_err *e)
{
    char name[32];

    for (int s = 0; s < 3; s++) {
        for (int k = 0; k < 4; k++) {
            const struct stage_field *sf = &stage_fields[k];
            unsigned char *has, *preset_has;
            double *dst = stage_value(&in->stage[s], k, &has);
            const double *pv = stage_value((struct dcf_stage *)&preset->stage[s], k, &preset_has);
            const json_t *v;

            snprintf(name, sizeof(name), "s%d%s", s + 1, sf->suffix);
            v = json_object_get(obj, name);
            *has = 0;
            if (v == NULL) {
                if (use_defaults) {
                    *dst = *pv;
                    *has = 1;
                }
            } else if (!json_is_null(v)) {
                if (check_value(name, sf->kind, sf->min, sf->max, *pv, v, dst, e) != VALOR_OK)
                    return VALOR_E_INVALID;
                *has = 1;
            }
        }
    }
    return VALOR_OK;
}

static int parse_tv(const json_t *obj, struct dcf_inputs *in, struct jsonv_err *e)
{
    const char *method = NULL;
    const json_t *v;
    int rc = jsonv_string(obj, "tvMethod", JSONV_OPTIONAL, 0, 32, &method, e);

    if (rc < 0)
        return rc;
    in->tv_method = DCF_TV_PERPETUITY;
    if (method != NULL && strcmp(method, "multiple") == 0)
        in->tv_method = DCF_TV_MULTIPLE;
    else if (method != NULL && strcmp(method, "perpetuity") != 0)
        return jsonv_fail(e, "tvMethod", "must be one of perpetuity, multiple");

    v = json_object_get(obj, "tvMultipleVal");
    in->tv_multiple = 0;
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 100))
            return jsonv_fail(e, "tvMultipleVal", "must be a number between 0 and 100");
        in->tv_multiple = json_number_value(v);
    } else if (in->tv_method == DCF_TV_MULTIPLE) {
        return jsonv_fail(e, "tvMultipleVal", "required when tvMethod is multiple");
    }
    return VALOR_OK;
}

int dcf_inputs_parse(const json_t *obj, struct dcf_inputs *in, struct jsonv_err *e)
{
    struct dcf_inputs preset;
    int use_defaults = 0;

    if (!json_is_object(obj))
        return jsonv_fail(e, "inputs", "must be an object");
    if (jsonv_bool(obj, "use_defaults", JSONV_OPTIONAL, &use_defaults, e) < 0)
        return VALOR_E_INVALID;
    dcf_inputs_preset(&preset);
    *in = preset;
    if (parse_scalars(obj, use_defaults, &preset, in, e) != VALOR_OK ||
        parse_stages(obj, use_defaults, &preset, in, e) != VALOR_OK ||
        parse_tv(obj, in, e) != VALOR_OK)
        return VALOR_E_INVALID;
    if (in->stage2_end <= in->stage1_end)
        return jsonv_fail(e, "stage2End", "must be greater than stage1End");
    if (in->wacc_max < in->wacc_min)
        return jsonv_fail(e, "waccMax", "must be greater than or equal to waccMin");
    if (in->tg_max < in->tg_min)
        return jsonv_fail(e, "tgMax", "must be greater than or equal to tgMin");
    return VALOR_OK;
}

static int mc_number(const json_t *obj, const char *name, double min, double max, double *out,
                     struct jsonv_err *e)
{
    const json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v))
        return VALOR_OK;
    if (!json_is_number(v))
        return jsonv_fail(e, name, "must be a number");
    if (!(json_number_value(v) >= min && json_number_value(v) <= max))
        return jsonv_fail(e, name, "must be a number between %g and %g", min, max);
    *out = json_number_value(v);
    return VALOR_OK;
}

static int mc_seed(const json_t *obj, struct mc_settings *s, struct jsonv_err *e)
{
    const char *name = "seedStr";
    const json_t *v = json_object_get(obj, name);

    if (v == NULL || json_is_null(v)) {
        name = "seed";
        v = json_object_get(obj, name);
    }
    s->seed[0] = '\0';
    if (v == NULL || json_is_null(v))
        return VALOR_OK;
    if (json_is_integer(v)) {
        snprintf(s->seed, sizeof(s->seed), "%lld", (long long)json_integer_value(v));
        return VALOR_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > MC_SEED_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        return jsonv_fail(e, name, "must be a string of 1 to %d characters or an integer",
                          MC_SEED_MAX);
    snprintf(s->seed, sizeof(s->seed), "%s", json_string_value(v));
    return VALOR_OK;
}

int mc_settings_parse(const json_t *obj, long max_trials, struct mc_settings *s,
                      struct jsonv_err *e)
{
    double trials = MC_DEFAULT_TRIALS, vol = 2.0, mvol = -1;

    memset(s, 0, sizeof(*s));
    s->s2c_vol_pct = 5;
    s->corr_gm = 0.3;
    if (obj != NULL && !json_is_object(obj))
        return jsonv_fail(e, "mc_settings", "must be an object");
    if (obj != NULL) {
        const json_t *v = json_object_get(obj, "trials");
        if (v != NULL && !json_is_null(v) &&
            (!json_is_number(v) || !(json_number_value(v) >= MC_MIN_TRIALS) ||
             json_number_value(v) > (double)max_trials ||
             json_number_value(v) != floor(json_number_value(v))))
            return jsonv_fail(e, "trials", "must be an integer between %d and %ld", MC_MIN_TRIALS,
                              max_trials);
        if (v != NULL && !json_is_null(v))
            trials = json_number_value(v);
        if (mc_number(obj, "volPP", 0, 50, &vol, e) != VALOR_OK ||
            mc_number(obj, "marginVolPP", 0, 50, &mvol, e) != VALOR_OK ||
            mc_number(obj, "s2cVolPct", 0, 100, &s->s2c_vol_pct, e) != VALOR_OK ||
            mc_number(obj, "corrGM", -1e9, 1e9, &s->corr_gm, e) != VALOR_OK ||
            mc_seed(obj, s, e) != VALOR_OK)
            return VALOR_E_INVALID;
    }
    s->trials = (long)trials;
    s->vol_pp = vol;
    s->margin_vol_pp = mvol >= 0 ? mvol : vol;
    s->corr_gm = s->corr_gm < -0.99 ? -0.99 : s->corr_gm > 0.99 ? 0.99 : s->corr_gm;
    return VALOR_OK;
}
