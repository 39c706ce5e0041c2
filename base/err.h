/*
 * err.h - the one error enum of sluice.
 *
 * SL_OK is 0.  Positive values are Kafka's wire error codes themselves, so a
 * handler can put them on the wire unchanged.  Local errors are <= -1000:
 * Kafka's own -1 (UNKNOWN_SERVER_ERROR) is a wire code, so -1 never means
 * "failed" here.
 */
#ifndef SL_ERR_H
#define SL_ERR_H

/* X(name, value, text) */
#define SL_ERR_LIST(X)                                                      \
    X(SL_OK, 0, "success")                                                  \
    X(SL_KE_UNKNOWN_SERVER_ERROR, -1, "unknown server error")               \
    X(SL_KE_OFFSET_OUT_OF_RANGE, 1, "offset out of range")                  \
    X(SL_KE_CORRUPT_MESSAGE, 2, "corrupt message")                          \
    X(SL_KE_UNKNOWN_TOPIC_OR_PARTITION, 3, "unknown topic or partition")    \
    X(SL_KE_INVALID_FETCH_SIZE, 4, "invalid fetch size")                    \
    X(SL_KE_LEADER_NOT_AVAILABLE, 5, "leader not available")                \
    X(SL_KE_NOT_LEADER_OR_FOLLOWER, 6, "not leader or follower")            \
    X(SL_KE_REQUEST_TIMED_OUT, 7, "request timed out")                      \
    X(SL_KE_MESSAGE_TOO_LARGE, 10, "message too large")                     \
    X(SL_KE_OFFSET_METADATA_TOO_LARGE, 12, "offset metadata too large")     \
    X(SL_KE_COORDINATOR_NOT_AVAILABLE, 15, "coordinator not available")     \
    X(SL_KE_NOT_COORDINATOR, 16, "not coordinator")                         \
    X(SL_KE_INVALID_TOPIC_EXCEPTION, 17, "invalid topic")                   \
    X(SL_KE_RECORD_LIST_TOO_LARGE, 18, "record list too large")             \
    X(SL_KE_ILLEGAL_GENERATION, 22, "illegal generation")                   \
    X(SL_KE_INCONSISTENT_GROUP_PROTOCOL, 23, "inconsistent group protocol") \
    X(SL_KE_INVALID_GROUP_ID, 24, "invalid group id")                       \
    X(SL_KE_UNKNOWN_MEMBER_ID, 25, "unknown member id")                     \
    X(SL_KE_INVALID_SESSION_TIMEOUT, 26, "invalid session timeout")         \
    X(SL_KE_REBALANCE_IN_PROGRESS, 27, "rebalance in progress")             \
    X(SL_KE_INVALID_REQUIRED_ACKS, 21, "invalid required acks")             \
    X(SL_KE_INVALID_TIMESTAMP, 32, "invalid timestamp")                     \
    X(SL_KE_UNSUPPORTED_VERSION, 35, "unsupported version")                 \
    X(SL_KE_TOPIC_ALREADY_EXISTS, 36, "topic already exists")               \
    X(SL_KE_INVALID_PARTITIONS, 37, "invalid partitions")                   \
    X(SL_KE_INVALID_REPLICATION_FACTOR, 38, "invalid replication factor")   \
    X(SL_KE_INVALID_CONFIG, 40, "invalid config")                           \
    X(SL_KE_INVALID_REQUEST, 42, "invalid request")                         \
    X(SL_KE_UNSUPPORTED_FOR_MESSAGE_FORMAT, 43, "unsupported for message format") \
    X(SL_KE_OUT_OF_ORDER_SEQUENCE_NUMBER, 45, "out of order sequence number") \
    X(SL_KE_INVALID_PRODUCER_EPOCH, 47, "invalid producer epoch")           \
    X(SL_KE_KAFKA_STORAGE_ERROR, 56, "kafka storage error")                 \
    X(SL_KE_UNKNOWN_PRODUCER_ID, 59, "unknown producer id")                 \
    X(SL_KE_UNKNOWN_LEADER_EPOCH, 75, "unknown leader epoch")               \
    X(SL_KE_UNSUPPORTED_COMPRESSION_TYPE, 76, "unsupported compression type") \
    X(SL_KE_NON_EMPTY_GROUP, 68, "non-empty group")                         \
    X(SL_KE_GROUP_ID_NOT_FOUND, 69, "group id not found")                   \
    X(SL_KE_MEMBER_ID_REQUIRED, 79, "member id required")                   \
    X(SL_KE_FENCED_INSTANCE_ID, 82, "fenced instance id")                   \
    X(SL_KE_GROUP_SUBSCRIBED_TO_TOPIC, 86, "group subscribed to topic")     \
    X(SL_KE_INVALID_RECORD, 87, "invalid record")                           \
    X(SL_KE_UNKNOWN_TOPIC_ID, 100, "unknown topic id")                      \
    X(SL_E_SHORT, -1000, "need more bytes")                                 \
    X(SL_E_MALFORMED, -1001, "malformed input")                             \
    X(SL_E_NOMEM, -1002, "out of memory")                                   \
    X(SL_E_IO, -1003, "I/O error")                                          \
    X(SL_E_FATAL, -1004, "fatal: log failed")                               \
    X(SL_E_NOSPC, -1005, "no space left on device")                         \
    X(SL_E_EXISTS, -1006, "already exists")                                 \
    X(SL_E_NOTFOUND, -1007, "not found")                                    \
    X(SL_E_INVAL, -1008, "invalid argument")                                \
    X(SL_E_AGAIN, -1009, "try again")                                       \
    X(SL_E_OVERFLOW, -1010, "buffer overflow")                              \
    X(SL_E_RANGE, -1011, "value out of range")                              \
    X(SL_E_NOFILE, -1012, "too many open files")

typedef enum sl_err {
#define SL_ERR_ENUM(name, value, text) name = value,
    SL_ERR_LIST(SL_ERR_ENUM)
#undef SL_ERR_ENUM
} sl_err;

/* The enum's own name ("SL_KE_CORRUPT_MESSAGE"), or "SL_E_?" if unknown. */
const char *sl_err_name(sl_err e);
/* A short human text. */
const char *sl_err_str(sl_err e);
/* Map a negative errno (as io_uring returns) to a local error. */
sl_err sl_err_from_errno(int neg_errno);

#endif
