/*
 * sluice_broker.h - the sluice broker as a library (libsluice-broker,
 * prefix slb_): run brokers inside a program, typically a test, each on
 * its own thread, and inject faults into them on demand.
 *
 *     slb_config *c = slb_config_new();
 *     slb_broker *b;
 *     char err[256];
 *
 *     slb_config_set(c, "num.partitions", "3", err, sizeof err);
 *     if (slb_start(c, &b, err, sizeof err) != 0) ...
 *     slb_config_free(c);
 *     connect clients to slb_bootstrap(b) ("127.0.0.1:PORT")
 *     slb_stop(b);
 *
 * A broker started here listens on 127.0.0.1 on a free port and keeps its
 * data in a new directory that slb_stop removes (as sluiced --ephemeral:
 * under $TMPDIR if set, else in memory under /dev/shm, else /tmp),
 * unless the configuration says otherwise (listeners, log.dirs: the same Kafka-named
 * settings as sluiced's properties file).  Several brokers run side by
 * side; none touches the process's signal dispositions or mask (its
 * thread blocks signals for itself only) or any other process-wide state,
 * except that log lines go to stderr at one process-wide level.
 *
 * Every call is thread-safe, except slb_stop, after which the handle is
 * gone.  Calls that can fail return 0, or -1 with the reason in errstr
 * (or logged, for the fault calls without an errstr).
 */
#ifndef SLB_SLUICE_BROKER_H
#define SLB_SLUICE_BROKER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slb_config slb_config;
typedef struct slb_broker slb_broker;

/* Settings for slb_start: the ephemeral defaults above, then each
 * slb_config_set in order (checked at once).  NULL if out of memory. */
slb_config *slb_config_new(void);
int slb_config_set(slb_config *c, const char *key, const char *value, char *errstr,
                   size_t errstr_size);
void slb_config_free(slb_config *c);

/* Start a broker on a new thread; returns once it listens (*out set) or
 * failed to start (-1, errstr says why).  c may be NULL (all defaults) and
 * may be freed or reused after the call. */
int slb_start(const slb_config *c, slb_broker **out, char *errstr, size_t errstr_size);
/* "host:port" for clients' bootstrap.servers; valid until slb_stop. */
const char *slb_bootstrap(const slb_broker *b);
/* Stop cleanly (connections finish, writes are flushed, logs closed),
 * join its thread and free everything, removing an ephemeral data
 * directory.  0 on a clean stop.  NULL is a no-op. */
int slb_stop(slb_broker *b);

/* Log level of every broker in the process: 0 debug, 1 info (default),
 * 2 warnings, 3 errors only. */
void slb_log_level(int level);

/* --- faults on demand --------------------------------------------------- */

/* Answer the next `count` requests of api_key, in order, with the error
 * codes given (Kafka's numbers; 0 lets that request through), in the
 * manner of librdkafka's rd_kafka_mock_push_request_errors.  Supported:
 * Produce (0), Fetch (1), ListOffsets (2), Metadata (3), OffsetCommit (8),
 * OffsetFetch (9), FindCoordinator (10), JoinGroup (11), Heartbeat (12),
 * SyncGroup (14); others fail. */
int slb_fault_push_errors(slb_broker *b, int16_t api_key, int count, ... /* int codes */);
int slb_fault_push_error_array(slb_broker *b, int16_t api_key, int count, const int16_t *codes,
                               char *errstr, size_t errstr_size);
/* Hold every request of api_key (-1: of every API) for ms before it is
 * handled; 0 ends the delay. */
int slb_fault_delay(slb_broker *b, int16_t api_key, int ms);
/* Close every client connection now (clients reconnect). */
int slb_fault_close_connections(slb_broker *b);
/* An outage: close every client connection and refuse new ones for ms,
 * then serve again (0: end an outage now). */
int slb_fault_pause(slb_broker *b, int ms);
/* Forget queued errors and delays. */
int slb_fault_clear(slb_broker *b);
/* Errors queued for api_key not yet answered (0 once all were used). */
int slb_fault_pending(slb_broker *b, int16_t api_key);

#ifdef __cplusplus
}
#endif

#endif
