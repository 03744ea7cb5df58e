/* app: process-wide signal set-up and the drain trigger. */
#include "valor/app.h"

#include "valor/err.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>

static void drain_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
}

int app_signals_init(void)
{
    sigset_t set;
    /* a peer that closes early must give EPIPE, not kill the process
     * (hiredis, libcurl, libpq and MHD all write to sockets) */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return VALOR_E_INTERNAL;
    drain_signals(&set);
    /* blocked here, inherited by every thread created afterwards, so only
     * app_wait_signal() ever sees them */
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return VALOR_E_INTERNAL;
    return VALOR_OK;
}

int app_wait_signal(void)
{
    sigset_t set;
    int sig = 0;
    drain_signals(&set);
    for (;;) {
        int rc = sigwait(&set, &sig);
        if (rc == 0)
            return sig;
        if (rc != EINTR)
            return VALOR_E_INTERNAL;
    }
}
