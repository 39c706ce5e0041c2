/*
 * ring_files.c - the epoll backend's file operations, on worker threads.
 *
 * io_uring runs writes, fsyncs and unlinks of files without the loop
 * waiting; epoll cannot wait for a disk.  So WRITE, READ of a file, FSYNC,
 * SYNC_FILE_RANGE and UNLINKAT go to a few threads that make the blocking
 * call and post the result back through an eventfd the loop polls.  Several
 * threads, so that one partition's fdatasync does not hold up another's
 * (io_uring's workers run them side by side too).  No ordering between
 * operations is promised, as with io_uring: storage issues a datasync only
 * over writes whose completions it has seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring_int.h"

#define EFILES_THREADS 4

struct efiles {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct eslot_list todo, done;
    bool stop;
    int wake_fd;
    int nthreads;
    pthread_t th[EFILES_THREADS];
};

/* The blocking call an SQE stands for: >= 0, or -errno as a CQE has it. */
static int run_file_op(const struct io_uring_sqe *q)
{
    void *addr = (void *)(uintptr_t)q->addr;
    bool at_pos = q->off == (uint64_t)-1; /* io_uring: the file position */
    ssize_t n;

    switch (q->opcode) {
    case IORING_OP_WRITE:
        n = at_pos ? write(q->fd, addr, q->len) : pwrite(q->fd, addr, q->len, (off_t)q->off);
        break;
    case IORING_OP_READ:
        n = at_pos ? read(q->fd, addr, q->len) : pread(q->fd, addr, q->len, (off_t)q->off);
        break;
    case IORING_OP_FSYNC:
        n = (q->fsync_flags & IORING_FSYNC_DATASYNC) ? fdatasync(q->fd) : fsync(q->fd);
        break;
    case IORING_OP_SYNC_FILE_RANGE:
        n = sync_file_range(q->fd, (off_t)q->off, q->len, q->sync_range_flags);
        break;
    case IORING_OP_UNLINKAT:
        n = unlinkat(q->fd, (const char *)addr, (int)q->unlink_flags);
        break;
    default:
        return -EINVAL;
    }
    return n < 0 ? -errno : (int)n;
}

static void *worker(void *arg)
{
    efiles *f = arg;
    const uint64_t one = 1;

    pthread_mutex_lock(&f->mu);
    for (;;) {
        eslot *s;

        while (!f->stop && TAILQ_EMPTY(&f->todo))
            pthread_cond_wait(&f->cv, &f->mu);
        if (f->stop)
            break;
        s = TAILQ_FIRST(&f->todo);
        TAILQ_REMOVE(&f->todo, s, link);
        pthread_mutex_unlock(&f->mu);
        s->res = run_file_op(&s->sqe);
        pthread_mutex_lock(&f->mu);
        TAILQ_INSERT_TAIL(&f->done, s, link);
        pthread_mutex_unlock(&f->mu);
        /* The counter cannot overflow: the loop reads it every turn. */
        (void)!write(f->wake_fd, &one, sizeof one);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

efiles *efiles_new(int wake_fd, char *errstr, size_t errstr_size)
{
    efiles *f = calloc(1, sizeof *f);
    sigset_t all, old;

    if (!f) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    TAILQ_INIT(&f->todo);
    TAILQ_INIT(&f->done);
    f->wake_fd = wake_fd;
    /* Workers take no signals: the broker reads SIGTERM from a signalfd,
     * which only works while every thread blocks it. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < EFILES_THREADS; i++) {
        int rc = pthread_create(&f->th[i], NULL, worker, f);

        if (rc) {
            snprintf(errstr, errstr_size, "cannot start a file I/O thread: %s", strerror(rc));
            break;
        }
        f->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (f->nthreads < EFILES_THREADS) {
        efiles_free(f);
        return NULL;
    }
    return f;
}

/* Operations still on a worker finish first; queued ones are dropped,
 * as a ring torn down drops its submissions. */
void efiles_free(efiles *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < f->nthreads; i++)
        pthread_join(f->th[i], NULL);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void efiles_push(efiles *f, eslot *s)
{
    s->state = ESLOT_WORKER;
    pthread_mutex_lock(&f->mu);
    TAILQ_INSERT_TAIL(&f->todo, s, link);
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void efiles_take_done(efiles *f, struct eslot_list *out)
{
    eslot *s;

    pthread_mutex_lock(&f->mu);
    TAILQ_FOREACH(s, &f->done, link)
        s->state = ESLOT_DONE;
    TAILQ_CONCAT(out, &f->done, link);
    pthread_mutex_unlock(&f->mu);
}
