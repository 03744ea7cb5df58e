#include "testutil.h"

#include "valor/crypto.h"
#include "valor/jwt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "valor/http.h"
#include "valor/svc.h"

const char *tu_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        ck_abort_msg("environment variable %s is not set: run the tests through make test", name);
    return v;
}

int tu_free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static int try_connect(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc;
    if (fd < 0)
        return -1;
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    return rc;
}

int tu_wait_port(int port, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        if (try_connect(port) == 0)
            return 0;
        usleep(20 * 1000);
    }
    return -1;
}

pid_t tu_spawn(char *const argv[], const char *logfile)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(logfile ? logfile : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if (in >= 0)
        dup2(in, 0);
    setpgid(0, 0);
    /* A failed check test ends with _exit() and skips its teardown: the
     * server must not outlive the test process that started it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvp(argv[0], argv);
    _exit(127);
}

void tu_stop(pid_t pid, int sig)
{
    if (pid <= 0)
        return;
    kill(pid, sig);
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(20 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

/* ---- HTTP client for tests ---------------------------------------------- */

struct tu_buf {
    char *p;
    size_t len;
};

static size_t tu_buf_append(char *data, size_t size, size_t n, void *ud)
{
    struct tu_buf *b = ud;
    size_t add = size * n;
    char *np = realloc(b->p, b->len + add + 1);
    if (np == NULL)
        return 0;
    memcpy(np + b->len, data, add);
    b->p = np;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static size_t tu_header_line(char *data, size_t size, size_t n, void *ud)
{
    struct tu_buf *b = ud;
    if (size * n >= 5 && memcmp(data, "HTTP/", 5) == 0)
        b->len = 0; /* keep only the final response's headers */
    return tu_buf_append(data, size, n, ud);
}

int tu_http(const char *method, const char *url, const char *const *headers, const char *body,
            struct tu_http_resp *out)
{
    struct tu_buf rb = {0}, hb = {0};
    struct curl_slist *hl = NULL;
    CURL *h = curl_easy_init();
    CURLcode cr = CURLE_FAILED_INIT;

    memset(out, 0, sizeof(*out));
    if (h == NULL)
        return -1;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L); /* send "/a/../b" as written */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, tu_buf_append);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &rb);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, tu_header_line);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hb);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
    cr = curl_easy_perform(h);
    if (cr == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    out->body = rb.p != NULL ? rb.p : strdup("");
    out->len = rb.len;
    out->headers = hb.p != NULL ? hb.p : strdup("");
    return cr == CURLE_OK ? 0 : -1;
}

void tu_http_resp_free(struct tu_http_resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

int tu_http_header(const struct tu_http_resp *r, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    for (const char *line = r->headers; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t llen = eol != NULL ? (size_t)(eol - line) : strlen(line);
        if (llen > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1, *end = line + llen;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' '))
                end--;
            snprintf(buf, len, "%.*s", (int)(end - v), v);
            return 0;
        }
        line = eol != NULL ? eol + 1 : NULL;
    }
    return -1;
}

/* ---- the shared service integration test -------------------------------- */

static void tu_get(int port, const char *path, struct tu_http_resp *r)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    ck_assert_msg(tu_http("GET", url, NULL, NULL, r) == 0, "GET %s: no response", path);
}

static void tu_assert_check_ok(json_t *checks, const char *name, const char *body)
{
    json_t *c = json_object_get(checks, name);
    ck_assert_msg(json_is_object(c), "/ready has no \"%s\" check: %s", name, body);
    ck_assert_msg(json_is_true(json_object_get(c, "ok")), "/ready check %s not ok: %s", name, body);
}

/* Polls /ready for up to 10 s (NATS connects in the background). */
static void tu_assert_ready(int port)
{
    struct tu_http_resp r;
    json_t *j, *checks;

    for (int i = 0;; i++) {
        tu_get(port, "/ready", &r);
        if (r.status == 200 || i >= 100)
            break;
        tu_http_resp_free(&r);
        usleep(100 * 1000);
    }
    ck_assert_msg(r.status == 200, "/ready: %ld %s", r.status, r.body);
    j = json_loads(r.body, 0, NULL);
    ck_assert_msg(j != NULL, "/ready is not JSON: %s", r.body);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ready");
    checks = json_object_get(j, "checks");
    tu_assert_check_ok(checks, "db", r.body);
    tu_assert_check_ok(checks, "redis", r.body);
    tu_assert_check_ok(checks, "nats", r.body);
    json_decref(j);
    tu_http_resp_free(&r);
}

static void tu_assert_endpoints(int port)
{
    struct tu_http_resp r;
    char ct[128] = "";
    json_t *j;

    tu_get(port, "/no/such/path", &r);
    ck_assert_msg(r.status == 404, "unknown path: %ld %s", r.status, r.body);
    ck_assert_msg(tu_http_header(&r, "Content-Type", ct, sizeof(ct)) == 0 &&
                      strstr(ct, "application/json") != NULL,
                  "404 Content-Type: %s", ct);
    j = json_loads(r.body, 0, NULL);
    ck_assert_msg(j != NULL, "404 body is not JSON: %s", r.body);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), "Not found");
    json_decref(j);
    tu_http_resp_free(&r);

    tu_get(port, "/health", &r);
    ck_assert_msg(r.status == 200, "/health: %ld %s", r.status, r.body);
    ck_assert_msg(strstr(r.body, "\"healthy\"") != NULL, "/health body: %s", r.body);
    tu_http_resp_free(&r);

    tu_assert_ready(port);

    tu_get(port, "/metrics", &r);
    ck_assert_msg(r.status == 200, "/metrics: %ld", r.status);
    ck_assert_msg(strstr(r.body, "http_requests_total") != NULL, "/metrics: %s", r.body);
    tu_http_resp_free(&r);
}

static void tu_pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* 1 when information_schema lists the table (or, table NULL, the schema). */
static int tu_pg_exists(PGconn *pg, const char *schema, const char *table)
{
    const char *params[2] = {schema, table};
    PGresult *res = table != NULL ? PQexecParams(pg,
                                                 "SELECT count(*) FROM information_schema.tables "
                                                 "WHERE table_schema = $1 AND table_name = $2",
                                                 2, NULL, params, NULL, NULL, 0)
                                  : PQexecParams(pg,
                                                 "SELECT count(*) FROM information_schema.schemata "
                                                 "WHERE schema_name = $1",
                                                 1, NULL, params, NULL, NULL, 0);
    int found = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "query failed: %s", PQerrorMessage(pg));
    PQclear(res);
    return found;
}

static void tu_drop_schema(PGconn *pg, const char *schema)
{
    char *id = PQescapeIdentifier(pg, schema, strlen(schema)), sql[256];
    ck_assert_ptr_nonnull(id);
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", id);
    PQfreemem(id);
    PQclear(PQexec(pg, sql));
}

void tu_svc_smoke(const struct svc_def *def, const char *table)
{
    struct svc_def d = *def;
    struct svc *s = NULL;
    char schema[64];
    PGconn *pg;
    int rc;

    snprintf(schema, sizeof(schema), "%s_t%d", def->schema, (int)getpid());
    d.schema = schema;
    tu_env("DATABASE_URL");
    tu_env("REDIS_URL");
    tu_env("NATS_URL");
    setenv("PORT", "0", 1);
    setenv("HOST", "127.0.0.1", 1);
    pg = PQconnectdb(tu_env("DATABASE_URL"));
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, tu_pg_quiet, NULL);
    tu_drop_schema(pg, schema);

    rc = svc_start(&d, &s);
    ck_assert_msg(rc == 0, "svc_start(%s) = %d", def->name, rc);
    tu_assert_endpoints(http_server_port(s->http));
    svc_stop(s);

    ck_assert_msg(tu_pg_exists(pg, schema, NULL), "schema %s missing", schema);
    ck_assert_msg(tu_pg_exists(pg, schema, table), "table %s.%s missing", schema, table);
    ck_assert_msg(tu_pg_exists(pg, schema, "schema_migrations"), "%s.schema_migrations missing",
                  schema);
    tu_drop_schema(pg, schema);
    PQfinish(pg);
}

char *tu_token(const char *tenant, const char *sub, const char *role, long ttl_s)
{
    struct vjwt_params p = {.secret = tu_env("JWT_SECRET_KEY"),
                            .issuer = "valor-ivx",
                            .audience = "valor-ivx-api",
                            .leeway_s = 0};
    struct vjwt_claims c = {0};
    char *token = NULL;
    time_t now = time(NULL);

    snprintf(c.sub, sizeof(c.sub), "%s", sub);
    snprintf(c.tid, sizeof(c.tid), "%s", tenant);
    snprintf(c.role, sizeof(c.role), "%s", role);
    snprintf(c.plan, sizeof(c.plan), "standard");
    snprintf(c.typ, sizeof(c.typ), "access");
    ck_assert_int_eq(crypto_uuid4(c.jti), 0);
    c.iat = c.nbf = (long long)now - (ttl_s < 0 ? 3600 : 0);
    c.exp = (long long)now + ttl_s;
    ck_assert_int_eq(vjwt_sign(&p, &c, &token), 0);
    return token;
}

double tu_metric(int port, const char *prefix)
{
    struct tu_http_resp r;
    double v = -1;
    tu_get(port, "/metrics", &r);
    for (const char *l = r.body; l != NULL && *l != '\0';) {
        if (strncmp(l, prefix, strlen(prefix)) == 0) {
            const char *nl = strchr(l, '\n');
            const char *sp = memrchr(l, ' ', nl != NULL ? (size_t)(nl - l) : strlen(l));
            if (sp != NULL)
                v = strtod(sp + 1, NULL);
            break;
        }
        l = strchr(l, '\n');
        if (l != NULL)
            l++;
    }
    tu_http_resp_free(&r);
    return v;
}

void tu_head_then_get(int port, const char *path, const char *extra, char *out, size_t len)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 10}; /* a hang guard */
    char req[2048], buf[16384];
    size_t have = 0;
    char *end = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    int n = snprintf(req, sizeof(req), "HEAD %s HTTP/1.1\r\nHost: t\r\n%s\r\n", path, extra);
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
        ssize_t got = read(fd, buf + have, sizeof(buf) - 1 - have);
        ck_assert_msg(got > 0, "HEAD %s: no complete head", path);
        have += (size_t)got;
    }
    size_t rest = have - (size_t)(end + 4 - buf);
    memmove(buf, end + 4, rest);
    have = rest;
    n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n", path, extra);
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    while (have < 12) {
        ssize_t got = read(fd, buf + have, sizeof(buf) - 1 - have);
        ck_assert_msg(got > 0, "GET %s after HEAD: no answer", path);
        have += (size_t)got;
    }
    buf[have] = '\0';
    snprintf(out, len, "%.12s", buf);
    close(fd);
}
