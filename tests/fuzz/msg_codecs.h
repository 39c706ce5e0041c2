/*
 * msg_codecs.h - every typed codec of protocol/msg*.h behind one signature,
 * in one table keyed by API key, for the code that must reach a codec from
 * a frame's header alone: the golden-frame test
 * (tests/unit/protocol/test_golden.c) and the fuzz driver
 * (tests/fuzz/fuzz_request.c).
 *
 * The wrappers take the message as void * and call the typed function
 * (no casts of function pointers).  Version ranges are the codecs' own
 * (MSG_<API>_VMIN/VMAX), which may be wider than what the broker
 * advertises (broker/dispatch.c).
 *
 * A codec added to protocol/ needs a line here: the golden test fails on
 * a captured frame whose API has no entry.
 */
#ifndef SL_TESTS_MSG_CODECS_H
#define SL_TESTS_MSG_CODECS_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/api.h"
#include "protocol/msg.h"
#include "protocol/msg_admin.h"
#include "protocol/msg_group.h"
#include "protocol/msg_logdirs.h"

typedef sl_err (*msg_codec_dec_fn)(kbuf_rd *r, int16_t v, sl_arena *a, void *out);
typedef void (*msg_codec_enc_fn)(kbuf_wr *w, int16_t v, const void *in);

typedef struct msg_codec {
    int16_t key;
    int16_t vmin, vmax;
    const char *name;
    size_t req_size, resp_size; /* sizeof the message structs */
    msg_codec_dec_fn req_dec, resp_dec;
    msg_codec_enc_fn req_enc, resp_enc;
} msg_codec;

#define MSG_CODEC_WRAP_(msg)                                                         \
    static inline sl_err msg##_dec_w(kbuf_rd *r, int16_t v, sl_arena *a, void *out)  \
    {                                                                                \
        return msg##_decode(r, v, a, (msg *)out);                                    \
    }                                                                                \
    static inline void msg##_enc_w(kbuf_wr *w, int16_t v, const void *in)            \
    {                                                                                \
        msg##_encode(w, v, (const msg *)in);                                         \
    }

#define MSG_CODEC_WRAP(api)          \
    MSG_CODEC_WRAP_(msg_##api##_req) \
    MSG_CODEC_WRAP_(msg_##api##_resp)

/* Fetch's response encoder takes a splice callback: none, all inline. */
MSG_CODEC_WRAP_(msg_fetch_req)
static inline sl_err msg_fetch_resp_dec_w(kbuf_rd *r, int16_t v, sl_arena *a, void *out)
{
    return msg_fetch_resp_decode(r, v, a, (msg_fetch_resp *)out);
}
static inline void msg_fetch_resp_enc_w(kbuf_wr *w, int16_t v, const void *in)
{
    msg_fetch_resp_encode(w, v, (const msg_fetch_resp *)in, NULL, NULL);
}

MSG_CODEC_WRAP(apiversions)
MSG_CODEC_WRAP(metadata)
MSG_CODEC_WRAP(produce)
MSG_CODEC_WRAP(listoffsets)
MSG_CODEC_WRAP(findcoordinator)
MSG_CODEC_WRAP(joingroup)
MSG_CODEC_WRAP(syncgroup)
MSG_CODEC_WRAP(heartbeat)
MSG_CODEC_WRAP(leavegroup)
MSG_CODEC_WRAP(offsetcommit)
MSG_CODEC_WRAP(offsetfetch)
MSG_CODEC_WRAP(offsetdelete)
MSG_CODEC_WRAP(listgroups)
MSG_CODEC_WRAP(describegroups)
MSG_CODEC_WRAP(deletegroups)
MSG_CODEC_WRAP(createtopics)
MSG_CODEC_WRAP(deletetopics)
MSG_CODEC_WRAP(deleterecords)
MSG_CODEC_WRAP(initproducerid)
MSG_CODEC_WRAP(describeconfigs)
MSG_CODEC_WRAP(alterconfigs)
MSG_CODEC_WRAP(createpartitions)
MSG_CODEC_WRAP(incrementalalterconfigs)
MSG_CODEC_WRAP(describecluster)
MSG_CODEC_WRAP(describelogdirs)

#define MSG_CODEC_ENTRY(KEY, API, UP)                                                   \
    {                                                                                   \
        KEY, MSG_##UP##_VMIN, MSG_##UP##_VMAX, #API, sizeof(msg_##API##_req),           \
            sizeof(msg_##API##_resp), msg_##API##_req_dec_w, msg_##API##_resp_dec_w,    \
            msg_##API##_req_enc_w, msg_##API##_resp_enc_w                               \
    }

static const msg_codec msg_codecs[] = {
    MSG_CODEC_ENTRY(API_PRODUCE, produce, PRODUCE),
    MSG_CODEC_ENTRY(API_FETCH, fetch, FETCH),
    MSG_CODEC_ENTRY(API_LIST_OFFSETS, listoffsets, LISTOFFSETS),
    MSG_CODEC_ENTRY(API_METADATA, metadata, METADATA),
    MSG_CODEC_ENTRY(API_OFFSET_COMMIT, offsetcommit, OFFSETCOMMIT),
    MSG_CODEC_ENTRY(API_OFFSET_FETCH, offsetfetch, OFFSETFETCH),
    MSG_CODEC_ENTRY(API_FIND_COORDINATOR, findcoordinator, FINDCOORDINATOR),
    MSG_CODEC_ENTRY(API_JOIN_GROUP, joingroup, JOINGROUP),
    MSG_CODEC_ENTRY(API_HEARTBEAT, heartbeat, HEARTBEAT),
    MSG_CODEC_ENTRY(API_LEAVE_GROUP, leavegroup, LEAVEGROUP),
    MSG_CODEC_ENTRY(API_SYNC_GROUP, syncgroup, SYNCGROUP),
    MSG_CODEC_ENTRY(API_DESCRIBE_GROUPS, describegroups, DESCRIBEGROUPS),
    MSG_CODEC_ENTRY(API_LIST_GROUPS, listgroups, LISTGROUPS),
    MSG_CODEC_ENTRY(API_API_VERSIONS, apiversions, APIVERSIONS),
    MSG_CODEC_ENTRY(API_CREATE_TOPICS, createtopics, CREATETOPICS),
    MSG_CODEC_ENTRY(API_DELETE_TOPICS, deletetopics, DELETETOPICS),
    MSG_CODEC_ENTRY(API_DELETE_RECORDS, deleterecords, DELETERECORDS),
    MSG_CODEC_ENTRY(API_INIT_PRODUCER_ID, initproducerid, INITPRODUCERID),
    MSG_CODEC_ENTRY(API_DESCRIBE_CONFIGS, describeconfigs, DESCRIBECONFIGS),
    MSG_CODEC_ENTRY(API_ALTER_CONFIGS, alterconfigs, ALTERCONFIGS),
    MSG_CODEC_ENTRY(API_CREATE_PARTITIONS, createpartitions, CREATEPARTITIONS),
    MSG_CODEC_ENTRY(API_DELETE_GROUPS, deletegroups, DELETEGROUPS),
    MSG_CODEC_ENTRY(API_INCREMENTAL_ALTER_CONFIGS, incrementalalterconfigs,
                    INCREMENTALALTERCONFIGS),
    MSG_CODEC_ENTRY(API_OFFSET_DELETE, offsetdelete, OFFSETDELETE),
    MSG_CODEC_ENTRY(API_DESCRIBE_CLUSTER, describecluster, DESCRIBECLUSTER),
    MSG_CODEC_ENTRY(API_DESCRIBE_LOG_DIRS, describelogdirs, DESCRIBELOGDIRS),
};

#define MSG_CODECS_LEN ((int)(sizeof msg_codecs / sizeof msg_codecs[0]))

/* The codec of an API key, or NULL. */
static inline const msg_codec *msg_codec_find(int16_t key)
{
    for (int i = 0; i < MSG_CODECS_LEN; i++)
        if (msg_codecs[i].key == key)
            return &msg_codecs[i];
    return NULL;
}

/* The largest message struct, so a caller can keep one scratch buffer. */
static inline size_t msg_codecs_max_size(void)
{
    size_t m = 0;

    for (int i = 0; i < MSG_CODECS_LEN; i++) {
        if (msg_codecs[i].req_size > m)
            m = msg_codecs[i].req_size;
        if (msg_codecs[i].resp_size > m)
            m = msg_codecs[i].resp_size;
    }
    return m;
}

#endif
