/* sflight: single-flight — concurrent requests for the same key in this
 * process share one execution: the first caller (the leader) does the work,
 * the others wait for its outcome. */
#ifndef FIN_SFLIGHT_H
#define FIN_SFLIGHT_H

#include "av_parse.h"

struct fin_sflight;
struct fin_flight;

int fin_sflight_new(struct fin_sflight **out);
/* No flight may be in progress. */
void fin_sflight_free(struct fin_sflight *sf);

/* Joins the flight for key (copied, ≤ 63 bytes). *leader = 1 for the caller
 * that must do the work and then call fin_sflight_finish(); the others call
 * fin_sflight_wait(). Everyone calls fin_sflight_leave() at the end.
 * NULL when out of memory. */
struct fin_flight *fin_sflight_join(struct fin_sflight *sf, const char *key, int *leader);
/* Leader: publishes the outcome (rc and, when rc != VALOR_OK, err) and wakes
 * the waiters; the key is free for a new flight from now on. */
void fin_sflight_finish(struct fin_sflight *sf, struct fin_flight *f, int rc,
                        const struct fin_upstream_err *err);
/* Follower: waits for the leader's outcome; returns its rc and copies err. */
int fin_sflight_wait(struct fin_sflight *sf, struct fin_flight *f, struct fin_upstream_err *err);
void fin_sflight_leave(struct fin_sflight *sf, struct fin_flight *f);

#endif
