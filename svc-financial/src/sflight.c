/* sflight: per-key wait table with a mutex and one condition variable per
 * flight (see sflight.h). */
#include "sflight.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/err.h"

struct fin_flight {
    struct fin_flight *next;
    char key[64];
    int refs;
    int done;
    int in_table;
    int rc;
    struct fin_upstream_err err;
    pthread_cond_t cond;
};

struct fin_sflight {
    pthread_mutex_t mu;
    struct fin_flight *head;
};

int fin_sflight_new(struct fin_sflight **out)
{
    struct fin_sflight *sf = calloc(1, sizeof(*sf));
    *out = sf;
    if (sf == NULL)
        return VALOR_E_NOMEM;
    pthread_mutex_init(&sf->mu, NULL);
    return VALOR_OK;
}

void fin_sflight_free(struct fin_sflight *sf)
{
    if (sf == NULL)
        return;
    pthread_mutex_destroy(&sf->mu);
    free(sf);
}

static void unlink_flight(struct fin_sflight *sf, struct fin_flight *f)
{
    for (struct fin_flight **pp = &sf->head; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    f->in_table = 0;
}

struct fin_flight *fin_sflight_join(struct fin_sflight *sf, const char *key, int *leader)
{
    struct fin_flight *f;

    pthread_mutex_lock(&sf->mu);
    for (f = sf->head; f != NULL; f = f->next)
        if (strcmp(f->key, key) == 0)
            break;
    if (f != NULL) {
        f->refs++;
        *leader = 0;
    } else if ((f = calloc(1, sizeof(*f))) != NULL) {
        snprintf(f->key, sizeof(f->key), "%s", key);
        f->refs = 1;
        f->in_table = 1;
        pthread_cond_init(&f->cond, NULL);
        f->next = sf->head;
        sf->head = f;
        *leader = 1;
    }
    pthread_mutex_unlock(&sf->mu);
    return f;
}

void fin_sflight_finish(struct fin_sflight *sf, struct fin_flight *f, int rc,
                        const struct fin_upstream_err *err)
{
    pthread_mutex_lock(&sf->mu);
    f->rc = rc;
    if (rc != VALOR_OK && err != NULL)
        f->err = *err;
    f->done = 1;
    unlink_flight(sf, f);
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&sf->mu);
}

int fin_sflight_wait(struct fin_sflight *sf, struct fin_flight *f, struct fin_upstream_err *err)
{
    int rc;
    pthread_mutex_lock(&sf->mu);
    while (!f->done)
        pthread_cond_wait(&f->cond, &sf->mu);
    rc = f->rc;
    if (rc != VALOR_OK && err != NULL)
        *err = f->err;
    pthread_mutex_unlock(&sf->mu);
    return rc;
}

void fin_sflight_leave(struct fin_sflight *sf, struct fin_flight *f)
{
    int last;
    if (f == NULL)
        return;
    pthread_mutex_lock(&sf->mu);
    last = --f->refs == 0;
    if (last && f->in_table)
        unlink_flight(sf, f); /* a leader that never finished */
    pthread_mutex_unlock(&sf->mu);
    if (last) {
        pthread_cond_destroy(&f->cond);
        free(f);
    }
}
