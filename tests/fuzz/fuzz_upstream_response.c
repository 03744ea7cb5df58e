/* gateway: the forwarding client's answer parser (gateway/src/upstream.c).
 * The bytes are what a service sends back: they are written into one end
 * of a socket pair (then closed for writing) and gw_up_roundtrip() reads
 * them as the answer on a kept-alive connection. First byte: bit 0 the
 * request was HEAD, bits 1-3 pick max_body (16 << n bytes). Checks: an
 * accepted answer has a final status 200-599, a body inside the buffer and
 * within max_body (none for HEAD), captured headers NUL-terminated inside
 * the buffer without CR/LF; a refusal closes the connection. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "upstream.h"
#include "valor/clock.h"

static const char *const want[] = {"Content-Type", "ETag", "Location", "Retry-After"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gw_up_buf buf; /* kept between inputs, as a worker keeps it */
    struct sockaddr_in nowhere = {
        .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct iovec iov = {(void *)"GET / HTTP/1.1\r\n\r\n", 18};
    struct gw_up_conn c;
    struct gw_up_response r;
    int sv[2];

    if (size < 1 || size > 200000)
        return 0;
    struct gw_up_request rq = {.addr = (struct sockaddr *)&nowhere,
                               .addrlen = sizeof(nowhere),
                               .iov = &iov,
                               .iovcnt = 1,
                               .head_method = data[0] & 1,
                               .connect_timeout_ms = 100,
                               .timeout_ms = 1000,
                               .max_age_ms = 60000,
                               .max_body = (size_t)16 << ((data[0] >> 1) & 7),
                               .want = want,
                               .nwant = sizeof(want) / sizeof(want[0])};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return 0;
    fcntl(sv[0], F_SETFL, O_NONBLOCK); /* the client's sockets are non-blocking */
    int bufsz = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
    size_t off = 1;
    while (off < size) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);

    /* a kept-alive connection to `nowhere`: the roundtrip reuses it */
    gw_up_conn_init(&c);
    c.fd = sv[0];
    memcpy(&c.peer, &nowhere, sizeof(nowhere));
    c.peerlen = sizeof(nowhere);
    c.idle_since_ms = (long long)clock_mono_ms();

    int rc = gw_up_roundtrip(&c, &rq, &buf, &r);
    if (rc == GW_UP_OK) {
        FUZZ_ASSERT(r.status >= 200 && r.status <= 599);
        FUZZ_ASSERT(r.body_len <= rq.max_body);
        FUZZ_ASSERT(r.body >= buf.data && r.body + r.body_len <= buf.data + buf.len);
        if (rq.head_method)
            FUZZ_ASSERT(r.body_len == 0);
        for (size_t i = 0; i < rq.nwant; i++) {
            if (r.header[i] == NULL)
                continue;
            FUZZ_ASSERT(r.header[i] >= buf.data && r.header[i] < buf.data + buf.cap);
            size_t n = strlen(r.header[i]);
            FUZZ_ASSERT(r.header[i] + n < buf.data + buf.cap);
            FUZZ_ASSERT(memchr(r.header[i], '\r', n) == NULL &&
                        memchr(r.header[i], '\n', n) == NULL);
        }
    } else {
        FUZZ_ASSERT(c.fd == -1); /* every refusal drops the connection */
    }
    gw_up_conn_close(&c);
    close(sv[1]);
    return 0;
}
