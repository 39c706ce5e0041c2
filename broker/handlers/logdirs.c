/*
 * logdirs.c - DescribeLogDirs (key 35) v0-4: the one log dir (log.dirs)
 * and, per partition asked (topics null: every partition of every topic),
 * the bytes of its segments.
 *
 * As Kafka does: the topics asked are a set (a topic or partition named
 * twice is reported once, topics in name order, partitions in index
 * order); a topic or partition this broker does not host is left out
 * rather than answered with an error; offset_lag is 0 (no replica is
 * behind: there is one broker) and is_future_key false (no moves between
 * dirs).  A partition failed by its disk is still reported, with the
 * bytes it acknowledged (plog_size_bytes).  total_bytes and usable_bytes (v4) come from statvfs, -1 if
 * that fails.
 */
#include <stdlib.h>
#include <string.h>
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

/* Every partition of t that `want` marks (NULL: all), in index order. */
static sl_err fill_topic(breq *r, cat_topic *t, const uint8_t *want,
                         msg_describelogdirs_resp_topic *out)
{
    int32_t n = cat_topic_partitions(t);

    out->name = sl_bytes_str(cat_topic_name(t));
    out->partitions = sl_arena_calloc(&r->arena, (size_t)n + 1, sizeof *out->partitions);
    if (!out->partitions)
        return SL_E_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        plog *log = cat_topic_log(t, i);

        if (log && (!want || want[i]))
            fill_partition(&out->partitions[out->partitions_count++], i, log);
    }
    return SL_OK;
}

static int cmp_topic(const void *a, const void *b)
{
    sl_bytes x = (*(const msg_describelogdirs_req_topic *const *)a)->topic;
    sl_bytes y = (*(const msg_describelogdirs_req_topic *const *)b)->topic;
    size_t m = x.n < y.n ? x.n : y.n;
    int c = m ? memcmp(x.p, y.p, m) : 0;

    return c ? c : (x.n > y.n) - (x.n < y.n);
}

/* The partitions asked of one topic, over every entry naming it (Kafka
 * takes the request as a set: a partition asked twice is reported once). */
static uint8_t *mark_wanted(breq *r, cat_topic *t, msg_describelogdirs_req_topic *const *group,
                            size_t ngroup)
{
    int32_t n = cat_topic_partitions(t);
    uint8_t *want = sl_arena_calloc(&r->arena, (size_t)n + 1, 1);

    for (size_t g = 0; want && g < ngroup; g++)
        for (int32_t j = 0; j < group[g]->partitions_count; j++) {
            int32_t p = group[g]->partitions[j];

            if (p >= 0 && p < n)
                want[p] = 1;
        }
    return want;
}

static sl_err fill_asked(breq *r, const msg_describelogdirs_req *req,
                         msg_describelogdirs_resp_result *res)
{
    size_t n = (size_t)req->topics_count;
    msg_describelogdirs_req_topic **by_name =
        sl_arena_calloc(&r->arena, n + 1, sizeof *by_name);
    sl_err err = SL_OK;

    res->topics = sl_arena_calloc(&r->arena, n + 1, sizeof *res->topics);
    if (!by_name || !res->topics)
        return SL_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        by_name[i] = &req->topics[i];
    qsort(by_name, n, sizeof *by_name, cmp_topic);
    for (size_t i = 0, k; i < n && !err; i = k) {
        cat_topic *t = catalog_find(r->c->b->cat, by_name[i]->topic);
        msg_describelogdirs_resp_topic *out = &res->topics[res->topics_count];
        uint8_t *want;

        for (k = i + 1; k < n && cmp_topic(&by_name[i], &by_name[k]) == 0; k++)
            ;
        if (!t)
            continue; /* unknown: left out, as Kafka does */
        want = mark_wanted(r, t, by_name + i, k - i);
        err = want ? fill_topic(r, t, want, out) : SL_E_NOMEM;
        /* As Kafka: a topic with none of the partitions asked is left out. */
        if (out->partitions_count > 0)
            res->topics_count++;
    }
    return err;
}

static sl_err fill_topics(breq *r, const msg_describelogdirs_req *req,
                          msg_describelogdirs_resp_result *res)
{
    catalog *cat = r->c->b->cat;
    size_t n = catalog_count(cat);
    sl_err err = SL_OK;

    if (req->topics_count >= 0)
        return fill_asked(r, req, res);
    res->topics = sl_arena_calloc(&r->arena, n + 1, sizeof *res->topics);
    if (!res->topics)
        return SL_E_NOMEM;
    for (size_t i = 0; i < n && !err; i++)
        err = fill_topic(r, catalog_at(cat, i), NULL, &res->topics[res->topics_count++]);
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
