/* testutil: helpers shared by the check-based test programs. */
#ifndef VALOR_TESTUTIL_H
#define VALOR_TESTUTIL_H

#include <check.h>
#include <sys/types.h>

/* The value of an environment variable the test stack exports
 * (DATABASE_URL, REDIS_URL, NATS_URL, VALOR_STACK_DIR); aborts the test with a
 * clear message when it is missing. */
const char *tu_env(const char *name);

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int tu_free_port(void);

/* 0 once something accepts TCP connections on 127.0.0.1:port, -1 after timeout_ms. */
int tu_wait_port(int port, int timeout_ms);

/* Starts argv[0] (searched in PATH) with stdout/stderr appended to logfile
 * (NULL → /dev/null); returns the pid or -1. */
pid_t tu_spawn(char *const argv[], const char *logfile);
/* Sends sig, then waits up to 10 s for the process to exit (SIGKILL after). */
void tu_stop(pid_t pid, int sig);

/* Runs the suite with CK_NORMAL output; returns 0 when every test passed. */
int tu_run(Suite *s);

#endif
