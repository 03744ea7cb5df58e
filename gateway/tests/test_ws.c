/* The websocket feed: a client of tenant A receives A's events (published
 * with bus_publish on valor.events.A.…) and nothing of tenant B; ping/pong;
 * 401 without a token, 400 without an upgrade; SIGTERM-style shutdown closes
 * the socket with 1001. A minimal RFC 6455 client over a raw socket. */
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include "gwtest.h"
#include "valor/bus.h"

static struct gwt_upstream up = {"echo", NULL, 0};
static struct gw *gw;
static struct bus *pub;
static int port;

static void setup(void)
{
    struct bus_opts bo = {.url = tu_env("NATS_URL"), .name = "test-ws"};
    gwt_upstream_start(&up, 0);
    gwt_env(up.port);
    setenv("RATE_LIMIT_API", "100000/60", 1);
    ck_assert_int_eq(gw_start(&gw), VALOR_OK);
    port = gw_port(gw);
    ck_assert_int_eq(bus_open(&bo, &pub), VALOR_OK);
}

static void teardown(void)
{
    gw_stop(gw);
    gw = NULL;
    bus_close(pub);
    pub = NULL;
    gwt_upstream_stop(&up);
}

static int read_full(int fd, void *buf, size_t n, int timeout_ms)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0)
            return -1;
        ssize_t r = recv(fd, (char *)buf + got, n - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Opens /api/ws?access_token=token; returns the socket after a 101. */
static int ws_connect(const char *token)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char req[2048], resp[4096];
    size_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    snprintf(req, sizeof(req),
             "GET /api/ws?access_token=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n",
             token);
    ck_assert_int_eq(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    while (n < sizeof(resp) - 1) {
        ck_assert_int_eq(read_full(fd, resp + n, 1, 3000), 0);
        n++;
        resp[n] = '\0';
        if (n >= 4 && strcmp(resp + n - 4, "\r\n\r\n") == 0)
            break;
    }
    ck_assert_msg(strncmp(resp, "HTTP/1.1 101", 12) == 0, "handshake: %s", resp);
    return fd;
}

/* One frame: returns the opcode and copies the payload (NUL-terminated); -1 on timeout. */
static int ws_read(int fd, char *buf, size_t len, int timeout_ms)
{
    unsigned char h[2], ext[8];
    size_t n;
    if (read_full(fd, h, 2, timeout_ms) != 0)
        return -1;
    n = h[1] & 0x7f;
    if (n == 126) {
        ck_assert_int_eq(read_full(fd, ext, 2, 1000), 0);
        n = ((size_t)ext[0] << 8) | ext[1];
    }
    ck_assert_msg(n < len, "frame of %zu bytes", n);
    ck_assert_int_eq(read_full(fd, buf, n, 1000), 0);
    buf[n] = '\0';
    return h[0] & 0x0f;
}

static void ws_send_text(int fd, const char *text)
{
    unsigned char f[256];
    size_t n = strlen(text);
    const unsigned char mask[4] = {1, 2, 3, 4};
    f[0] = 0x81;
    f[1] = (unsigned char)(0x80 | n);
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < n; i++)
        f[6 + i] = (unsigned char)(text[i] ^ mask[i % 4]);
    ck_assert_int_eq(send(fd, f, 6 + n, 0), (ssize_t)(6 + n));
}

static void publish(const char *tenant, const char *type, const char *marker)
{
    char subject[256], body[512], id[64];
    snprintf(subject, sizeof(subject), "valor.events.%s.%s", tenant, type);
    snprintf(id, sizeof(id), "ws-test-%s-%d-%ld", marker, (int)getpid(), (long)time(NULL));
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"type\":\"%s\",\"tenant\":\"%s\",\"data\":{\"m\":\"%s\"}}", id, type,
             tenant, marker);
    ck_assert_int_eq(bus_publish(pub, subject, id, body, strlen(body), 3000), VALOR_OK);
}

static json_t *status(void)
{
    struct tu_http_resp r;
    json_t *j = gwt_call(port, "GET", "/api/websocket/status", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    tu_http_resp_free(&r);
    return json_object_get(j, "data") != NULL ? j : NULL;
}

static int status_int(const char *key)
{
    json_t *j = status();
    int v = (int)json_integer_value(json_object_get(json_object_get(j, "data"), key));
    json_decref(j);
    return v;
}

static void wait_feed_ready(void)
{
    for (int i = 0; i < 100; i++) {
        json_t *j = status();
        int ok = json_is_true(json_object_get(json_object_get(j, "data"), "connected"));
        json_decref(j);
        if (ok && bus_connected(pub))
            return;
        usleep(100 * 1000);
    }
    ck_abort_msg("the websocket feed never connected to NATS");
}

START_TEST(test_refused_without_token_or_upgrade)
{
    struct tu_http_resp r;
    char *tok = gwt_token("ws-x", "u1", "viewer", NULL, NULL, NULL, 600, NULL);
    char path[1200];
    json_t *j = gwt_call(port, "GET", "/api/ws", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(gwt_str(j, "error"), "Authorization header required");
    json_decref(j);
    tu_http_resp_free(&r);
    j = gwt_call(port, "GET", "/api/ws?access_token=bad.token.here", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(gwt_str(j, "error"), "Invalid token");
    json_decref(j);
    tu_http_resp_free(&r);
    snprintf(path, sizeof(path), "/api/ws?access_token=%s", tok);
    j = gwt_call(port, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    json_decref(j);
    tu_http_resp_free(&r);
    free(tok);
}
END_TEST

START_TEST(test_tenant_events_only_ping_and_1001)
{
    char ta[64], tb[64], buf[2048];
    snprintf(ta, sizeof(ta), "wsa-%d", (int)getpid());
    snprintf(tb, sizeof(tb), "wsb-%d", (int)getpid());
    char *toka = gwt_token(ta, "u1", "viewer", NULL, NULL, NULL, 600, NULL);
    char *tokb = gwt_token(tb, "u2", "viewer", NULL, NULL, NULL, 600, NULL);

    wait_feed_ready();
    int a = ws_connect(toka), b = ws_connect(tokb);
    for (int i = 0; i < 50 && status_int("connections") < 2; i++)
        usleep(50 * 1000);
    ck_assert_int_eq(status_int("connections"), 2);
    ck_assert_int_eq(status_int("tenants"), 2);

    publish(ta, "run.created", "a1");
    publish(tb, "run.deleted", "b1");
    publish(ta, "scenario.saved", "a2");
    ck_assert_int_eq(ws_read(a, buf, sizeof(buf), 3000), 1);
    ck_assert_msg(strstr(buf, "\"run.created\"") && strstr(buf, "\"a1\""), "%s", buf);
    ck_assert_int_eq(ws_read(a, buf, sizeof(buf), 3000), 1);
    ck_assert_msg(strstr(buf, "\"a2\"") != NULL, "tenant A got %s", buf);
    ck_assert_int_eq(ws_read(b, buf, sizeof(buf), 3000), 1);
    ck_assert_msg(strstr(buf, "\"b1\"") != NULL, "tenant B got %s", buf);
    ck_assert_int_eq(ws_read(b, buf, sizeof(buf), 300), -1); /* nothing of A */

    ws_send_text(a, "{\"type\":\"ping\"}");
    ck_assert_int_eq(ws_read(a, buf, sizeof(buf), 3000), 1);
    ck_assert_str_eq(buf, "{\"type\":\"pong\"}");

    /* shutdown closes with 1001 going away */
    gw_stop(gw);
    gw = NULL;
    ck_assert_int_eq(ws_read(a, buf, sizeof(buf), 3000), 8);
    ck_assert_int_eq((unsigned char)buf[0], 0x03);
    ck_assert_int_eq((unsigned char)buf[1], 0xe9);
    close(a);
    close(b);
    free(toka);
    free(tokb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-ws");
    TCase *tc = tcase_create("ws");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_refused_without_token_or_upgrade);
    tcase_add_test(tc, test_tenant_events_only_ping_and_1001);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
