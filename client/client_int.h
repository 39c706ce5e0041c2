/*
 * client_int.h - what the files of client/ share and callers never see:
 * connections (conn.c), the client's broker and topic tables (client.c),
 * record-set building and reading (recset.c, over protocol/codec.h's
 * compression).
 *
 * A connection is a blocking-style TCP socket driven by poll() with
 * deadlines.  Requests may be pipelined: each one sent is remembered in a
 * FIFO (correlation id, api key, version) and responses are matched to it
 * in order, as Kafka answers a connection's requests in order.
 */
#ifndef SLC_CLIENT_INT_H
#define SLC_CLIENT_INT_H

#include <stdarg.h>

#include "../base/arena.h"
#include "../protocol/api.h"
#include "../protocol/codec.h"
#include "../protocol/kbuf.h"
#include "sluice.h"

#define SLC_MAX_INFLIGHT 16
#define SLC_MAX_FRAME (512u << 20) /* largest response accepted */

typedef struct slc_conn {
    slc_client *cl;
    int fd;                /* -1 when closed */
    char *host;
    int port;
    int32_t node_id;       /* -1 for a bootstrap address */
    bool versions_known;
    int16_t vmin[API_KEY_MAX], vmax[API_KEY_MAX]; /* vmax -1: not served */
    int32_t next_corr;
    struct {
        int32_t corr;
        int16_t api, ver;
    } inflight[SLC_MAX_INFLIGHT];
    int nin, ihead;
    uint8_t *rbuf;         /* bytes received, not yet a whole frame */
    size_t rlen, rcap;
    int64_t retry_at;      /* monotonic ms: no reconnect before */
    int backoff_ms;
    char last_err[256];    /* why the last connect failed */
} slc_conn;

/* --- time ---------------------------------------------------------------- */

int64_t slc_mono_ms(void);
int64_t slc_wall_ms(void);

/* --- conn.c -------------------------------------------------------------- */

slc_conn *conn_new(slc_client *cl, const char *host, int port, int32_t node_id);
void conn_free(slc_conn *c);
/* Connect (respecting the backoff) and negotiate ApiVersions.  SL_OK when
 * connected, SL_E_IO otherwise (client errstr says why). */
sl_err conn_ready(slc_conn *c);
/* Close; in-flight requests are lost (their owners must notice: see
 * conn_inflight).  Starts or doubles the reconnect backoff when failed. */
void slc_conn_close(slc_conn *c, bool failed);
/* Highest common version within [vmin, vmax], or -1. */
int16_t conn_version(const slc_conn *c, int16_t api, int16_t vmin, int16_t vmax);
/* Start a request: w gets the size placeholder and the request header. */
void conn_req_begin(slc_conn *c, kbuf_wr *w, int16_t api, int16_t ver);
/* Send a request begun with conn_req_begin (w is freed).  expect_response
 * false for Produce acks=0.  *corr (may be NULL) gets its correlation id. */
sl_err conn_req_send(slc_conn *c, kbuf_wr *w, bool expect_response, int32_t *corr);
/* Receive the response to the oldest in-flight request, waiting up to
 * timeout_ms.  *frame is owned by the caller (free()); *body reads the
 * response body (header consumed); *corr (may be NULL) says which
 * request it answers. */
sl_err conn_resp_recv(slc_conn *c, int timeout_ms, uint8_t **frame, kbuf_rd *body,
                      int32_t *corr);
/* Send and wait for the response, with the client's request timeout
 * (conn_call) or timeout_ms (JoinGroup waits for a whole rebalance).  A
 * timed out call closes the connection: its late answer would be taken
 * for the next one's. */
sl_err conn_call(slc_conn *c, kbuf_wr *w, uint8_t **frame, kbuf_rd *body);
sl_err conn_call_to(slc_conn *c, kbuf_wr *w, int timeout_ms, uint8_t **frame, kbuf_rd *body);
/* Set the client's error text and return the error, naming the broker.
 * conn_unserved: it does not serve api in [vmin, vmax]
 * (SL_KE_UNSUPPORTED_VERSION; the text says what it does offer).
 * conn_fail: its answer to api vN (about what: a group, a topic, or NULL)
 * carried error e (> 0, named with its code) or did not decode (e < 0). */
sl_err conn_unserved(const slc_conn *c, int16_t api, int16_t vmin, int16_t vmax);
sl_err conn_fail(const slc_conn *c, int16_t api, int16_t ver, const char *about, sl_err e);
/* Complete frames already buffered (no read needed). */
bool conn_frame_buffered(const slc_conn *c);

/* --- client.c ------------------------------------------------------------ */

void client_seterr(slc_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const slc_conf *client_conf(const slc_client *c);
const char *client_id(const slc_client *c);
/* Some connected broker (bootstrap addresses first, then known brokers). */
sl_err client_any(slc_client *c, slc_conn **out);
/* The connection of a broker by node id (not necessarily connected). */
slc_conn *client_broker(slc_client *c, int32_t node_id);
/* The same, added at host:port if the node is not known yet (a
 * coordinator); NULL only when out of memory. */
slc_conn *client_node(slc_client *c, int32_t node_id, const char *host, int port);
/* Leader node of a partition from the metadata cache (refreshed when
 * missing, stale or marked stale); -1 if unknown. */
int32_t client_leader(slc_client *c, const char *topic, int32_t partition);
/* Every topic of the cluster (Metadata for all topics; fills the cache):
 * *names gets a malloc'd array of malloc'd names (free each, then it),
 * *counts (malloc'd) their partition counts. */
sl_err client_all_topics(slc_client *c, char ***names, int32_t **counts, int32_t *n);
/* Forget the cached metadata of a topic (after NOT_LEADER and the like). */
void client_metadata_stale(slc_client *c, const char *topic);
/* Every connection the client has (for poll()). */
slc_conn **client_conns(slc_client *c, int *n);

/* --- recset.c ------------------------------------------------------------- */

/* Finish a builder as a batch with producer fields and compression: owned
 * (free()).  pid -1 for a non-idempotent batch. */
sl_err recset_finish(rec_builder *b, int codec, int level, int64_t pid, int16_t epoch,
                     int32_t base_seq, uint8_t **out, size_t *len);

/* Reading a fetched records blob batch by batch, record by record. */
typedef struct recset_rd {
    const uint8_t *p, *end;   /* the rest of the blob */
    bool check_crc;
    uint8_t *plain;           /* a decompressed copy of the current batch */
    rec_iter it;
    bool in_batch;
    rec_batch batch;          /* header of the current batch */
    int64_t next_offset;      /* offset after the last batch started */
    rec_header *hdrs;         /* headers of the current record */
    int32_t hdrs_cap;
} recset_rd;

void recset_rd_init(recset_rd *r, const uint8_t *p, size_t n, bool check_crc);
void recset_rd_free(recset_rd *r);
/* Next record at or after min_offset: SL_OK with *out (headers decoded into
 * r->hdrs); SL_E_NOTFOUND at the end (a partial trailing batch is the end);
 * another error for a corrupt batch (SL_KE_CORRUPT_MESSAGE, ...). */
sl_err recset_next(recset_rd *r, int64_t min_offset, rec_record *out);

#endif
