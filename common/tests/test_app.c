#include "valor/app.h"
#include "valor/err.h"
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_sigpipe_ignored)
{
    int p[2];
    ck_assert_int_eq(app_signals_init(), VALOR_OK);
    ck_assert_int_eq(pipe(p), 0);
    close(p[0]);
    errno = 0;
    ssize_t n = write(p[1], "x", 1); /* would kill the process without SIG_IGN */
    int saved = errno;
    close(p[1]);
    ck_assert_int_eq(n, -1);
    ck_assert_int_eq(saved, EPIPE);
}
END_TEST

START_TEST(test_sigterm_returned)
{
    ck_assert_int_eq(app_signals_init(), VALOR_OK);
    ck_assert_int_eq(kill(getpid(), SIGTERM), 0); /* blocked: stays pending, no death */
    ck_assert_int_eq(app_wait_signal(), SIGTERM);
}
END_TEST

START_TEST(test_sigint_returned)
{
    ck_assert_int_eq(app_signals_init(), VALOR_OK);
    ck_assert_int_eq(kill(getpid(), SIGINT), 0);
    ck_assert_int_eq(app_wait_signal(), SIGINT);
}
END_TEST

static void *thread_mask(void *arg)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    *(int *)arg = sigismember(&cur, SIGTERM) == 1 && sigismember(&cur, SIGINT) == 1;
    return NULL;
}

static void *send_term_later(void *arg)
{
    (void)arg;
    usleep(100 * 1000);
    kill(getpid(), SIGTERM);
    return NULL;
}

START_TEST(test_threads_inherit_mask_and_wait_blocks)
{
    pthread_t t;
    int blocked = 0;
    ck_assert_int_eq(app_signals_init(), VALOR_OK);
    ck_assert_int_eq(pthread_create(&t, NULL, thread_mask, &blocked), 0);
    pthread_join(t, NULL);
    ck_assert_msg(blocked, "a thread created after init does not block SIGTERM/SIGINT");
    /* a signal from a worker thread (process-directed) reaches the waiter */
    ck_assert_int_eq(pthread_create(&t, NULL, send_term_later, NULL), 0);
    ck_assert_int_eq(app_wait_signal(), SIGTERM);
    pthread_join(t, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("app");
    TCase *tc = tcase_create("signals");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_sigpipe_ignored);
    tcase_add_test(tc, test_sigterm_returned);
    tcase_add_test(tc, test_sigint_returned);
    tcase_add_test(tc, test_threads_inherit_mask_and_wait_blocks);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
