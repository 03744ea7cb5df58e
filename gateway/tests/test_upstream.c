/* The gateway's HTTP/1.1 client (src/upstream.c) against scripted services
 * on loopback TCP: framing (Content-Length, chunked with extensions and
 * trailers, until-close, 1xx, 204, HEAD), keep-alive reuse and a stale
 * connection replaced, refusals (malformed, too large, timeouts, refused
 * connections, EOF mid-body), captured headers and the request bytes.
 * The same exchanges driven step by step from a non-blocking poll() loop
 * (gw_up_start/gw_up_step): answers arriving one byte at a time, two
 * exchanges in flight in one thread, a request larger than the socket
 * buffers, deadlines and an abandoned exchange. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "upstream.h"
#include "valor/clock.h"

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
    size_t hold_at; /* with go: answers (piece 1) stop after hold_at bytes until *go is set */
    int *go;
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
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* a piece per segment */
        __atomic_add_fetch(&f->accepted, 1, __ATOMIC_SEQ_CST);
        while (step < f->nsteps && read_request(f, fd)) {
            const struct step *s = &f->steps[step++];
            if (s->answer == NULL) {
                sleep_ms(1500); /* longer than the client's timeout */
                break;
            }
            size_t len = strlen(s->answer), piece = s->piece ? s->piece : len;
            for (size_t off = 0; off < len; off += piece) {
                if (f->go != NULL && off == f->hold_at)
                    while (!__atomic_load_n(f->go, __ATOMIC_SEQ_CST))
                        sleep_ms(1);
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

static void fake_start_held(struct fake *f, const struct step *steps, int n, size_t hold_at,
                            int *go)
{
    socklen_t alen = sizeof(f->addr);
    memset(f, 0, sizeof(*f));
    memcpy(f->steps, steps, (size_t)n * sizeof(*steps));
    f->nsteps = n;
    f->hold_at = hold_at;
    f->go = go;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(f->lfd, 0);
    f->addr.sin_family = AF_INET;
    f->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&f->addr, sizeof(f->addr)), 0);
    ck_assert_int_eq(listen(f->lfd, 8), 0);
    ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&f->addr, &alen), 0);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_start(struct fake *f, const struct step *steps, int n)
{
    fake_start_held(f, steps, n, 0, NULL);
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

/* A request and the memory it points to (alive while an exchange is). */
struct call {
    char head[256];
    struct iovec iov[2];
    struct gw_up_request rq;
};

/* `method` with body_len bytes of `body` (or NULL) to addr. */
static void call_init(struct call *k, const struct sockaddr_in *addr, const char *method,
                      const char *body, size_t body_len, size_t max_body)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->head, sizeof(k->head),
             "%s /x HTTP/1.1\r\nHost: fake\r\nX-Request-ID: r1\r\nContent-Length: %zu\r\n\r\n",
             method, body ? body_len : 0);
    k->iov[0] = (struct iovec){k->head, strlen(k->head)};
    k->iov[1] = (struct iovec){(void *)body, body ? body_len : 0};
    k->rq = (struct gw_up_request){.addr = (const struct sockaddr *)addr,
                                   .addrlen = sizeof(*addr),
                                   .iov = k->iov,
                                   .iovcnt = 2,
                                   .head_method = strcmp(method, "HEAD") == 0,
                                   .connect_timeout_ms = 500,
                                   .timeout_ms = 700,
                                   .max_age_ms = 20000,
                                   .max_body = max_body,
                                   .want = want,
                                   .nwant = 3};
}

/* One exchange: `method` (with `body`, or NULL) against f; the answer in cl->r. */
static int exchange(struct fake *f, struct client *cl, const char *method, const char *body,
                    size_t max_body)
{
    struct call k;
    call_init(&k, &f->addr, method, body, body ? strlen(body) : 0, max_body);
    return gw_up_roundtrip(&cl->c, &k.rq, &cl->b, &cl->r);
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

/* ---- the same exchanges driven by a non-blocking loop ---- */

/* What a loop saw while driving an exchange. */
struct drive {
    int steps;        /* gw_up_step calls */
    int pollout;      /* waits for POLLOUT after the connect (a partial write) */
    int last_timeout; /* the last step was made with timed_out 1 */
};

/* Waits for ex (poll on ex->fd for ex->events until ex->deadline_ms) and
 * steps it once; the step's result. */
static int wait_and_step(struct gw_up_exchange *ex, struct drive *d)
{
    ck_assert_int_ge(ex->fd, 0);
    ck_assert(ex->events == POLLIN || ex->events == POLLOUT);
    for (;;) {
        long long left = ex->deadline_ms - (long long)clock_mono_ms();
        int n = 0;
        if (left > 0) {
            struct pollfd p = {.fd = ex->fd, .events = ex->events};
            n = poll(&p, 1, (int)left);
            if (n < 0) {
                ck_assert_int_eq(errno, EINTR);
                continue;
            }
        }
        d->steps++;
        d->last_timeout = n == 0;
        return gw_up_step(ex, n == 0);
    }
}

/* Drives ex from rc (what gw_up_start returned) to the end. */
static int drive_from(struct gw_up_exchange *ex, int rc, struct drive *d)
{
    while (rc == GW_UP_AGAIN) {
        if (ex->events == POLLOUT && d->steps > 0)
            d->pollout++;
        rc = wait_and_step(ex, d);
    }
    ck_assert_int_eq(ex->fd, -1);
    return rc;
}

/* Starts k's request on cl's connection and drives it to the end. */
static int drive(struct gw_up_exchange *ex, struct client *cl, const struct call *k,
                 struct drive *d)
{
    int rc = gw_up_start(ex, &cl->c, &k->rq, &cl->b, &cl->r);
    return drive_from(ex, rc, d);
}

/* An answer written one byte per segment, read by the loop. */
struct trickle {
    const char *method;
    const char *answer;
    const char *body;  /* the body expected */
    const char *value; /* the value of want[header] expected */
    int close_after;
    unsigned status;
    int header;
    int kept; /* the connection stays open */
};

static const struct trickle trickles[] = {
    {.method = "GET",
     .answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n"
               "{\"a\":1}",
     .body = "{\"a\":1}",
     .value = "application/json",
     .status = 200,
     .header = 0,
     .kept = 1},
    {.method = "GET",
     .answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"v1\"\r\n\r\n"
               "5;ext=1\r\nhello\r\n1\r\n \r\nA;a=\"b\";c\r\n0123456789\r\n0\r\nX-Trailer: t\r\n"
               "X-Other: u\r\n\r\n",
     .body = "hello 0123456789",
     .value = "\"v1\"",
     .status = 200,
     .header = 1,
     .kept = 1},
    {.method = "POST",
     .answer = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /runs/7\r\n"
               "Content-Length: 2\r\n\r\nok",
     .body = "ok",
     .value = "/runs/7",
     .status = 201,
     .header = 2,
     .kept = 1},
    {.method = "HEAD",
     .answer = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\n",
     .body = "",
     .value = "text/csv",
     .status = 200,
     .header = 0,
     .kept = 1},
    {.method = "GET",
     .answer = "HTTP/1.1 200 OK\r\nETag: \"u\"\r\n\r\nall of it, until the end",
     .body = "all of it, until the end",
     .value = "\"u\"",
     .close_after = 1,
     .status = 200,
     .header = 1,
     .kept = 0},
};

START_TEST(test_async_one_byte_at_a_time)
{
    const struct trickle *t = &trickles[_i];
    /* the same answer twice: the second on the connection the first left */
    const struct step s[] = {{t->answer, 1, t->close_after}, {t->answer, 1, t->close_after}};
    struct fake f;
    struct client cl;
    struct call k;
    struct gw_up_exchange ex;
    fake_start(&f, s, 2);
    client_init(&cl);
    for (int round = 0; round < 2; round++) {
        struct drive d = {0};
        call_init(&k, &f.addr, t->method, strcmp(t->method, "POST") == 0 ? "{}" : NULL, 2, 1024);
        int rc = drive(&ex, &cl, &k, &d);
        ck_assert_msg(rc == GW_UP_OK, "answer %d round %d: %s", _i, round, gw_up_strerror(rc));
        ck_assert_int_gt(d.steps, 1); /* it came in more than one piece */
        ck_assert_uint_eq(cl.r.status, t->status);
        assert_body(&cl.r, t->body);
        ck_assert_str_eq(cl.r.header[t->header], t->value);
        for (int i = 0; i < 3; i++)
            if (i != t->header)
                ck_assert_ptr_null(cl.r.header[i]);
        ck_assert_int_eq(cl.c.fd >= 0, t->kept);
        ck_assert_int_eq(gw_up_step(&ex, 0), GW_UP_OK); /* a finished exchange stays finished */
    }
    ck_assert_int_eq(f.accepted, t->kept ? 1 : 2);
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_async_two_in_flight)
{
    /* A's service writes half its answer, then waits until B's is complete */
    static int go_a;
    const char *ans_a = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"a\"\r\n\r\n"
                        "3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n";
    const struct step sa[] = {{ans_a, 1, 0}};
    const struct step sb[] = {
        {"HTTP/1.1 200 OK\r\nContent-Type: text/b\r\nContent-Length: 5\r\n\r\nbbbbb", 1, 0}};
    struct fake fa, fb;
    struct client ca, cb;
    struct call ka, kb;
    struct gw_up_exchange xa, xb;
    struct drive d = {0};
    __atomic_store_n(&go_a, 0, __ATOMIC_SEQ_CST);
    fake_start_held(&fa, sa, 1, 60, &go_a);
    fake_start(&fb, sb, 1);
    client_init(&ca);
    client_init(&cb);
    call_init(&ka, &fa.addr, "GET", NULL, 0, 1024);
    call_init(&kb, &fb.addr, "GET", NULL, 0, 1024);
    ka.rq.timeout_ms = kb.rq.timeout_ms = 10000;
    int ra = gw_up_start(&xa, &ca.c, &ka.rq, &ca.b, &ca.r);
    int rb = gw_up_start(&xb, &cb.c, &kb.rq, &cb.b, &cb.r);
    ck_assert_int_eq(ra, GW_UP_AGAIN);
    ck_assert_int_eq(rb, GW_UP_AGAIN);
    int steps_a = 0, steps_a_while_b = 0;
    while (ra == GW_UP_AGAIN || rb == GW_UP_AGAIN) {
        struct pollfd p[2] = {{.fd = xa.fd, .events = xa.events},
                              {.fd = xb.fd, .events = xb.events}};
        ck_assert_int_ge(poll(p, 2, 5000), 1); /* no deadline is near: something is ready */
        if (p[0].revents) {
            ra = gw_up_step(&xa, 0);
            steps_a++;
            if (rb == GW_UP_AGAIN)
                steps_a_while_b++;
        }
        if (p[1].revents) {
            rb = gw_up_step(&xb, 0);
            d.steps++;
            if (rb != GW_UP_AGAIN) {
                ck_assert_int_eq(ra, GW_UP_AGAIN); /* A is still waiting for its service */
                __atomic_store_n(&go_a, 1, __ATOMIC_SEQ_CST);
            }
        }
    }
    ck_assert_int_eq(ra, GW_UP_OK);
    ck_assert_int_eq(rb, GW_UP_OK);
    ck_assert_int_gt(steps_a_while_b, 0); /* A's first half was parsed while B was in flight */
    ck_assert_int_gt(steps_a, steps_a_while_b);
    assert_body(&ca.r, "abcdefg");
    ck_assert_str_eq(ca.r.header[1], "\"a\"");
    assert_body(&cb.r, "bbbbb");
    ck_assert_str_eq(cb.r.header[0], "text/b");
    ck_assert_int_ge(ca.c.fd, 0);
    ck_assert_int_ge(cb.c.fd, 0);
    client_free(&ca);
    client_free(&cb);
    fake_stop(&fa);
    fake_stop(&fb);
}
END_TEST

/* A service with a small receive buffer that reads a request slowly and
 * answers with the body's length and checksum. */
struct sink {
    int lfd;
    struct sockaddr_in addr;
    pthread_t thread;
};

static unsigned long fnv1a(unsigned long h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211UL;
    return h;
}

static void *sink_main(void *arg)
{
    struct sink *k = arg;
    static char buf[1 << 16];
    char answer[128], body[64];
    size_t len = 0, got = 0, want_len = 0;
    unsigned long h = 14695981039346656037UL;
    char *he = NULL;
    int fd = accept(k->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    sleep_ms(100); /* let the client's buffers fill up */
    while (he == NULL && len < sizeof(buf) - 1) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (n <= 0)
            goto out;
        len += (size_t)n;
        buf[len] = '\0';
        he = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strcasestr(buf, "\r\nContent-Length: ");
    if (he == NULL || cl == NULL)
        goto out;
    want_len = strtoul(cl + 18, NULL, 10);
    got = len - (size_t)(he + 4 - buf);
    h = fnv1a(h, (unsigned char *)he + 4, got);
    for (int i = 0; got < want_len; i++) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            goto out;
        h = fnv1a(h, (unsigned char *)buf, (size_t)n);
        got += (size_t)n;
        if (i % 16 == 0)
            sleep_ms(1);
    }
    snprintf(body, sizeof(body), "%zu %016lx", got, h);
    snprintf(answer, sizeof(answer), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    send(fd, answer, strlen(answer), MSG_NOSIGNAL);
out:
    close(fd);
    return NULL;
}

START_TEST(test_async_partial_writes)
{
    size_t n = (size_t)4 << 20;
    char *body = malloc(n), expect[64];
    int small = 16 << 10;
    socklen_t alen;
    struct sink k = {0};
    struct client cl;
    struct call c;
    struct gw_up_exchange ex;
    struct drive d = {0};
    ck_assert_ptr_nonnull(body);
    for (size_t i = 0; i < n; i++)
        body[i] = (char)(i % 251);
    snprintf(expect, sizeof(expect), "%zu %016lx", n,
             fnv1a(14695981039346656037UL, (unsigned char *)body, n));
    k.lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(k.lfd, 0);
    /* inherited by the accepted socket: the kernel cannot absorb the request */
    ck_assert_int_eq(setsockopt(k.lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    k.addr.sin_family = AF_INET;
    k.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = sizeof(k.addr);
    ck_assert_int_eq(bind(k.lfd, (struct sockaddr *)&k.addr, sizeof(k.addr)), 0);
    ck_assert_int_eq(listen(k.lfd, 8), 0);
    ck_assert_int_eq(getsockname(k.lfd, (struct sockaddr *)&k.addr, &alen), 0);
    ck_assert_int_eq(pthread_create(&k.thread, NULL, sink_main, &k), 0);
    client_init(&cl);
    call_init(&c, &k.addr, "PUT", body, n, 1024);
    c.rq.timeout_ms = 60000;
    ck_assert_int_eq(drive(&ex, &cl, &c, &d), GW_UP_OK);
    ck_assert_int_gt(d.pollout, 0); /* the socket took the request in parts */
    ck_assert_uint_eq(cl.r.status, 200);
    assert_body(&cl.r, expect); /* every byte arrived, in order */
    pthread_join(k.thread, NULL);
    close(k.lfd);
    client_free(&cl);
    free(body);
}
END_TEST

START_TEST(test_async_deadline)
{
    /* a service that reads the request and says nothing */
    const struct step s[] = {{NULL, 0, 1}};
    struct fake f;
    struct client cl;
    struct call k;
    struct gw_up_exchange ex;
    struct drive d = {0};
    fake_start(&f, s, 1);
    client_init(&cl);
    call_init(&k, &f.addr, "GET", NULL, 0, 1024);
    k.rq.timeout_ms = 300;
    long long t0 = (long long)clock_mono_ms();
    int rc = gw_up_start(&ex, &cl.c, &k.rq, &cl.b, &cl.r);
    ck_assert_int_eq(rc, GW_UP_AGAIN); /* connecting (POLLOUT) or waiting for the answer */
    ck_assert(ex.deadline_ms >= t0 + 300 && ex.deadline_ms <= t0 + 400);
    ck_assert_int_eq(drive_from(&ex, rc, &d), GW_UP_TIMEOUT);
    ck_assert(d.last_timeout); /* ended by gw_up_step(ex, 1) */
    long long ms = (long long)clock_mono_ms() - t0;
    ck_assert_msg(ms >= 299 && ms < 1400, "timed out after %lld ms (timeout 300)", ms);
    ck_assert_int_eq(cl.c.fd, -1);
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_async_connect_refused_and_timeout)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct client cl;
    struct call k;
    struct gw_up_exchange ex;
    struct drive d = {0};
    a.sin_port = htons((uint16_t)tu_free_port());
    client_init(&cl);
    call_init(&k, &a, "GET", NULL, 0, 10);
    ck_assert_int_eq(drive(&ex, &cl, &k, &d), GW_UP_CONNECT);
    ck_assert_int_eq(cl.c.fd, -1);

    /* a service whose accept queue is full: the SYN goes unanswered, the
     * connect phase ends at the connect timeout (not the whole exchange's) */
    socklen_t alen = sizeof(a);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[4];
    ck_assert_int_ge(lfd, 0);
    a.sin_port = 0;
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(lfd, 0), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        (void)connect(fill[i], (struct sockaddr *)&a, sizeof(a)); /* in progress */
    }
    sleep_ms(50); /* the handshakes that can complete have */
    call_init(&k, &a, "GET", NULL, 0, 10);
    k.rq.connect_timeout_ms = 200;
    k.rq.timeout_ms = 5000;
    memset(&d, 0, sizeof(d));
    long long t0 = (long long)clock_mono_ms();
    int rc = gw_up_start(&ex, &cl.c, &k.rq, &cl.b, &cl.r);
    ck_assert_int_eq(rc, GW_UP_AGAIN);
    ck_assert_int_eq(ex.events, POLLOUT);
    ck_assert(ex.deadline_ms <= t0 + 300); /* the connect's bound, not the exchange's */
    ck_assert_int_eq(drive_from(&ex, rc, &d), GW_UP_CONNECT);
    ck_assert(d.last_timeout);
    ck_assert_int_lt((long long)clock_mono_ms() - t0, 4000);
    ck_assert_int_eq(cl.c.fd, -1);
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
    client_free(&cl);
}
END_TEST

START_TEST(test_async_abort)
{
    static int go;
    const struct step s[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 1, 0}};
    struct fake f;
    struct client cl;
    struct call k;
    struct gw_up_exchange ex;
    __atomic_store_n(&go, 0, __ATOMIC_SEQ_CST);
    fake_start_held(&f, s, 1, 20, &go);
    client_init(&cl);
    call_init(&k, &f.addr, "GET", NULL, 0, 1024);
    k.rq.timeout_ms = 10000;
    ck_assert_int_eq(gw_up_start(&ex, &cl.c, &k.rq, &cl.b, &cl.r), GW_UP_AGAIN);
    ck_assert_int_ge(ex.fd, 0);
    ck_assert_int_eq(ex.fd, cl.c.fd);
    gw_up_abort(&ex);
    ck_assert_int_eq(ex.fd, -1);
    ck_assert_int_eq(cl.c.fd, -1);
    ck_assert_int_ne(gw_up_step(&ex, 0), GW_UP_OK); /* it does not come back to life */
    gw_up_abort(&ex);                               /* twice is harmless */
    __atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
    client_free(&cl);
    fake_stop(&f);
}
END_TEST

START_TEST(test_async_stale_connection_replaced)
{
    const struct step s[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", 0, 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", 1, 0},
    };
    struct fake f;
    struct client cl;
    struct call k;
    struct gw_up_exchange ex;
    struct drive d = {0};
    fake_start(&f, s, 2);
    client_init(&cl);
    ck_assert_int_eq(exchange(&f, &cl, "GET", NULL, 1024), GW_UP_OK);
    ck_assert_int_ge(cl.c.fd, 0); /* the client believes it can reuse it */
    while (__atomic_load_n(&f.accepted, __ATOMIC_SEQ_CST) < 1)
        sleep_ms(1);
    sleep_ms(50);
    call_init(&k, &f.addr, "POST", "{}", 2, 1024);
    ck_assert_int_eq(drive(&ex, &cl, &k, &d), GW_UP_OK);
    assert_body(&cl.r, "b");
    ck_assert_str_eq(f.request, "POST /x HTTP/1.1\r\nHost: fake\r\nX-Request-ID: r1\r\n"
                                "Content-Length: 2\r\n\r\n{}");
    ck_assert_int_eq(f.accepted, 2);
    client_free(&cl);
    fake_stop(&f);
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
    tc = tcase_create("loop");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_async_one_byte_at_a_time, 0,
                        (int)(sizeof(trickles) / sizeof(trickles[0])));
    tcase_add_test(tc, test_async_two_in_flight);
    tcase_add_test(tc, test_async_partial_writes);
    tcase_add_test(tc, test_async_deadline);
    tcase_add_test(tc, test_async_connect_refused_and_timeout);
    tcase_add_test(tc, test_async_abort);
    tcase_add_test(tc, test_async_stale_connection_replaced);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
