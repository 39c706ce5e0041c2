/* test_ring_epoll.c - the epoll backend of sl_ring carries out the SQEs
 * sluice uses with io_uring's results: accept, recv, sendmsg, poll, read
 * of an eventfd, cancel, timeouts, and file writes and syncs on workers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/ring.h"

typedef struct done_op {
    sl_op op;
    int res, calls;
} done_op;

static void on_done(sl_op *op, int res, uint32_t flags)
{
    done_op *d = (done_op *)op;

    cr_assert_eq(flags, 0);
    d->res = res;
    d->calls++;
}

static sl_ring *new_ring(void)
{
    sl_ring *r = NULL;
    char err[256];

    cr_assert_eq(sl_ring_new_kind(&r, SL_RING_EPOLL, 64, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(sl_ring_kind_of(r), SL_RING_EPOLL);
    return r;
}

/* Run the ring until op has completed, for at most 5 s. */
static void run_until(sl_ring *r, done_op *d)
{
    for (int i = 0; i < 50 && !d->calls; i++)
        sl_ring_run(r, 100);
    cr_assert_eq(d->calls, 1, "no completion");
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A listening socket on 127.0.0.1 (blocking, as the broker makes it). */
static int listener(struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(bind(fd, (struct sockaddr *)addr, sizeof *addr) == 0);
    cr_assert(listen(fd, 16) == 0);
    cr_assert(getsockname(fd, (struct sockaddr *)addr, &len) == 0);
    return fd;
}

/* A connected pair through the ring's accept: *srv is the accepted end. */
static void accepted_pair(sl_ring *r, int *srv, int *cli)
{
    struct sockaddr_in a, peer;
    socklen_t peerlen = sizeof peer;
    int lfd = listener(&a);
    done_op acc = { .op.done = on_done };

    io_uring_prep_accept(sl_ring_sqe(r, &acc.op), lfd, (struct sockaddr *)&peer, &peerlen,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
    /* Nothing to accept yet: the op waits, the run times out. */
    cr_assert_eq(sl_ring_run(r, 50), 0);
    cr_assert_eq(acc.calls, 0);
    *cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(connect(*cli, (struct sockaddr *)&a, sizeof a) == 0);
    run_until(r, &acc);
    cr_assert_gt(acc.res, 0, "accept: %s", strerror(-acc.res));
    cr_assert_eq(peer.sin_family, AF_INET);
    cr_assert(fcntl(acc.res, F_GETFL) & O_NONBLOCK);
    *srv = acc.res;
    close(lfd);
}

Test(ring_epoll, accept_recv_sendmsg)
{
    sl_ring *r = new_ring();
    int srv, cli;
    char buf[64] = { 0 };
    done_op rv = { .op.done = on_done }, sd = { .op.done = on_done };
    struct iovec iov[2] = { { "wor", 3 }, { "ld", 2 } };
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

    accepted_pair(r, &srv, &cli);
    io_uring_prep_recv(sl_ring_sqe(r, &rv.op), srv, buf, sizeof buf, 0);
    cr_assert_eq(sl_ring_run(r, 30), 0);
    cr_assert_eq(sl_ring_inflight(r), 1);
    cr_assert(write(cli, "hello", 5) == 5);
    run_until(r, &rv);
    cr_assert_eq(rv.res, 5);
    cr_assert_str_eq(buf, "hello");

    io_uring_prep_sendmsg(sl_ring_sqe(r, &sd.op), srv, &msg, MSG_NOSIGNAL);
    run_until(r, &sd);
    cr_assert_eq(sd.res, 5);
    memset(buf, 0, sizeof buf);
    cr_assert(read(cli, buf, sizeof buf) == 5);
    cr_assert_str_eq(buf, "world");

    /* The peer's close is a 0-byte recv. */
    rv.calls = 0;
    io_uring_prep_recv(sl_ring_sqe(r, &rv.op), srv, buf, sizeof buf, 0);
    close(cli);
    run_until(r, &rv);
    cr_assert_eq(rv.res, 0);
    cr_assert_eq(sl_ring_inflight(r), 0);
    close(srv);
    sl_ring_free(r);
}

Test(ring_epoll, cancel_a_waiting_recv)
{
    sl_ring *r = new_ring();
    int srv, cli;
    char buf[16];
    done_op rv = { .op.done = on_done }, c1 = { .op.done = on_done },
            c2 = { .op.done = on_done };

    accepted_pair(r, &srv, &cli);
    io_uring_prep_recv(sl_ring_sqe(r, &rv.op), srv, buf, sizeof buf, 0);
    sl_ring_run(r, 0);
    io_uring_prep_cancel(sl_ring_sqe(r, &c1.op), &rv.op, 0);
    run_until(r, &c1);
    cr_assert_eq(c1.res, 0);
    cr_assert_eq(rv.calls, 1);
    cr_assert_eq(rv.res, -ECANCELED);
    /* Nothing in flight any more: a second cancel finds nothing. */
    io_uring_prep_cancel(sl_ring_sqe(r, &c2.op), &rv.op, 0);
    run_until(r, &c2);
    cr_assert_eq(c2.res, -ENOENT);
    /* Data that comes later is not taken by the cancelled recv. */
    cr_assert(write(cli, "x", 1) == 1);
    sl_ring_run(r, 30);
    cr_assert_eq(rv.calls, 1);
    cr_assert_eq(sl_ring_inflight(r), 0);
    close(srv);
    close(cli);
    sl_ring_free(r);
}

Test(ring_epoll, run_waits_for_its_timeout)
{
    sl_ring *r = new_ring();
    int64_t t0 = now_ms();

    cr_assert_eq(sl_ring_run(r, 150), 0);
    cr_assert_geq(now_ms() - t0, 140);
    cr_assert_lt(now_ms() - t0, 3000);
    t0 = now_ms();
    cr_assert_eq(sl_ring_run(r, 0), 0);
    cr_assert_lt(now_ms() - t0, 100);
    sl_ring_free(r);
}

Test(ring_epoll, poll_for_writable)
{
    sl_ring *r = new_ring();
    int sv[2];
    done_op p = { .op.done = on_done };

    cr_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    io_uring_prep_poll_add(sl_ring_sqe(r, &p.op), sv[0], POLLOUT);
    run_until(r, &p);
    cr_assert(p.res & POLLOUT);
    close(sv[0]);
    close(sv[1]);
    sl_ring_free(r);
}

/* READ of a pollable descriptor waits for it (the broker's signalfd, a
 * worker pool's eventfd) without blocking the loop. */
Test(ring_epoll, read_an_eventfd)
{
    sl_ring *r = new_ring();
    int efd = eventfd(0, EFD_CLOEXEC); /* blocking, like a signalfd */
    uint64_t v = 0, seven = 7;
    done_op rd = { .op.done = on_done };

    io_uring_prep_read(sl_ring_sqe(r, &rd.op), efd, &v, sizeof v, 0);
    cr_assert_eq(sl_ring_run(r, 30), 0);
    cr_assert(write(efd, &seven, sizeof seven) == 8);
    run_until(r, &rd);
    cr_assert_eq(rd.res, 8);
    cr_assert_eq(v, 7);
    close(efd);
    sl_ring_free(r);
}

Test(ring_epoll, file_write_datasync_unlink)
{
    sl_ring *r = new_ring();
    char path[] = "/tmp/sluice-ring-epoll-XXXXXX", back[8] = { 0 };
    int fd = mkstemp(path);
    done_op w = { .op.done = on_done }, s = { .op.done = on_done },
            u = { .op.done = on_done }, c = { .op.done = on_done }, bad = { .op.done = on_done };

    cr_assert(fd >= 0);
    io_uring_prep_write(sl_ring_sqe(r, &w.op), fd, "abcdef", 6, 100);
    run_until(r, &w);
    cr_assert_eq(w.res, 6);
    cr_assert(pread(fd, back, 6, 100) == 6);
    cr_assert_str_eq(back, "abcdef");
    io_uring_prep_fsync(sl_ring_sqe(r, &s.op), fd, IORING_FSYNC_DATASYNC);
    /* A file op on a worker cannot be cancelled any more, or is done. */
    io_uring_prep_cancel(sl_ring_sqe(r, &c.op), &s.op, 0);
    run_until(r, &s);
    run_until(r, &c);
    cr_assert_eq(s.res, 0);
    cr_assert(c.res == -EALREADY || c.res == -ENOENT, "%d", c.res);
    /* Errors come back as -errno. */
    io_uring_prep_fsync(sl_ring_sqe(r, &bad.op), 1000000, IORING_FSYNC_DATASYNC);
    run_until(r, &bad);
    cr_assert_eq(bad.res, -EBADF);
    io_uring_prep_unlinkat(sl_ring_sqe(r, &u.op), AT_FDCWD, path, 0);
    run_until(r, &u);
    cr_assert_eq(u.res, 0);
    cr_assert(access(path, F_OK) != 0);
    cr_assert_eq(sl_ring_inflight(r), 0);
    close(fd);
    sl_ring_free(r);
}

/* A descriptor closed while still in the epoll set (registration is
 * lazy) and its number reused for a new connection: a recv on the new one
 * must still be woken.  The first version trusted its stale record and
 * never registered the new socket. */
Test(ring_epoll, descriptor_number_reused)
{
    sl_ring *r = new_ring();
    int srv, cli, srv2, cli2;
    char buf[16];
    done_op rv = { .op.done = on_done };

    accepted_pair(r, &srv, &cli);
    io_uring_prep_recv(sl_ring_sqe(r, &rv.op), srv, buf, sizeof buf, 0);
    sl_ring_run(r, 0);
    cr_assert(write(cli, "a", 1) == 1);
    run_until(r, &rv);
    cr_assert_eq(rv.res, 1);
    close(srv);
    close(cli);
    accepted_pair(r, &srv2, &cli2);
    cr_assert_eq(srv2, srv, "the test needs the number reused");
    rv.calls = 0;
    io_uring_prep_recv(sl_ring_sqe(r, &rv.op), srv2, buf, sizeof buf, 0);
    sl_ring_run(r, 0);
    cr_assert(write(cli2, "b", 1) == 1);
    run_until(r, &rv);
    cr_assert_eq(rv.res, 1);
    cr_assert_eq(buf[0], 'b');
    close(srv2);
    close(cli2);
    sl_ring_free(r);
}

/* A connection freed after its recv completed, with a cancel for that
 * recv still queued: the cancel must answer -ENOENT without touching the
 * freed op (the first version read the target through its pointer, a
 * use-after-free ASan caught in integration_epoll_test_bad_input). */
Test(ring_epoll, cancel_after_the_target_is_freed)
{
    sl_ring *r = new_ring();
    int srv, cli;
    char buf[16];
    done_op *rv = calloc(1, sizeof *rv), c = { .op.done = on_done };

    rv->op.done = on_done;
    accepted_pair(r, &srv, &cli);
    io_uring_prep_recv(sl_ring_sqe(r, &rv->op), srv, buf, sizeof buf, 0);
    sl_ring_run(r, 0);
    cr_assert(write(cli, "a", 1) == 1);
    run_until(r, rv);
    io_uring_prep_cancel(sl_ring_sqe(r, &c.op), &rv->op, 0);
    free(rv);
    run_until(r, &c);
    cr_assert_eq(c.res, -ENOENT);
    close(srv);
    close(cli);
    sl_ring_free(r);
}
