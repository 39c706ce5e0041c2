/*
 * consumer.c - slc_consumer: assign, seek, Fetch with decompression and
 * CRC checks (sluice.h).
 *
 * One topic per consumer (what sluice-batch needs).  Fetching is
 * synchronous: one Fetch request to one leader at a time (leaders taken in
 * turn), for every assigned, unpaused partition it leads, then its records
 * are handed out one by one before the next request.  No fetch sessions
 * (session id 0, epoch -1: KIP-227's "full fetch, no session").
 *
 * Invariant: parts[i].pos is the next offset the caller gets for that
 * partition; records below it that a fetch returns again (batches start
 * before the fetch offset) are skipped.  A position of SLC_OFFSET_EARLIEST
 * or SLC_OFFSET_LATEST is resolved with ListOffsets before the next fetch.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "../protocol/msg.h"
#include "client_int.h"

typedef struct cpart {
    int32_t partition;
    int64_t pos;
    int64_t hw;
    bool paused;
} cpart;

struct slc_consumer {
    slc_client *cl;
    slc_consumer_conf conf;
    char *topic;
    cpart *parts;
    int32_t n;
    /* the response being handed out */
    uint8_t *frame;
    sl_arena arena;
    msg_fetch_resp resp;
    int32_t rt, rp;          /* next topic / partition of resp to open */
    cpart *cur;              /* partition whose records rd reads */
    recset_rd rd;
    slc_message msg;
    uint32_t rr;             /* leader rotation */
};

void slc_consumer_conf_init(slc_consumer_conf *cc)
{
    cc->fetch_max_wait_ms = 500;
    cc->fetch_min_bytes = 1;
    cc->fetch_max_bytes = 52428800;
    cc->partition_max_bytes = 1048576;
    cc->check_crcs = true;
    cc->offset_reset = SLC_OFFSET_EARLIEST;
}

slc_consumer *slc_consumer_new(slc_client *c, const slc_consumer_conf *cc)
{
    slc_consumer *k = calloc(1, sizeof(*k));

    if (!k)
        return NULL;
    k->cl = c;
    k->conf = *cc;
    sl_arena_init(&k->arena, 0);
    return k;
}

static void drop_response(slc_consumer *k)
{
    free(k->frame);
    k->frame = NULL;
    sl_arena_free(&k->arena);
    sl_arena_init(&k->arena, 0);
    memset(&k->resp, 0, sizeof(k->resp));
    k->rt = k->rp = 0;
    k->cur = NULL;
}

void slc_consumer_free(slc_consumer *k)
{
    if (!k)
        return;
    drop_response(k);
    sl_arena_free(&k->arena);
    recset_rd_free(&k->rd);
    free(k->topic);
    free(k->parts);
    free(k);
}

static cpart *part_find(const slc_consumer *k, int32_t partition)
{
    for (int32_t i = 0; i < k->n; i++)
        if (k->parts[i].partition == partition)
            return &k->parts[i];
    return NULL;
}

sl_err slc_consumer_assign(slc_consumer *k, const char *topic, int32_t n,
                           const int32_t *partitions, const int64_t *offsets)
{
    cpart *v = calloc((size_t)n + 1, sizeof(*v));
    char *t = strdup(topic);

    if (!v || !t) {
        free(v);
        free(t);
        return SL_E_NOMEM;
    }
    drop_response(k);
    free(k->parts);
    free(k->topic);
    k->parts = v;
    k->topic = t;
    k->n = n;
    for (int32_t i = 0; i < n; i++) {
        v[i].partition = partitions[i];
        v[i].pos = offsets ? offsets[i] : SLC_OFFSET_EARLIEST;
        v[i].hw = -1;
    }
    k->msg.topic = k->topic;
    return SL_OK;
}

sl_err slc_consumer_seek(slc_consumer *k, int32_t partition, int64_t offset)
{
    cpart *p = part_find(k, partition);

    if (!p)
        return SL_E_NOTFOUND;
    p->pos = offset;
    if (k->cur == p)
        k->cur = NULL; /* the rest of its fetched records are stale */
    return SL_OK;
}

int64_t slc_consumer_position(const slc_consumer *k, int32_t partition)
{
    const cpart *p = part_find(k, partition);

    return p ? p->pos : -1;
}

int64_t slc_consumer_high_watermark(const slc_consumer *k, int32_t partition)
{
    const cpart *p = part_find(k, partition);

    return p ? p->hw : -1;
}

void slc_consumer_pause(slc_consumer *k, int32_t partition, bool paused)
{
    cpart *p = part_find(k, partition);

    if (p) {
        p->paused = paused;
        if (paused && k->cur == p)
            k->cur = NULL;
    }
}

/* ListOffsets for partitions whose position is EARLIEST/LATEST. */
static sl_err resolve_positions(slc_consumer *k)
{
    for (int32_t i = 0; i < k->n; i++) {
        cpart *p = &k->parts[i];
        int64_t off;
        sl_err e;

        if (p->pos >= 0 || p->paused)
            continue;
        e = slc_list_offsets(k->cl, k->topic, 1, &p->partition, &p->pos, &off, NULL);
        if (e)
            return e;
        p->pos = off;
    }
    return SL_OK;
}

/* One Fetch to the next leader in turn; fills k->resp. */
static sl_err fetch(slc_consumer *k, int max_wait_ms)
{
    msg_fetch_req_partition *rp;
    msg_fetch_req_topic rt;
    msg_fetch_req req;
    int32_t *leaders, nl = 0, leader;
    slc_conn *c;
    kbuf_wr w;
    kbuf_rd body;
    int16_t ver;
    sl_err e;

    e = resolve_positions(k);
    if (e)
        return e;
    leaders = calloc((size_t)k->n + 1, sizeof(*leaders));
    rp = calloc((size_t)k->n + 1, sizeof(*rp));
    if (!leaders || !rp) {
        free(leaders);
        free(rp);
        return SL_E_NOMEM;
    }
    for (int32_t i = 0; i < k->n; i++) {
        int32_t l;
        bool seen = false;

        if (k->parts[i].paused || k->parts[i].pos < 0)
            continue;
        l = client_leader(k->cl, k->topic, k->parts[i].partition);
        for (int32_t j = 0; j < nl; j++)
            seen = seen || leaders[j] == l;
        if (!seen)
            leaders[nl++] = l;
    }
    if (nl == 0) {
        free(leaders);
        free(rp);
        return SL_E_NOTFOUND; /* nothing to fetch */
    }
    leader = leaders[k->rr++ % (uint32_t)nl];
    free(leaders);
    c = leader >= 0 ? client_broker(k->cl, leader) : NULL;
    if (!c) {
        free(rp);
        client_seterr(k->cl, "no leader for a partition of %s", k->topic);
        client_metadata_stale(k->cl, k->topic);
        return SL_KE_LEADER_NOT_AVAILABLE;
    }
    memset(&rt, 0, sizeof(rt));
    rt.topic = sl_bytes_str(k->topic);
    rt.partitions = rp;
    for (int32_t i = 0; i < k->n; i++) {
        cpart *p = &k->parts[i];

        if (p->paused || p->pos < 0 || client_leader(k->cl, k->topic, p->partition) != leader)
            continue;
        rp[rt.partitions_count].partition = p->partition;
        rp[rt.partitions_count].current_leader_epoch = -1;
        rp[rt.partitions_count].fetch_offset = p->pos;
        rp[rt.partitions_count].last_fetched_epoch = -1;
        rp[rt.partitions_count].log_start_offset = -1;
        rp[rt.partitions_count].partition_max_bytes = k->conf.partition_max_bytes;
        rt.partitions_count++;
    }
    memset(&req, 0, sizeof(req));
    req.replica_id = -1;
    req.max_wait_ms = max_wait_ms;
    req.min_bytes = k->conf.fetch_min_bytes;
    req.max_bytes = k->conf.fetch_max_bytes;
    req.isolation_level = 0;
    req.session_id = 0;
    req.session_epoch = -1;
    req.topics = &rt;
    req.topics_count = 1;
    req.rack_id = sl_bytes_str("");
    e = conn_ready(c);
    if (e) {
        free(rp);
        client_metadata_stale(k->cl, k->topic);
        return e;
    }
    ver = conn_version(c, API_FETCH, MSG_FETCH_VMIN, 12);
    if (ver < 0) {
        free(rp);
        return conn_unserved(c, API_FETCH, MSG_FETCH_VMIN, 12);
    }
    conn_req_begin(c, &w, API_FETCH, ver);
    msg_fetch_req_encode(&w, ver, &req);
    free(rp);
    e = conn_call(c, &w, &k->frame, &body);
    if (e) {
        client_metadata_stale(k->cl, k->topic);
        return e;
    }
    e = msg_fetch_resp_decode(&body, ver, &k->arena, &k->resp);
    if (!e && k->resp.error_code)
        e = (sl_err)k->resp.error_code;
    if (e) {
        conn_fail(c, API_FETCH, ver, k->topic, e);
        drop_response(k);
    }
    return e;
}

static void fill_message(slc_consumer *k, const rec_record *r)
{
    slc_message *m = &k->msg;

    m->err = SL_OK;
    m->topic = k->topic;
    m->partition = k->cur->partition;
    m->offset = r->offset;
    m->timestamp = r->timestamp;
    m->log_append_time = (k->rd.batch.attributes & REC_ATTR_LOG_APPEND_TIME) != 0;
    m->key = r->key;
    m->value = r->value;
    m->headers = k->rd.hdrs;
    m->header_count = r->header_count;
    m->producer_id = k->rd.batch.producer_id;
}

/* Open the next partition of the response that has records; errors that
 * the caller must see come back as a message. */
static bool open_next(slc_consumer *k, const slc_message **out)
{
    while (k->rt < k->resp.responses_count) {
        msg_fetch_resp_topic *t = &k->resp.responses[k->rt];

        if (k->rp >= t->partitions_count) {
            k->rt++;
            k->rp = 0;
            continue;
        }
        msg_fetch_resp_partition *fp = &t->partitions[k->rp++];
        cpart *p = part_find(k, fp->partition_index);

        if (!p || p->paused || !sl_bytes_eq_str(t->topic, k->topic))
            continue;
        if (fp->error_code == SL_KE_OFFSET_OUT_OF_RANGE && k->conf.offset_reset) {
            p->pos = k->conf.offset_reset;
            continue;
        }
        if (fp->error_code) {
            if (fp->error_code != SL_KE_OFFSET_OUT_OF_RANGE)
                client_metadata_stale(k->cl, k->topic);
            if (fp->error_code == SL_KE_OFFSET_OUT_OF_RANGE ||
                fp->error_code == SL_KE_CORRUPT_MESSAGE) {
                memset(&k->msg, 0, sizeof(k->msg));
                k->msg.err = (sl_err)fp->error_code;
                k->msg.topic = k->topic;
                k->msg.partition = p->partition;
                k->msg.offset = p->pos;
                *out = &k->msg;
                return true;
            }
            continue;
        }
        p->hw = fp->high_watermark;
        if (fp->records.n == 0)
            continue;
        recset_rd_init(&k->rd, fp->records.p, fp->records.n, k->conf.check_crcs);
        k->cur = p;
        return false;
    }
    return false;
}

sl_err slc_consumer_poll(slc_consumer *k, int timeout_ms, const slc_message **m)
{
    int64_t deadline = slc_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);

    *m = NULL;
    for (;;) {
        if (k->cur) {
            rec_record r;
            sl_err e = recset_next(&k->rd, k->cur->pos, &r);

            if (e == SL_OK) {
                fill_message(k, &r);
                k->cur->pos = r.offset + 1;
                *m = &k->msg;
                return SL_OK;
            }
            if (e == SL_E_NOTFOUND) {
                /* Past control batches and records below pos too. */
                if (k->rd.next_offset > k->cur->pos)
                    k->cur->pos = k->rd.next_offset;
            } else {
                memset(&k->msg, 0, sizeof(k->msg));
                k->msg.err = e;
                k->msg.topic = k->topic;
                k->msg.partition = k->cur->partition;
                k->msg.offset = k->cur->pos;
                k->cur = NULL;
                *m = &k->msg;
                return SL_OK;
            }
            k->cur = NULL;
        }
        if (k->frame) {
            if (open_next(k, m))
                return SL_OK;
            if (k->cur)
                continue;
            drop_response(k);
        }
        {
            int left = (int)(deadline - slc_mono_ms());
            int wait = left < k->conf.fetch_max_wait_ms ? left : k->conf.fetch_max_wait_ms;
            sl_err e;

            if (left <= 0)
                return SL_KE_REQUEST_TIMED_OUT;
            e = fetch(k, wait < 0 ? 0 : wait);
            if (e == SL_E_NOTFOUND) {
                /* Everything paused: nothing can come. */
                poll(NULL, 0, left > 100 ? 100 : left);
                continue;
            }
            if (e == SL_E_IO || e == SL_KE_LEADER_NOT_AVAILABLE ||
                e == SL_KE_NOT_LEADER_OR_FOLLOWER || e == SL_KE_REQUEST_TIMED_OUT) {
                /* Transient: back off a little, retry until the deadline. */
                poll(NULL, 0, left > 100 ? 100 : left);
                continue;
            }
            if (e)
                return e;
        }
    }
}
