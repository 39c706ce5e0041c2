/*
 * conn.c - one client connection: framing, requests in order, responses
 * out in the same order, zero-copy file ranges, backpressure.
 *
 * Invariants:
 *  - c->reqs holds every request of the connection in arrival order; a
 *    response is sent only when every earlier one has been (Kafka's
 *    ordering guarantee, which kafka-python's pipelined probe relies on).
 *  - At most one recv, one send and one poll are in flight per connection.
 *  - A frame's size is checked against socket.request.max.bytes before any
 *    memory is allocated for it.
 *  - No recv is posted while queued.max.requests requests are in flight:
 *    a client that does not read its responses stops being read.
 *  - No new frame is started past the request-byte budgets (conn_budget.c),
 *    and a frame and its decoded form are freed as soon as the request is
 *    answered: what is held for an answer waiting behind a parked Fetch
 *    is the response.
 *  - A conn is freed only when closing, with no op in flight, no request
 *    left (storage may still hold a frame buffer), no worker reading for
 *    it and no caller holding it.
 *  - A file range goes out by sendfile only once its next few MiB are in
 *    the page cache; otherwise a worker reads them in first (warm_busy),
 *    so a cold read never stalls the loop.  Like a send, a warm-up holds
 *    back every later response of the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>
#include <poll.h>

#include "../base/log.h"
#include "broker.h"

#define RBUF_SIZE 65536
#define MIN_FRAME 8           /* api_key, api_version, correlation_id */
#define SENDFILE_CHUNK (1 << 30)
/* Arena bytes a response may be built from, beyond the decoded request. */
#define RESP_ARENA_MAX ((size_t)512 << 20)
#define WARM_CHUNK (8 << 20) /* checked for residency at once, read in at once */

static void on_recv(sl_op *op, int res, uint32_t flags);
static void on_send(sl_op *op, int res, uint32_t flags);
static void on_poll(sl_op *op, int res, uint32_t flags);

/* Completions of cancel requests need no handling. */
static sl_op cancel_op = { NULL };

static int conn_refs(conn *c);

static void conn_hold(conn *c) { c->holds++; }

static void conn_maybe_free(conn *c)
{
    broker *b = c->b;

    if (!c->closing || conn_refs(c) > 0 || !TAILQ_EMPTY(&c->reqs))
        return;
    if (c->kick_queued)
        TAILQ_REMOVE(&b->kicks, c, kick_link);
    budget_conn_gone(c);
    connlim_release(b, c->ipc);
    if (c->partial_frame)
        budget_release(c, c->partial_cap);
    free(c->partial_frame);
    close(c->fd);
    LIST_REMOVE(c, link);
    b->nconns--;
    free(c->rbuf);
    free(c);
}

static void conn_release(conn *c)
{
    c->holds--;
    conn_maybe_free(c);
}

static int conn_refs(conn *c)
{
    return c->holds + c->recv_busy + c->send_busy + c->poll_busy + c->warm_busy;
}

static void req_free(breq *r)
{
    conn *c = r->c;

    TAILQ_REMOVE(&c->reqs, r, link);
    c->nreqs--;
    timer_cancel(c->b, &r->timer);
    for (int i = r->splice_idx; i < r->nsplices; i++)
        close(r->splices[i].fd);
    free(r->splices);
    free(r->resp);
    if (r->frame)
        budget_release(c, r->frame_len);
    free(r->frame);
    sl_arena_free(&r->arena);
    free(r);
}

/* Answered requests need their frames and decoded forms no more: nothing
 * decoded outlives the handler that answered, and the response has its
 * own buffer.  What waits behind a parked Fetch is then its response. */
static void release_answered(conn *c)
{
    breq *r;

    TAILQ_FOREACH(r, &c->reqs, link)
        if (r->ready && r->frame) {
            free(r->frame);
            r->frame = NULL;
            budget_release(c, r->frame_len);
            sl_arena_free(&r->arena);
        }
}

void conn_accepted(broker *b, int fd, const struct sockaddr *sa, socklen_t salen)
{
    conn *c = calloc(1, sizeof *c);
    int one = 1;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (!c || !(c->rbuf = malloc(RBUF_SIZE))) {
        sl_warn_rl("net", "out of memory accepting a connection");
        free(c);
        close(fd);
        return;
    }
    (void)salen;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

        /* An IPv4 client of a dual-stack listener is counted (and
         * matched against max.connections.per.ip.overrides) as IPv4. */
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, sizeof host);
        else
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    }
    c->ipc = connlim_acquire(b, host);
    if (!c->ipc) {
        free(c->rbuf);
        free(c);
        close(fd);
        return;
    }
    snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->b = b;
    c->fd = fd;
    c->id = ++b->next_conn_id;
    c->rcap = RBUF_SIZE;
    c->warm_fd = -1;
    c->last_active_ms = sl_now_ms();
    c->recv_op.done = on_recv;
    c->send_op.done = on_send;
    c->poll_op.done = on_poll;
    TAILQ_INIT(&c->reqs);
    LIST_INSERT_HEAD(&b->conns, c, link);
    b->nconns++;
    sl_debug("net", "connection %llu from %s", (unsigned long long)c->id, c->peer);
    conn_kick(c);
}

static bool reading_allowed(conn *c)
{
    return !c->closing && !c->draining && c->nreqs < c->b->cfg.queued_max_requests;
}

/* Frames up to a batch's size get their whole buffer at once; larger ones
 * (up to socket.request.max.bytes) grow as their bytes arrive, so a
 * client announcing a huge frame and trickling it holds only what it has
 * sent. */
static size_t partial_first_cap(conn *c, size_t size)
{
    size_t whole = (size_t)c->b->cfg.message_max_bytes + 65536;

    return size <= whole ? size : whole;
}

static bool grow_partial(conn *c)
{
    size_t cap = c->partial_cap * 2;
    uint8_t *p;

    if (cap > c->partial_len || cap < c->partial_cap)
        cap = c->partial_len;
    if (!budget_take(c, cap - c->partial_cap))
        return false; /* kicked again once bytes are freed */
    p = realloc(c->partial_frame, cap);
    if (!p) {
        budget_release(c, cap - c->partial_cap);
        conn_close(c, "out of memory");
        return false;
    }
    c->partial_frame = p;
    c->partial_cap = cap;
    return true;
}

static void post_recv(conn *c)
{
    struct io_uring_sqe *sqe;

    if (c->recv_busy || !reading_allowed(c))
        return;
    if (c->partial_frame) {
        if (c->partial_have == c->partial_cap && !grow_partial(c))
            return;
        sqe = sl_ring_sqe(c->b->ring, &c->recv_op);
        io_uring_prep_recv(sqe, c->fd, c->partial_frame + c->partial_have,
                           c->partial_cap - c->partial_have, 0);
    } else {
        if (c->rpos) {
            /* Make room first: no recv is in flight here. */
            memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
            c->rlen -= c->rpos;
            c->rpos = 0;
        }
        if (c->rlen == c->rcap || !budget_may_start(c))
            return; /* full of frames we may not start yet */
        sqe = sl_ring_sqe(c->b->ring, &c->recv_op);
        io_uring_prep_recv(sqe, c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
    }
    c->recv_busy = true;
}

static void new_request(conn *c, uint8_t *frame, size_t len)
{
    breq *r = calloc(1, sizeof *r);

    if (!r) {
        free(frame);
        conn_close(c, "out of memory");
        return;
    }
    r->c = c;
    r->frame = frame;
    r->frame_len = len;
    /* Decoded structures are bounded by the frame they come from; what a
     * response is built from grows with the broker's state instead
     * (DescribeConfigs or Metadata of every topic), hence the allowance. */
    sl_arena_init(&r->arena, 4 * len + 65536 + RESP_ARENA_MAX);
    TAILQ_INSERT_TAIL(&c->reqs, r, link);
    c->nreqs++;
    dispatch(r);
}

/* Cut complete frames out of rbuf; start a large one's own buffer.
 * The unparsed bytes move to the front of rbuf only while no recv is in
 * flight: the kernel writes at the rlen it was given. */
static void parse_frames(conn *c)
{
    while (!c->closing && !c->draining && !c->partial_frame && c->rlen - c->rpos >= 4 &&
           c->nreqs < c->b->cfg.queued_max_requests) {
        uint32_t size = sl_be32(c->rbuf + c->rpos);
        size_t have = c->rlen - c->rpos - 4;

        if (size < MIN_FRAME || size > (uint64_t)c->b->cfg.socket_request_max_bytes) {
            sl_warn_rl("net",
                       "refusing a %u-byte request frame from %s "
                       "(socket.request.max.bytes is %lld, minimum %d): closing",
                       size, c->peer, (long long)c->b->cfg.socket_request_max_bytes, MIN_FRAME);
            conn_close(c, "bad frame size");
            return;
        }
        if (!budget_may_start(c))
            break;
        if (have >= size) {
            uint8_t *frame;

            if (!budget_take(c, size))
                break;
            frame = malloc(size);
            if (!frame) {
                budget_release(c, size);
                conn_close(c, "out of memory");
                return;
            }
            memcpy(frame, c->rbuf + c->rpos + 4, size);
            c->rpos += 4 + (size_t)size;
            budget_frame_done(c);
            new_request(c, frame, size);
            continue;
        }
        if ((size_t)size + 4 > c->rcap && !c->recv_busy) {
            /* Too big for rbuf: receive the rest straight into its own
             * buffer, so a large batch is copied once on its way in. */
            size_t cap = partial_first_cap(c, size);

            if (cap < have)
                cap = have;
            if (!budget_take(c, cap))
                break;
            c->partial_cap = cap;
            c->partial_frame = malloc(cap);
            if (!c->partial_frame) {
                budget_release(c, cap);
                conn_close(c, "out of memory");
                return;
            }
            memcpy(c->partial_frame, c->rbuf + c->rpos + 4, have);
            c->partial_len = size;
            c->partial_have = have;
            c->rpos = c->rlen;
        }
        break;
    }
    if (c->rpos && !c->recv_busy) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
}

static void on_recv(sl_op *op, int res, uint32_t flags)
{
    conn *c = CONTAINER_OF(op, conn, recv_op);

    (void)flags;
    c->recv_busy = false;
    conn_hold(c);
    if (c->closing || (c->draining && res == -ECANCELED)) {
        /* nothing */
    } else if (res == -EAGAIN || res == -EINTR || res == -ENOBUFS) {
        /* retried by conn_kick */
    } else if (res <= 0) {
        conn_close(c, res == 0 ? "closed by peer" : strerror(-res));
    } else if (c->partial_frame) {
        c->last_active_ms = sl_now_ms();
        c->partial_have += (size_t)res;
        if (c->partial_have == c->partial_len) {
            uint8_t *frame = c->partial_frame;

            c->partial_frame = NULL;
            if (c->partial_cap > c->partial_len)
                budget_release(c, c->partial_cap - c->partial_len);
            budget_frame_done(c);
            new_request(c, frame, c->partial_len);
        }
    } else {
        c->last_active_ms = sl_now_ms();
        c->rlen += (size_t)res;
    }
    conn_kick(c);
    conn_release(c);
}

static bool req_sent(const breq *r)
{
    return r->no_response || (r->sent_mem == r->resp_len && r->splice_idx == r->nsplices);
}

/* End of the in-memory part of r that can go before its next splice. */
static size_t mem_end(const breq *r)
{
    return r->splice_idx < r->nsplices ? r->splices[r->splice_idx].at : r->resp_len;
}

static void arm_pollout(conn *c)
{
    struct io_uring_sqe *sqe = sl_ring_sqe(c->b->ring, &c->poll_op);

    io_uring_prep_poll_add(sqe, c->fd, POLLOUT);
    c->poll_busy = true;
}

/* @worker: the range through the job's own fd, nothing else. */
static void warm_work(sl_job *j)
{
    conn *c = CONTAINER_OF(j, conn, warm_job);

    storage_range_load(c->warm_fd, c->warm_pos, c->warm_len);
}

static void warm_done(sl_job *j)
{
    conn *c = CONTAINER_OF(j, conn, warm_job);

    c->warm_busy = false;
    close(c->warm_fd);
    c->warm_fd = -1;
    /* Sent without a second look, even if already evicted again: a warm-up
     * must lead to progress. */
    c->send_ok_end = c->warm_pos + c->warm_len;
    conn_hold(c);
    conn_kick(c);
    conn_release(c);
}

/* May the head splice be sent from pos now?  If its next bytes are not
 * cached, a worker reads them in and the connection waits (false). */
static bool splice_warm(conn *c, const resp_splice *sp, int64_t pos, int64_t left)
{
    int64_t n = left < WARM_CHUNK ? left : WARM_CHUNK;

    if (pos < c->send_ok_end || !c->b->pool)
        return true;
    if (storage_range_cached(sp->fd, pos, n)) {
        c->send_ok_end = pos + n;
        return true;
    }
    c->warm_fd = fcntl(sp->fd, F_DUPFD_CLOEXEC, 0);
    if (c->warm_fd < 0)
        return true; /* out of fds: send as before */
    c->warm_pos = pos;
    c->warm_len = n;
    c->warm_busy = true;
    c->warm_job.work = warm_work;
    c->warm_job.done = warm_done;
    sl_pool_submit(c->b->pool, &c->warm_job);
    return false;
}

static void try_send(conn *c)
{
    while (!c->closing && !c->send_busy && !c->poll_busy && !c->warm_busy) {
        breq *r = TAILQ_FIRST(&c->reqs);
        struct io_uring_sqe *sqe;

        if (!r || !r->ready)
            return;
        if (req_sent(r)) {
            req_free(r);
            continue;
        }
        if (r->sent_mem == mem_end(r)) {
            /* At a file range: sendfile straight from the page cache. */
            resp_splice *sp = &r->splices[r->splice_idx];
            off_t pos = (off_t)(sp->pos + r->splice_sent);
            int64_t left = sp->len - r->splice_sent;
            ssize_t n;

            if (!splice_warm(c, sp, (int64_t)pos, left))
                return;
            n = sendfile(c->fd, sp->fd, &pos,
                         (size_t)(left > SENDFILE_CHUNK ? SENDFILE_CHUNK : left));

            if (n > 0) {
                r->splice_sent += n;
                if (r->splice_sent == sp->len) {
                    close(sp->fd);
                    r->splice_idx++;
                    r->splice_sent = 0;
                    c->send_ok_end = 0; /* the next range is checked afresh */
                }
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                arm_pollout(c);
                return;
            }
            conn_close(c, n == 0 ? "segment file shorter than expected" : strerror(errno));
            return;
        }
        /* Gather the in-memory parts of this and following ready
         * responses into one sendmsg. */
        c->iov_n = 0;
        for (breq *q = r; q && q->ready && c->iov_n < (int)(sizeof c->iov / sizeof c->iov[0]);
             q = TAILQ_NEXT(q, link)) {
            size_t end;

            if (req_sent(q))
                continue;
            end = mem_end(q);
            if (q->sent_mem == end)
                break;
            c->iov[c->iov_n].iov_base = q->resp + q->sent_mem;
            c->iov[c->iov_n].iov_len = end - q->sent_mem;
            c->iov_req[c->iov_n++] = q;
            /* A file range follows, possibly at the very end of q (Fetch
             * records are often its last bytes): nothing may go before it. */
            if (q->splice_idx < q->nsplices)
                break;
        }
        memset(&c->msg, 0, sizeof c->msg);
        c->msg.msg_iov = c->iov;
        c->msg.msg_iovlen = (size_t)c->iov_n;
        sqe = sl_ring_sqe(c->b->ring, &c->send_op);
        io_uring_prep_sendmsg(sqe, c->fd, &c->msg, MSG_NOSIGNAL);
        c->send_busy = true;
    }
}

static void on_send(sl_op *op, int res, uint32_t flags)
{
    conn *c = CONTAINER_OF(op, conn, send_op);
    size_t left;

    (void)flags;
    c->send_busy = false;
    conn_hold(c);
    if (!c->closing) {
        if (res == -EAGAIN || res == -EINTR) {
            /* resent by conn_kick */
        } else if (res < 0) {
            conn_close(c, strerror(-res));
        } else {
            c->last_active_ms = sl_now_ms();
            left = (size_t)res;
            for (int i = 0; i < c->iov_n && left; i++) {
                size_t take = left < c->iov[i].iov_len ? left : c->iov[i].iov_len;

                c->iov_req[i]->sent_mem += take;
                left -= take;
            }
        }
    }
    conn_kick(c);
    conn_release(c);
}

static void on_poll(sl_op *op, int res, uint32_t flags)
{
    conn *c = CONTAINER_OF(op, conn, poll_op);

    (void)res;
    (void)flags;
    c->poll_busy = false;
    conn_hold(c);
    conn_kick(c);
    conn_release(c);
}

/* Free what is finished once the connection is gone.  Kicks are held
 * off meanwhile, so a cancel that finishes a request cannot free another
 * under the loop. */
static void reap_closed(conn *c)
{
    bool was_kicking = c->kicking;
    breq *r, *next;

    c->kicking = true;
    TAILQ_FOREACH(r, &c->reqs, link)
        if (!r->ready && r->cancel && !r->cancelled) {
            r->cancelled = true;
            r->cancel(r);
        }
    for (r = TAILQ_FIRST(&c->reqs); r; r = next) {
        next = TAILQ_NEXT(r, link);
        if (r->ready)
            req_free(r);
    }
    c->kicking = was_kicking;
}

void conn_kick(conn *c)
{
    if (c->kicking) {
        c->kick_again = true;
        return;
    }
    c->kicking = true;
    conn_hold(c);
    do {
        c->kick_again = false;
        if (c->closing) {
            reap_closed(c);
            break;
        }
        release_answered(c);
        parse_frames(c);
        release_answered(c);
        {
            int before = c->nreqs;

            try_send(c);
            /* Sent responses free room under queued.max.requests: frames
             * already buffered must be parsed now, as no recv may come. */
            if (c->nreqs < before && c->rlen - c->rpos >= 4)
                c->kick_again = true;
        }
        if (c->draining && TAILQ_EMPTY(&c->reqs) && !c->send_busy && !c->poll_busy) {
            conn_close(c, "broker stopping");
            continue;
        }
        post_recv(c);
    } while (c->kick_again);
    c->kicking = false;
    conn_release(c);
}

void conn_queue_kick(conn *c)
{
    if (!c->kick_queued) {
        c->kick_queued = true;
        TAILQ_INSERT_TAIL(&c->b->kicks, c, kick_link);
    }
}

void req_ready(breq *r)
{
    r->ready = true;
    conn_queue_kick(r->c);
}

void conn_run_kicks(broker *b)
{
    conn *c;

    while ((c = TAILQ_FIRST(&b->kicks)) != NULL) {
        TAILQ_REMOVE(&b->kicks, c, kick_link);
        c->kick_queued = false;
        conn_kick(c);
    }
}

void conn_close(conn *c, const char *why)
{
    struct io_uring_sqe *sqe;

    if (c->closing)
        return;
    c->closing = true;
    sl_debug("net", "connection %llu from %s closed: %s", (unsigned long long)c->id, c->peer,
             why);
    /* Wake whatever is in flight on the socket; the CQEs then free it. */
    shutdown(c->fd, SHUT_RDWR);
    if (c->recv_busy) {
        sqe = sl_ring_sqe(c->b->ring, &cancel_op);
        io_uring_prep_cancel(sqe, &c->recv_op, 0);
    }
    if (c->poll_busy) {
        sqe = sl_ring_sqe(c->b->ring, &cancel_op);
        io_uring_prep_cancel(sqe, &c->poll_op, 0);
    }
    conn_hold(c);
    reap_closed(c);
    conn_release(c);
}

void conn_drain(conn *c)
{
    breq *r;

    if (c->closing || c->draining)
        return;
    c->draining = true;
    if (c->recv_busy) {
        struct io_uring_sqe *sqe = sl_ring_sqe(c->b->ring, &cancel_op);

        io_uring_prep_cancel(sqe, &c->recv_op, 0);
    }
    /* Parked fetches answer now with what they have. */
    c->kicking = true;
    TAILQ_FOREACH(r, &c->reqs, link)
        if (!r->ready && r->cancel && !r->cancelled) {
            r->cancelled = true;
            r->cancel(r);
        }
    c->kicking = false;
    conn_kick(c);
}

/* --- responses ----------------------------------------------------------- */

void resp_begin(breq *r, kbuf_wr *w)
{
    kbuf_wr_init(w, 256);
    kbuf_reserve(w, 4);
    msg_resp_header_encode(w, r->hdr.api_key, r->hdr.api_version, r->hdr.correlation_id);
}

void resp_add_splice(breq *r, kbuf_wr *w, int fd, int64_t pos, int64_t len)
{
    resp_splice *s = reallocarray(r->splices, (size_t)r->nsplices + 1, sizeof *s);

    if (!s) {
        close(fd);
        w->err = SL_E_NOMEM;
        return;
    }
    r->splices = s;
    s[r->nsplices++] = (resp_splice){ .at = w->len, .fd = fd, .pos = pos, .len = len };
}

void resp_finish(breq *r, kbuf_wr *w)
{
    int64_t external = 0;

    for (int i = 0; i < r->nsplices; i++)
        external += r->splices[i].len;
    if (w->err) {
        sl_warn_rl("net", "could not build a %s response for %s: %s",
                   api_name(r->hdr.api_key) ? api_name(r->hdr.api_key) : "?", r->c->peer,
                   sl_err_str(w->err));
        kbuf_wr_free(w);
        r->no_response = true;
        req_ready(r);
        conn_close(r->c, "response too large");
        return;
    }
    if ((int64_t)w->len - 4 + external > INT32_MAX) {
        /* Its size would not fit the frame's int32; fetch.max.bytes keeps
         * Fetch below this, so it is a bug elsewhere if it happens. */
        w->err = SL_E_RANGE;
        resp_finish(r, w); /* req_free closes the file ranges */
        return;
    }
    kbuf_patch_i32(w, 0, (int32_t)((int64_t)w->len - 4 + external));
    r->resp = kbuf_wr_take(w, &r->resp_len);
    req_ready(r);
}

void req_finish_silent(breq *r)
{
    r->no_response = true;
    req_ready(r);
}

void req_out_of_memory(breq *r)
{
    const char *name = api_name(r->hdr.api_key);

    sl_warn_rl("mem", "out of memory answering %s v%d from %s (%zu-byte request): "
               "closing the connection",
               name ? name : "?", r->hdr.api_version, r->c->peer, r->frame_len);
    r->no_response = true;
    r->ready = true;
    conn_close(r->c, "out of memory");
}

void req_malformed(breq *r, sl_err err)
{
    const char *name = api_name(r->hdr.api_key);

    if (err == SL_E_NOMEM) { /* not the client's fault: say what it is */
        req_out_of_memory(r);
        return;
    }

    sl_warn_rl("proto", "Protocol parse failure for %s v%d at %zu/%zu (field %s): %s from %s: "
               "closing the connection",
               name ? name : "?", r->hdr.api_version, kbuf_offset(&r->body), r->frame_len,
               r->body.field ? r->body.field : "?", sl_err_str(err), r->c->peer);
    r->no_response = true;
    r->ready = true;
    conn_close(r->c, "malformed request");
}

/* connections.max.idle.ms: close connections with no bytes in or out for
 * that long and nothing in flight (a parked fetch or a held JoinGroup is
 * not idleness). */
void conn_close_idle(broker *b)
{
    int64_t cutoff = sl_now_ms() - b->cfg.connections_max_idle_ms;
    conn *c, *next;

    /* Right after a stall nobody has had the chance to be active. */
    if (b->stall_end_ms >= cutoff)
        return;
    for (c = LIST_FIRST(&b->conns); c; c = next) {
        next = LIST_NEXT(c, link);
        if (!c->closing && c->last_active_ms < cutoff && TAILQ_EMPTY(&c->reqs)) {
            sl_info("net", "closing connection from %s: idle for more than %lld ms", c->peer,
                    (long long)b->cfg.connections_max_idle_ms);
            conn_close(c, "idle");
        }
    }
}

sl_bytes req_printf(breq *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SL_BYTES_NULL;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    p = sl_arena_alloc(&r->arena, (size_t)n + 1);
    if (!p)
        return SL_BYTES_NULL;
    memcpy(p, buf, (size_t)n + 1);
    return sl_bytes_make(p, (size_t)n);
}

char *req_cstr(breq *r, sl_bytes b)
{
    char *p = sl_arena_alloc(&r->arena, b.n + 1);

    if (p) {
        if (b.n)
            memcpy(p, b.p, b.n);
        p[b.n] = 0;
    }
    return p;
}
