/*
 * topic_config.h - per-topic settings under Kafka's topic config names.
 *
 * A topic's overrides are kept as text, one "name=value" per line (the
 * catalog stores it with the topic); what is not overridden comes from the
 * broker's log.* settings.  This module knows the names, checks values and
 * turns them into the storage engine's plog_config.
 */
#ifndef SL_TOPIC_CONFIG_H
#define SL_TOPIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../storage/storage.h"
#include "config.h"

/* DescribeConfigs config_source values (KIP-226). */
enum {
    TCFG_SOURCE_DYNAMIC_TOPIC = 1,
    TCFG_SOURCE_STATIC_BROKER = 4,
    TCFG_SOURCE_DEFAULT = 5,
};

/* DescribeConfigs v3+ config_type (KIP-569). */
enum {
    TCFG_TYPE_BOOLEAN = 1,
    TCFG_TYPE_STRING = 2,
    TCFG_TYPE_INT = 3,
    TCFG_TYPE_SHORT = 4,
    TCFG_TYPE_LONG = 5,
    TCFG_TYPE_DOUBLE = 6,
    TCFG_TYPE_LIST = 7,
};

/* The settings in force for a topic: plog_config and max.message.bytes.
 * SL_KE_INVALID_CONFIG with errstr naming the setting if overrides hold an
 * unknown name or a bad value. */
sl_err tcfg_resolve(const broker_config *bc, const char *overrides, plog_config *out,
                    int64_t *max_message_bytes, char *errstr, size_t errstr_size);

/* Set (value non-NULL) or remove one override: *out gets the new text
 * (owned: free()).  SL_KE_INVALID_CONFIG for an unknown name or bad value. */
sl_err tcfg_set(const broker_config *bc, const char *overrides, const char *name,
                const char *value, char **out, char *errstr, size_t errstr_size);

/* Every topic setting with the value in force and where it comes from. */
void tcfg_each(const broker_config *bc, const char *overrides,
               void (*fn)(void *ud, const char *name, const char *value, int8_t source),
               void *ud);

/* Is `name` a topic setting we know? */
bool tcfg_known(const char *name);
/* Its TCFG_TYPE_* (STRING for an unknown name). */
int8_t tcfg_type(const char *name);
/* The value in force of one setting (override, else default) into buf;
 * false for an unknown name. */
bool tcfg_value(const broker_config *bc, const char *overrides, const char *name, char *buf,
                size_t n);

#endif
