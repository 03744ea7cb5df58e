/* app: process-wide start-up: signals and the drain trigger.
 *
 * app_signals_init() ignores SIGPIPE and blocks SIGTERM/SIGINT in the calling
 * thread (call it first, before any thread is created, so every thread
 * inherits the mask); app_wait_signal() then waits for one of them in the
 * main thread, which runs the drain. */
#ifndef VALOR_APP_H
#define VALOR_APP_H

#define VALOR_VERSION "0.1.0"

int app_signals_init(void);
/* Blocks until SIGTERM or SIGINT; returns the signal number. */
int app_wait_signal(void);

#endif
