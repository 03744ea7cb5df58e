/* metrics: counters, gauges and histograms with labels, rendered in the
 * Prometheus text exposition format 0.0.4. Thread-safe.
 *
 * A family is created once at start-up; series (one per label-value tuple)
 * are created on first use. Label values are escaped on output.
 */
#ifndef VALOR_METRICS_H
#define VALOR_METRICS_H

#include <stddef.h>

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

struct metrics_registry;
struct metrics_family;

struct metrics_registry *metrics_registry_new(void);
/* Frees the registry and every family in it. */
void metrics_registry_free(struct metrics_registry *reg);

/* Registers a family owned by the registry. label_names: nlabels borrowed
 * strings (copied). buckets: upper bounds ascending, histograms only (copied;
 * NULL → the default 0.001 … 5 seconds set). */
int metrics_family_new(struct metrics_registry *reg, enum metrics_type type, const char *name,
                       const char *help, size_t nlabels, const char *const *label_names,
                       const double *buckets, size_t nbuckets, struct metrics_family **out);

/* label_values: nlabels strings (NULL when the family has no labels). */
int metrics_counter_add(struct metrics_family *f, const char *const *label_values, double v);
int metrics_gauge_set(struct metrics_family *f, const char *const *label_values, double v);
int metrics_gauge_add(struct metrics_family *f, const char *const *label_values, double v);
int metrics_histogram_observe(struct metrics_family *f, const char *const *label_values, double v);

/* Adds process_resident_memory_bytes, process_cpu_seconds_total,
 * process_open_fds and process_start_time_seconds (read from /proc at render). */
int metrics_add_process_collector(struct metrics_registry *reg);

/* Renders every family. Caller frees *out with free(). */
int metrics_render(struct metrics_registry *reg, char **out, size_t *len);

/* Bounded label: returns `value` for the first `max` distinct values seen,
 * then "other". Thread-safe; the returned pointer lives as long as the limiter. */
struct metrics_label_limiter;
struct metrics_label_limiter *metrics_label_limiter_new(size_t max);
void metrics_label_limiter_free(struct metrics_label_limiter *l);
const char *metrics_label_limit(struct metrics_label_limiter *l, const char *value);

#endif
