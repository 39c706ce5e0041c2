/*
 * pool.c - worker threads and their way back to the loop (pool.h).
 *
 * Two lists under one mutex: `todo` (submitted, FIFO) and `finished`
 * (work done, done() not yet run, FIFO).  A worker that moves a job to
 * `finished` writes the eventfd; the loop's READ of it completes in
 * sl_ring_run, which takes the whole `finished` list and runs each done()
 * outside the lock, then posts the next READ.  Only the loop thread
 * touches `pending` and the ring.
 */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"

struct sl_pool {
    sl_ring *ring;
    int efd;
    sl_op read_op;
    uint64_t efd_val; /* the READ's buffer */
    bool read_busy;
    unsigned pending; /* @loop */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    sl_job *todo_head, *todo_tail;
    sl_job *fin_head, *fin_tail;
    bool stop;
    pthread_t *threads;
    int nthreads;
};

static void push(sl_job **head, sl_job **tail, sl_job *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

static void *worker(void *arg)
{
    sl_pool *p = arg;
    const uint64_t one = 1;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        sl_job *j = p->todo_head;

        if (!j) {
            if (p->stop)
                break;
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        p->todo_head = j->next;
        if (!p->todo_head)
            p->todo_tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->work(j);
        pthread_mutex_lock(&p->mu);
        push(&p->fin_head, &p->fin_tail, j);
        /* A full counter (never, at 2^64 - 2) only means the loop is
         * already due to wake: the write's result does not matter. */
        if (write(p->efd, &one, sizeof one) < 0 && errno != EAGAIN)
            sl_warn("pool", "eventfd write: %s", strerror(errno));
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void post_read(sl_pool *p)
{
    struct io_uring_sqe *sqe = sl_ring_sqe(p->ring, &p->read_op);

    io_uring_prep_read(sqe, p->efd, &p->efd_val, sizeof p->efd_val, 0);
    p->read_busy = true;
}

static void on_wake(sl_op *op, int res, uint32_t flags)
{
    sl_pool *p = (sl_pool *)((char *)op - offsetof(sl_pool, read_op));
    sl_job *j;

    (void)flags;
    p->read_busy = false;
    if (res < 0 && res != -EAGAIN && res != -EINTR)
        sl_warn("pool", "eventfd read: %s", strerror(-res));
    pthread_mutex_lock(&p->mu);
    j = p->fin_head;
    p->fin_head = p->fin_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    /* Post first: a done() may submit a job whose wake must be seen. */
    post_read(p);
    while (j) {
        sl_job *next = j->next;

        p->pending--;
        j->done(j);
        j = next;
    }
}

sl_err sl_pool_new(sl_pool **out, sl_ring *ring, int threads, char *errstr,
                   size_t errstr_size)
{
    sl_pool *p = calloc(1, sizeof *p);
    sigset_t all, old;

    if (!p || threads < 1 || !(p->threads = calloc((size_t)threads, sizeof *p->threads))) {
        free(p);
        snprintf(errstr, errstr_size, threads < 1 ? "a pool needs a thread" : "out of memory");
        return threads < 1 ? SL_E_INVAL : SL_E_NOMEM;
    }
    p->ring = ring;
    p->read_op.done = on_wake;
    p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->efd < 0) {
        snprintf(errstr, errstr_size, "eventfd: %s", strerror(errno));
        free(p->threads);
        free(p);
        return SL_E_IO;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    /* Workers take no signals: the loop reads them (signalfd), and a
     * worker inherits the mask it is created with. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (; p->nthreads < threads; p->nthreads++) {
        int rc = pthread_create(&p->threads[p->nthreads], NULL, worker, p);

        if (rc) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            snprintf(errstr, errstr_size, "starting worker threads: %s", strerror(rc));
            sl_pool_free(p);
            return SL_E_IO;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    post_read(p);
    *out = p;
    return SL_OK;
}

void sl_pool_submit(sl_pool *p, sl_job *j)
{
    p->pending++;
    pthread_mutex_lock(&p->mu);
    push(&p->todo_head, &p->todo_tail, j);
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

unsigned sl_pool_pending(const sl_pool *p) { return p->pending; }

void sl_pool_free(sl_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    if (p->pending)
        sl_warn("pool", "stopped with %u jobs whose completion never ran", p->pending);
    close(p->efd);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}
