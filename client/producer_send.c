/*
 * producer_send.c - the producer's wire half: InitProducerId, Produce
 * requests built from each partition's next ready batch, responses matched
 * back to their batches, retries and failures (producer.c's head comment
 * states the queue and retry rules).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "../protocol/msg.h"
#include "../protocol/msg_admin.h"
#include "producer_int.h"

#define MAX_REQUEST_BYTES (16u << 20)
#define ERR_DUPLICATE_SEQUENCE 46
#define ERR_NOT_ENOUGH_REPLICAS 19
#define ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND 20
#define ERR_NETWORK_EXCEPTION 13

static void conn_lost(slc_producer *p, slc_conn *k);

/* --- sending ------------------------------------------------------------ */
static sl_err ensure_pid(slc_producer *p)
{
    msg_initproducerid_req req = { SL_BYTES_NULL, 60000, -1, -1 };
    msg_initproducerid_resp resp;
    slc_conn *k;
    kbuf_wr w;
    kbuf_rd body;
    uint8_t *frame;
    sl_arena a;
    int16_t ver;
    sl_err e;

    if (!p->conf.idempotent || p->have_pid)
        return SL_OK;
    e = client_any(p->cl, &k);
    if (e)
        return e;
    ver = conn_version(k, API_INIT_PRODUCER_ID, 0, MSG_INITPRODUCERID_VMAX);
    if (ver < 0) {
        conn_unserved(k, API_INIT_PRODUCER_ID, 0, MSG_INITPRODUCERID_VMAX);
        prod_fatal(p, SL_KE_UNSUPPORTED_VERSION);
        return p->fatal;
    }
    conn_req_begin(k, &w, API_INIT_PRODUCER_ID, ver);
    msg_initproducerid_req_encode(&w, ver, &req);
    e = conn_call(k, &w, &frame, &body);
    if (e)
        return e;
    sl_arena_init(&a, 1 << 16);
    e = msg_initproducerid_resp_decode(&body, ver, &a, &resp);
    if (!e)
        e = (sl_err)resp.error_code;
    sl_arena_free(&a);
    free(frame);
    if (e) {
        conn_fail(k, API_INIT_PRODUCER_ID, ver, NULL, e);
        if (e != SL_KE_COORDINATOR_NOT_AVAILABLE && e != SL_KE_NOT_COORDINATOR)
            prod_fatal(p, e);
        return e;
    }
    if (p->conf.on_pid && p->conf.on_pid(p->conf.ctx, resp.producer_id, resp.producer_epoch)) {
        client_seterr(p->cl, "producer id %lld refused by the caller",
                      (long long)resp.producer_id);
        prod_fatal(p, SL_E_FATAL);
        return p->fatal;
    }
    p->pid = resp.producer_id;
    p->epoch = resp.producer_epoch;
    p->have_pid = true;
    return SL_OK;
}

/* The batch of pp to send next, or NULL. */
static pbatch *next_to_send(slc_producer *p, ppart *pp)
{
    pbatch *b;

    if (pp->ninflight >= 5 || (pp->resend && pp->ninflight > 0))
        return NULL;
    for (b = pp->head; b && b->state == B_INFLIGHT; b = b->next)
        ;
    if (!b || b->state != B_READY)
        return NULL;
    if (!b->wire) {
        sl_err e = recset_finish(b->b, p->conf.compression, p->conf.compression_level,
                                 p->conf.idempotent ? p->pid : -1,
                                 p->conf.idempotent ? p->epoch : -1, b->base_seq, &b->wire,
                                 &b->wire_len);

        if (e) {
            client_seterr(p->cl, "building a batch for %s/%d: %s", pp->topic, pp->partition,
                          sl_err_name(e));
            prod_fatal(p, e);
            return NULL;
        }
        rec_builder_free(b->b);
        b->b = NULL;
    }
    return b;
}

static bool conn_has_room(slc_producer *p, slc_conn *k)
{
    return k->fd >= 0 && k->nin < p->conf.max_in_flight;
}

/* Build and send one request to k from the partitions it leads. */
static bool send_one(slc_producer *p, slc_conn *k)
{
    msg_produce_req req = { SL_BYTES_NULL, (int16_t)p->conf.acks,
                            client_conf(p->cl)->request_timeout_ms, NULL, 0 };
    pbatch **batches = NULL;
    int nb = 0, cap = 0;
    size_t total = 0;
    sl_arena a;
    kbuf_wr w;
    int16_t ver;
    sl_err e;
    preq *r;

    ver = conn_version(k, API_PRODUCE, 3, MSG_PRODUCE_VMAX);
    if (ver < 0) {
        conn_unserved(k, API_PRODUCE, 3, MSG_PRODUCE_VMAX);
        prod_fatal(p, SL_KE_UNSUPPORTED_VERSION);
        return false;
    }
    sl_arena_init(&a, 0);
    req.topic_data = sl_arena_calloc(&a, (size_t)p->ntopics + 1, sizeof(*req.topic_data));
    for (int t = 0; t < p->ntopics && req.topic_data && !p->fatal; t++) {
        ptopic *pt = &p->topics[t];
        msg_produce_req_topic *rt = &req.topic_data[req.topic_data_count];

        rt->partition_data = sl_arena_calloc(&a, (size_t)pt->npart, sizeof(*rt->partition_data));
        if (!rt->partition_data)
            break;
        for (int32_t i = 0; i < pt->npart && total < MAX_REQUEST_BYTES; i++) {
            ppart *pp = &pt->parts[i];
            pbatch *b;

            if (!pp->head || client_leader(p->cl, pt->name, i) != k->node_id)
                continue;
            b = next_to_send(p, pp);
            if (!b)
                continue;
            if (nb == cap) {
                pbatch **v = realloc(batches, sizeof(*v) * (size_t)(cap = cap ? cap * 2 : 16));

                if (!v)
                    break;
                batches = v;
            }
            batches[nb++] = b;
            total += b->wire_len;
            rt->partition_data[rt->partition_data_count].index = i;
            rt->partition_data[rt->partition_data_count].records =
                sl_bytes_make(b->wire, b->wire_len);
            rt->partition_data_count++;
        }
        if (rt->partition_data_count) {
            rt->name = sl_bytes_str(pt->name);
            req.topic_data_count++;
        }
    }
    if (nb == 0 || p->fatal) {
        sl_arena_free(&a);
        free(batches);
        return false;
    }
    conn_req_begin(k, &w, API_PRODUCE, ver);
    msg_produce_req_encode(&w, ver, &req);
    sl_arena_free(&a);
    r = calloc(1, sizeof(*r));
    e = r ? conn_req_send(k, &w, p->conf.acks != 0, &r->corr) : SL_E_NOMEM;
    if (!r)
        kbuf_wr_free(&w);
    if (e) {
        free(r);
        free(batches);
        conn_lost(p, k); /* the batches of this request go again later */
        return false;
    }
    if (p->conf.acks == 0) {
        for (int i = 0; i < nb; i++) {
            prod_unlink(batches[i]->pp, batches[i]);
            prod_deliver(p, batches[i], SL_OK, -1, -1);
        }
        free(batches);
        free(r);
        return true;
    }
    for (int i = 0; i < nb; i++) {
        batches[i]->state = B_INFLIGHT;
        batches[i]->attempts++;
        batches[i]->pp->ninflight++;
    }
    r->conn = k;
    r->ver = ver;
    r->sent_at = slc_mono_ms();
    r->batches = batches;
    r->nb = nb;
    /* Append: responses come back in send order per connection. */
    preq **pr = &p->reqs;
    while (*pr)
        pr = &(*pr)->next;
    *pr = r;
    return true;
}

void prod_send_round(slc_producer *p)
{
    int n;
    slc_conn **conns;

    if (p->fatal || ensure_pid(p))
        return;
    /* Make sure every partition with something ready has a connected
     * leader: connecting may add connections, so index, not pointer. */
    for (int t = 0; t < p->ntopics; t++) {
        for (int32_t i = 0; i < p->topics[t].npart; i++) {
            ppart *pp = &p->topics[t].parts[i];
            int32_t leader;
            slc_conn *k;

            if (!pp->head || pp->head->state == B_OPEN)
                continue;
            leader = client_leader(p->cl, pp->topic, i);
            k = leader >= 0 ? client_broker(p->cl, leader) : NULL;
            if (k && k->fd < 0)
                conn_ready(k);
        }
    }
    conns = client_conns(p->cl, &n);
    for (int i = 0; i < n && !p->fatal; i++) {
        conns = client_conns(p->cl, &n);
        while (conn_has_room(p, conns[i]) && send_one(p, conns[i]))
            conns = client_conns(p->cl, &n);
    }
}

/* --- receiving ---------------------------------------------------------- */
static bool retriable(sl_err e)
{
    switch ((int)e) {
    case SL_KE_NOT_LEADER_OR_FOLLOWER:
    case SL_KE_LEADER_NOT_AVAILABLE:
    case SL_KE_REQUEST_TIMED_OUT:
    case SL_KE_UNKNOWN_TOPIC_OR_PARTITION:
    case SL_KE_KAFKA_STORAGE_ERROR:
    case ERR_NOT_ENOUGH_REPLICAS:
    case ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ERR_NETWORK_EXCEPTION:
    case SL_E_IO:
    case SL_E_MALFORMED:
        return true;
    default:
        return false;
    }
}

/* b failed with e: back to ready for a resend, or fail the producer. */
static void batch_failed(slc_producer *p, pbatch *b, sl_err e)
{
    ppart *pp = b->pp;
    bool ooo = e == SL_KE_OUT_OF_ORDER_SEQUENCE_NUMBER && pp->resend;

    pp->ninflight--;
    if (retriable(e) || ooo) {
        b->state = B_READY;
        pp->resend = true;
        if (e != SL_E_IO)
            client_metadata_stale(p->cl, pp->topic);
        return;
    }
    client_seterr(p->cl, "%s/%d: produce failed: %s", pp->topic, pp->partition,
                  sl_err_str(e));
    prod_fatal(p, e);
}

static void remove_req(slc_producer *p, preq *r)
{
    preq **pr = &p->reqs;

    while (*pr && *pr != r)
        pr = &(*pr)->next;
    if (*pr)
        *pr = r->next;
    free(r->batches);
    free(r);
}

/* Every request in flight on k is lost (k broke). */
static void conn_lost(slc_producer *p, slc_conn *k)
{
    preq *r = p->reqs, *next;

    for (; r; r = next) {
        next = r->next;
        if (r->conn != k)
            continue;
        for (int i = 0; !p->fatal && i < r->nb; i++)
            batch_failed(p, r->batches[i], SL_E_IO);
        if (p->fatal)
            return; /* fail_all freed the requests */
        remove_req(p, r);
    }
}

static void handle_response(slc_producer *p, preq *r, kbuf_rd *body)
{
    msg_produce_resp resp;
    sl_arena a;
    sl_err e;

    sl_arena_init(&a, 0);
    e = msg_produce_resp_decode(body, r->ver, &a, &resp);
    for (int i = 0; !p->fatal && i < r->nb; i++) {
        pbatch *b = r->batches[i];
        const msg_produce_resp_partition *pr = NULL;

        for (int32_t t = 0; !e && !pr && t < resp.responses_count; t++) {
            if (!sl_bytes_eq_str(resp.responses[t].name, b->pp->topic))
                continue;
            for (int32_t j = 0; j < resp.responses[t].partition_responses_count; j++)
                if (resp.responses[t].partition_responses[j].index == b->pp->partition)
                    pr = &resp.responses[t].partition_responses[j];
        }
        if (!pr) {
            batch_failed(p, b, SL_E_MALFORMED);
            continue;
        }
        if (pr->error_code == 0 || pr->error_code == ERR_DUPLICATE_SEQUENCE) {
            ppart *pp = b->pp;

            pp->ninflight--;
            prod_unlink(pp, b);
            if (pp->ninflight == 0)
                pp->resend = false;
            prod_deliver(p, b, SL_OK, pr->error_code ? -1 : pr->base_offset, pr->log_append_time_ms);
            continue;
        }
        batch_failed(p, b, (sl_err)pr->error_code);
    }
    sl_arena_free(&a);
    if (!p->fatal)
        remove_req(p, r);
}

/* Wait up to timeout_ms for responses and handle what arrives. */
void prod_recv_round(slc_producer *p, int timeout_ms)
{
    struct pollfd pfd[64];
    slc_conn *ks[64];
    int n = 0, rc;
    int64_t now = slc_mono_ms();
    int rto = client_conf(p->cl)->request_timeout_ms;

    for (preq *r = p->reqs; r && n < 64; r = r->next) {
        bool seen = false;

        if (now - r->sent_at > rto) {
            client_seterr(p->cl, "%s:%d: produce response timed out", r->conn->host,
                          r->conn->port);
            slc_conn *k = r->conn;
            slc_conn_close(k, true);
            conn_lost(p, k);
            return;
        }
        for (int i = 0; i < n; i++)
            seen = seen || ks[i] == r->conn;
        if (!seen) {
            ks[n] = r->conn;
            pfd[n].fd = r->conn->fd;
            pfd[n].events = POLLIN;
            pfd[n].revents = conn_frame_buffered(r->conn) ? POLLIN : 0;
            n++;
        }
    }
    if (n == 0)
        return;
    rc = 0;
    for (int i = 0; i < n; i++)
        rc += pfd[i].revents != 0;
    if (rc == 0)
        rc = poll(pfd, (nfds_t)n, timeout_ms);
    if (rc <= 0)
        return;
    for (int i = 0; i < n && !p->fatal; i++) {
        slc_conn *k = ks[i];

        if (!pfd[i].revents)
            continue;
        /* Take every whole response that is there. */
        while (k->nin > 0 && !p->fatal) {
            uint8_t *frame;
            kbuf_rd body;
            int32_t corr;
            preq *r;
            sl_err e = conn_resp_recv(k, 0, &frame, &body, &corr);

            if (e == SL_KE_REQUEST_TIMED_OUT)
                break; /* no whole frame yet */
            if (e) {
                conn_lost(p, k);
                break;
            }
            for (r = p->reqs; r && !(r->conn == k && r->corr == corr); r = r->next)
                ;
            if (r)
                handle_response(p, r, &body);
            free(frame);
        }
    }
}
