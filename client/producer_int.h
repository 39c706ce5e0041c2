/*
 * producer_int.h - what producer.c (queueing, batching, polling) and
 * producer_send.c (requests out, responses in) share: the batch, partition
 * and request structs and the invariants producer.c's head comment states.
 */
#ifndef SLC_PRODUCER_INT_H
#define SLC_PRODUCER_INT_H

#include "client_int.h"


enum { B_OPEN, B_READY, B_INFLIGHT };

typedef struct ppart ppart;

typedef struct pbatch {
    struct pbatch *next;
    ppart *pp;
    rec_builder *b;          /* while open */
    uint8_t *wire;           /* from the first send on */
    size_t wire_len;
    int32_t count;
    size_t bytes;            /* accounted against buffer_bytes */
    void **opaques;
    int64_t *ts;
    int32_t cap;
    int64_t created;         /* monotonic ms of the first record */
    int32_t base_seq;
    int state;
    int attempts;
} pbatch;

struct ppart {
    const char *topic;
    int32_t partition;
    pbatch *head, *tail;
    int32_t next_seq;
    int ninflight;
    bool resend;
};

typedef struct ptopic {
    char *name;
    int32_t npart;
    ppart *parts;
    uint32_t rr;
} ptopic;

typedef struct preq {
    struct preq *next;
    slc_conn *conn;
    int32_t corr;
    int16_t ver;
    int64_t sent_at;
    pbatch **batches;
    int nb;
} preq;

struct slc_producer {
    slc_client *cl;
    slc_producer_conf conf;
    ptopic *topics;
    int ntopics;
    size_t buffered, pending;
    int64_t pid;
    int16_t epoch;
    bool have_pid;
    sl_err fatal;
    preq *reqs;              /* in flight, oldest first */
};

/* Report every record of b (offsets from base when err is 0), free it;
 * b must already be out of its partition's queue. */
void prod_deliver(slc_producer *p, pbatch *b, sl_err err, int64_t base, int64_t append_ts);
void prod_unlink(ppart *pp, pbatch *b);
/* Fail the producer for good: every queued record is reported failed. */
void prod_fatal(slc_producer *p, sl_err err);
/* Send what is ready on every connection with room (producer_send.c). */
void prod_send_round(slc_producer *p);
/* Wait up to timeout_ms for responses and handle them (producer_send.c). */
void prod_recv_round(slc_producer *p, int timeout_ms);

#endif
