/* metrics: Prometheus text exposition format 0.0.4 (platform.md §6).
 *
 * Each family has its own mutex guarding its series table; the registry mutex
 * guards the family list. Lock order: registry, then family.
 */
#include "valor/metrics.h"

#include "valor/err.h"

#include "metrics_process.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double default_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,   0.25,   0.5,   1,    2.5,   5};

struct metrics_series {
    char **values; /* nlabels owned strings */
    uint64_t hash;
    double value;                 /* counter/gauge */
    double sum;                   /* histogram */
    uint64_t count;               /* histogram */
    uint64_t *bucket_hits;        /* histogram: nbuckets + 1 (last = +Inf), not cumulative */
    struct metrics_series *hnext; /* hash chain */
    struct metrics_series *next;  /* insertion order, for rendering */
};

struct metrics_family {
    enum metrics_type type;
    char *name;
    char *help;
    size_t nlabels;
    char **label_names;
    double *buckets;
    size_t nbuckets;
    pthread_mutex_t mu;
    struct metrics_series **table;
    size_t table_size; /* power of two */
    size_t nseries;
    struct metrics_series *first, *last;
    struct metrics_family *next;
};

struct metrics_registry {
    pthread_mutex_t mu;
    struct metrics_family *first, *last;
    int process_collector;
};

static const char *const process_names[] = {"process_resident_memory_bytes",
                                            "process_cpu_seconds_total", "process_open_fds",
                                            "process_start_time_seconds"};

/* ---- small helpers ---- */

static uint64_t hash_labels(size_t n, const char *const *values)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL; /* separator: ("a","bc") != ("ab","c") */
    }
    return h;
}

static int valid_name(const char *s, int allow_colon)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                    (allow_colon && *p == ':');
        if (!alpha && !(p != s && *p >= '0' && *p <= '9'))
            return 0;
    }
    return 1;
}

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang 14 */
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        sb_put(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_put(b, big, (size_t)n);
    free(big);
}

/* Prometheus float: NaN, +Inf, -Inf; integers without exponent; otherwise
 * the shortest %.{15,16,17}g that reads back exactly. */
static void format_value(char *buf, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 9007199254740992.0) { /* 2^53 */
        snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v);           /* no "-0" */
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, len, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
}

static void sb_value(struct sbuf *b, double v)
{
    char tmp[64];
    format_value(tmp, sizeof(tmp), v);
    sb_str(b, tmp);
}

/* Label value escaping: backslash, double quote, newline. */
static void sb_label_value(struct sbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\\')
            sb_put(b, "\\\\", 2);
        else if (*p == '"')
            sb_put(b, "\\\"", 2);
        else if (*p == '\n')
            sb_put(b, "\\n", 2);
        else
            sb_put(b, p, 1);
    }
}

/* HELP escaping: backslash and newline. */
static void sb_help(struct sbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\\')
            sb_put(b, "\\\\", 2);
        else if (*p == '\n')
            sb_put(b, "\\n", 2);
        else
            sb_put(b, p, 1);
    }
}

/* ---- series ---- */

static void series_free(struct metrics_series *s, size_t nlabels)
{
    if (s == NULL)
        return;
    for (size_t i = 0; s->values && i < nlabels; i++)
        free(s->values[i]);
    free(s->values);
    free(s->bucket_hits);
    free(s);
}

static int table_grow(struct metrics_family *f)
{
    size_t size = f->table_size ? f->table_size * 2 : 16;
    struct metrics_series **t = calloc(size, sizeof(struct metrics_series *));
    if (t == NULL)
        return VALOR_E_NOMEM;
    for (struct metrics_series *s = f->first; s; s = s->next) {
        size_t i = s->hash & (size - 1);
        s->hnext = t[i];
        t[i] = s;
    }
    free(f->table);
    f->table = t;
    f->table_size = size;
    return VALOR_OK;
}

/* Finds or creates the series for `values`. Caller holds f->mu. */
static int series_get(struct metrics_family *f, const char *const *values,
                      struct metrics_series **out)
{
    struct metrics_series *s = NULL;
    if (f->nlabels > 0 && values == NULL)
        return VALOR_E_INVALID;
    for (size_t i = 0; i < f->nlabels; i++)
        if (values[i] == NULL)
            return VALOR_E_INVALID;
    uint64_t h = hash_labels(f->nlabels, values);
    if (f->table_size > 0) {
        for (s = f->table[h & (f->table_size - 1)]; s; s = s->hnext) {
            size_t i = 0;
            if (s->hash != h)
                continue;
            while (i < f->nlabels && strcmp(s->values[i], values[i]) == 0)
                i++;
            if (i == f->nlabels) {
                *out = s;
                return VALOR_OK;
            }
        }
    }
    if (f->nseries >= f->table_size && table_grow(f) != VALOR_OK)
        return VALOR_E_NOMEM;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return VALOR_E_NOMEM;
    s->hash = h;
    if (f->nlabels > 0 && (s->values = calloc(f->nlabels, sizeof(char *))) == NULL)
        goto oom;
    for (size_t i = 0; i < f->nlabels; i++)
        if ((s->values[i] = strdup(values[i])) == NULL)
            goto oom;
    if (f->type == METRICS_HISTOGRAM &&
        (s->bucket_hits = calloc(f->nbuckets + 1, sizeof(uint64_t))) == NULL)
        goto oom;
    size_t idx = h & (f->table_size - 1);
    s->hnext = f->table[idx];
    f->table[idx] = s;
    if (f->last)
        f->last->next = s;
    else
        f->first = s;
    f->last = s;
    f->nseries++;
    *out = s;
    return VALOR_OK;
oom:
    series_free(s, f->nlabels);
    return VALOR_E_NOMEM;
}

/* ---- registry and families ---- */

struct metrics_registry *metrics_registry_new(void)
{
    struct metrics_registry *reg = calloc(1, sizeof(*reg));
    if (reg != NULL && pthread_mutex_init(&reg->mu, NULL) != 0) {
        free(reg);
        reg = NULL;
    }
    return reg;
}

static void family_free(struct metrics_family *f)
{
    if (f == NULL)
        return;
    struct metrics_series *s = f->first;
    while (s) {
        struct metrics_series *next = s->next;
        series_free(s, f->nlabels);
        s = next;
    }
    for (size_t i = 0; f->label_names && i < f->nlabels; i++)
        free(f->label_names[i]);
    free(f->label_names);
    free(f->table);
    free(f->buckets);
    free(f->name);
    free(f->help);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void metrics_registry_free(struct metrics_registry *reg)
{
    if (reg == NULL)
        return;
    struct metrics_family *f = reg->first;
    while (f) {
        struct metrics_family *next = f->next;
        family_free(f);
        f = next;
    }
    pthread_mutex_destroy(&reg->mu);
    free(reg);
}

static int name_taken(struct metrics_registry *reg, const char *name)
{
    for (struct metrics_family *f = reg->first; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return 1;
    if (reg->process_collector)
        for (size_t i = 0; i < sizeof(process_names) / sizeof(process_names[0]); i++)
            if (strcmp(process_names[i], name) == 0)
                return 1;
    return 0;
}

static int check_buckets(const double *buckets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(buckets[i]) || (isinf(buckets[i]) && i != n - 1))
            return VALOR_E_INVALID;
        if (i > 0 && !(buckets[i] > buckets[i - 1]))
            return VALOR_E_INVALID;
    }
    return VALOR_OK;
}

int metrics_family_new(struct metrics_registry *reg, enum metrics_type type, const char *name,
                       const char *help, size_t nlabels, const char *const *label_names,
                       const double *buckets, size_t nbuckets, struct metrics_family **out)
{
    struct metrics_family *f = NULL;
    int rc = VALOR_E_INVALID;
    int locked = 0;

    if (reg == NULL || out == NULL || !valid_name(name, 1) ||
        (type != METRICS_COUNTER && type != METRICS_GAUGE && type != METRICS_HISTOGRAM) ||
        (nlabels > 0 && label_names == NULL))
        goto out;
    for (size_t i = 0; i < nlabels; i++) {
        if (!valid_name(label_names[i], 0) || strncmp(label_names[i], "__", 2) == 0 ||
            (type == METRICS_HISTOGRAM && strcmp(label_names[i], "le") == 0))
            goto out;
        for (size_t k = 0; k < i; k++)
            if (strcmp(label_names[i], label_names[k]) == 0)
                goto out;
    }
    if (type == METRICS_HISTOGRAM) {
        if (buckets == NULL) {
            buckets = default_buckets;
            nbuckets = sizeof(default_buckets) / sizeof(default_buckets[0]);
        }
        if (check_buckets(buckets, nbuckets) != VALOR_OK)
            goto out;
        if (nbuckets > 0 && isinf(buckets[nbuckets - 1]))
            nbuckets--; /* +Inf is always implicit */
    } else {
        nbuckets = 0;
    }

    rc = VALOR_E_NOMEM;
    if ((f = calloc(1, sizeof(*f))) == NULL)
        goto out;
    if (pthread_mutex_init(&f->mu, NULL) != 0) {
        free(f);
        f = NULL;
        goto out;
    }
    f->type = type;
    f->nlabels = nlabels;
    f->nbuckets = nbuckets;
    if ((f->name = strdup(name)) == NULL || (f->help = strdup(help ? help : name)) == NULL)
        goto out;
    if (nlabels > 0 && (f->label_names = calloc(nlabels, sizeof(char *))) == NULL)
        goto out;
    for (size_t i = 0; i < nlabels; i++)
        if ((f->label_names[i] = strdup(label_names[i])) == NULL)
            goto out;
    if (nbuckets > 0) {
        if ((f->buckets = malloc(nbuckets * sizeof(double))) == NULL)
            goto out;
        memcpy(f->buckets, buckets, nbuckets * sizeof(double));
    }
    if (nlabels == 0) { /* a label-less family shows 0 from the start */
        struct metrics_series *s;
        if (series_get(f, NULL, &s) != VALOR_OK)
            goto out;
    }

    pthread_mutex_lock(&reg->mu);
    locked = 1;
    if (name_taken(reg, name)) {
        rc = VALOR_E_CONFLICT;
        goto out;
    }
    if (reg->last)
        reg->last->next = f;
    else
        reg->first = f;
    reg->last = f;
    *out = f;
    f = NULL;
    rc = VALOR_OK;
out:
    if (locked)
        pthread_mutex_unlock(&reg->mu);
    family_free(f);
    return rc;
}

/* ---- updates ---- */

static int update(struct metrics_family *f, enum metrics_type want, const char *const *values,
                  double v, int set)
{
    struct metrics_series *s;
    if (f == NULL || f->type != want)
        return VALOR_E_INVALID;
    pthread_mutex_lock(&f->mu);
    int rc = series_get(f, values, &s);
    if (rc == VALOR_OK) {
        if (want == METRICS_HISTOGRAM && s->bucket_hits != NULL) {
            size_t i = 0;
            while (i < f->nbuckets && v > f->buckets[i])
                i++;
            s->bucket_hits[i]++;
            s->count++;
            s->sum += v;
        } else if (set) {
            s->value = v;
        } else {
            s->value += v;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int metrics_counter_add(struct metrics_family *f, const char *const *label_values, double v)
{
    if (isnan(v) || v < 0)
        return VALOR_E_INVALID; /* counters only go up */
    return update(f, METRICS_COUNTER, label_values, v, 0);
}

int metrics_gauge_set(struct metrics_family *f, const char *const *label_values, double v)
{
    return update(f, METRICS_GAUGE, label_values, v, 1);
}

int metrics_gauge_add(struct metrics_family *f, const char *const *label_values, double v)
{
    return update(f, METRICS_GAUGE, label_values, v, 0);
}

int metrics_histogram_observe(struct metrics_family *f, const char *const *label_values, double v)
{
    if (isnan(v))
        return VALOR_E_INVALID;
    return update(f, METRICS_HISTOGRAM, label_values, v, 0);
}

/* ---- rendering ---- */

static const char *type_name(enum metrics_type t)
{
    return t == METRICS_COUNTER ? "counter" : t == METRICS_GAUGE ? "gauge" : "histogram";
}

/* name{l1="v1",...[,le="x"]} — `le` NULL for none. */
static void sb_sample_name(struct sbuf *b, const struct metrics_family *f,
                           const struct metrics_series *s, const char *suffix, const char *le)
{
    sb_str(b, f->name);
    sb_str(b, suffix);
    if (f->nlabels == 0 && le == NULL)
        return;
    sb_put(b, "{", 1);
    for (size_t i = 0; i < f->nlabels; i++) {
        if (i > 0)
            sb_put(b, ",", 1);
        sb_str(b, f->label_names[i]);
        sb_put(b, "=\"", 2);
        sb_label_value(b, s->values[i]);
        sb_put(b, "\"", 1);
    }
    if (le != NULL) {
        if (f->nlabels > 0)
            sb_put(b, ",", 1);
        sb_str(b, "le=\"");
        sb_str(b, le);
        sb_put(b, "\"", 1);
    }
    sb_put(b, "}", 1);
}

static void render_family(struct sbuf *b, struct metrics_family *f)
{
    sb_printf(b, "# HELP %s ", f->name);
    sb_help(b, f->help);
    sb_printf(b, "\n# TYPE %s %s\n", f->name, type_name(f->type));
    pthread_mutex_lock(&f->mu);
    for (const struct metrics_series *s = f->first; s; s = s->next) {
        if (f->type != METRICS_HISTOGRAM) {
            sb_sample_name(b, f, s, "", NULL);
            sb_put(b, " ", 1);
            sb_value(b, s->value);
            sb_put(b, "\n", 1);
            continue;
        }
        uint64_t cum = 0;
        char le[64];
        for (size_t i = 0; i <= f->nbuckets; i++) {
            cum += s->bucket_hits[i];
            if (i < f->nbuckets)
                format_value(le, sizeof(le), f->buckets[i]);
            else
                snprintf(le, sizeof(le), "+Inf");
            sb_sample_name(b, f, s, "_bucket", le);
            sb_printf(b, " %" PRIu64 "\n", cum);
        }
        sb_sample_name(b, f, s, "_sum", NULL);
        sb_put(b, " ", 1);
        sb_value(b, s->sum);
        sb_put(b, "\n", 1);
        sb_sample_name(b, f, s, "_count", NULL);
        sb_printf(b, " %" PRIu64 "\n", s->count);
    }
    pthread_mutex_unlock(&f->mu);
}

int metrics_add_process_collector(struct metrics_registry *reg)
{
    int rc = VALOR_OK;
    if (reg == NULL)
        return VALOR_E_INVALID;
    pthread_mutex_lock(&reg->mu);
    if (!reg->process_collector) {
        for (size_t i = 0; i < sizeof(process_names) / sizeof(process_names[0]); i++)
            if (name_taken(reg, process_names[i]))
                rc = VALOR_E_CONFLICT;
        if (rc == VALOR_OK)
            reg->process_collector = 1;
    }
    pthread_mutex_unlock(&reg->mu);
    return rc;
}

static void process_metric(struct sbuf *b, const char *name, const char *type, const char *help,
                           double v)
{
    if (isnan(v))
        return; /* unreadable: leave the metric out rather than lie */
    sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s ", name, help, name, type, name);
    sb_value(b, v);
    sb_put(b, "\n", 1);
}

static void render_process(struct sbuf *b)
{
    struct metrics_process_sample p;
    metrics_process_read(&p);
    process_metric(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                   p.resident_memory_bytes);
    process_metric(b, "process_cpu_seconds_total", "counter",
                   "Total user and system CPU time spent in seconds.", p.cpu_seconds_total);
    process_metric(b, "process_open_fds", "gauge", "Number of open file descriptors.", p.open_fds);
    process_metric(b, "process_start_time_seconds", "gauge",
                   "Start time of the process since unix epoch in seconds.", p.start_time_seconds);
}

int metrics_render(struct metrics_registry *reg, char **out, size_t *len)
{
    struct sbuf b = {0};
    if (reg == NULL || out == NULL)
        return VALOR_E_INVALID;
    sb_put(&b, "", 0); /* an empty registry renders "" rather than NULL */
    pthread_mutex_lock(&reg->mu);
    for (struct metrics_family *f = reg->first; f; f = f->next)
        render_family(&b, f);
    int process = reg->process_collector;
    pthread_mutex_unlock(&reg->mu);
    if (process)
        render_process(&b);
    if (b.oom) {
        free(b.p);
        return VALOR_E_NOMEM;
    }
    *out = b.p;
    if (len != NULL)
        *len = b.len;
    return VALOR_OK;
}
