/*
 * assign.c - the group leader's partition assignors (group_int.h).
 *
 *  - range (Kafka RangeAssignor): per topic, the members subscribed to it
 *    sorted by member id; each gets a contiguous run of partitions, the
 *    first (partitions % members) one more.
 *  - roundrobin (RoundRobinAssignor): every topic-partition sorted by topic
 *    then partition, dealt to the members sorted by id in turn, skipping
 *    members not subscribed to that topic.
 *  - sluice-exclusive: everything to one member, the one whose user_data
 *    sorts first (then member id).  sluice-batch export puts its start
 *    time there, so the run that came first keeps the partitions and a
 *    later one gets none: the group is the window's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "group_int.h"

static int bytes_cmp(sl_bytes a, sl_bytes b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;

    return c ? c : (a.n > b.n) - (a.n < b.n);
}

static bool subscribed(const group_member_sub *m, sl_bytes topic)
{
    for (int32_t i = 0; i < m->ntopics; i++)
        if (sl_bytes_eq(m->topics[i], topic) || (m->topics[i].n == topic.n && topic.n &&
                                                 !memcmp(m->topics[i].p, topic.p, topic.n)))
            return true;
    return false;
}

/* Member indexes sorted by member id. */
static int32_t *sorted_members(const group_member_sub *members, int32_t nm)
{
    int32_t *ix = malloc(sizeof(int32_t) * (size_t)(nm ? nm : 1));

    if (!ix)
        return NULL;
    for (int32_t i = 0; i < nm; i++)
        ix[i] = i;
    for (int32_t i = 1; i < nm; i++) /* insertion sort: groups are small */
        for (int32_t j = i; j > 0 &&
             bytes_cmp(members[ix[j - 1]].member_id, members[ix[j]].member_id) > 0; j--) {
            int32_t t = ix[j];

            ix[j] = ix[j - 1];
            ix[j - 1] = t;
        }
    return ix;
}

sl_err group_plan(const char *protocol, const group_member_sub *members, int32_t nm,
                  const group_topic_parts *topics, int32_t nt, int32_t **owner)
{
    int32_t *ix = sorted_members(members, nm), *subs;

    if (!ix)
        return SL_E_NOMEM;
    for (int32_t t = 0; t < nt; t++)
        for (int32_t p = 0; p < topics[t].partitions; p++)
            owner[t][p] = -1;
    if (!strcmp(protocol, "range")) {
        subs = malloc(sizeof(int32_t) * (size_t)(nm ? nm : 1));
        if (!subs) {
            free(ix);
            return SL_E_NOMEM;
        }
        for (int32_t t = 0; t < nt; t++) {
            int32_t m = 0, per, extra, p = 0;

            for (int32_t i = 0; i < nm; i++)
                if (subscribed(&members[ix[i]], topics[t].name))
                    subs[m++] = ix[i];
            if (m == 0)
                continue;
            per = topics[t].partitions / m;
            extra = topics[t].partitions % m;
            for (int32_t i = 0; i < m; i++)
                for (int32_t k = 0; k < per + (i < extra); k++)
                    owner[t][p++] = subs[i];
        }
        free(subs);
    } else if (!strcmp(protocol, "roundrobin")) {
        int32_t cur = 0;

        for (int32_t t = 0; t < nt; t++) {
            bool any = false;

            for (int32_t i = 0; i < nm; i++)
                any = any || subscribed(&members[i], topics[t].name);
            if (!any)
                continue;
            for (int32_t p = 0; p < topics[t].partitions; p++) {
                while (!subscribed(&members[ix[cur % nm]], topics[t].name))
                    cur++;
                owner[t][p] = ix[cur % nm];
                cur++;
            }
        }
    } else if (!strcmp(protocol, "sluice-exclusive")) {
        int32_t best = -1;

        for (int32_t i = 0; i < nm; i++) {
            const group_member_sub *m = &members[ix[i]];

            if (best < 0 || bytes_cmp(m->user_data, members[best].user_data) < 0)
                best = ix[i];
        }
        for (int32_t t = 0; best >= 0 && t < nt; t++)
            if (subscribed(&members[best], topics[t].name))
                for (int32_t p = 0; p < topics[t].partitions; p++)
                    owner[t][p] = best;
    } else {
        free(ix);
        return SL_E_INVAL;
    }
    free(ix);
    return SL_OK;
}

void group_assignment_free(group_assignment *a)
{
    if (!a)
        return;
    for (int32_t i = 0; i < a->n; i++)
        kbuf_wr_free(&a->bufs[i]);
    free(a->bufs);
    free(a->entries);
    free(a);
}

#define MAX_TOPICS 1024

group_assignment *group_assign(slc_client *c, const char *protocol,
                               const msg_joingroup_resp_member *members, int32_t n, sl_err *err)
{
    group_member_sub *subs = calloc((size_t)n + 1, sizeof(*subs));
    sl_bytes *tbuf = calloc((size_t)n * 64 + 1, sizeof(*tbuf));
    group_topic_parts *topics = calloc(MAX_TOPICS, sizeof(*topics));
    int32_t nt = 0, **owner = NULL;
    group_assignment *a = calloc(1, sizeof(*a));

    *err = SL_E_NOMEM;
    if (!subs || !tbuf || !topics || !a)
        goto fail;
    for (int32_t i = 0; i < n; i++) {
        int32_t k;

        subs[i].member_id = members[i].member_id;
        subs[i].topics = tbuf + (size_t)i * 64;
        if (group_decode_subscription(members[i].metadata, tbuf + (size_t)i * 64, 64, &k,
                                      &subs[i].user_data)) {
            k = 0; /* an unreadable subscription gets nothing */
        }
        subs[i].ntopics = k;
        for (int32_t j = 0; j < k; j++) {
            int32_t t = 0;

            while (t < nt && !sl_bytes_eq(topics[t].name, subs[i].topics[j]))
                t++;
            if (t == nt && nt < MAX_TOPICS) {
                /* insert sorted */
                int32_t at = 0;

                while (at < nt && bytes_cmp(topics[at].name, subs[i].topics[j]) < 0)
                    at++;
                memmove(&topics[at + 1], &topics[at], sizeof(*topics) * (size_t)(nt - at));
                topics[at].name = subs[i].topics[j];
                nt++;
            }
        }
    }
    owner = calloc((size_t)nt + 1, sizeof(*owner));
    if (!owner)
        goto fail;
    for (int32_t t = 0; t < nt; t++) {
        char name[256];
        int32_t np = 0;

        if (topics[t].name.n < sizeof(name)) {
            memcpy(name, topics[t].name.p, topics[t].name.n);
            name[topics[t].name.n] = 0;
            if (slc_topic_partitions(c, name, &np))
                np = 0;
        }
        topics[t].partitions = np;
        owner[t] = calloc((size_t)np + 1, sizeof(int32_t));
        if (!owner[t])
            goto fail;
    }
    *err = group_plan(protocol, subs, n, topics, nt, owner);
    if (*err)
        goto fail;
    *err = SL_E_NOMEM;
    a->entries = calloc((size_t)n + 1, sizeof(*a->entries));
    a->bufs = calloc((size_t)n + 1, sizeof(*a->bufs));
    if (!a->entries || !a->bufs)
        goto fail;
    for (int32_t i = 0; i < n; i++) {
        kbuf_wr *w = &a->bufs[i];
        int32_t ntm = 0;

        kbuf_wr_init(w, 64);
        a->n++;
        for (int32_t t = 0; t < nt; t++)
            for (int32_t p = 0; p < topics[t].partitions; p++)
                if (owner[t][p] == i) {
                    ntm++;
                    break;
                }
        kbuf_put_i16(w, 0);
        kbuf_put_array_len(w, false, ntm);
        for (int32_t t = 0; t < nt; t++) {
            int32_t np = 0;

            for (int32_t p = 0; p < topics[t].partitions; p++)
                np += owner[t][p] == i;
            if (!np)
                continue;
            kbuf_put_str(w, false, topics[t].name);
            kbuf_put_array_len(w, false, np);
            for (int32_t p = 0; p < topics[t].partitions; p++)
                if (owner[t][p] == i)
                    kbuf_put_i32(w, p);
        }
        kbuf_put_bytes(w, false, SL_BYTES_NULL);
        if (w->err)
            goto fail;
        a->entries[i].member_id = members[i].member_id;
        a->entries[i].assignment = sl_bytes_make(w->p, w->len);
    }
    *err = SL_OK;
    goto out;
fail:
    group_assignment_free(a);
    a = NULL;
out:
    if (owner)
        for (int32_t t = 0; t < nt; t++)
            free(owner[t]);
    free(owner);
    free(subs);
    free(tbuf);
    free(topics);
    return a;
}
