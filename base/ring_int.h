/*
 * ring_int.h - what ring.c (io_uring, and the calls both backends share)
 * and ring_epoll.c see of each other.  Not for other modules.
 */
#ifndef SL_RING_INT_H
#define SL_RING_INT_H

#include <sys/queue.h>

#include "ring.h"

typedef struct ering ering;

/* One submission of the epoll backend: the SQE the caller filled and where
 * it is in its life.  Slots are pooled and never freed before the ring. */
enum { ESLOT_FREE, ESLOT_QUEUED, ESLOT_WAITING, ESLOT_WORKER, ESLOT_DONE };
typedef struct eslot eslot;
struct eslot {
    struct io_uring_sqe sqe;
    int res;
    int state;
    uint32_t want; /* epoll events awaited while ESLOT_WAITING */
    TAILQ_ENTRY(eslot) link; /* the one list the slot is on */
    eslot *hnext;            /* in flight: the next in its cancel-hash bucket */
};
TAILQ_HEAD(eslot_list, eslot);

/* ring_files.c: file operations on worker threads.  A finished slot goes
 * on the done list and wake_fd (an eventfd) is written. */
typedef struct efiles efiles;
efiles *efiles_new(int wake_fd, char *errstr, size_t errstr_size);
void efiles_free(efiles *f);
void efiles_push(efiles *f, eslot *s);
/* Append the finished slots to out, in the order they finished. */
void efiles_take_done(efiles *f, struct eslot_list *out);

struct sl_ring {
    sl_ring_kind kind;
    unsigned inflight;
    struct io_uring ring; /* SL_RING_IO_URING */
    ering *e;             /* SL_RING_EPOLL */
};

sl_err ering_new(sl_ring *r, char *errstr, size_t errstr_size);
void ering_free(sl_ring *r);
struct io_uring_sqe *ering_sqe(sl_ring *r, sl_op *op);
void ering_submit(sl_ring *r);
int ering_run(sl_ring *r, int timeout_ms);

#endif
