/*
 * logdirs.c - DescribeLogDirs (key 35) v0-4: the one log dir (log.dirs)
 * and, per partition asked (topics null: every partition of every topic),
 * the bytes of its segments.
 *
 * As Kafka does: a topic or partition this broker does not host is left
 * out rather than answered with an error; offset_lag is 0 (no replica is
 * behind: there is one broker) and is_future_key false (no moves between
 * dirs).  A partition failed by its disk is still reported: its files are
 * still there.  total_bytes and usable_bytes (v4) come from statvfs, -1 if
 * that fails.
 */
#include <sys/statvfs.h>

#include "../../protocol/msg_logdirs.h"
#include "../broker.h"

static void fill_partition(msg_describelogdirs_resp_partition *out, int32_t index, plog *log)
{
    out->partition_index = index;
    out->partition_size = plog_size_bytes(log);
    out->offset_lag = 0;
    out->is_future_key = false;
}

/* The partitions of `in` that t has, or every partition of t (in NULL). */
static sl_err fill_topic(breq *r, cat_topic *t, const msg_describelogdirs_req_topic *in,
                         msg_describelogdirs_resp_topic *out)
{
    int32_t n = in ? in->partitions_count : cat_topic_partitions(t);

    out->name = sl_bytes_str(cat_topic_name(t));
    out->partitions = sl_arena_calloc(&r->arena, (size_t)n + 1, sizeof *out->partitions);
    if (!out->partitions)
        return SL_E_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        int32_t index = in ? in->partitions[i] : i;
        plog *log = cat_topic_log(t, index);

        if (log)
            fill_partition(&out->partitions[out->partitions_count++], index, log);
    }
    return SL_OK;
}

static sl_err fill_topics(breq *r, const msg_describelogdirs_req *req,
                          msg_describelogdirs_resp_result *res)
{
    catalog *cat = r->c->b->cat;
    bool all = req->topics_count < 0;
    size_t n = all ? catalog_count(cat) : (size_t)req->topics_count;
    sl_err err = SL_OK;

    res->topics = sl_arena_calloc(&r->arena, n + 1, sizeof *res->topics);
    if (!res->topics)
        return SL_E_NOMEM;
    for (size_t i = 0; i < n && !err; i++) {
        const msg_describelogdirs_req_topic *in = all ? NULL : &req->topics[i];
        cat_topic *t = all ? catalog_at(cat, i) : catalog_find(cat, in->topic);

        msg_describelogdirs_resp_topic *out = &res->topics[res->topics_count];

        if (!t)
            continue; /* unknown: left out, as Kafka does */
        err = fill_topic(r, t, in, out);
        /* As Kafka: a topic with none of the partitions asked is left out. */
        if (out->partitions_count > 0)
            res->topics_count++;
    }
    return err;
}

static void fill_space(const char *dir, msg_describelogdirs_resp_result *res)
{
    struct statvfs st;

    res->total_bytes = -1;
    res->usable_bytes = -1;
    if (statvfs(dir, &st) < 0)
        return;
    res->total_bytes = (int64_t)st.f_blocks * (int64_t)st.f_frsize;
    res->usable_bytes = (int64_t)st.f_bavail * (int64_t)st.f_frsize;
}

void handle_describe_log_dirs(breq *r)
{
    broker *b = r->c->b;
    msg_describelogdirs_req req;
    msg_describelogdirs_resp resp = { 0 };
    msg_describelogdirs_resp_result res = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_describelogdirs_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (!err)
        err = fill_topics(r, &req, &res);
    if (err) {
        req_malformed(r, err);
        return;
    }
    res.log_dir = sl_bytes_str(b->cfg.log_dirs);
    fill_space(b->cfg.log_dirs, &res);
    resp.results = &res;
    resp.results_count = 1;
    resp_begin(r, &w);
    msg_describelogdirs_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}
