/*
 * conn.c - one TCP connection to one broker (client_int.h).
 *
 * Invariants: fd >= 0 exactly while connected; then versions_known is true
 * (ApiVersions is the first exchange on every connection).  inflight[]
 * holds the requests sent and not yet answered, oldest at ihead; a
 * response that does not carry the oldest correlation id breaks the
 * connection (Kafka answers in order).  rbuf holds received bytes that do
 * not yet make a whole frame, and never more than one frame's worth plus
 * what one read() brought.
 *
 * Failures close the socket and set retry_at: the next conn_ready before
 * it fails at once, so a dead broker costs one connect per backoff period
 * (reconnect.backoff.ms doubling up to reconnect.backoff.max.ms, as
 * librdkafka and the Java client do).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../protocol/header.h"
#include "../protocol/msg.h"
#include "client_int.h"

int64_t slc_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t slc_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

slc_conn *conn_new(slc_client *cl, const char *host, int port, int32_t node_id)
{
    slc_conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->host = strdup(host);
    if (!c->host) {
        free(c);
        return NULL;
    }
    c->cl = cl;
    c->fd = -1;
    c->port = port;
    c->node_id = node_id;
    c->next_corr = 1;
    return c;
}

void conn_free(slc_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->rbuf);
    free(c->host);
    free(c);
}

void slc_conn_close(slc_conn *c, bool failed)
{
    const slc_conf *conf = client_conf(c->cl);

    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->nin = c->ihead = 0;
    c->rlen = 0;
    c->versions_known = false;
    if (failed) {
        /* The failure's text was just set: keep it for the backoff. */
        snprintf(c->last_err, sizeof(c->last_err), "%s", slc_client_errstr(c->cl));
        if (c->backoff_ms <= 0)
            c->backoff_ms = conf->reconnect_backoff_ms;
        else if (c->backoff_ms < conf->reconnect_backoff_max_ms / 2)
            c->backoff_ms *= 2;
        else
            c->backoff_ms = conf->reconnect_backoff_max_ms;
        c->retry_at = slc_mono_ms() + c->backoff_ms;
    }
}

static int remaining_ms(int64_t deadline)
{
    int64_t left = deadline - slc_mono_ms();

    return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Wait for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd pfd = { .fd = fd, .events = events };

    for (;;) {
        int n = poll(&pfd, 1, remaining_ms(deadline));

        if (n > 0)
            return (pfd.revents & (events | POLLHUP | POLLERR)) ? 1 : 0;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static sl_err tcp_connect(slc_conn *c, int64_t deadline)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
    char port[16];
    int rc, fd = -1, err = 0, one = 1;
    socklen_t elen = sizeof(err);

    snprintf(port, sizeof(port), "%d", c->port);
    rc = getaddrinfo(c->host, port, &hints, &res);
    if (rc) {
        client_seterr(c->cl, "resolve %s: %s", c->host, gai_strerror(rc));
        return SL_E_IO;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
            rc = wait_fd(fd, POLLOUT, deadline);
            err = rc == 1 ? 0 : rc == 0 ? ETIMEDOUT : errno;
            if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
                err = errno;
            if (!err)
                break;
        } else {
            err = errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        client_seterr(c->cl, "connect %s:%d: %s", c->host, c->port, strerror(err ? err : EIO));
        return SL_E_IO;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    return SL_OK;
}

/* After an UNSUPPORTED_VERSION answer to ApiVersions v`ver`: the version
 * to try next.  KIP-511 makes that answer a v0 body listing at least
 * ApiVersions' own range; take its max if it parses and is lower, else
 * step down to v0, which every broker speaks (librdkafka's mock answers in
 * a layout of its own). */
static int16_t apiversions_retry(const uint8_t *p, size_t n, int16_t ver)
{
    msg_apiversions_resp resp;
    sl_arena a;
    kbuf_rd r;
    int16_t next = 0;

    sl_arena_init(&a, 1 << 20);
    kbuf_rd_init(&r, p, n);
    if (msg_apiversions_resp_decode(&r, 0, &a, &resp) == SL_OK) {
        for (int32_t i = 0; i < resp.api_keys_count; i++) {
            const msg_apiversions_resp_key *k = &resp.api_keys[i];

            if (k->api_key == API_API_VERSIONS && k->max_version >= 0 && k->max_version < ver)
                next = k->max_version;
        }
    }
    sl_arena_free(&a);
    return next;
}

/* Keep what the broker offers; an API it lists twice keeps the first. */
static void learn_versions(slc_conn *c, const msg_apiversions_resp *resp)
{
    for (int32_t i = 0; i < resp->api_keys_count; i++) {
        const msg_apiversions_resp_key *k = &resp->api_keys[i];

        if (k->api_key >= 0 && k->api_key < API_KEY_MAX && c->vmax[k->api_key] < 0) {
            c->vmin[k->api_key] = k->min_version;
            c->vmax[k->api_key] = k->max_version;
        }
    }
}

/* ApiVersions, newest first, stepping down while the broker answers
 * UNSUPPORTED_VERSION (its error code is the body's first field in every
 * version). */
static sl_err negotiate(slc_conn *c)
{
    int16_t ver = MSG_APIVERSIONS_VMAX;

    for (;;) {
        msg_apiversions_req req = { sl_bytes_str("sluice-client"), sl_bytes_str("1.0") };
        msg_apiversions_resp resp;
        sl_arena a;
        kbuf_wr w;
        kbuf_rd body, ec;
        uint8_t *frame = NULL;
        int16_t code;
        sl_err e;

        c->versions_known = true; /* lets conn_call run */
        for (int i = 0; i < API_KEY_MAX; i++)
            c->vmin[i] = c->vmax[i] = -1;
        conn_req_begin(c, &w, API_API_VERSIONS, ver);
        msg_apiversions_req_encode(&w, ver, &req);
        e = conn_call(c, &w, &frame, &body);
        if (e) {
            char why[256];

            snprintf(why, sizeof(why), "%s", slc_client_errstr(c->cl));
            c->versions_known = false;
            client_seterr(c->cl, "ApiVersions v%d: %s", ver, why);
            return e;
        }
        ec = body;
        code = kbuf_get_i16(&ec);
        if (kbuf_ok(&ec) && code == SL_KE_UNSUPPORTED_VERSION && ver > 0) {
            ver = apiversions_retry(body.p, (size_t)(body.end - body.p), ver);
            free(frame);
            continue;
        }
        sl_arena_init(&a, 1 << 20);
        e = msg_apiversions_resp_decode(&body, ver, &a, &resp);
        if (!e && resp.error_code)
            e = (sl_err)resp.error_code;
        if (e) {
            client_seterr(c->cl, "%s:%d: ApiVersions v%d answered %s", c->host, c->port, ver,
                          sl_err_name(e));
        } else {
            learn_versions(c, &resp);
        }
        sl_arena_free(&a);
        free(frame);
        c->versions_known = !e;
        return e;
    }
}

sl_err conn_ready(slc_conn *c)
{
    const slc_conf *conf = client_conf(c->cl);
    sl_err e;

    if (c->fd >= 0)
        return SL_OK;
    if (slc_mono_ms() < c->retry_at) {
        /* Say what failed last, not just that we wait. */
        client_seterr(c->cl, "%s (waiting to reconnect)", c->last_err);
        return SL_E_IO;
    }
    e = tcp_connect(c, slc_mono_ms() + conf->connect_timeout_ms);
    if (!e)
        e = negotiate(c);
    if (e) {
        slc_conn_close(c, true);
        return e == SL_KE_REQUEST_TIMED_OUT ? SL_E_IO : e;
    }
    c->backoff_ms = 0;
    return SL_OK;
}

int16_t conn_version(const slc_conn *c, int16_t api, int16_t vmin, int16_t vmax)
{
    int16_t v;

    if (api < 0 || api >= API_KEY_MAX || !c->versions_known || c->vmax[api] < 0)
        return -1;
    v = c->vmax[api] < vmax ? c->vmax[api] : vmax;
    if (v < vmin || v < c->vmin[api])
        return -1;
    return v;
}

sl_err conn_unserved(const slc_conn *c, int16_t api, int16_t vmin, int16_t vmax)
{
    bool offered = api >= 0 && api < API_KEY_MAX && c->versions_known && c->vmax[api] >= 0;

    if (offered)
        client_seterr(c->cl, "%s:%d serves %s v%d-%d only; this client needs v%d-%d", c->host,
                      c->port, api_name(api), c->vmin[api], c->vmax[api], vmin, vmax);
    else
        client_seterr(c->cl, "%s:%d does not serve %s (it is not in its ApiVersions)", c->host,
                      c->port, api_name(api));
    return SL_KE_UNSUPPORTED_VERSION;
}

sl_err conn_fail(const slc_conn *c, int16_t api, int16_t ver, const char *about, sl_err e)
{
    char what[160];

    if (e > 0)
        snprintf(what, sizeof(what), "%s (error %d)", sl_err_str(e), (int)e);
    else
        snprintf(what, sizeof(what), "cannot read the response (%s)", sl_err_name(e));
    client_seterr(c->cl, "%s:%d: %s v%d%s%s: %s", c->host, c->port, api_name(api), ver,
                  about ? " " : "", about ? about : "", what);
    return e;
}

void conn_req_begin(slc_conn *c, kbuf_wr *w, int16_t api, int16_t ver)
{
    msg_req_header h = { api, ver, c->next_corr, sl_bytes_str(client_id(c->cl)) };

    kbuf_wr_init(w, 256);
    kbuf_reserve(w, 4);
    msg_req_header_encode(w, &h);
}

static sl_err write_all(slc_conn *c, const uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);

        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(c->fd, POLLOUT, deadline);

            if (rc == 1)
                continue;
            client_seterr(c->cl, "%s:%d: send %s", c->host, c->port,
                          rc == 0 ? "timed out" : strerror(errno));
            return SL_E_IO;
        }
        client_seterr(c->cl, "%s:%d: send: %s", c->host, c->port, strerror(errno));
        return SL_E_IO;
    }
    return SL_OK;
}

sl_err conn_req_send(slc_conn *c, kbuf_wr *w, bool expect_response, int32_t *corr)
{
    const slc_conf *conf = client_conf(c->cl);
    int16_t api, ver;
    sl_err e;

    if (w->err) {
        e = w->err;
        kbuf_wr_free(w);
        return e;
    }
    if (c->fd < 0 || c->nin >= SLC_MAX_INFLIGHT) {
        kbuf_wr_free(w);
        client_seterr(c->cl, "%s:%d: not connected", c->host, c->port);
        return SL_E_IO;
    }
    api = (int16_t)sl_be16(w->p + 4);
    ver = (int16_t)sl_be16(w->p + 6);
    kbuf_patch_i32(w, 0, (int32_t)(w->len - 4));
    e = write_all(c, w->p, w->len, slc_mono_ms() + conf->request_timeout_ms);
    kbuf_wr_free(w);
    if (e) {
        slc_conn_close(c, true);
        return e;
    }
    if (corr)
        *corr = c->next_corr;
    if (expect_response) {
        int slot = (c->ihead + c->nin) % SLC_MAX_INFLIGHT;

        c->inflight[slot].corr = c->next_corr;
        c->inflight[slot].api = api;
        c->inflight[slot].ver = ver;
        c->nin++;
    }
    c->next_corr = c->next_corr == INT32_MAX ? 1 : c->next_corr + 1;
    return SL_OK;
}

bool conn_frame_buffered(const slc_conn *c)
{
    return c->rlen >= 4 && c->rlen - 4 >= sl_be32(c->rbuf);
}

sl_err conn_resp_recv(slc_conn *c, int timeout_ms, uint8_t **frame, kbuf_rd *body,
                      int32_t *corr)
{
    int64_t deadline = slc_mono_ms() + timeout_ms;
    uint32_t size;
    uint8_t *f;
    int32_t got;

    *frame = NULL;
    if (c->fd < 0 || c->nin == 0) {
        client_seterr(c->cl, "%s:%d: no request in flight", c->host, c->port);
        return SL_E_IO;
    }
    while (!conn_frame_buffered(c)) {
        ssize_t k;

        if (c->rlen >= 4 && (sl_be32(c->rbuf) > SLC_MAX_FRAME || sl_be32(c->rbuf) < 4)) {
            client_seterr(c->cl, "%s:%d: bad response size %u", c->host, c->port,
                          sl_be32(c->rbuf));
            slc_conn_close(c, true);
            return SL_E_MALFORMED;
        }
        if (c->rcap - c->rlen < 65536) {
            size_t want = c->rlen >= 4 ? 4 + (size_t)sl_be32(c->rbuf) : 65536;
            size_t cap = c->rcap ? c->rcap : 65536;
            uint8_t *p;

            while (cap < want || cap - c->rlen < 65536)
                cap *= 2;
            p = realloc(c->rbuf, cap);
            if (!p) {
                client_seterr(c->cl, "%s:%d: out of memory for a response", c->host, c->port);
                slc_conn_close(c, true);
                return SL_E_NOMEM;
            }
            c->rbuf = p;
            c->rcap = cap;
        }
        k = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (k > 0) {
            c->rlen += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(c->fd, POLLIN, deadline);

            if (rc == 1)
                continue;
            if (rc == 0) {
                client_seterr(c->cl, "%s:%d: no response within %d ms", c->host, c->port,
                              timeout_ms);
                return SL_KE_REQUEST_TIMED_OUT;
            }
        }
        client_seterr(c->cl, "%s:%d: %s", c->host, c->port,
                      k == 0 ? "connection closed by broker" : strerror(errno));
        slc_conn_close(c, true);
        return SL_E_IO;
    }
    size = sl_be32(c->rbuf);
    f = malloc(4 + (size_t)size);
    if (!f) {
        client_seterr(c->cl, "%s:%d: out of memory for a response", c->host, c->port);
        slc_conn_close(c, true);
        return SL_E_NOMEM;
    }
    memcpy(f, c->rbuf, 4 + (size_t)size);
    memmove(c->rbuf, c->rbuf + 4 + size, c->rlen - 4 - size);
    c->rlen -= 4 + (size_t)size;

    kbuf_rd_init(body, f + 4, size);
    msg_resp_header_decode(body, c->inflight[c->ihead].api, c->inflight[c->ihead].ver, &got);
    if (!kbuf_ok(body) || got != c->inflight[c->ihead].corr) {
        client_seterr(c->cl, "%s:%d: response correlation id %d, expected %d", c->host,
                      c->port, got, c->inflight[c->ihead].corr);
        free(f);
        slc_conn_close(c, true);
        return SL_E_MALFORMED;
    }
    if (corr)
        *corr = got;
    c->ihead = (c->ihead + 1) % SLC_MAX_INFLIGHT;
    c->nin--;
    *frame = f;
    return SL_OK;
}

sl_err conn_call_to(slc_conn *c, kbuf_wr *w, int timeout_ms, uint8_t **frame, kbuf_rd *body)
{
    sl_err e;

    *frame = NULL;
    if (c->nin) {
        kbuf_wr_free(w);
        client_seterr(c->cl, "%s:%d: connection busy", c->host, c->port);
        return SL_E_AGAIN;
    }
    e = conn_req_send(c, w, true, NULL);
    if (e)
        return e;
    e = conn_resp_recv(c, timeout_ms, frame, body, NULL);
    if (e == SL_KE_REQUEST_TIMED_OUT)
        slc_conn_close(c, true);
    return e;
}

sl_err conn_call(slc_conn *c, kbuf_wr *w, uint8_t **frame, kbuf_rd *body)
{
    return conn_call_to(c, w, client_conf(c->cl)->request_timeout_ms, frame, body);
}
