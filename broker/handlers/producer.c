/*
 * producer.c - InitProducerId (22) v0-4, for idempotent producers.
 *
 * A new producer id with epoch 0 every time, as Apache Kafka answers a
 * request without a transactional id.  Transactions are not served: a
 * transactional id gets COORDINATOR_NOT_AVAILABLE, as FindCoordinator
 * for a transaction coordinator does.
 */
#include "../../base/log.h"
#include "../../protocol/msg_admin.h"
#include "../broker.h"
#include "../producers.h"

void handle_init_producer_id(breq *r)
{
    msg_initproducerid_req req;
    msg_initproducerid_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_initproducerid_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp.producer_id = -1;
    resp.producer_epoch = -1;
    if (!req.transactional_id.null && req.transactional_id.n > 0) {
        resp.error_code = SL_KE_COORDINATOR_NOT_AVAILABLE;
    } else if ((err = producers_new_id(r->c->b->prods, &resp.producer_id)) != SL_OK) {
        sl_warn_rl("producers", "cannot reserve producer ids: %s", sl_err_str(err));
        resp.producer_id = -1;
        resp.error_code = SL_KE_COORDINATOR_NOT_AVAILABLE;
    } else {
        resp.producer_epoch = 0;
    }
    resp_begin(r, &w);
    msg_initproducerid_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}
