/*
 * dispatch.c - the one table behind dispatch and the ApiVersions answer.
 *
 * A range here promises every version inside it (PROTOCOL.md section 4):
 * add a version only once its codec and handler are done and tested.
 * docs/protocol.md is checked against this table by a unit test.
 */
#include "../base/log.h"
#include "../protocol/msg.h"
#include "broker.h"
#include "faults.h"

const api_entry api_table[] = {
    { API_PRODUCE, 0, 7, handle_produce },
    { API_FETCH, 4, 13, handle_fetch },
    { API_LIST_OFFSETS, 1, 5, handle_list_offsets },
    { API_METADATA, 0, 12, handle_metadata },
    { API_OFFSET_COMMIT, 0, 8, handle_offset_commit },
    { API_OFFSET_FETCH, 0, 8, handle_offset_fetch },
    { API_FIND_COORDINATOR, 0, 4, handle_find_coordinator },
    { API_JOIN_GROUP, 0, 6, handle_join_group },
    { API_HEARTBEAT, 0, 4, handle_heartbeat },
    { API_LEAVE_GROUP, 0, 4, handle_leave_group },
    { API_SYNC_GROUP, 0, 4, handle_sync_group },
    { API_DESCRIBE_GROUPS, 0, 5, handle_describe_groups },
    { API_LIST_GROUPS, 0, 4, handle_list_groups },
    { API_API_VERSIONS, 0, 3, handle_api_versions },
    { API_INIT_PRODUCER_ID, 0, 4, handle_init_producer_id },
    { API_DELETE_GROUPS, 0, 2, handle_delete_groups },
    { API_OFFSET_DELETE, 0, 0, handle_offset_delete },
    { API_CREATE_TOPICS, 0, 7, handle_create_topics },
    { API_DELETE_TOPICS, 0, 6, handle_delete_topics },
    { API_DELETE_RECORDS, 0, 2, handle_delete_records },
    { API_DESCRIBE_CONFIGS, 0, 4, handle_describe_configs },
    { API_ALTER_CONFIGS, 0, 2, handle_alter_configs },
    { API_CREATE_PARTITIONS, 0, 3, handle_create_partitions },
    { API_INCREMENTAL_ALTER_CONFIGS, 0, 1, handle_incremental_alter_configs },
    { API_DESCRIBE_CLUSTER, 0, 1, handle_describe_cluster },
    { API_DESCRIBE_LOG_DIRS, 0, 4, handle_describe_log_dirs },
};
const int api_table_len = sizeof api_table / sizeof api_table[0];

const api_entry *api_find(int16_t key)
{
    for (int i = 0; i < api_table_len; i++)
        if (api_table[i].key == key)
            return &api_table[i];
    return NULL;
}

/* Apache Kafka answers an ApiVersions request of a version it does not
 * know with UNSUPPORTED_VERSION in a v0 body listing its ApiVersions
 * range, so the client can retry lower (KIP-511). */
static void api_versions_unsupported(breq *r, const api_entry *e)
{
    msg_apiversions_resp_key key = { API_API_VERSIONS, e->min, e->max };
    msg_apiversions_resp resp = {
        .error_code = SL_KE_UNSUPPORTED_VERSION,
        .api_keys = &key,
        .api_keys_count = 1,
    };
    kbuf_wr w;

    kbuf_wr_init(&w, 64);
    kbuf_reserve(&w, 4);
    kbuf_put_i32(&w, r->hdr.correlation_id); /* response header v0 */
    msg_apiversions_resp_encode(&w, 0, &resp);
    resp_finish(r, &w);
}

void dispatch(breq *r)
{
    kbuf_rd rd;
    const api_entry *e;
    sl_err err;

    kbuf_rd_init(&rd, r->frame, r->frame_len);
    msg_req_header_peek(&rd, &r->hdr);
    r->body = rd;
    e = api_find(r->hdr.api_key);
    if (r->hdr.api_key == API_API_VERSIONS &&
        (r->hdr.api_version < e->min || r->hdr.api_version > e->max)) {
        api_versions_unsupported(r, e);
        return;
    }
    if (!e || r->hdr.api_version < e->min || r->hdr.api_version > e->max) {
        const char *name = api_name(r->hdr.api_key);

        /* As Apache Kafka does: clients only send what we advertised. */
        sl_warn_rl("proto", "unsupported request %s (key %d) v%d from %s: closing the connection",
                   name ? name : "unknown", r->hdr.api_key, r->hdr.api_version, r->c->peer);
        r->no_response = true;
        r->ready = true;
        conn_close(r->c, "unsupported request");
        return;
    }
    err = msg_req_header_finish(&rd, &r->hdr);
    r->body = rd;
    if (err) {
        req_malformed(r, err);
        return;
    }
    dispatch_resume(r);
}

void dispatch_resume(breq *r)
{
    if (!faults_intercept(r))
        api_find(r->hdr.api_key)->handler(r);
}
