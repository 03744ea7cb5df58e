/* The gateway's HTTP/1.1 client (src/upstream.c) against scripted services
 * on loopback TCP: framing (Content-Length, chunked with extensions and
 * trailers, until-close, 1xx, 204, HEAD), keep-alive reuse and a stale
 * connection replaced, refusals (malformed, too large, timeouts, refused
 * connections, EOF mid-body), captured headers and the request bytes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "upstream.h"

#define MAX_STEPS 8

/* One scripted answer: written in pieces of `piece` bytes (0: at once),
 * then the connection is closed when `close_after`. */
struct step {
    const char *answer; /* NULL: read the request and never answer */
    size_t piece;
    int close_after;
};

struct fake {
    int lfd;
    struct sockaddr_in addr;
    struct step steps[MAX_STEPS];
    int nsteps;
    int accepted;          /* connections accepted */
    char request[1 << 16]; /* the last request received */
    size_t request_len;
    pthread_t thread;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads one request (head + Content-Length body) into f->request. 0 on EOF. */
static int read_request(struct fake *f, int fd)
{
    size_t len = 0;
    char *he = NULL;
    while (he == NULL) {
        ssize_t n = recv(fd, f->request + len, sizeof(f->request) - 1 - len, 0);
        if (n <= 0)
            return 0;
        len += (size_t)n;
        f->request[len] = '\0';
        he = strstr(f->request, "\r\n\r\n");
    }
    const char *cl = strcasestr(f->request, "\r\nContent-Length: ");
    size_t want =
        (size_t)(he + 4 - f->request) + (cl != NULL && cl < he ? strtoul(cl + 18, NULL, 10) : 0);
    while (len < want) {
        ssize_t n = recv(fd, f->request + len, sizeof(f->request) - 1 - len, 0);
        if (n <= 0)
            return 0;
        len += (size_t)n;
    }
    f->request[len] = '\0';
    f->request_len = len;
    return 1;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    int step = 0;
    while (step < f->nsteps) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            break;
        __atomic_add_fetch(&f->accepted, 1, __ATOMIC_SEQ_CST);
        while (step < f->nsteps && read_request(f, fd)) {
            const struct step *s = &f->steps[step++];
            if (s->answer == NULL) {
                sleep_ms(1500); /* longer than the client's timeout */
                break;
            }
            size_t len = strlen(s->answer), piece = s->piece ? s->piece : len;
            for (size_t off = 0; off < len; off += piece) {
                size_t n = len - off < piece ? len - off : piece;
                if (send(fd, s->answer + off, n, MSG_NOSIGNAL) < 0)
                    break;
                if (s->piece)
                    sleep_ms(1);
            }
            if (s->close_after)
                break;
        }
        close(fd);
    }
    return NULL;
}

static void fake_start(struct fake *f, const struct step *steps, int n)
{
    socklen_t alen = sizeof(f->addr);
    memset(f, 0, sizeof(*f));
    memcpy(f->steps, steps, (size_t)n * sizeof(*steps));
    f->nsteps = n;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(f->lfd, 0);
    f->addr.sin_family = AF_INET;
    f->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&f->addr, sizeof(f->addr)), 0);
    ck_assert_int_eq(listen(f->lfd, 8), 0);
    ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&f->addr, &alen), 0);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
    shutdown(f->lfd, SHUT_RDWR);
    close(f->lfd);
    pthread_join(f->thread, NULL);
}

static const char *const want[] = {"Content-Type", "ETag", "Location"};

struct client {
    struct gw_up_conn c;
    struct gw_up_buf b;
    struct gw_up_response r;
};

/* One exchange: `method` (with `body`, or NULL) against f; the answer in cl->r. */
static int exchange(struct fake *f, struct client *cl, const char *method, const char *body,
                    size_t max_body)
{
    char head[256];
    snprintf(head, sizeof(head),
             "%s /x HTTP/1.1\r\nHost: fake\r\nX-Request-ID: r1\r\nContent-Length: %zu\r\n\r\n",
             method, body ? strlen(body) : 0);
    struct iovec iov[2] = {{head, strlen(head)}, {(void *)body, body ? strlen(body) : 0}};
    struct gw_up_request rq = {.addr = (struct sockaddr *)&f->addr,
                               .addrlen = sizeof(f->addr),
                               .iov = iov,
                               .iovcnt = 2,
                               .head_method = strcmp(method, "HEAD") == 0,
                               .connect_timeout_ms = 500,
                               .timeout_ms = 700,
                               .max_age_ms = 20000,
                               .max_body = max_body,
                               .want = want,
                               .nwant = 3};
    return gw_up_roundtrip(&cl->c, &rq, &cl->b, &cl->r);
}

static void client_init(struct client *cl)
{
    memset(cl, 0, sizeof(*cl));
    gw_up_conn_init(&cl->c);
}

static void client_free(struct client *cl)
{
    gw_up_conn_close(&cl->c);
    gw_up_buf_free(&cl->b);
}

static void assert_body(const struct gw_up_response *r, const char *expect)
{
    ck_assert_uint_eq(r->body_len, strlen(expect));
    ck_assert(memcmp(r->body, expect, r->body_len) == 0);
}

/* An exchange that must succeed with body `expect`. */
static void expect_body(struct fake *f, struct client *cl, const char *method, const char *body,
                        size_t max_body, const char *expect)
{
    ck_assert_int_eq(exchange(f, cl, method, body, max_body), GW_UP_OK);
    assert_body(&cl->r, expect);
}

START_TEST(test_content_length_keepalive_reused)
{
    const struct step s[] = {
        {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
         0, 0},
        {"HTTP/1.1 201 Created\r\nlocation:  /runs/9 \r\nContent-Length: 2\r\n\r\nok", 0, 0},
    };
    struct fake f;
    struct client cl;
    fake_start(&f, s, 2);
    client_init(&cl);
    ck_assert_int_eq(exchange(&f, &cl, "GET", NULL, 1024), GW_UP_OK);
    ck_assert_uint_eq(cl.r.status, 200);
    assert_body(&cl.r, "{\"a\":1}");
    ck_assert_str_eq(cl.r.header[0], "application/json");
    ck_assert_ptr_null(cl.r.header[1]);
    int fd = cl.c.fd;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(exchange(&f, &cl, "POST", "{\"n\":2}", 1024), GW_UP_OK);
    ck_assert_uint_eq(cl.r.status, 201);
    assert_body(&cl.r, "ok");
    ck_assert_str_eq(cl.r.header[2], "/runs/9"); /* case-insensitive name, value trimmed */
    ck_assert_int_eq(cl.c.fd, fd);               /* the same connection */
    ck_assert_int_eq(f.accepted, 1);
    /* the request arrived byte for byte: head and body */
    ck_assert_str_eq(f.request, "POST /x HTTP/1.1\r\nHost: fake\r\nX-Request-ID: r1\r\n"
                                "Content-Length: 7\r\n\r\n{\"n\":2}");
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_chunked_in_small_pieces)
{
    /* extensions, a trailer, and every byte in its own segment */
    const struct step s[] = {
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"v1\"\r\n\r\n"
         "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
         1, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 0},
    };
    struct fake f;
    struct client cl;
    fake_start(&f, s, 2);
    client_init(&cl);
    expect_body(&f, &cl, "GET", NULL, 1024, "hello 0123456789");
    ck_assert_str_eq(cl.r.header[1], "\"v1\"");
    ck_assert_int_ge(cl.c.fd, 0);
    ck_assert_int_eq(exchange(&f, &cl, "GET", NULL, 1024), GW_UP_OK);
    ck_assert_uint_eq(cl.r.body_len, 0);
    ck_assert_int_eq(f.accepted, 1);
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_until_close_and_connection_close)
{
    const struct step s[] = {
        {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", 0, 1},
        {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye", 0, 1},
        {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nv0", 0, 1},
    };
    struct fake f;
    struct client cl;
    fake_start(&f, s, 3);
    client_init(&cl);
    expect_body(&f, &cl, "GET", NULL, 1024, "all of it");
    ck_assert_int_eq(cl.c.fd, -1);
    expect_body(&f, &cl, "GET", NULL, 1024, "bye");
    ck_assert_int_eq(cl.c.fd, -1);
    expect_body(&f, &cl, "GET", NULL, 1024, "v0");
    ck_assert_int_eq(cl.c.fd, -1);
    ck_assert_int_eq(f.accepted, 3);
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_stale_connection_replaced)
{
    /* the service answers with keep-alive and then drops the idle connection */
    const struct step s[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", 0, 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", 0, 0},
    };
    struct fake f;
    struct client cl;
    fake_start(&f, s, 2);
    client_init(&cl);
    ck_assert_int_eq(exchange(&f, &cl, "GET", NULL, 1024), GW_UP_OK);
    ck_assert_int_ge(cl.c.fd, 0); /* the client believes it can reuse it */
    sleep_ms(50);
    expect_body(&f, &cl, "POST", "{}", 1024, "b");
    ck_assert_int_eq(f.accepted, 2);
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_interim_204_and_head)
{
    const struct step s[] = {
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 0},
        {"HTTP/1.1 204 No Content\r\n\r\n", 0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 0, 0},
        {"HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n", 0, 0},
    };
    struct fake f;
    struct client cl;
    fake_start(&f, s, 4);
    client_init(&cl);
    ck_assert_int_eq(exchange(&f, &cl, "GET", NULL, 1024), GW_UP_OK);
    ck_assert_uint_eq(cl.r.status, 200);
    assert_body(&cl.r, "ok");
    ck_assert_int_eq(exchange(&f, &cl, "DELETE", NULL, 1024), GW_UP_OK);
    ck_assert_uint_eq(cl.r.status, 204);
    ck_assert_uint_eq(cl.r.body_len, 0);
    ck_assert_int_eq(exchange(&f, &cl, "HEAD", NULL, 1024), GW_UP_OK);
    ck_assert_uint_eq(cl.r.body_len, 0); /* the length describes a GET's body */
    ck_assert_int_eq(exchange(&f, &cl, "GET", NULL, 1024), GW_UP_OK);
    ck_assert_uint_eq(cl.r.status, 304);
    ck_assert_str_eq(cl.r.header[1], "\"e\"");
    ck_assert_int_eq(f.accepted, 1);
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

/* Each answer in `bad` is refused with `expect` and the connection dropped. */
static void expect_refused(const char *answer, size_t max_body, int expect)
{
    const struct step s[] = {{answer, 0, 1}};
    struct fake f;
    struct client cl;
    fake_start(&f, s, 1);
    client_init(&cl);
    int rc = exchange(&f, &cl, "GET", NULL, max_body);
    ck_assert_msg(rc == expect, "%s: got %s, expected %s", answer, gw_up_strerror(rc),
                  gw_up_strerror(expect));
    ck_assert_int_eq(cl.c.fd, -1);
    client_free(&cl);
    fake_stop(&f);
}

START_TEST(test_malformed_answers_refused)
{
    static const char *const bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxxyy\r\n0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 700 Odd\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Type: a\nSet-Cookie: x\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nETag: a\rb\r\nContent-Length: 0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_refused(bad[i], 1024, GW_UP_MALFORMED);
}
END_TEST

START_TEST(test_too_large_refused)
{
    static char big_head[80 << 10], chunked[200];
    snprintf(big_head, sizeof(big_head), "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(big_head + strlen(big_head), 'a', sizeof(big_head) - 100);
    expect_refused(big_head, 1024, GW_UP_TOO_LARGE);
    expect_refused("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890", 10, GW_UP_TOO_LARGE);
    snprintf(chunked, sizeof(chunked),
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n"
             "6\r\n012345\r\n0\r\n\r\n");
    expect_refused(chunked, 10, GW_UP_TOO_LARGE);
    expect_refused("HTTP/1.1 200 OK\r\n\r\n0123456789012345", 10, GW_UP_TOO_LARGE);
    /* exactly the limit passes */
    const struct step s[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 0, 0}};
    struct fake f;
    struct client cl;
    fake_start(&f, s, 1);
    client_init(&cl);
    expect_body(&f, &cl, "GET", NULL, 10, "0123456789");
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_eof_mid_answer_and_silence)
{
    /* a fresh connection that closes mid-body is not retried */
    expect_refused("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", 1024, GW_UP_IO);
    expect_refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1024, GW_UP_IO);
    expect_refused("", 1024, GW_UP_IO); /* closed without a byte */

    /* a service that reads the request and says nothing: the timeout */
    const struct step s[] = {{NULL, 0, 1}};
    struct fake f;
    struct client cl;
    struct timespec t0, t1;
    fake_start(&f, s, 1);
    client_init(&cl);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(exchange(&f, &cl, "GET", NULL, 1024), GW_UP_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    ck_assert_msg(ms >= 650 && ms < 1400, "timed out after %.0f ms (timeout 700)", ms);
    ck_assert_int_eq(cl.c.fd, -1);
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_refused_connection)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct iovec iov = {"GET / HTTP/1.1\r\n\r\n", 18};
    struct gw_up_request rq = {.addr = (struct sockaddr *)&a,
                               .addrlen = sizeof(a),
                               .iov = &iov,
                               .iovcnt = 1,
                               .connect_timeout_ms = 500,
                               .timeout_ms = 700,
                               .max_age_ms = 20000,
                               .max_body = 10};
    struct client cl;
    a.sin_port = htons((uint16_t)tu_free_port());
    client_init(&cl);
    ck_assert_int_eq(gw_up_roundtrip(&cl.c, &rq, &cl.b, &cl.r), GW_UP_CONNECT);
    ck_assert_int_eq(cl.c.fd, -1);
    client_free(&cl);
}
END_TEST

START_TEST(test_other_address_reconnects)
{
    const struct step s1[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", 0, 0}};
    const struct step s2[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2", 0, 0}};
    struct fake f1, f2;
    struct client cl;
    fake_start(&f1, s1, 1);
    fake_start(&f2, s2, 1);
    client_init(&cl);
    expect_body(&f1, &cl, "GET", NULL, 10, "1");
    /* the same slot now names another replica: its own connection */
    expect_body(&f2, &cl, "GET", NULL, 10, "2");
    ck_assert_int_eq(f1.accepted, 1);
    ck_assert_int_eq(f2.accepted, 1);
    client_free(&cl);
    fake_stop(&f1);
    fake_stop(&f2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway upstream client");
    TCase *tc = tcase_create("wire");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_content_length_keepalive_reused);
    tcase_add_test(tc, test_chunked_in_small_pieces);
    tcase_add_test(tc, test_until_close_and_connection_close);
    tcase_add_test(tc, test_stale_connection_replaced);
    tcase_add_test(tc, test_interim_204_and_head);
    tcase_add_test(tc, test_malformed_answers_refused);
    tcase_add_test(tc, test_too_large_refused);
    tcase_add_test(tc, test_eof_mid_answer_and_silence);
    tcase_add_test(tc, test_refused_connection);
    tcase_add_test(tc, test_other_address_reconnects);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
