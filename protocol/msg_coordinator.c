/*
 * msg_coordinator.c - FindCoordinator (key 10) bodies, v0-4; flexible
 * from v3.
 *
 * Version steps (Kafka FindCoordinatorRequest.json / ...Response.json):
 * key_type v1 (0 group, 1 transaction); v2 changes only throttling
 * semantics; v3 is the first flexible version; v4 batches (KIP-699): the
 * request's key becomes coordinator_keys[] and the response's single
 * error/node/host/port becomes coordinators[], each with its own key and
 * error.  The response gains throttle_time_ms and error_message (nullable)
 * in v1; error_message stays top-level only in v1-3.
 */
#include "msg_group_int.h"

sl_err msg_findcoordinator_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                      msg_findcoordinator_req *out)
{
    bool flex = v >= 3;

    *out = (msg_findcoordinator_req){ .key = msg_empty() };
    if (!msg_version_ok(v, MSG_FINDCOORDINATOR_VMIN, MSG_FINDCOORDINATOR_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v <= 3) {
        r->field = "key";
        out->key = msg_get_str_nn(r, flex);
    }
    if (v >= 1) {
        r->field = "key_type";
        out->key_type = kbuf_get_i8(r);
    }
    if (v >= 4) {
        r->field = "coordinator_keys";
        out->coordinator_keys =
            msg_get_str_array(r, flex, a, &out->coordinator_keys_count);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_findcoordinator_req_encode(kbuf_wr *w, int16_t v, const msg_findcoordinator_req *in)
{
    bool flex = v >= 3;

    if (!msg_enc_version_ok(w, v, MSG_FINDCOORDINATOR_VMIN, MSG_FINDCOORDINATOR_VMAX))
        return;
    if (v <= 3)
        msg_put_str_nn(w, flex, in->key);
    if (v >= 1)
        kbuf_put_i8(w, in->key_type);
    if (v >= 4)
        msg_put_str_array(w, flex, in->coordinator_keys, in->coordinator_keys_count);
    kbuf_put_tags(w, flex);
}

sl_err msg_findcoordinator_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                       msg_findcoordinator_resp *out)
{
    bool flex = v >= 3;
    size_t cmin = msg_str_min(flex) + 4 + msg_str_min(flex) + 4 + 2 + msg_str_min(flex) +
                  msg_tags_min(flex);
    int32_t n;

    *out = (msg_findcoordinator_resp){ .error_message = SL_BYTES_NULL, .host = msg_empty() };
    if (!msg_version_ok(v, MSG_FINDCOORDINATOR_VMIN, MSG_FINDCOORDINATOR_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    if (v <= 3) {
        r->field = "error_code";
        out->error_code = kbuf_get_i16(r);
        if (v >= 1) {
            r->field = "error_message";
            out->error_message = kbuf_get_str(r, flex);
        }
        r->field = "node_id";
        out->node_id = kbuf_get_i32(r);
        r->field = "host";
        out->host = msg_get_str_nn(r, flex);
        r->field = "port";
        out->port = kbuf_get_i32(r);
    }
    if (v >= 4) {
        r->field = "coordinators";
        n = msg_get_count(r, flex, cmin);
        out->coordinators = msg_alloc(r, a, n, sizeof *out->coordinators);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            msg_findcoordinator_resp_coordinator *c = &out->coordinators[i];

            c->key = msg_get_str_nn(r, flex);
            c->node_id = kbuf_get_i32(r);
            c->host = msg_get_str_nn(r, flex);
            c->port = kbuf_get_i32(r);
            c->error_code = kbuf_get_i16(r);
            c->error_message = kbuf_get_str(r, flex);
            msg_skip_tags(r, flex);
        }
        out->coordinators_count = kbuf_ok(r) ? n : 0;
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_findcoordinator_resp_encode(kbuf_wr *w, int16_t v, const msg_findcoordinator_resp *in)
{
    bool flex = v >= 3;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_FINDCOORDINATOR_VMIN, MSG_FINDCOORDINATOR_VMAX))
        return;
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    if (v <= 3) {
        kbuf_put_i16(w, in->error_code);
        if (v >= 1)
            kbuf_put_str(w, flex, in->error_message);
        kbuf_put_i32(w, in->node_id);
        msg_put_str_nn(w, flex, in->host);
        kbuf_put_i32(w, in->port);
    }
    if (v >= 4) {
        n = msg_put_count(w, flex, in->coordinators_count, false);
        for (int32_t i = 0; i < n; i++) {
            const msg_findcoordinator_resp_coordinator *c = &in->coordinators[i];

            msg_put_str_nn(w, flex, c->key);
            kbuf_put_i32(w, c->node_id);
            msg_put_str_nn(w, flex, c->host);
            kbuf_put_i32(w, c->port);
            kbuf_put_i16(w, c->error_code);
            kbuf_put_str(w, flex, c->error_message);
            kbuf_put_tags(w, flex);
        }
    }
    kbuf_put_tags(w, flex);
}
