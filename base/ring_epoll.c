/*
 * ring_epoll.c - the sl_ring backend for where io_uring is refused.
 *
 * sl_ring_sqe hands out the SQE inside a slot of our own and the caller
 * fills it with io_uring_prep_* as usual.  Submitting starts the slots in
 * the order they were taken:
 *   - socket operations (ACCEPT, RECV, SENDMSG, POLL_ADD, READ of a
 *     pollable descriptor) try the nonblocking call at once, as io_uring
 *     does; on EAGAIN the slot waits for its descriptor's readiness in
 *     epoll and tries again then;
 *   - file operations go to worker threads (ring_files.c) whose results
 *     come back through an eventfd: the loop never waits on the disk;
 *   - ASYNC_CANCEL looks the target's user_data up in a hash of the slots
 *     in flight (never through the pointer: its owner may be gone, as when
 *     a connection is freed after its recv completed but before the cancel
 *     ran) and completes a waiting one with -ECANCELED (the cancel itself
 *     with 0); one already on a worker gives -EALREADY, one not in flight
 *     -ENOENT, as io_uring answers.
 * Completions queue up and are dispatched only from sl_ring_run, never
 * from inside sl_ring_sqe or a submit, as CQEs are.
 *
 * Registration in epoll is lazy: a descriptor stays in the set after its
 * last waiter is gone and is taken out only when it reports an event
 * nobody waits for; the first waiter after that renews it with one MOD
 * (instead of an ADD and a DEL per wait).  The caller may have closed the
 * descriptor meanwhile and got the number again for another file, so the
 * MOD's ENOENT (or an ADD's EEXIST) is expected and handled.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ring_int.h"

#define SLOT_CHUNK 256
#define MAX_EVENTS 256
#define WAKE_TAG UINT64_MAX /* epoll data of the workers' eventfd */
#define POLLABLE (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP)

typedef struct efd {
    uint32_t reg; /* events registered in epoll; 0: not in the set */
    struct eslot_list waiters;
} efd;

struct ering {
    int epfd, wake_fd;
    efd **fds; /* by descriptor number, made on first use */
    size_t nfds;
    struct eslot_list free, submitq, doneq;
    eslot **chunks;
    size_t nchunks;
    eslot **buckets; /* slots waiting or on a worker, by user_data */
    size_t nbuckets, nhashed;
    efiles *files;
    bool warned_opcode;
};

sl_err ering_new(sl_ring *r, char *errstr, size_t errstr_size)
{
    ering *e = calloc(1, sizeof *e);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_TAG };

    if (!e) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    TAILQ_INIT(&e->free);
    TAILQ_INIT(&e->submitq);
    TAILQ_INIT(&e->doneq);
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    r->e = e;
    if (e->epfd < 0 || e->wake_fd < 0 || epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->wake_fd, &ev) < 0) {
        snprintf(errstr, errstr_size, "epoll setup failed: %s", strerror(errno));
        ering_free(r);
        return SL_E_IO;
    }
    e->files = efiles_new(e->wake_fd, errstr, errstr_size);
    if (!e->files) {
        ering_free(r);
        return SL_E_IO;
    }
    return SL_OK;
}

void ering_free(sl_ring *r)
{
    ering *e = r->e;

    if (!e)
        return;
    efiles_free(e->files); /* first: its threads write wake_fd */
    if (e->epfd >= 0)
        close(e->epfd);
    if (e->wake_fd >= 0)
        close(e->wake_fd);
    for (size_t i = 0; i < e->nfds; i++)
        free(e->fds[i]);
    free(e->fds);
    for (size_t i = 0; i < e->nchunks; i++)
        free(e->chunks[i]);
    free(e->chunks);
    free(e->buckets);
    free(e);
    r->e = NULL;
}

static eslot *slot_get(ering *e)
{
    eslot *s = TAILQ_FIRST(&e->free);

    if (!s) {
        eslot **chunks = realloc(e->chunks, (e->nchunks + 1) * sizeof *chunks);
        eslot *c = calloc(SLOT_CHUNK, sizeof *c);

        /* As sl_ring_sqe with io_uring: never NULL. */
        if (!chunks || !c) {
            sl_error("ring", "out of memory for a submission");
            abort();
        }
        e->chunks = chunks;
        e->chunks[e->nchunks++] = c;
        for (int i = 0; i < SLOT_CHUNK; i++)
            TAILQ_INSERT_TAIL(&e->free, &c[i], link);
        s = TAILQ_FIRST(&e->free);
    }
    TAILQ_REMOVE(&e->free, s, link);
    return s;
}

struct io_uring_sqe *ering_sqe(sl_ring *r, sl_op *op)
{
    ering *e = r->e;
    eslot *s = slot_get(e);

    memset(&s->sqe, 0, sizeof s->sqe);
    io_uring_sqe_set_data(&s->sqe, op);
    s->res = 0;
    s->want = 0;
    s->state = ESLOT_QUEUED;
    TAILQ_INSERT_TAIL(&e->submitq, s, link);
    r->inflight++;
    return &s->sqe;
}

static size_t bucket_of(uint64_t user_data, size_t nbuckets)
{
    return (size_t)((user_data * 0x9E3779B97F4A7C15ULL) >> 32) & (nbuckets - 1);
}

/* Keep the chains short: double the buckets as slots come in flight.  A
 * failed allocation only makes the chains longer. */
static void hash_grow(ering *e)
{
    size_t n = e->nbuckets ? e->nbuckets * 2 : 256;
    eslot **b = calloc(n, sizeof *b);

    if (!b)
        return;
    for (size_t i = 0; i < e->nbuckets; i++) {
        eslot *s, *next;

        for (s = e->buckets[i]; s; s = next) {
            size_t k = bucket_of(s->sqe.user_data, n);

            next = s->hnext;
            s->hnext = b[k];
            b[k] = s;
        }
    }
    free(e->buckets);
    e->buckets = b;
    e->nbuckets = n;
}

static void hash_add(ering *e, eslot *s)
{
    size_t k;

    if (e->nhashed >= e->nbuckets)
        hash_grow(e);
    if (!e->nbuckets) {
        sl_error("ring", "out of memory for the epoll backend's table");
        abort();
    }
    k = bucket_of(s->sqe.user_data, e->nbuckets);
    s->hnext = e->buckets[k];
    e->buckets[k] = s;
    e->nhashed++;
}

static void hash_del(ering *e, eslot *s)
{
    eslot **pp = &e->buckets[bucket_of(s->sqe.user_data, e->nbuckets)];

    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = s->hnext;
        e->nhashed--;
    }
}

static eslot *hash_find(ering *e, uint64_t user_data)
{
    if (!e->nbuckets)
        return NULL;
    for (eslot *s = e->buckets[bucket_of(user_data, e->nbuckets)]; s; s = s->hnext)
        if (s->sqe.user_data == user_data)
            return s;
    return NULL;
}

static void to_worker(ering *e, eslot *s)
{
    hash_add(e, s);
    efiles_push(e->files, s);
}

static void complete(ering *e, eslot *s, int res)
{
    if (s->state == ESLOT_WAITING)
        hash_del(e, s);
    s->res = res;
    s->state = ESLOT_DONE;
    TAILQ_INSERT_TAIL(&e->doneq, s, link);
}

/* The descriptor's entry, made on first use; NULL when out of memory. */
static efd *fd_get(ering *e, int fd)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= e->nfds) {
        size_t n = e->nfds ? e->nfds : 64;
        efd **fds;

        while (n <= (size_t)fd)
            n *= 2;
        fds = realloc(e->fds, n * sizeof *fds);
        if (!fds)
            return NULL;
        memset(fds + e->nfds, 0, (n - e->nfds) * sizeof *fds);
        e->fds = fds;
        e->nfds = n;
    }
    if (!e->fds[fd]) {
        e->fds[fd] = calloc(1, sizeof *e->fds[fd]);
        if (!e->fds[fd])
            return NULL;
        TAILQ_INIT(&e->fds[fd]->waiters);
    }
    return e->fds[fd];
}

/* Make the epoll set hold exactly `events` for fd (0: take it out). */
static int fd_register(ering *e, int fd, efd *f, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)fd };
    int op = f->reg ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

    if (!events) {
        (void)epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL); /* may be closed: fine */
        f->reg = 0;
        return 0;
    }
    while (epoll_ctl(e->epfd, op, fd, &ev) < 0) {
        /* Our record is stale when the number was closed and reused. */
        if (errno == ENOENT && op == EPOLL_CTL_MOD)
            op = EPOLL_CTL_ADD;
        else if (errno == EEXIST && op == EPOLL_CTL_ADD)
            op = EPOLL_CTL_MOD;
        else
            return -errno;
    }
    f->reg = events;
    return 0;
}

/* A READ of a pollable descriptor (signalfd, eventfd): only once it is
 * readable, so a descriptor without O_NONBLOCK cannot block the loop. */
static ssize_t read_if_ready(const struct io_uring_sqe *q)
{
    struct pollfd p = { .fd = q->fd, .events = POLLIN };
    int k = poll(&p, 1, 0);

    if (k == 0) {
        errno = EAGAIN;
        return -1;
    }
    if (k < 0)
        return -1;
    return read(q->fd, (void *)(uintptr_t)q->addr, q->len);
}

/* Try a socket operation now.  true: finished, s->res set; false: it
 * must wait for the readiness in s->want. */
static bool try_sock(eslot *s)
{
    const struct io_uring_sqe *q = &s->sqe;
    void *addr = (void *)(uintptr_t)q->addr;
    ssize_t n;

    for (;;) {
        s->want = EPOLLIN;
        switch (q->opcode) {
        case IORING_OP_ACCEPT:
            n = accept4(q->fd, addr, (socklen_t *)(uintptr_t)q->addr2, (int)q->accept_flags);
            break;
        case IORING_OP_RECV:
            n = recv(q->fd, addr, q->len, (int)q->msg_flags | MSG_DONTWAIT);
            break;
        case IORING_OP_SENDMSG:
            s->want = EPOLLOUT;
            n = sendmsg(q->fd, addr, (int)q->msg_flags | MSG_DONTWAIT);
            break;
        case IORING_OP_READ:
            n = read_if_ready(q);
            break;
        default: { /* IORING_OP_POLL_ADD: the poll mask is epoll's too */
            struct pollfd p = { .fd = q->fd, .events = (short)q->poll32_events };

            s->want = q->poll32_events & POLLABLE;
            n = poll(&p, 1, 0);
            if (n == 0) {
                errno = EAGAIN;
                n = -1;
            } else if (n > 0) {
                n = p.revents;
            }
        }
        }
        if (n >= 0) {
            s->res = (int)n;
            return true;
        }
        if (errno == EINTR)
            continue;
        /* A connection reset while queued: wait for the next one. */
        if (errno == EAGAIN || errno == EWOULDBLOCK ||
            (q->opcode == IORING_OP_ACCEPT && errno == ECONNABORTED))
            return false;
        s->res = -errno;
        return true;
    }
}

static void start_sock(ering *e, eslot *s)
{
    int fd = s->sqe.fd;
    efd *f;
    int rc;

    if (s->sqe.opcode == IORING_OP_ACCEPT) {
        /* accept4 on a blocking listener can block even after epoll said
         * readable (man 2 accept): the listener is the ring's to use. */
        int fl = fcntl(fd, F_GETFL);

        if (fl >= 0 && !(fl & O_NONBLOCK))
            fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    if (try_sock(s)) {
        complete(e, s, s->res);
        return;
    }
    f = fd_get(e, fd);
    if (!f) {
        complete(e, s, -ENOMEM);
        return;
    }
    /* With no waiter the record may be stale (closed, number reused), so
     * it is always renewed; beside live waiters it is current. */
    if (TAILQ_EMPTY(&f->waiters))
        rc = fd_register(e, fd, f, s->want);
    else
        rc = (f->reg | s->want) == f->reg ? 0 : fd_register(e, fd, f, f->reg | s->want);
    if (rc < 0) {
        complete(e, s, rc);
        return;
    }
    s->state = ESLOT_WAITING;
    TAILQ_INSERT_TAIL(&f->waiters, s, link);
    hash_add(e, s);
}

static void start_cancel(ering *e, eslot *s)
{
    eslot *t = hash_find(e, s->sqe.addr);
    int res = -ENOENT;

    if (t && t->state == ESLOT_WAITING) {
        TAILQ_REMOVE(&e->fds[t->sqe.fd]->waiters, t, link);
        complete(e, t, -ECANCELED);
        res = 0;
    } else if (t) {
        res = -EALREADY; /* on a worker */
    }
    complete(e, s, res);
}

static bool is_file(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

static void start(ering *e, eslot *s)
{
    switch (s->sqe.opcode) {
    case IORING_OP_ACCEPT:
    case IORING_OP_RECV:
    case IORING_OP_SENDMSG:
    case IORING_OP_POLL_ADD:
        start_sock(e, s);
        break;
    case IORING_OP_READ:
        if (is_file(s->sqe.fd))
            to_worker(e, s);
        else
            start_sock(e, s);
        break;
    case IORING_OP_WRITE:
    case IORING_OP_FSYNC:
    case IORING_OP_SYNC_FILE_RANGE:
    case IORING_OP_UNLINKAT:
        to_worker(e, s);
        break;
    case IORING_OP_ASYNC_CANCEL:
        start_cancel(e, s);
        break;
    case IORING_OP_NOP:
        complete(e, s, 0);
        break;
    default:
        if (!e->warned_opcode) {
            sl_warn("ring", "epoll backend: io_uring opcode %u not supported",
                    (unsigned)s->sqe.opcode);
            e->warned_opcode = true;
        }
        complete(e, s, -EINVAL);
    }
}

void ering_submit(sl_ring *r)
{
    ering *e = r->e;
    eslot *s;

    while ((s = TAILQ_FIRST(&e->submitq)) != NULL) {
        TAILQ_REMOVE(&e->submitq, s, link);
        start(e, s);
    }
}

/* Retry the waiters an event concerns; narrow the registration if the
 * event was one nobody waited for. */
static void on_event(ering *e, int fd, uint32_t events)
{
    efd *f = (size_t)fd < e->nfds ? e->fds[fd] : NULL;
    uint32_t wanted = 0, need = 0;
    eslot *s, *next;

    if (!f)
        return;
    for (s = TAILQ_FIRST(&f->waiters); s; s = next) {
        next = TAILQ_NEXT(s, link);
        wanted |= s->want;
        if ((events & (s->want | EPOLLERR | EPOLLHUP)) && try_sock(s)) {
            TAILQ_REMOVE(&f->waiters, s, link);
            complete(e, s, s->res);
            continue;
        }
        need |= s->want;
    }
    if (!wanted || (events & POLLABLE & ~wanted))
        (void)fd_register(e, fd, f, need);
}

static void take_file_results(ering *e)
{
    struct eslot_list l;
    eslot *s;

    TAILQ_INIT(&l);
    efiles_take_done(e->files, &l);
    TAILQ_FOREACH(s, &l, link)
        hash_del(e, s);
    TAILQ_CONCAT(&e->doneq, &l, link);
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dispatch(sl_ring *r)
{
    ering *e = r->e;
    struct eslot_list l;
    eslot *s;
    int n = 0;

    /* Completions a handler causes wait for the next run, as CQEs do. */
    TAILQ_INIT(&l);
    TAILQ_CONCAT(&l, &e->doneq, link);
    while ((s = TAILQ_FIRST(&l)) != NULL) {
        sl_op *op = (sl_op *)(uintptr_t)s->sqe.user_data;
        int res = s->res;

        TAILQ_REMOVE(&l, s, link);
        s->state = ESLOT_FREE;
        TAILQ_INSERT_HEAD(&e->free, s, link);
        r->inflight--;
        n++;
        if (op && op->done)
            op->done(op, res, 0);
    }
    return n;
}

int ering_run(sl_ring *r, int timeout_ms)
{
    ering *e = r->e;
    int64_t deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;
    struct epoll_event evs[MAX_EVENTS];

    ering_submit(r);
    for (;;) {
        int wait = timeout_ms, n;

        if (!TAILQ_EMPTY(&e->doneq) || timeout_ms == 0) {
            wait = 0;
        } else if (timeout_ms > 0) {
            int64_t left = deadline - mono_ms();

            wait = left > 0 ? (int)left : 0;
        }
        n = epoll_wait(e->epfd, evs, MAX_EVENTS, wait);
        if (n < 0 && errno != EINTR) {
            sl_warn("ring", "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == WAKE_TAG) {
                uint64_t count;

                (void)!read(e->wake_fd, &count, sizeof count);
                take_file_results(e);
            } else {
                on_event(e, (int)evs[i].data.u64, evs[i].events);
            }
        }
        /* Like io_uring's wait: return on a completion or the timeout. */
        if (!TAILQ_EMPTY(&e->doneq) || wait == 0)
            break;
    }
    return dispatch(r);
}
