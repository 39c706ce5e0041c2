/* apiversions.c - ApiVersions (key 18): the dispatch table, as it is. */
#include "../../protocol/msg.h"
#include "../broker.h"

void handle_api_versions(breq *r)
{
    msg_apiversions_req req;
    msg_apiversions_resp resp = { 0 };
    kbuf_wr w;

    /* A v3 request whose body does not parse gets INVALID_REQUEST, on
     * which librdkafka retries with v0 (KIP-511). */
    if (msg_apiversions_req_decode(&r->body, r->hdr.api_version, &r->arena, &req) != SL_OK)
        resp.error_code = SL_KE_INVALID_REQUEST;
    resp.api_keys = sl_arena_calloc(&r->arena, (size_t)api_table_len, sizeof *resp.api_keys);
    if (!resp.api_keys) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    resp.api_keys_count = api_table_len;
    for (int i = 0; i < api_table_len; i++) {
        resp.api_keys[i].api_key = api_table[i].key;
        resp.api_keys[i].min_version = api_table[i].min;
        resp.api_keys[i].max_version = api_table[i].max;
    }
    resp_begin(r, &w);
    msg_apiversions_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}
