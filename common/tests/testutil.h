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
/* The value of the first line of GET /metrics on 127.0.0.1:port that starts
 * with `prefix` (a name, or a name with labels), or -1 when none does. */
double tu_metric(int port, const char *prefix);

/* 0 once something accepts TCP connections on 127.0.0.1:port, -1 after timeout_ms. */
int tu_wait_port(int port, int timeout_ms);

/* Starts argv[0] (searched in PATH) with stdout/stderr appended to logfile
 * (NULL → /dev/null); returns the pid or -1. */
pid_t tu_spawn(char *const argv[], const char *logfile);
/* Sends sig, then waits up to 10 s for the process to exit (SIGKILL after). */
void tu_stop(pid_t pid, int sig);

/* Runs the suite with CK_NORMAL output; returns 0 when every test passed. */
int tu_run(Suite *s);

/* One HTTP exchange made by tu_http() (libcurl, a fresh connection each time). */
struct tu_http_resp {
    long status; /* 0 when the exchange failed */
    char *body;  /* NUL-terminated (may contain NULs before len); owned */
    size_t len;
    char *headers; /* the final response's raw header block; owned */
};

/* Sends method url with `headers` (NULL-terminated "Name: value" strings, or
 * NULL) and `body` (NULL → none). Returns 0 when a response arrived, -1 on a
 * transport error. Free *out with tu_http_resp_free() either way. */
int tu_http(const char *method, const char *url, const char *const *headers, const char *body,
            struct tu_http_resp *out);
void tu_http_resp_free(struct tu_http_resp *r);
/* Copies the value of response header `name` (case-insensitive) into buf;
 * returns 0 when present, -1 otherwise. */
int tu_http_header(const struct tu_http_resp *r, const char *name, char *buf, size_t len);

/* HEAD then GET of `path` on one raw connection to 127.0.0.1:port (extra:
 * more header lines, each ending in CRLF, or ""): what follows the HEAD
 * answer's head must be the GET's status line — a body after the HEAD head
 * would come first. Copies the first 12 bytes after the HEAD head to out. */
void tu_head_then_get(int port, const char *path, const char *extra, char *out, size_t len);

/* An access token signed with $JWT_SECRET_KEY (issuer valor-ivx, audience
 * valor-ivx-api, plan "standard", a fresh jti) for user `sub` of `tenant` with
 * `role`, expiring ttl_s seconds from now (negative: already expired).
 * Caller frees with free(). */
char *tu_token(const char *tenant, const char *sub, const char *role, long ttl_s);

struct svc_def;
/* The integration test every service shares: starts `def` in-process with
 * svc_start (PORT=0, a private schema "<schema>_t<pid>", env from the test
 * stack), asserts GET /health, /ready (db, redis, nats ok), /metrics
 * (http_requests_total) and a 404 JSON for an unknown path, checks that the
 * schema and `table` exist in PostgreSQL, stops the service and drops the
 * schema. */
void tu_svc_smoke(const struct svc_def *def, const char *table);

#endif
