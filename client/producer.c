/*
 * producer.c - slc_producer: batching per partition, compression, acks,
 * idempotence, retries, delivery reports, bounded memory (sluice.h).
 *
 * A partition keeps a queue of batches in sequence order:
 *     [in flight ...] [ready ...] [open]
 * Records go into the open batch at the tail; it closes (becomes ready)
 * when it reaches batch_bytes or linger_ms after its first record, and
 * takes its base sequence then (idempotent mode).  Its wire bytes are made
 * at the first send and kept for retries, so a retry is byte-identical.
 *
 * Sending: per broker connection, one Produce request carries at most one
 * batch per partition (the first ready one), and at most max_in_flight
 * requests are outstanding per connection (<= 5 for idempotence, Kafka's
 * limit).  When a batch fails retriably (or its connection breaks), it goes
 * back to ready in place and the partition is marked "resend": nothing more
 * of it is sent until its in-flight batches have all come back, then the
 * queue is sent again from its first ready batch, in order.  Later batches
 * the broker refused with OUT_OF_ORDER_SEQUENCE_NUMBER because an earlier
 * one was missing take the same way.  A non-retriable error, or a batch
 * past delivery_timeout_ms, fails the producer for good (SL_E_FATAL to
 * every later call): in idempotent mode a lost batch breaks the sequence.
 *
 * Memory: each record counts its key, value and headers plus a fixed
 * overhead against buffer_bytes from slc_produce until its delivery report;
 * a record that does not fit gets SL_E_AGAIN (unless nothing is buffered).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "producer_int.h"

#define REC_OVERHEAD 64

void slc_producer_conf_init(slc_producer_conf *pc)
{
    memset(pc, 0, sizeof(*pc));
    pc->acks = -1;
    pc->idempotent = true;
    pc->compression = SLC_CODEC_NONE;
    pc->batch_bytes = 512 * 1024;
    pc->linger_ms = 5;
    pc->buffer_bytes = 64u << 20;
    pc->max_in_flight = 5;
    pc->delivery_timeout_ms = 120000;
}

slc_producer *slc_producer_new(slc_client *c, const slc_producer_conf *pc)
{
    slc_producer *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->cl = c;
    p->conf = *pc;
    if (p->conf.idempotent)
        p->conf.acks = -1;
    if (p->conf.max_in_flight < 1)
        p->conf.max_in_flight = 1;
    if (p->conf.max_in_flight > (p->conf.idempotent ? 5 : SLC_MAX_INFLIGHT))
        p->conf.max_in_flight = p->conf.idempotent ? 5 : SLC_MAX_INFLIGHT;
    if (p->conf.batch_bytes < 1024)
        p->conf.batch_bytes = 1024;
    p->pid = -1;
    p->epoch = -1;
    return p;
}

static void batch_free(pbatch *b)
{
    rec_builder_free(b->b);
    free(b->wire);
    free(b->opaques);
    free(b->ts);
    free(b);
}

/* Report every record of b with err (offsets from base when err is 0),
 * then free it.  b must already be out of its partition's queue. */
void prod_deliver(slc_producer *p, pbatch *b, sl_err err, int64_t base, int64_t append_ts)
{
    for (int32_t i = 0; i < b->count; i++) {
        slc_delivery d = { err, b->pp->topic, b->pp->partition,
                           err || base < 0 ? -1 : base + i,
                           append_ts >= 0 ? append_ts : b->ts[i], b->opaques[i] };

        if (p->conf.on_delivery)
            p->conf.on_delivery(p->conf.ctx, &d);
    }
    p->buffered -= b->bytes;
    p->pending -= (size_t)b->count;
    batch_free(b);
}

void prod_unlink(ppart *pp, pbatch *b)
{
    pbatch **pb = &pp->head, *prev = NULL;

    while (*pb && *pb != b) {
        prev = *pb;
        pb = &(*pb)->next;
    }
    if (!*pb)
        return;
    *pb = b->next;
    if (pp->tail == b)
        pp->tail = prev;
}

/* Fail everything queued (the producer is failed). */
static void fail_all(slc_producer *p, sl_err err)
{
    while (p->reqs) {
        preq *r = p->reqs;

        p->reqs = r->next;
        free(r->batches);
        free(r);
    }
    for (int t = 0; t < p->ntopics; t++) {
        for (int32_t i = 0; i < p->topics[t].npart; i++) {
            ppart *pp = &p->topics[t].parts[i];

            while (pp->head) {
                pbatch *b = pp->head;

                pp->head = b->next;
                prod_deliver(p, b, err, -1, -1);
            }
            pp->tail = NULL;
            pp->ninflight = 0;
        }
    }
}

void prod_fatal(slc_producer *p, sl_err err)
{
    if (!p->fatal)
        p->fatal = err ? err : SL_E_FATAL;
    fail_all(p, p->fatal);
}

void slc_producer_free(slc_producer *p)
{
    if (!p)
        return;
    fail_all(p, SL_E_IO);
    for (int t = 0; t < p->ntopics; t++) {
        free(p->topics[t].name);
        free(p->topics[t].parts);
    }
    free(p->topics);
    free(p);
}

size_t slc_producer_pending(const slc_producer *p) { return p->pending; }

sl_err slc_producer_error(const slc_producer *p) { return p->fatal; }

static ptopic *topic_find(slc_producer *p, const char *name, sl_err *err)
{
    ptopic *v, *t;
    int32_t n;

    for (int i = 0; i < p->ntopics; i++)
        if (!strcmp(p->topics[i].name, name))
            return &p->topics[i];
    *err = slc_topic_partitions(p->cl, name, &n);
    if (*err)
        return NULL;
    v = realloc(p->topics, sizeof(*v) * (size_t)(p->ntopics + 1));
    if (!v) {
        *err = SL_E_NOMEM;
        return NULL;
    }
    p->topics = v;
    t = &v[p->ntopics];
    t->name = strdup(name);
    t->parts = calloc((size_t)n, sizeof(ppart));
    if (!t->name || !t->parts) {
        free(t->name);
        free(t->parts);
        *err = SL_E_NOMEM;
        return NULL;
    }
    t->npart = n;
    t->rr = 0;
    for (int32_t i = 0; i < n; i++) {
        t->parts[i].topic = t->name;
        t->parts[i].partition = i;
    }
    p->ntopics++;
    /* realloc moved the topics: re-point the partitions' names. */
    for (int i = 0; i < p->ntopics; i++)
        for (int32_t j = 0; j < p->topics[i].npart; j++)
            p->topics[i].parts[j].topic = p->topics[i].name;
    return t;
}

static void close_batch(slc_producer *p, pbatch *b)
{
    ppart *pp = b->pp;

    b->state = B_READY;
    if (p->conf.idempotent) {
        b->base_seq = pp->next_seq;
        pp->next_seq = (int32_t)(((int64_t)pp->next_seq + b->count) & 0x7fffffff);
    } else {
        b->base_seq = -1;
    }
}

static size_t record_bytes(sl_bytes key, sl_bytes value, const rec_header *h, int32_t nh)
{
    size_t n = key.n + value.n + REC_OVERHEAD;

    for (int32_t i = 0; i < nh; i++)
        n += h[i].key.n + h[i].value.n + 8;
    return n;
}

sl_err slc_produce(slc_producer *p, const char *topic, int32_t partition, sl_bytes key,
                   sl_bytes value, const rec_header *headers, int32_t nheaders,
                   int64_t timestamp, void *opaque)
{
    size_t need = record_bytes(key, value, headers, nheaders);
    ptopic *t;
    ppart *pp;
    pbatch *b;
    sl_err e = SL_OK;

    if (p->fatal)
        return SL_E_FATAL;
    if (p->buffered && p->buffered + need > p->conf.buffer_bytes)
        return SL_E_AGAIN;
    t = topic_find(p, topic, &e);
    if (!t)
        return e;
    if (partition == SLC_PARTITION_ANY)
        partition = key.null ? (int32_t)(t->rr++ % (uint32_t)t->npart)
                             : slc_partition_for_key(key, t->npart);
    if (partition < 0 || partition >= t->npart) {
        client_seterr(p->cl, "%s has no partition %d", topic, partition);
        return SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (timestamp < 0)
        timestamp = slc_wall_ms();
    pp = &t->parts[partition];
    b = pp->tail;
    if (!b || b->state != B_OPEN) {
        b = calloc(1, sizeof(*b));
        if (!b)
            return SL_E_NOMEM;
        b->b = rec_builder_new(timestamp);
        if (!b->b) {
            free(b);
            return SL_E_NOMEM;
        }
        b->pp = pp;
        b->state = B_OPEN;
        b->created = slc_mono_ms();
        if (pp->tail)
            pp->tail->next = b;
        else
            pp->head = b;
        pp->tail = b;
    }
    if (b->count == b->cap) {
        int32_t cap = b->cap ? b->cap * 2 : 64;
        void **o = realloc(b->opaques, sizeof(*o) * (size_t)cap);
        int64_t *ts;

        if (!o)
            return SL_E_NOMEM;
        b->opaques = o;
        ts = realloc(b->ts, sizeof(*ts) * (size_t)cap);
        if (!ts)
            return SL_E_NOMEM;
        b->ts = ts;
        b->cap = cap;
    }
    e = rec_builder_add(b->b, timestamp, key, value, headers, nheaders);
    if (e)
        return e;
    b->opaques[b->count] = opaque;
    b->ts[b->count] = timestamp;
    b->count++;
    b->bytes += need;
    p->buffered += need;
    p->pending++;
    if (b->bytes >= p->conf.batch_bytes) {
        close_batch(p, b);
        prod_send_round(p);
        prod_recv_round(p, 0);
    }
    return SL_OK;
}

/* Close batches past linger, fail ones past the delivery timeout. */
static void expire(slc_producer *p)
{
    int64_t now = slc_mono_ms();

    for (int t = 0; t < p->ntopics; t++) {
        for (int32_t i = 0; i < p->topics[t].npart; i++) {
            ppart *pp = &p->topics[t].parts[i];

            for (pbatch *b = pp->head; b; b = b->next) {
                if (b->state == B_OPEN && now - b->created >= p->conf.linger_ms)
                    close_batch(p, b);
                if (b->state != B_INFLIGHT && now - b->created > p->conf.delivery_timeout_ms) {
                    client_seterr(p->cl, "%s/%d: not delivered within %d ms", pp->topic,
                                  pp->partition, p->conf.delivery_timeout_ms);
                    prod_fatal(p, SL_KE_REQUEST_TIMED_OUT);
                    return;
                }
            }
        }
    }
}

static int next_wakeup(slc_producer *p, int timeout_ms)
{
    int64_t now = slc_mono_ms(), wake = now + timeout_ms;

    for (int t = 0; t < p->ntopics; t++)
        for (int32_t i = 0; i < p->topics[t].npart; i++) {
            pbatch *b = p->topics[t].parts[i].tail;

            if (b && b->state == B_OPEN && b->created + p->conf.linger_ms < wake)
                wake = b->created + p->conf.linger_ms;
        }
    return wake <= now ? 0 : (int)(wake - now);
}

sl_err slc_producer_poll(slc_producer *p, int timeout_ms)
{
    int64_t deadline = slc_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    size_t before = p->pending;

    do {
        int wait;

        expire(p);
        prod_send_round(p);
        if (p->fatal)
            break;
        wait = next_wakeup(p, (int)(deadline - slc_mono_ms()));
        if (!p->reqs && p->pending) {
            /* Nothing in flight but work queued: a leader is down or
             * backing off; sleep a little rather than spin. */
            wait = wait > 50 ? 50 : wait;
            poll(NULL, 0, wait);
        } else {
            prod_recv_round(p, wait);
        }
    } while (p->pending == before && p->pending > 0 && slc_mono_ms() < deadline);
    return p->fatal;
}

sl_err slc_producer_flush(slc_producer *p, int timeout_ms)
{
    int64_t deadline = slc_mono_ms() + timeout_ms;

    for (int t = 0; t < p->ntopics; t++)
        for (int32_t i = 0; i < p->topics[t].npart; i++) {
            pbatch *b = p->topics[t].parts[i].tail;

            if (b && b->state == B_OPEN)
                close_batch(p, b);
        }
    while (p->pending > 0 && !p->fatal) {
        int left = timeout_ms < 0 ? 1000 : (int)(deadline - slc_mono_ms());

        if (left <= 0) {
            client_seterr(p->cl, "flush: %zu records not delivered in time", p->pending);
            return SL_KE_REQUEST_TIMED_OUT;
        }
        slc_producer_poll(p, left > 1000 ? 1000 : left);
    }
    return p->fatal;
}
