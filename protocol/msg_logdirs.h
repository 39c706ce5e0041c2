/*
 * msg_logdirs.h - typed bodies and codecs of DescribeLogDirs (key 35),
 * v0-4, flexible from v2.
 *
 * Conventions as in msg.h and msg_admin.h: Kafka's schema field names in
 * snake_case; a field exists in the versions noted, encoders ignore it
 * elsewhere and decoders then set the schema's default.  Arrays are a
 * pointer and an int32 count, -1 = null only where noted "nullable".
 */
#ifndef SL_MSG_LOGDIRS_H
#define SL_MSG_LOGDIRS_H

#include "msg.h"

#define MSG_DESCRIBELOGDIRS_VMIN 0
#define MSG_DESCRIBELOGDIRS_VMAX 4
#define MSG_DESCRIBELOGDIRS_FLEX 2

typedef struct msg_describelogdirs_req_topic {
    sl_bytes topic;
    int32_t *partitions;
    int32_t partitions_count;
} msg_describelogdirs_req_topic;

typedef struct msg_describelogdirs_req {
    msg_describelogdirs_req_topic *topics;
    int32_t topics_count; /* nullable: -1 asks for every topic */
} msg_describelogdirs_req;

typedef struct msg_describelogdirs_resp_partition {
    int32_t partition_index;
    int64_t partition_size; /* bytes of the partition's segments */
    int64_t offset_lag;
    bool is_future_key;
} msg_describelogdirs_resp_partition;

typedef struct msg_describelogdirs_resp_topic {
    sl_bytes name;
    msg_describelogdirs_resp_partition *partitions;
    int32_t partitions_count;
} msg_describelogdirs_resp_topic;

typedef struct msg_describelogdirs_resp_result {
    int16_t error_code;
    sl_bytes log_dir;
    msg_describelogdirs_resp_topic *topics;
    int32_t topics_count;
    int64_t total_bytes;  /* v4+, default -1 */
    int64_t usable_bytes; /* v4+, default -1 */
} msg_describelogdirs_resp_result;

typedef struct msg_describelogdirs_resp {
    int32_t throttle_time_ms;
    int16_t error_code; /* v3+ */
    msg_describelogdirs_resp_result *results;
    int32_t results_count;
} msg_describelogdirs_resp;

sl_err msg_describelogdirs_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                      msg_describelogdirs_req *out);
void msg_describelogdirs_req_encode(kbuf_wr *w, int16_t version,
                                    const msg_describelogdirs_req *in);
sl_err msg_describelogdirs_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                       msg_describelogdirs_resp *out);
void msg_describelogdirs_resp_encode(kbuf_wr *w, int16_t version,
                                     const msg_describelogdirs_resp *in);

#endif
