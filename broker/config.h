/*
 * config.h - broker settings under Kafka's names.
 *
 * Sources, later ones winning: defaults, the server.properties file, then
 * each --override key=value.  One table lists every key with its type,
 * bounds and help text: it drives parsing, validation and --help.  An
 * unknown key or a bad value is an error that names the key.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/err.h"
#include "../base/log.h"

#define CONFIG_HOST_MAX 256
#define CONFIG_PATH_MAX 4096

typedef struct broker_config {
    char listeners[CONFIG_HOST_MAX + 32];
    char advertised_listeners[CONFIG_HOST_MAX + 32];
    char log_dirs[CONFIG_PATH_MAX];
    int64_t broker_id;
    int64_t num_partitions;
    bool auto_create_topics;
    int64_t log_segment_bytes;
    int64_t index_interval_bytes;
    int64_t index_max_bytes;
    int64_t message_max_bytes;
    int64_t fetch_max_bytes; /* bounds every Fetch response */
    int64_t socket_request_max_bytes;
    int64_t max_connections;
    int64_t queued_max_requests; /* per connection, in flight */
    int64_t background_threads;  /* the worker pool (base/pool) */
    int64_t connections_max_idle_ms;
    char io_backend[16]; /* auto, io_uring or epoll */
    int64_t queued_max_request_bytes;          /* all connections; -1: no limit */
    int64_t queued_max_request_bytes_per_conn; /* -1: no limit */
    int64_t fetch_max_wait_cap_ms;
    int64_t max_connections_per_ip;
    char max_connections_per_ip_overrides[CONFIG_PATH_MAX];
    int64_t max_connection_creation_rate; /* per second */

    /* retention and rolling (storage) */
    int64_t log_retention_hours;
    int64_t log_retention_minutes; /* -2: unset */
    int64_t log_retention_ms;      /* -2: unset */
    int64_t log_retention_bytes;   /* -1: unlimited */
    int64_t log_retention_check_interval_ms;
    int64_t log_roll_hours;
    int64_t log_roll_ms; /* -2: unset */
    int64_t log_flush_interval_messages;
    int64_t log_flush_interval_ms; /* -2: unset (fsync only for acks=all) */
    char log_message_timestamp_type[32];

    /* logging (base/log.h): applied by sluiced, not by an embedded broker */
    char log_level[512]; /* "info,storage=debug" */
    char log_format[16]; /* text or json */

    /* consumer groups */
    int64_t group_min_session_timeout_ms;
    int64_t group_max_session_timeout_ms;
    int64_t group_initial_rebalance_delay_ms;
    int64_t offsets_retention_minutes;
    int64_t offsets_retention_check_interval_ms;
    int64_t producer_id_expiration_ms;
    int64_t producer_id_expiration_check_interval_ms;

    /* derived by config_finish() */
    char listen_host[CONFIG_HOST_MAX];
    int listen_port;
    char advertised_host[CONFIG_HOST_MAX];
    int advertised_port; /* 0: the port actually bound */
    int64_t retention_ms;      /* -1: unlimited; from ms, minutes or hours */
    int64_t roll_ms;           /* from log.roll.ms or log.roll.hours */
    bool log_append_time;      /* log.message.timestamp.type=LogAppendTime */
} broker_config;

void config_defaults(broker_config *c);
/* One key=value; SL_E_NOTFOUND for an unknown key, SL_E_INVAL for a bad
 * value; errstr names the key either way. */
sl_err config_set(broker_config *c, const char *key, const char *value,
                  char *errstr, size_t errstr_size);
/* A Java-style properties file: key=value, key: value or "key value"
 * lines; # and ! comments; trailing backslash continues a line. */
sl_err config_load_file(broker_config *c, const char *path, char *errstr, size_t errstr_size);
/* Cross-key checks and derived fields (listener host/port). */
sl_err config_finish(broker_config *c, char *errstr, size_t errstr_size);
/* log.level and log.format parsed (either out may be NULL: just check). */
sl_err config_log_settings(const broker_config *c, sl_log_levels *lv, sl_log_format *fmt,
                           char *errstr, size_t errstr_size);
/* The most connections one address (numeric, as inet_ntop writes it)
 * may have: max.connections.per.ip or its entry in the overrides. */
int64_t config_ip_max_connections(const broker_config *c, const char *ip);
/* The key table as --help text. */
void config_print_help(FILE *out);
/* The key table as man(7) .TP entries (sluice-server.properties.5). */
void config_print_man(FILE *out);

/* The value in force of a key, as text (false if the key is unknown), and
 * whether it is still the default. */
bool config_get(const broker_config *c, const char *key, char *buf, size_t n, bool *is_default);
/* Every key, in table order (DescribeConfigs of the broker). */
void config_each(const broker_config *c,
                 void (*fn)(void *ud, const char *name, const char *value, bool is_default),
                 void *ud);

#endif
