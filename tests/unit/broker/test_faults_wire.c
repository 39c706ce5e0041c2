/*
 * test_faults_wire.c - injected errors on the wire: for every version of
 * each API that supports them, a request after slb_fault_push_errors gets
 * a response that decodes with protocol/'s codec and carries the code in
 * each of its error fields, for every topic and partition asked about;
 * the next request of that API is served normally again.
 */
#include <criterion/criterion.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../../broker/sluice_broker.h"
#include "../../../protocol/api.h"
#include "../../../protocol/header.h"
#include "../../../protocol/msg.h"
#include "../../../protocol/msg_group.h"

#define CODE 6 /* NOT_LEADER_OR_FOLLOWER */

static slb_broker *B;
static int FD = -1;
static sl_arena A;

static void setup(void)
{
    char err[512], host[256];
    const char *colon;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;

    cr_assert_eq(slb_start(NULL, &B, err, sizeof err), 0, "%s", err);
    colon = strrchr(slb_bootstrap(B), ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - slb_bootstrap(B)), slb_bootstrap(B));
    cr_assert_eq(getaddrinfo(host, colon + 1, &hints, &ai), 0);
    FD = socket(ai->ai_family, ai->ai_socktype, 0);
    cr_assert_eq(connect(FD, ai->ai_addr, ai->ai_addrlen), 0);
    freeaddrinfo(ai);
    sl_arena_init(&A, 1 << 20);
}

static void teardown(void)
{
    sl_arena_free(&A);
    close(FD);
    cr_assert_eq(slb_stop(B), 0);
}

TestSuite(faults_wire, .init = setup, .fini = teardown, .timeout = 120);

static void read_full(void *p, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t k = read(FD, (char *)p + got, n - got);

        cr_assert(k > 0, "the broker closed the connection");
        got += (size_t)k;
    }
}

/* Send the request body in w (after a header written by begin) and
 * return the response body, positioned after its header. */
static kbuf_wr begin(int16_t key, int16_t v)
{
    static int32_t corr;
    msg_req_header h = { key, v, ++corr, sl_bytes_str("faults-wire") };
    kbuf_wr w;

    kbuf_wr_init(&w, 256);
    kbuf_reserve(&w, 4);
    msg_req_header_encode(&w, &h);
    return w;
}

static kbuf_rd roundtrip(kbuf_wr *w, int16_t key, int16_t v)
{
    uint8_t sz[4];
    uint32_t n;
    uint8_t *body;
    int32_t corr;
    kbuf_rd rd;

    cr_assert_eq(w->err, SL_OK);
    kbuf_patch_i32(w, 0, (int32_t)(w->len - 4));
    cr_assert_eq(write(FD, w->p, w->len), (ssize_t)w->len);
    kbuf_wr_free(w);
    read_full(sz, 4);
    n = (uint32_t)sz[0] << 24 | (uint32_t)sz[1] << 16 | (uint32_t)sz[2] << 8 | sz[3];
    body = sl_arena_alloc(&A, n);
    cr_assert_not_null(body);
    read_full(body, n);
    kbuf_rd_init(&rd, body, n);
    cr_assert_eq(msg_resp_header_decode(&rd, key, v, &corr), SL_OK);
    return rd;
}

static void push(int16_t key)
{
    cr_assert_eq(slb_fault_push_errors(B, key, 1, CODE), 0);
}

static sl_bytes S(const char *s) { return sl_bytes_str(s); }

/* Queue one injected error for key, send req at version v and decode the
 * answer into resp. */
#define EXCHANGE(kind, key, v, req, resp)                                                  \
    do {                                                                                   \
        kbuf_wr w_ = begin(key, v);                                                        \
        kbuf_rd rd_;                                                                       \
                                                                                           \
        push(key);                                                                         \
        msg_##kind##_req_encode(&w_, v, &(req));                                           \
        rd_ = roundtrip(&w_, key, v);                                                      \
        cr_assert_eq(msg_##kind##_resp_decode(&rd_, v, &A, &(resp)), SL_OK, "v%d", v);    \
    } while (0)

Test(faults_wire, produce)
{
    for (int16_t v = MSG_PRODUCE_VMIN; v <= MSG_PRODUCE_VMAX; v++) {
        msg_produce_req_partition parts[2] = { { 0, SL_BYTES_NULL }, { 1, SL_BYTES_NULL } };
        msg_produce_req_topic t = { S("w"), parts, 2 };
        msg_produce_req req = { SL_BYTES_NULL, 1, 5000, &t, 1 };
        msg_produce_resp resp;

        EXCHANGE(produce, API_PRODUCE, v, req, resp);
        cr_assert_eq(resp.responses_count, 1);
        cr_assert(sl_bytes_eq_str(resp.responses[0].name, "w"));
        cr_assert_eq(resp.responses[0].partition_responses_count, 2);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(resp.responses[0].partition_responses[i].index, i);
            cr_assert_eq(resp.responses[0].partition_responses[i].error_code, CODE, "v%d", v);
        }
    }
}

Test(faults_wire, fetch)
{
    for (int16_t v = MSG_FETCH_VMIN; v <= MSG_FETCH_VMAX; v++) {
        msg_fetch_req_partition p = { .partition = 0, .current_leader_epoch = -1,
                                      .last_fetched_epoch = -1, .log_start_offset = -1,
                                      .partition_max_bytes = 1 << 20 };
        msg_fetch_req_topic t = { .topic = S("w"), .partitions = &p, .partitions_count = 1 };
        msg_fetch_req req = { .replica_id = -1, .max_wait_ms = 0, .max_bytes = 1 << 20,
                              .session_epoch = -1, .topics = &t, .topics_count = 1,
                              .rack_id = S("") };
        msg_fetch_resp resp;

        t.topic_id[0] = 7;
        EXCHANGE(fetch, API_FETCH, v, req, resp);
        cr_assert_eq(resp.responses_count, 1);
        if (v >= 13)
            cr_assert_eq(resp.responses[0].topic_id[0], 7);
        else
            cr_assert(sl_bytes_eq_str(resp.responses[0].topic, "w"));
        cr_assert_eq(resp.responses[0].partitions_count, 1);
        cr_assert_eq(resp.responses[0].partitions[0].error_code, CODE, "v%d", v);
        cr_assert_eq(resp.responses[0].partitions[0].records.n, 0);
    }
}

Test(faults_wire, list_offsets)
{
    for (int16_t v = MSG_LISTOFFSETS_VMIN; v <= MSG_LISTOFFSETS_VMAX; v++) {
        msg_listoffsets_req_partition p = { 3, -1, -1 };
        msg_listoffsets_req_topic t = { S("w"), &p, 1 };
        msg_listoffsets_req req = { -1, 0, &t, 1 };
        msg_listoffsets_resp resp;

        EXCHANGE(listoffsets, API_LIST_OFFSETS, v, req, resp);
        cr_assert_eq(resp.topics_count, 1);
        cr_assert_eq(resp.topics[0].partitions[0].partition_index, 3);
        cr_assert_eq(resp.topics[0].partitions[0].error_code, CODE, "v%d", v);
    }
}

Test(faults_wire, metadata)
{
    for (int16_t v = MSG_METADATA_VMIN; v <= MSG_METADATA_VMAX; v++) {
        msg_metadata_req_topic t = { .name = S("w") };
        msg_metadata_req req = { .topics = &t, .topics_count = 1,
                                 .allow_auto_topic_creation = true };
        msg_metadata_resp resp;

        EXCHANGE(metadata, API_METADATA, v, req, resp);
        cr_assert_eq(resp.brokers_count, 1, "the broker stays listed");
        cr_assert_eq(resp.topics_count, 1);
        cr_assert(sl_bytes_eq_str(resp.topics[0].name, "w"));
        cr_assert_eq(resp.topics[0].error_code, CODE, "v%d", v);
        cr_assert_eq(resp.topics[0].partitions_count, 0);
    }
}

Test(faults_wire, offset_commit_and_fetch)
{
    for (int16_t v = MSG_OFFSETCOMMIT_VMIN; v <= MSG_OFFSETCOMMIT_VMAX; v++) {
        msg_offsetcommit_req_partition p = { 1, 42, -1, S(""), -1 };
        msg_offsetcommit_req_topic t = { S("w"), &p, 1 };
        msg_offsetcommit_req req = { S("g"), -1, S(""), SL_BYTES_NULL, -1, &t, 1 };
        msg_offsetcommit_resp resp;

        EXCHANGE(offsetcommit, API_OFFSET_COMMIT, v, req, resp);
        cr_assert_eq(resp.topics_count, 1);
        cr_assert_eq(resp.topics[0].partitions[0].partition_index, 1);
        cr_assert_eq(resp.topics[0].partitions[0].error_code, CODE, "v%d", v);
    }
    for (int16_t v = MSG_OFFSETFETCH_VMIN; v <= MSG_OFFSETFETCH_VMAX; v++) {
        int32_t part = 1;
        msg_offsetfetch_req_topic t = { S("w"), &part, 1 };
        msg_offsetfetch_req_group g = { S("g"), &t, 1 };
        msg_offsetfetch_req req = { .group_id = S("g"), .topics = &t, .topics_count = 1,
                                    .groups = &g, .groups_count = 1 };
        msg_offsetfetch_resp resp;
        msg_offsetfetch_resp_topic *rt;

        EXCHANGE(offsetfetch, API_OFFSET_FETCH, v, req, resp);
        if (v >= 8) {
            cr_assert_eq(resp.groups_count, 1);
            cr_assert_eq(resp.groups[0].error_code, CODE);
            rt = resp.groups[0].topics;
        } else {
            if (v >= 2)
                cr_assert_eq(resp.error_code, CODE);
            rt = resp.topics;
        }
        cr_assert_eq(rt[0].partitions[0].partition_index, 1);
        cr_assert_eq(rt[0].partitions[0].error_code, CODE, "v%d", v);
        cr_assert_eq(rt[0].partitions[0].committed_offset, -1);
    }
}

Test(faults_wire, group_apis)
{
    for (int16_t v = MSG_FINDCOORDINATOR_VMIN; v <= MSG_FINDCOORDINATOR_VMAX; v++) {
        sl_bytes key = S("g");
        msg_findcoordinator_req req = { key, 0, &key, 1 };
        msg_findcoordinator_resp resp;

        EXCHANGE(findcoordinator, API_FIND_COORDINATOR, v, req, resp);
        if (v >= 4) {
            cr_assert_eq(resp.coordinators_count, 1);
            cr_assert_eq(resp.coordinators[0].error_code, CODE);
            cr_assert(sl_bytes_eq_str(resp.coordinators[0].key, "g"));
        } else {
            cr_assert_eq(resp.error_code, CODE, "v%d", v);
        }
    }
    for (int16_t v = MSG_JOINGROUP_VMIN; v <= MSG_JOINGROUP_VMAX; v++) {
        msg_joingroup_req_protocol p = { S("range"), S("") };
        msg_joingroup_req req = { S("g"), 10000, 30000, S(""), SL_BYTES_NULL, S("consumer"), &p,
                                  1 };
        msg_joingroup_resp resp;

        EXCHANGE(joingroup, API_JOIN_GROUP, v, req, resp);
        cr_assert_eq(resp.error_code, CODE, "v%d", v);
    }
    for (int16_t v = MSG_SYNCGROUP_VMIN; v <= MSG_SYNCGROUP_VMAX; v++) {
        msg_syncgroup_req req = { S("g"), 1, S("m"), SL_BYTES_NULL, NULL, 0 };
        msg_syncgroup_resp resp;

        EXCHANGE(syncgroup, API_SYNC_GROUP, v, req, resp);
        cr_assert_eq(resp.error_code, CODE, "v%d", v);
    }
    for (int16_t v = MSG_HEARTBEAT_VMIN; v <= MSG_HEARTBEAT_VMAX; v++) {
        msg_heartbeat_req req = { S("g"), 1, S("m"), SL_BYTES_NULL };
        msg_heartbeat_resp resp;

        EXCHANGE(heartbeat, API_HEARTBEAT, v, req, resp);
        cr_assert_eq(resp.error_code, CODE, "v%d", v);
    }
}

/* Once the queue is used up, requests are handled as usual. */
Test(faults_wire, then_served_normally)
{
    msg_metadata_req_topic t = { .name = S("w2") };
    msg_metadata_req req = { .topics = &t, .topics_count = 1, .allow_auto_topic_creation = true };
    msg_metadata_resp resp;
    kbuf_wr w;
    kbuf_rd rd;

    push(API_METADATA);
    for (int i = 0; i < 2; i++) {
        w = begin(API_METADATA, 9);
        msg_metadata_req_encode(&w, 9, &req);
        rd = roundtrip(&w, API_METADATA, 9);
        cr_assert_eq(msg_metadata_resp_decode(&rd, 9, &A, &resp), SL_OK);
        cr_assert_eq(resp.topics[0].error_code, i == 0 ? CODE : 0);
        cr_assert_eq(resp.topics[0].partitions_count, i == 0 ? 0 : 1);
    }
    cr_assert_eq(slb_fault_pending(B, API_METADATA), 0);
}

/* A request held by a delay does not hold up a stop: it is dropped
 * unanswered and the broker stops cleanly at once, not after the delay. */
Test(faults_wire, stop_while_a_request_is_held)
{
    msg_metadata_req req = { .topics_count = -1 };
    struct timespec t0, t1;
    kbuf_wr w = begin(API_METADATA, 9);

    cr_assert_eq(slb_fault_delay(B, API_METADATA, 60000), 0);
    msg_metadata_req_encode(&w, 9, &req);
    kbuf_patch_i32(&w, 0, (int32_t)(w.len - 4));
    cr_assert_eq(write(FD, w.p, w.len), (ssize_t)w.len);
    kbuf_wr_free(&w);
    usleep(100 * 1000); /* let it arrive and be held */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(slb_stop(B), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    B = NULL;
    cr_assert_lt(t1.tv_sec - t0.tv_sec, 5, "the stop waited for the held request");
}
