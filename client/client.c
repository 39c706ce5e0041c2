/*
 * client.c - slc_client: configuration, bootstrap, the broker table, the
 * topic metadata cache, ListOffsets, topic creation, the partitioner.
 *
 * Connections: one per broker endpoint.  Bootstrap addresses start as
 * connections with node id -1; when Metadata names a broker at the same
 * host:port, that connection takes the broker's node id, so a one-broker
 * cluster is served over the one connection the bootstrap opened.
 *
 * Metadata cache: per topic, the partition count and each partition's
 * leader, refreshed when older than metadata_max_age_ms or marked stale
 * (a NOT_LEADER answer, a broken connection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../protocol/msg.h"
#include "../protocol/msg_admin.h"
#include "client_int.h"

/* The newest ListOffsets the client asks for (see list_offsets_leader). */
#define SLC_LISTOFFSETS_VMAX 3

typedef struct ctopic {
    char *name;
    int32_t count;      /* partitions; 0 while unknown */
    int32_t *leader;    /* count entries */
    int64_t fetched_at; /* monotonic ms; 0: stale */
} ctopic;

struct slc_client {
    slc_conf conf;
    char *bootstrap;
    char *client_id;
    slc_conn **conns;
    int nconns;
    ctopic *topics;
    int ntopics;
    char errstr[512];
};

void slc_conf_init(slc_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->client_id = "sluice-client";
    c->connect_timeout_ms = 10000;
    c->request_timeout_ms = 30000;
    c->reconnect_backoff_ms = 100;
    c->reconnect_backoff_max_ms = 5000;
    c->metadata_max_age_ms = 60000;
    c->allow_auto_create = true;
}

void client_seterr(slc_client *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->errstr, sizeof(c->errstr), fmt, ap);
    va_end(ap);
}

const char *slc_client_errstr(const slc_client *c) { return c->errstr; }
const slc_conf *client_conf(const slc_client *c) { return &c->conf; }
const char *client_id(const slc_client *c) { return c->client_id; }

slc_conn **client_conns(slc_client *c, int *n)
{
    *n = c->nconns;
    return c->conns;
}

static slc_conn *add_conn(slc_client *c, const char *host, int port, int32_t node_id)
{
    slc_conn **v = realloc(c->conns, sizeof(*v) * (size_t)(c->nconns + 1));
    slc_conn *k;

    if (!v)
        return NULL;
    c->conns = v;
    k = conn_new(c, host, port, node_id);
    if (!k)
        return NULL;
    c->conns[c->nconns++] = k;
    return k;
}

/* "host:port" or "[v6]:port"; port 9092 if absent. */
static bool parse_hostport(const char *s, size_t n, char *host, size_t hostsz, int *port)
{
    const char *colon = NULL, *h = s;
    size_t hl;

    for (size_t i = 0; i < n; i++)
        if (s[i] == ':')
            colon = s + i;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);

        if (!rb)
            return false;
        h = s + 1;
        hl = (size_t)(rb - h);
        colon = (rb + 1 < s + n && rb[1] == ':') ? rb + 1 : NULL;
    } else {
        hl = colon ? (size_t)(colon - s) : n;
    }
    if (hl == 0 || hl >= hostsz)
        return false;
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = 9092;
    if (colon) {
        char buf[16];
        size_t pl = (size_t)(s + n - colon - 1);
        char *end;
        long v;

        if (pl == 0 || pl >= sizeof(buf))
            return false;
        memcpy(buf, colon + 1, pl);
        buf[pl] = 0;
        v = strtol(buf, &end, 10);
        if (*end || v <= 0 || v > 65535)
            return false;
        *port = (int)v;
    }
    return true;
}

slc_client *slc_client_new(const slc_conf *conf, char *errstr, size_t errstr_size)
{
    slc_client *c;
    const char *s;

    if (!conf->bootstrap || !*conf->bootstrap) {
        snprintf(errstr, errstr_size, "no bootstrap servers given");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        goto nomem;
    c->conf = *conf;
    c->bootstrap = strdup(conf->bootstrap);
    c->client_id = strdup(conf->client_id ? conf->client_id : "sluice-client");
    if (!c->bootstrap || !c->client_id)
        goto nomem;
    c->conf.bootstrap = c->bootstrap;
    c->conf.client_id = c->client_id;
    for (s = c->bootstrap; *s;) {
        size_t n = strcspn(s, ",");
        char host[256];
        int port;

        if (n && !parse_hostport(s, n, host, sizeof(host), &port)) {
            snprintf(errstr, errstr_size, "bad bootstrap address '%.*s'", (int)n, s);
            slc_client_free(c);
            return NULL;
        }
        if (n && !add_conn(c, host, port, -1))
            goto nomem;
        s += n;
        if (*s == ',')
            s++;
    }
    if (c->nconns == 0) {
        snprintf(errstr, errstr_size, "no bootstrap servers given");
        slc_client_free(c);
        return NULL;
    }
    return c;
nomem:
    snprintf(errstr, errstr_size, "out of memory");
    slc_client_free(c);
    return NULL;
}

void slc_client_free(slc_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->nconns; i++)
        conn_free(c->conns[i]);
    for (int i = 0; i < c->ntopics; i++) {
        free(c->topics[i].name);
        free(c->topics[i].leader);
    }
    free(c->topics);
    free(c->conns);
    free(c->bootstrap);
    free(c->client_id);
    free(c);
}

sl_err client_any(slc_client *c, slc_conn **out)
{
    sl_err e = SL_E_IO;

    /* Connected and idle first, then anything that connects. */
    for (int i = 0; i < c->nconns; i++) {
        if (c->conns[i]->fd >= 0 && c->conns[i]->nin == 0) {
            *out = c->conns[i];
            return SL_OK;
        }
    }
    for (int i = 0; i < c->nconns; i++) {
        if (c->conns[i]->nin)
            continue;
        e = conn_ready(c->conns[i]);
        if (!e) {
            *out = c->conns[i];
            return SL_OK;
        }
    }
    *out = NULL;
    return e;
}

sl_err slc_client_connect(slc_client *c)
{
    slc_conn *k;
    int64_t deadline = slc_mono_ms() + c->conf.connect_timeout_ms;
    sl_err e;

    /* Try every address, waiting out backoffs, until the connect timeout;
     * a broker that answers but cannot be spoken to (ApiVersions failed)
     * will not get better by waiting. */
    for (;;) {
        e = client_any(c, &k);
        if (!e || e != SL_E_IO || slc_mono_ms() >= deadline)
            return e;
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

slc_conn *client_broker(slc_client *c, int32_t node_id)
{
    for (int i = 0; i < c->nconns; i++)
        if (c->conns[i]->node_id == node_id)
            return c->conns[i];
    return NULL;
}

slc_conn *client_node(slc_client *c, int32_t node_id, const char *host, int port)
{
    slc_conn *k = client_broker(c, node_id);

    if (k && !strcmp(k->host, host) && k->port == port)
        return k;
    if (k)
        k->node_id = -2; /* moved */
    for (int i = 0; i < c->nconns; i++) {
        k = c->conns[i];
        if (k->node_id == -1 && !strcmp(k->host, host) && k->port == port) {
            k->node_id = node_id;
            return k;
        }
    }
    return add_conn(c, host, port, node_id);
}

int16_t slc_client_api_version(slc_client *c, int16_t api_key, int16_t vmin, int16_t vmax)
{
    slc_conn *k;

    if (client_any(c, &k))
        return -1;
    return conn_version(k, api_key, vmin, vmax);
}

static ctopic *topic_get(slc_client *c, const char *name, bool create)
{
    ctopic *v;

    for (int i = 0; i < c->ntopics; i++)
        if (!strcmp(c->topics[i].name, name))
            return &c->topics[i];
    if (!create)
        return NULL;
    v = realloc(c->topics, sizeof(*v) * (size_t)(c->ntopics + 1));
    if (!v)
        return NULL;
    c->topics = v;
    v = &c->topics[c->ntopics];
    memset(v, 0, sizeof(*v));
    v->name = strdup(name);
    if (!v->name)
        return NULL;
    c->ntopics++;
    return v;
}

static void learn_brokers(slc_client *c, const msg_metadata_resp *m)
{
    for (int32_t i = 0; i < m->brokers_count; i++) {
        const msg_metadata_resp_broker *b = &m->brokers[i];
        char host[256];
        slc_conn *k = client_broker(c, b->node_id);

        if (b->host.n == 0 || b->host.n >= sizeof(host))
            continue;
        memcpy(host, b->host.p, b->host.n);
        host[b->host.n] = 0;
        if (k && (strcmp(k->host, host) || k->port != b->port)) {
            k->node_id = -2; /* moved: keep the old one out of the way */
            k = NULL;
        }
        if (k)
            continue;
        for (int j = 0; j < c->nconns && !k; j++)
            if (c->conns[j]->node_id == -1 && !strcmp(c->conns[j]->host, host) &&
                c->conns[j]->port == b->port)
                k = c->conns[j];
        if (k)
            k->node_id = b->node_id;
        else
            add_conn(c, host, b->port, b->node_id);
    }
}

/* One Metadata exchange with some broker (topics NULL: all of them):
 * *resp lives in *a and borrows *frame (free() it); learns the brokers. */
static sl_err metadata_call(slc_client *c, const char *topic, bool allow_create, sl_arena *a,
                            uint8_t **frame, msg_metadata_resp *resp)
{
    msg_metadata_req_topic rt = { { 0 }, sl_bytes_str(topic ? topic : "") };
    msg_metadata_req req = { topic ? &rt : NULL, topic ? 1 : -1, allow_create, false, false };
    slc_conn *k;
    kbuf_wr w;
    kbuf_rd body;
    int16_t ver;
    sl_err e;

    *frame = NULL;
    e = client_any(c, &k);
    if (e)
        return e;
    ver = conn_version(k, API_METADATA, 1, MSG_METADATA_VMAX);
    if (ver < 0)
        return conn_unserved(k, API_METADATA, 1, MSG_METADATA_VMAX);
    conn_req_begin(k, &w, API_METADATA, ver);
    msg_metadata_req_encode(&w, ver, &req);
    e = conn_call(k, &w, frame, &body);
    if (e)
        return e;
    e = msg_metadata_resp_decode(&body, ver, a, resp);
    if (e)
        return conn_fail(k, API_METADATA, ver, NULL, e);
    learn_brokers(c, resp);
    return SL_OK;
}

/* Put one topic of a Metadata answer into the cache. */
static sl_err cache_topic(slc_client *c, const msg_metadata_resp_topic *t, const char *name)
{
    ctopic *ct;
    int32_t n = 0;
    sl_err e;

    if (t->error_code) {
        e = (sl_err)t->error_code;
        client_seterr(c, "topic %s: %s", name, sl_err_str(e));
        return e;
    }
    for (int32_t j = 0; j < t->partitions_count; j++)
        if (t->partitions[j].partition_index >= n)
            n = t->partitions[j].partition_index + 1;
    ct = topic_get(c, name, true);
    if (!ct)
        return SL_E_NOMEM;
    free(ct->leader);
    ct->leader = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!ct->leader) {
        ct->count = 0;
        return SL_E_NOMEM;
    }
    for (int32_t j = 0; j < n; j++)
        ct->leader[j] = -1;
    for (int32_t j = 0; j < t->partitions_count; j++)
        ct->leader[t->partitions[j].partition_index] =
            t->partitions[j].error_code && t->partitions[j].error_code !=
            SL_KE_LEADER_NOT_AVAILABLE ? -1 : t->partitions[j].leader_id;
    ct->count = n;
    ct->fetched_at = slc_mono_ms();
    if (n > 0)
        return SL_OK;
    client_seterr(c, "topic %s has no partitions yet", name);
    return SL_KE_LEADER_NOT_AVAILABLE;
}

/* Metadata for one topic; fills the cache. */
static sl_err fetch_metadata(slc_client *c, const char *topic, bool allow_create)
{
    msg_metadata_resp resp;
    uint8_t *frame;
    sl_arena a;
    sl_err e;

    sl_arena_init(&a, 64 << 20);
    e = metadata_call(c, topic, allow_create, &a, &frame, &resp);
    for (int32_t i = 0; !e && i < resp.topics_count; i++) {
        if (sl_bytes_eq_str(resp.topics[i].name, topic)) {
            e = cache_topic(c, &resp.topics[i], topic);
            goto out;
        }
    }
    if (!e) {
        e = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
        client_seterr(c, "topic %s does not exist", topic);
    }
out:
    sl_arena_free(&a);
    free(frame);
    return e;
}

sl_err client_all_topics(slc_client *c, char ***names, int32_t **counts, int32_t *n)
{
    msg_metadata_resp resp;
    uint8_t *frame;
    sl_arena a;
    sl_err e;

    *names = NULL;
    *counts = NULL;
    *n = 0;
    sl_arena_init(&a, 64 << 20);
    e = metadata_call(c, NULL, false, &a, &frame, &resp);
    if (!e && (!(*names = calloc((size_t)resp.topics_count + 1, sizeof(char *))) ||
               !(*counts = calloc((size_t)resp.topics_count + 1, sizeof(int32_t)))))
        e = SL_E_NOMEM;
    for (int32_t i = 0; !e && i < resp.topics_count; i++) {
        const msg_metadata_resp_topic *t = &resp.topics[i];
        const ctopic *ct;
        char *name;

        if (t->error_code || t->name.null)
            continue;
        name = strndup(t->name.n ? (const char *)t->name.p : "", t->name.n);
        if (!name) {
            e = SL_E_NOMEM;
            break;
        }
        (*names)[*n] = name;
        if (cache_topic(c, t, name) == SL_E_NOMEM)
            e = SL_E_NOMEM;
        ct = topic_get(c, name, false);
        (*counts)[(*n)++] = ct ? ct->count : 0;
    }
    sl_arena_free(&a);
    free(frame);
    if (e && *names) {
        while (*n > 0)
            free((*names)[--*n]);
        free(*names);
        *names = NULL;
    }
    if (e) {
        free(*counts);
        *counts = NULL;
    }
    return e;
}

sl_err slc_topic_partitions(slc_client *c, const char *topic, int32_t *count)
{
    sl_err e;

    *count = 0;
    /* A just auto-created topic may answer LEADER_NOT_AVAILABLE once. */
    for (int attempt = 0; attempt < 20; attempt++) {
        e = fetch_metadata(c, topic, c->conf.allow_auto_create);
        if (e != SL_KE_LEADER_NOT_AVAILABLE)
            break;
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (!e)
        *count = topic_get(c, topic, false)->count;
    return e;
}

sl_err slc_topic_create(slc_client *c, const char *topic, int32_t partitions, int32_t *count)
{
    slc_conn *k;
    int16_t ver;
    sl_err e;

    *count = 0;
    e = fetch_metadata(c, topic, false);
    if (e == SL_OK || e == SL_KE_LEADER_NOT_AVAILABLE)
        return slc_topic_partitions(c, topic, count);
    if (e != SL_KE_UNKNOWN_TOPIC_OR_PARTITION)
        return e;
    e = client_any(c, &k);
    if (e)
        return e;
    ver = conn_version(k, API_CREATE_TOPICS, 1, MSG_CREATETOPICS_VMAX);
    if (ver >= 0) {
        msg_createtopics_req_topic t = { sl_bytes_str(topic), partitions, -1, NULL, 0, NULL, 0 };
        msg_createtopics_req req = { &t, 1, 30000, false };
        msg_createtopics_resp resp;
        kbuf_wr w;
        kbuf_rd body;
        uint8_t *frame;
        sl_arena a;

        t.replication_factor = 1;
        conn_req_begin(k, &w, API_CREATE_TOPICS, ver);
        msg_createtopics_req_encode(&w, ver, &req);
        e = conn_call(k, &w, &frame, &body);
        if (e)
            return e;
        sl_arena_init(&a, 1 << 20);
        e = msg_createtopics_resp_decode(&body, ver, &a, &resp);
        if (!e && resp.topics_count == 1 && resp.topics[0].error_code &&
            resp.topics[0].error_code != SL_KE_TOPIC_ALREADY_EXISTS)
            e = (sl_err)resp.topics[0].error_code;
        if (e)
            conn_fail(k, API_CREATE_TOPICS, ver, topic, e);
        sl_arena_free(&a);
        free(frame);
        if (e)
            return e;
    }
    /* Without CreateTopics, auto-creation (num.partitions decides). */
    return slc_topic_partitions(c, topic, count);
}

int32_t client_leader(slc_client *c, const char *topic, int32_t partition)
{
    ctopic *t = topic_get(c, topic, false);

    if (!t || !t->fetched_at || slc_mono_ms() - t->fetched_at > c->conf.metadata_max_age_ms ||
        partition >= t->count || t->leader[partition] < 0) {
        /* A failed refresh (say, every connection busy) keeps what we knew. */
        fetch_metadata(c, topic, c->conf.allow_auto_create);
        t = topic_get(c, topic, false);
    }
    if (!t || partition < 0 || partition >= t->count)
        return -1;
    return t->leader[partition];
}

void client_metadata_stale(slc_client *c, const char *topic)
{
    ctopic *t = topic_get(c, topic, false);

    if (t)
        t->fetched_at = 0;
}

/* One ListOffsets request to one leader for the partitions it leads. */
static sl_err list_offsets_leader(slc_conn *k, const char *topic, int32_t n,
                                  const int32_t *parts, const int64_t *ts, const bool *mine,
                                  int64_t *offsets, int64_t *found_ts)
{
    msg_listoffsets_req_partition *rp = calloc((size_t)n + 1, sizeof(*rp));
    msg_listoffsets_req_topic rt = { sl_bytes_str(topic), rp, 0 };
    msg_listoffsets_req req = { -1, 0, &rt, 1 };
    msg_listoffsets_resp resp;
    kbuf_wr w;
    kbuf_rd body;
    uint8_t *frame;
    sl_arena a;
    int16_t ver;
    sl_err e;

    if (!rp)
        return SL_E_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        if (!mine[i])
            continue;
        rp[rt.partitions_count].partition_index = parts[i];
        rp[rt.partitions_count].current_leader_epoch = -1;
        rp[rt.partitions_count].timestamp = ts[i];
        rt.partitions_count++;
    }
    /* v4+ only add leader-epoch fencing (KIP-320), which this client does
     * not use (it sends -1); capping at v3 keeps it off the newer layouts
     * that some brokers get wrong (librdkafka 2.0.2's mock writes the
     * leader epoch as 8 bytes).  Kafka 4 still serves v1-3 (KIP-896). */
    ver = conn_version(k, API_LIST_OFFSETS, MSG_LISTOFFSETS_VMIN, SLC_LISTOFFSETS_VMAX);
    if (ver < 0) {
        free(rp);
        return conn_unserved(k, API_LIST_OFFSETS, MSG_LISTOFFSETS_VMIN, SLC_LISTOFFSETS_VMAX);
    }
    conn_req_begin(k, &w, API_LIST_OFFSETS, ver);
    msg_listoffsets_req_encode(&w, ver, &req);
    free(rp);
    e = conn_call(k, &w, &frame, &body);
    if (e)
        return e;
    sl_arena_init(&a, 16 << 20);
    e = msg_listoffsets_resp_decode(&body, ver, &a, &resp);
    if (e)
        conn_fail(k, API_LIST_OFFSETS, ver, topic, e);
    for (int32_t t = 0; !e && t < resp.topics_count; t++) {
        for (int32_t j = 0; j < resp.topics[t].partitions_count; j++) {
            const msg_listoffsets_resp_partition *p = &resp.topics[t].partitions[j];

            for (int32_t i = 0; i < n; i++) {
                if (!mine[i] || parts[i] != p->partition_index)
                    continue;
                if (p->error_code) {
                    char about[300];

                    snprintf(about, sizeof(about), "%s/%d", topic, parts[i]);
                    e = conn_fail(k, API_LIST_OFFSETS, ver, about, (sl_err)p->error_code);
                }
                offsets[i] = p->offset;
                if (found_ts)
                    found_ts[i] = p->timestamp;
            }
        }
    }
    sl_arena_free(&a);
    free(frame);
    return e;
}

sl_err slc_list_offsets(slc_client *c, const char *topic, int32_t n, const int32_t *partitions,
                        const int64_t *ts, int64_t *offsets, int64_t *found_ts)
{
    bool *done = calloc((size_t)n + 1, sizeof(bool)), *mine = calloc((size_t)n + 1, 1);
    sl_err e = SL_OK;

    if (!done || !mine) {
        free(done);
        free(mine);
        return SL_E_NOMEM;
    }
    for (int32_t i = 0; i < n; i++)
        offsets[i] = -1;
    for (int32_t i = 0; i < n && !e; i++) {
        int32_t leader;
        slc_conn *k;

        if (done[i])
            continue;
        leader = client_leader(c, topic, partitions[i]);
        k = leader >= 0 ? client_broker(c, leader) : NULL;
        if (!k) {
            client_seterr(c, "no leader for %s/%d", topic, partitions[i]);
            e = SL_KE_LEADER_NOT_AVAILABLE;
            break;
        }
        for (int32_t j = i; j < n; j++) {
            mine[j] = !done[j] && client_leader(c, topic, partitions[j]) == leader;
            done[j] = done[j] || mine[j];
        }
        e = conn_ready(k);
        if (!e)
            e = list_offsets_leader(k, topic, n, partitions, ts, mine, offsets, found_ts);
        memset(mine, 0, (size_t)n);
    }
    free(done);
    free(mine);
    return e;
}

/* Kafka's murmur2 (Utils.murmur2), seed 0x9747b28c. */
static int32_t murmur2(const uint8_t *data, size_t len)
{
    const uint32_t m = 0x5bd1e995;
    uint32_t h = 0x9747b28c ^ (uint32_t)len;
    size_t i;

    for (i = 0; i + 4 <= len; i += 4) {
        uint32_t k = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
                     (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;

        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (len & 3) {
    case 3:
        h ^= (uint32_t)data[i + 2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)data[i + 1] << 8;
        /* fall through */
    case 1:
        h ^= data[i];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t slc_partition_for_key(sl_bytes key, int32_t partitions)
{
    if (partitions <= 0)
        return 0;
    return (int32_t)((uint32_t)murmur2(key.p ? key.p : (const uint8_t *)"", key.n) &
                     0x7fffffff) % partitions;
}
