/*
 * api.h - facts about Kafka's APIs that do not depend on what we support:
 * keys, names and the first flexible version of each (from Kafka's message
 * schemas, "flexibleVersions").  What sluice supports lives in the broker's
 * dispatch table, the one table behind both dispatch and ApiVersions.
 */
#ifndef SL_API_H
#define SL_API_H

#include <stdbool.h>
#include <stdint.h>

enum {
    API_PRODUCE = 0,
    API_FETCH = 1,
    API_LIST_OFFSETS = 2,
    API_METADATA = 3,
    API_OFFSET_COMMIT = 8,
    API_OFFSET_FETCH = 9,
    API_FIND_COORDINATOR = 10,
    API_JOIN_GROUP = 11,
    API_HEARTBEAT = 12,
    API_LEAVE_GROUP = 13,
    API_SYNC_GROUP = 14,
    API_DESCRIBE_GROUPS = 15,
    API_LIST_GROUPS = 16,
    API_SASL_HANDSHAKE = 17,
    API_API_VERSIONS = 18,
    API_CREATE_TOPICS = 19,
    API_DELETE_TOPICS = 20,
    API_DELETE_RECORDS = 21,
    API_INIT_PRODUCER_ID = 22,
    API_DESCRIBE_CONFIGS = 32,
    API_ALTER_CONFIGS = 33,
    API_DESCRIBE_LOG_DIRS = 35,
    API_SASL_AUTHENTICATE = 36,
    API_CREATE_PARTITIONS = 37,
    API_DELETE_GROUPS = 42,
    API_INCREMENTAL_ALTER_CONFIGS = 44,
    API_OFFSET_DELETE = 47,
    API_DESCRIBE_CLUSTER = 60,
    API_KEY_MAX = 128 /* keys are below this */
};

/* "Produce", or NULL for a key we know nothing about. */
const char *api_name(int16_t key);
/* First flexible version of the API, or -1 if none (or unknown key). */
int16_t api_flex_from(int16_t key);
static inline bool api_is_flexible(int16_t key, int16_t version)
{
    int16_t f = api_flex_from(key);

    return f >= 0 && version >= f;
}

#endif
