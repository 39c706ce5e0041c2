/*
 * test_conn.c - client/conn.c's ApiVersions negotiation against scripted
 * brokers (a forked process answering canned frames): an
 * UNSUPPORTED_VERSION answer in Kafka's v0 layout makes the client retry at
 * the version it names; one in another layout (librdkafka 2.0.2's mock)
 * at v0; a broker that refuses every version fails at once with a message
 * naming ApiVersions, and that cause is still given while the client waits
 * to reconnect.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/client_int.h"

/* How the scripted broker answers an ApiVersions request. */
typedef enum { ANSWER_OK, ANSWER_UNSUPPORTED_V0, ANSWER_UNSUPPORTED_OTHER } answer;

typedef struct script {
    answer v3, lower; /* for v3 requests, for v0-2 requests */
    int max18;        /* ApiVersions max version in the answers */
} script;

typedef struct fake {
    pid_t pid;
    int port;
    int seen_fd; /* one byte per request received: its version */
} fake;

static uint8_t *put16(uint8_t *p, int v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static uint8_t *put32(uint8_t *p, int32_t v)
{
    return put16(put16(p, (int)((uint32_t)v >> 16)), v & 0xffff);
}

static bool read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = read(fd, p, n);

        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* The response frame to ApiVersions v`v`: offers ApiVersions 0-max18 and
 * Metadata 0-1.  Returns its length. */
static size_t build_answer(uint8_t *out, int32_t corr, int16_t v, answer a, int max18)
{
    uint8_t *p = put32(out + 4, corr);

    if (a == ANSWER_UNSUPPORTED_OTHER) {
        /* error 35, then bytes that are no v0 array (the mock's layout). */
        static const uint8_t odd[] = { 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02, 0, 0, 0, 0 };

        p = put16(p, 35);
        memcpy(p, odd, sizeof(odd));
        p += sizeof(odd);
    } else if (a == ANSWER_UNSUPPORTED_V0) {
        /* KIP-511: a v0 body naming ApiVersions' own range. */
        p = put32(put16(p, 35), 1);
        p = put16(put16(put16(p, 18), 0), max18);
    } else if (v < 3) {
        p = put32(put16(p, 0), 2);
        p = put16(put16(put16(p, 18), 0), max18);
        p = put16(put16(put16(p, 3), 0), 1);
        if (v >= 1)
            p = put32(p, 0); /* throttle */
    } else {
        p = put16(p, 0);
        *p++ = 3; /* compact array of 2 */
        p = put16(put16(put16(p, 18), 0), max18);
        *p++ = 0;
        p = put16(put16(put16(p, 3), 0), 1);
        *p++ = 0;
        p = put32(p, 0);
        *p++ = 0;
    }
    put32(out, (int32_t)(p - out - 4));
    return (size_t)(p - out);
}

/* The fake broker's process: every connection, every request, by script. */
static void serve(int lfd, int seen_w, const script *s)
{
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        uint8_t hdr[4], req[512], resp[256];

        if (fd < 0)
            _exit(0);
        for (;;) {
            uint32_t n;
            int16_t v;
            int32_t corr;
            uint8_t vb;
            size_t len;

            if (!read_all(fd, hdr, 4))
                break;
            n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
            if (n < 8 || n > sizeof(req) || !read_all(fd, req, n))
                break;
            v = (int16_t)(req[2] << 8 | req[3]);
            corr = (int32_t)((uint32_t)req[4] << 24 | (uint32_t)req[5] << 16 |
                             (uint32_t)req[6] << 8 | req[7]);
            vb = (uint8_t)v;
            if (write(seen_w, &vb, 1) != 1)
                _exit(1);
            len = build_answer(resp, corr, v, v >= 3 ? s->v3 : s->lower, s->max18);
            if (write(fd, resp, len) != (ssize_t)len)
                break;
        }
        close(fd);
    }
}

static void fake_start(fake *f, const script *s)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), pfd[2];

    cr_assert(lfd >= 0);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(lfd, 8), 0);
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    cr_assert_eq(pipe(pfd), 0);
    f->port = ntohs(sa.sin_port);
    f->pid = fork();
    cr_assert(f->pid >= 0);
    if (f->pid == 0) {
        close(pfd[0]);
        serve(lfd, pfd[1], s);
    }
    close(lfd);
    close(pfd[1]);
    f->seen_fd = pfd[0];
}

/* Stop the fake broker; the request versions it saw, as a string of digits. */
static void fake_stop(fake *f, char *seen, size_t n)
{
    size_t k = 0;
    uint8_t v;

    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
    while (k + 1 < n && read(f->seen_fd, &v, 1) == 1)
        seen[k++] = (char)('0' + v);
    seen[k] = 0;
    close(f->seen_fd);
}

static slc_client *client_for(const fake *f)
{
    char boot[64], err[256];
    slc_conf conf;
    slc_client *c;

    snprintf(boot, sizeof(boot), "127.0.0.1:%d", f->port);
    slc_conf_init(&conf);
    conf.bootstrap = boot;
    conf.connect_timeout_ms = 3000;
    conf.request_timeout_ms = 3000;
    conf.reconnect_backoff_ms = 5000; /* the backoff outlasts a test's checks */
    c = slc_client_new(&conf, err, sizeof(err));
    cr_assert_not_null(c, "%s", err);
    return c;
}

/* Connect through a scripted broker: the versions negotiated, and the
 * request versions it saw. */
static void negotiate_with(const script *s, int16_t want18, const char *want_seen)
{
    fake f;
    char seen[16];
    slc_client *c;

    fake_start(&f, s);
    c = client_for(&f);
    cr_assert_eq(slc_client_connect(c), SL_OK, "%s", slc_client_errstr(c));
    cr_assert_eq(slc_client_api_version(c, API_METADATA, 0, 12), 1);
    cr_assert_eq(slc_client_api_version(c, API_API_VERSIONS, 0, 3), want18);
    slc_client_free(c);
    fake_stop(&f, seen, sizeof(seen));
    cr_assert_str_eq(seen, want_seen);
}

Test(conn, unsupported_in_kafka_layout_retries_at_the_version_named)
{
    script s = { ANSWER_UNSUPPORTED_V0, ANSWER_OK, 2 };

    negotiate_with(&s, 2, "32");
}

Test(conn, unsupported_in_another_layout_retries_at_v0)
{
    script s = { ANSWER_UNSUPPORTED_OTHER, ANSWER_OK, 2 };

    negotiate_with(&s, 2, "30");
}

Test(conn, refused_everywhere_fails_at_once_and_says_why)
{
    script s = { ANSWER_UNSUPPORTED_OTHER, ANSWER_UNSUPPORTED_V0, 0 };
    fake f;
    char seen[16], want[64];
    slc_client *c;
    int64_t t0;

    fake_start(&f, &s);
    c = client_for(&f);
    t0 = slc_mono_ms();
    cr_assert_eq(slc_client_connect(c), SL_KE_UNSUPPORTED_VERSION, "%s", slc_client_errstr(c));
    /* Not the whole connect timeout: a broker that answers will not change. */
    cr_assert_lt(slc_mono_ms() - t0, 2000);
    snprintf(want, sizeof(want), "127.0.0.1:%d: ApiVersions v0 answered", f.port);
    cr_assert(strstr(slc_client_errstr(c), want), "%s", slc_client_errstr(c));
    /* Used again during the backoff: the same cause, not only "waiting". */
    cr_assert_eq(slc_client_api_version(c, API_METADATA, 0, 12), -1);
    cr_assert(strstr(slc_client_errstr(c), want), "%s", slc_client_errstr(c));
    cr_assert(strstr(slc_client_errstr(c), "waiting to reconnect"), "%s",
              slc_client_errstr(c));
    slc_client_free(c);
    fake_stop(&f, seen, sizeof(seen));
    cr_assert_str_eq(seen, "30");
}
