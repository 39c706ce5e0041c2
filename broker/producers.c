/*
 * producers.c - idempotent producer ids and sequence state (producers.h).
 *
 * Rules (Kafka's ProducerAppendInfo.checkSequence / checkProducerEpoch):
 *  - epoch older than the producer's: INVALID_PRODUCER_EPOCH (47)
 *  - same epoch and the batch equals one of the last 5: a duplicate
 *  - newer epoch: the batch must start at sequence 0
 *  - same epoch: base sequence must follow the last one (INT32_MAX wraps
 *    to 0), else OUT_OF_ORDER_SEQUENCE_NUMBER (45)
 *  - a producer the partition has no state for: any sequence (KIP-360)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include <bsd/sys/tree.h>

#include "../base/log.h"
#include "producers.h"

#define BATCHES_KEPT 5
#define ID_BLOCK 1000
#define ID_FILE "producer_ids"

typedef struct kept_batch {
    int32_t first_seq, last_seq;
    int64_t base_offset, last_offset;
} kept_batch;

typedef struct pentry {
    RB_ENTRY(pentry) node;
    int64_t pid;
    int16_t epoch;
    kept_batch b[BATCHES_KEPT];
    int nb, head; /* ring of the last batches; head = newest */
} pentry;

static int pentry_cmp(pentry *a, pentry *b) { return a->pid < b->pid ? -1 : a->pid > b->pid; }
RB_HEAD(ptree, pentry);
RB_GENERATE_STATIC(ptree, pentry, node, pentry_cmp)

typedef struct pstate {
    RB_ENTRY(pstate) node;
    plog *log;
    struct ptree producers;
} pstate;

static int pstate_cmp(pstate *a, pstate *b)
{
    return (uintptr_t)a->log < (uintptr_t)b->log ? -1 : (uintptr_t)a->log > (uintptr_t)b->log;
}
RB_HEAD(stree, pstate);
RB_GENERATE_STATIC(stree, pstate, node, pstate_cmp)

struct producers {
    struct stree states;
    char path[4200], dir[4096];
    int64_t next_id, block_end;
};

static sl_err write_block_end(producers *p, int64_t end)
{
    char tmp[4300], text[64];
    int fd, n = snprintf(text, sizeof text, "%lld\n", (long long)end);
    int dfd;

    snprintf(tmp, sizeof tmp, "%s.tmp", p->path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_err_from_errno(-errno);
    if (write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
        close(fd);
        return SL_E_IO;
    }
    close(fd);
    if (rename(tmp, p->path) < 0)
        return sl_err_from_errno(-errno);
    dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return SL_OK;
}

sl_err producers_open(producers **out, const char *data_dir, char *errstr, size_t errstr_size)
{
    producers *p = calloc(1, sizeof *p);
    FILE *f;
    long long end = 0;

    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    RB_INIT(&p->states);
    snprintf(p->dir, sizeof p->dir, "%s", data_dir);
    snprintf(p->path, sizeof p->path, "%s/%s", data_dir, ID_FILE);
    f = fopen(p->path, "r");
    if (f) {
        if (fscanf(f, "%lld", &end) != 1 || end < 0) {
            fclose(f);
            snprintf(errstr, errstr_size, "%s: malformed", p->path);
            free(p);
            return SL_E_MALFORMED;
        }
        fclose(f);
    }
    /* Ids below the recorded end may have been handed out: start after. */
    p->next_id = end;
    p->block_end = end;
    *out = p;
    return SL_OK;
}

static void state_free(pstate *s)
{
    pentry *e, *next;

    for (e = RB_MIN(ptree, &s->producers); e; e = next) {
        next = RB_NEXT(ptree, &s->producers, e);
        RB_REMOVE(ptree, &s->producers, e);
        free(e);
    }
    free(s);
}

void producers_close(producers *p)
{
    pstate *s, *next;

    if (!p)
        return;
    for (s = RB_MIN(stree, &p->states); s; s = next) {
        next = RB_NEXT(stree, &p->states, s);
        RB_REMOVE(stree, &p->states, s);
        state_free(s);
    }
    free(p);
}

sl_err producers_new_id(producers *p, int64_t *id)
{
    if (p->next_id >= p->block_end) {
        sl_err err = write_block_end(p, p->block_end + ID_BLOCK);

        if (err)
            return err;
        p->block_end += ID_BLOCK;
    }
    *id = p->next_id++;
    return SL_OK;
}

static pentry *entry_get(pstate *s, int64_t pid, bool create)
{
    pentry key, *e;

    key.pid = pid;
    e = RB_FIND(ptree, &s->producers, &key);
    if (e || !create)
        return e;
    e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->pid = pid;
    e->head = -1;
    RB_INSERT(ptree, &s->producers, e);
    return e;
}

static void entry_note(pentry *e, const rec_batch *h, int64_t base_offset)
{
    if (h->producer_epoch != e->epoch) {
        /* A new epoch starts a new sequence: forget the old batches. */
        e->epoch = h->producer_epoch;
        e->nb = 0;
        e->head = -1;
    }
    e->head = (e->head + 1) % BATCHES_KEPT;
    e->b[e->head] = (kept_batch){
        .first_seq = h->base_sequence,
        .last_seq = (int32_t)(((int64_t)h->base_sequence + h->last_offset_delta) % ((int64_t)INT32_MAX + 1)),
        .base_offset = base_offset,
        .last_offset = base_offset + h->last_offset_delta,
    };
    if (e->nb < BATCHES_KEPT)
        e->nb++;
}

/* Read every batch header of the log (what is below the high watermark)
 * to learn its producers: the first touch after a start. */
static void rebuild(pstate *s)
{
    plog *log = s->log;
    int64_t off = plog_log_start(log), end = plog_high_watermark(log);
    size_t nbatches = 0;

    while (off < end) {
        plog_slice sl;
        uint8_t hdr[REC_HEADER_SIZE];
        rec_batch h;

        if (plog_read(log, off, 1, &sl) != SL_OK || sl.len == 0) {
            if (sl.fd >= 0)
                close(sl.fd);
            break;
        }
        if (pread(sl.fd, hdr, sizeof hdr, sl.pos) != (ssize_t)sizeof hdr ||
            rec_batch_peek(hdr, sizeof hdr, &h) == SL_E_MALFORMED) {
            close(sl.fd);
            break;
        }
        close(sl.fd);
        /* rec_batch_peek reports SL_E_SHORT for a header-only buffer; the
         * header fields are filled all the same. */
        if (h.producer_id >= 0) {
            pentry *e = entry_get(s, h.producer_id, true);

            if (e && h.producer_epoch >= e->epoch)
                entry_note(e, &h, h.base_offset);
        }
        nbatches++;
        off = h.base_offset + h.last_offset_delta + 1;
    }
    sl_debug("producers", "rebuilt producer state from %zu batches", nbatches);
}

static pstate *state_get(producers *p, plog *log)
{
    pstate key, *s;

    key.log = log;
    s = RB_FIND(stree, &p->states, &key);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->log = log;
    RB_INIT(&s->producers);
    rebuild(s);
    RB_INSERT(stree, &p->states, s);
    return s;
}

int producers_check(producers *p, plog *log, const rec_batch *h, int64_t *dup_base,
                    int64_t *dup_last)
{
    pstate *s = state_get(p, log);
    pentry *e = s ? entry_get(s, h->producer_id, false) : NULL;
    int32_t last_seq =
        (int32_t)(((int64_t)h->base_sequence + h->last_offset_delta) % ((int64_t)INT32_MAX + 1));
    const kept_batch *newest;
    int32_t expect;

    if (!s)
        return SL_KE_UNKNOWN_SERVER_ERROR;
    if (!e || e->nb == 0)
        return PRODUCERS_APPEND;
    if (h->producer_epoch < e->epoch)
        return SL_KE_INVALID_PRODUCER_EPOCH;
    if (h->producer_epoch > e->epoch)
        return h->base_sequence == 0 ? PRODUCERS_APPEND : SL_KE_OUT_OF_ORDER_SEQUENCE_NUMBER;
    for (int i = 0; i < e->nb; i++) {
        const kept_batch *k = &e->b[i];

        if (k->first_seq == h->base_sequence && k->last_seq == last_seq) {
            *dup_base = k->base_offset;
            *dup_last = k->last_offset;
            return PRODUCERS_DUPLICATE;
        }
    }
    newest = &e->b[e->head];
    expect = newest->last_seq == INT32_MAX ? 0 : newest->last_seq + 1;
    return h->base_sequence == expect ? PRODUCERS_APPEND : SL_KE_OUT_OF_ORDER_SEQUENCE_NUMBER;
}

void producers_appended(producers *p, plog *log, const rec_batch *h, int64_t base_offset)
{
    pstate *s = state_get(p, log);
    pentry *e = s ? entry_get(s, h->producer_id, true) : NULL;

    if (e)
        entry_note(e, h, base_offset);
    else
        sl_warn_rl("producers", "out of memory: producer %lld state not kept",
                   (long long)h->producer_id);
}

void producers_forget(producers *p, plog *log)
{
    pstate key, *s;

    key.log = log;
    s = RB_FIND(stree, &p->states, &key);
    if (s) {
        RB_REMOVE(stree, &p->states, s);
        state_free(s);
    }
}
