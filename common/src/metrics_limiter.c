/* metrics_limiter: bounded label values (first N distinct pass, then "other"),
 * so a client cannot blow up the cardinality of a label such as tenant. */
#include "valor/metrics.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)h;
}

struct limiter_entry {
    char *value;
    struct limiter_entry *next;
};

struct metrics_label_limiter {
    pthread_mutex_t mu;
    size_t max, n, table_size;
    struct limiter_entry **table;
};

struct metrics_label_limiter *metrics_label_limiter_new(size_t max)
{
    struct metrics_label_limiter *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->max = max;
    l->table_size = 16;
    while (l->table_size < max && l->table_size < 65536)
        l->table_size *= 2;
    l->table = calloc(l->table_size, sizeof(struct limiter_entry *));
    if (l->table == NULL || pthread_mutex_init(&l->mu, NULL) != 0) {
        free(l->table);
        free(l);
        return NULL;
    }
    return l;
}

void metrics_label_limiter_free(struct metrics_label_limiter *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->table_size; i++) {
        struct limiter_entry *e = l->table[i];
        while (e) {
            struct limiter_entry *next = e->next;
            free(e->value);
            free(e);
            e = next;
        }
    }
    free(l->table);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

const char *metrics_label_limit(struct metrics_label_limiter *l, const char *value)
{
    static const char other[] = "other";
    const char *result = other;
    if (l == NULL || value == NULL)
        return other;
    size_t idx = hash_str(value) & (l->table_size - 1);
    pthread_mutex_lock(&l->mu);
    struct limiter_entry *e;
    for (e = l->table[idx]; e; e = e->next)
        if (strcmp(e->value, value) == 0)
            break;
    if (e != NULL) {
        result = e->value;
    } else if (l->n < l->max) {
        e = malloc(sizeof(*e));
        if (e != NULL && (e->value = strdup(value)) != NULL) {
            e->next = l->table[idx];
            l->table[idx] = e;
            l->n++;
            result = e->value;
        } else {
            free(e);
        }
    }
    pthread_mutex_unlock(&l->mu);
    return result;
}
