/*
 * broker.h - the broker's state and the pieces its files share: the
 * server (server.c), timers (timer.c), connections and requests (conn.c),
 * dispatch (dispatch.c) and the API handlers (handlers/).
 *
 * One thread, one io_uring (base/ring) for sockets, file writes, fsyncs
 * and timers.  Nothing in the loop blocks on the network; storage appends
 * and flushes are asynchronous.
 *
 * @loop: everything here runs on the loop thread, except what says it is
 * thread-safe (broker_wake, broker_request_stop, faults.h's commands).
 * No process-wide state: several brokers can run in one process, each on
 * its own thread (embed.c).
 */
#ifndef SL_BROKER_H
#define SL_BROKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* libbsd's tree.h marks generated functions __unused, which strict C11
 * headers do not define. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include <bsd/sys/queue.h>
#include <sys/socket.h>
#include <bsd/sys/tree.h>
#include <sys/uio.h>

#include "../base/arena.h"
#include "../base/pool.h"
#include "../base/ring.h"
#include "../protocol/header.h"
#include "../protocol/kbuf.h"
#include "../storage/storage.h"
#include "../protocol/api.h"
#include "config.h"

typedef struct broker broker;
typedef struct conn conn;
typedef struct breq breq;

/* The struct that embeds `p` as its member `field` (completions carry a
 * pointer to an sl_op or sl_timer inside its owner). */
#define CONTAINER_OF(p, type, field) ((type *)((char *)(p) - offsetof(type, field)))

/* --- timers (timer.c) ------------------------------------------------- */

typedef struct sl_timer sl_timer;
typedef void (*sl_timer_fn)(sl_timer *t);
struct sl_timer {
    RB_ENTRY(sl_timer) node;
    int64_t deadline_ms; /* monotonic */
    uint64_t seq;        /* ties broken by arming order */
    sl_timer_fn fn;
    bool armed;
};
RB_HEAD(sl_timer_tree, sl_timer);

int64_t sl_now_ms(void);     /* CLOCK_MONOTONIC */
int64_t sl_wallclock_ms(void);
void timer_arm(broker *b, sl_timer *t, int64_t delay_ms, sl_timer_fn fn);
void timer_cancel(broker *b, sl_timer *t);
/* Run expired timers; returns ms until the next one, or -1 if none. */
int timer_run(broker *b);

/* --- requests ---------------------------------------------------------- */

/* A place in a response where bytes come from a file (sendfile). */
typedef struct resp_splice {
    size_t at; /* offset in the in-memory response */
    int fd;    /* owned: closed when sent or dropped */
    int64_t pos, len;
} resp_splice;

struct breq {
    TAILQ_ENTRY(breq) link;
    conn *c;
    uint8_t *frame; /* owned: the request bytes after the size prefix */
    size_t frame_len;
    msg_req_header hdr;
    kbuf_rd body;   /* positioned at the request body */
    sl_arena arena; /* decoded request, freed with the request */

    int pending;     /* async parts outstanding (storage appends) */
    bool ready;      /* response built (or none is due) */
    bool no_response;
    bool cancelled;  /* the connection went away while pending */
    bool fault_held; /* already held by an injected delay (faults.c) */

    /* response: frame bytes in memory, with file ranges spliced in */
    uint8_t *resp;
    size_t resp_len;
    resp_splice *splices;
    int nsplices;
    /* send progress */
    size_t sent_mem;   /* bytes of resp sent */
    int splice_idx;    /* next splice to send */
    int64_t splice_sent;

    /* handler state; cancel() is called if the connection closes while
     * the request waits (parked fetch), and must make it ready. */
    void *hctx;
    void *owner; /* who parked it (a group member), for cancel() */
    void (*cancel)(breq *r);
    TAILQ_ENTRY(breq) park_link;
    struct breq_list *park_list; /* the list it is parked on, or NULL */
    sl_timer timer;
};
TAILQ_HEAD(breq_list, breq);

/* Finish a request: the response body in w (written after a response
 * header the caller already put there with resp_begin).  Takes w's
 * buffer. */
void resp_begin(breq *r, kbuf_wr *w);
void resp_finish(breq *r, kbuf_wr *w);
/* Add a file range at the current end of w (for resp_finish). */
void resp_add_splice(breq *r, kbuf_wr *w, int fd, int64_t pos, int64_t len);
/* Mark a request done without a response (acks=0). */
void req_finish_silent(breq *r);
/* An async part of r completed (pending reached 0 is up to the caller). */

/* --- connections (conn.c) ---------------------------------------------- */

struct conn {
    LIST_ENTRY(conn) link;
    broker *b;
    int fd;
    char peer[64];
    uint64_t id;
    struct ip_count *ipc; /* its address's count (conn_limits.c) */

    sl_op recv_op, send_op, poll_op;
    bool recv_busy, send_busy, poll_busy;
    bool closing;  /* shut down: no more reads or sends */
    bool draining; /* broker stopping: read nothing new, finish the rest */

    uint8_t *rbuf;
    size_t rcap, rpos, rlen; /* unparsed bytes are rbuf[rpos, rlen) */
    uint8_t *partial_frame; /* a large frame received straight into its buffer */
    size_t partial_len, partial_have, partial_cap;
    int64_t last_active_ms; /* last bytes in or out, for connections.max.idle.ms */
    int holds;              /* callers on the stack that still use the conn */
    bool kicking, kick_again;
    bool kick_queued;       /* on the broker's kick list */
    TAILQ_ENTRY(conn) kick_link;

    struct breq_list reqs; /* in arrival order; responses go out in it */
    int nreqs;
    size_t held;           /* request frame bytes allocated (frames + partial buffer) */
    bool mem_waiting;      /* on the broker's mem_waiters list */
    TAILQ_ENTRY(conn) mem_link;

    struct iovec iov[16];
    struct msghdr msg;
    breq *iov_req[16];
    int iov_n;

    /* A file range not in the page cache is read in by a worker before
     * it is sent (conn.c, splice_warm). */
    sl_job warm_job;
    bool warm_busy;
    int warm_fd; /* the worker's own dup */
    int64_t warm_pos, warm_len;
    int64_t send_ok_end; /* the head splice may be sent up to here unchecked */
};
LIST_HEAD(conn_list, conn);
RB_HEAD(ip_count_tree, ip_count);

void conn_accepted(broker *b, int fd, const struct sockaddr *sa, socklen_t salen);
/* Try to send finished responses and read more; call after a request
 * becomes ready. */
void conn_kick(conn *c);
void conn_close(conn *c, const char *why);
void conn_drain(conn *c);
/* Mark r's response finished; its connection is kicked from the loop, not
 * from here, so a handler or the group coordinator is never re-entered
 * by a request that the kick would read and dispatch. */
void req_ready(breq *r);
/* Kick every connection queued by req_ready; the loop calls it. */
void conn_run_kicks(broker *b);
/* Close connections idle past connections.max.idle.ms. */
void conn_close_idle(broker *b);
/* Have c kicked from the loop (conn_run_kicks). */
void conn_queue_kick(conn *c);

/* --- who may connect (conn_limits.c) -------------------------------------- */

/* Count a connection from ip, or NULL (logged) past max.connections.per.ip. */
struct ip_count *connlim_acquire(broker *b, const char *ip);
void connlim_release(broker *b, struct ip_count *e);
/* max.connection.creation.rate: 0 if a connection may be accepted now,
 * else the ms to wait; connlim_accepted() when one was. */
int64_t connlim_accept_delay_ms(broker *b);
void connlim_accepted(broker *b);

/* --- request memory (conn_budget.c) --------------------------------------- */

/* May c start reading another frame?  Refused for the broker's limit, c
 * is kicked once bytes are freed; for its own, when its requests finish. */
bool budget_may_start(conn *c);
/* Account n more frame bytes for c, or refuse (c then waits as above). */
bool budget_take(conn *c, size_t n);
/* n frame bytes of c freed. */
void budget_release(conn *c, size_t n);
/* c's frame in progress is complete (it may no longer pass the limit). */
void budget_frame_done(conn *c);
/* c is being freed. */
void budget_conn_gone(conn *c);

/* --- the broker (server.c) -------------------------------------------- */

struct broker {
    broker_config cfg;
    sl_ring *ring;
    sl_pool *pool; /* background.threads workers */
    sl_io *io;
    plog_env *env;
    catalog *cat;
    struct grp_coord *groups; /* group.h */
    struct offsets *offs;     /* offsets.h */
    struct producers *prods;  /* producers.h */
    TAILQ_HEAD(, dup_wait) dup_waits; /* duplicate batches awaiting their original */
    sl_timer offsets_expiry_timer;
    sl_timer producers_expiry_timer;
    sl_timer offsets_compact_timer; /* a compaction put off by commits in flight */
    sl_timer idle_timer;
    bool idle_sweep_due;
    int64_t stall_end_ms; /* when the loop last resumed from a stall */
    char cluster_id[23];
    int32_t node_id;
    int advertised_port;
    int dir_lock_fd; /* holds <log.dirs>/.lock while open */

    int listen_fd;
    int bound_port;
    sl_op accept_op;
    bool accept_busy;
    sl_timer accept_retry_timer; /* accept failed (EMFILE...): try again */
    struct sockaddr_storage accept_addr;
    socklen_t accept_addrlen;

    /* Other threads reach the loop through this eventfd (broker_wake). */
    int wake_fd;
    sl_op wake_op;
    bool wake_busy;
    uint64_t wake_val;
    atomic_bool stop_requested;
    struct faults *faults; /* faults.h: injected errors, delays, outages */

    struct conn_list conns;
    int nconns;
    struct ip_count_tree ip_counts; /* conn_limits.c */
    double accept_tokens;           /* max.connection.creation.rate bucket */
    int64_t accept_tokens_ms;
    TAILQ_HEAD(, conn) kicks; /* conns with newly finished responses */
    /* queued.max.request.bytes: frame bytes held by all connections; one
     * connection may take a frame past the limit (mem_overshoot), the
     * others wait on mem_waiters until bytes are freed. */
    size_t req_bytes;
    conn *mem_overshoot;
    TAILQ_HEAD(, conn) mem_waiters;
    uint64_t next_conn_id;

    struct sl_timer_tree timers;
    uint64_t timer_seq;

    struct breq_list parked;  /* fetches waiting for data */

    bool stopping;
    int64_t stop_deadline_ms;
};

/* Set up storage, listen, and log the address; errstr on failure. */
sl_err broker_start(broker *b, const broker_config *cfg, char *errstr, size_t errstr_size);
/* Run until broker_stop (or broker_request_stop) and a clean shutdown. */
int broker_run(broker *b);
void broker_stop(broker *b);
/* Thread-safe: make the loop look at requests from other threads (a
 * stop, faults), and ask it to stop cleanly (a signal handler's thread or
 * the embedding program). */
void broker_wake(broker *b);
void broker_request_stop(broker *b);
void broker_free(broker *b);


/* --- dispatch (dispatch.c) ----------------------------------------------- */

typedef void (*api_handler)(breq *r);
typedef struct api_entry {
    int16_t key;
    int16_t min, max;
    api_handler handler;
} api_entry;

/* The one table: what we dispatch is what ApiVersions advertises. */
extern const api_entry api_table[];
extern const int api_table_len;
const api_entry *api_find(int16_t key);
/* Route a complete request frame; may close the connection. */
void dispatch(breq *r);
/* Hand a request that faults.c held back to its handler (or a fault). */
void dispatch_resume(breq *r);

/* --- handlers (handlers/) ------------------------------------------------ */

void handle_api_versions(breq *r);
void handle_metadata(breq *r);
void handle_produce(breq *r);
void handle_fetch(breq *r);
void handle_list_offsets(breq *r);
void handle_find_coordinator(breq *r);
void handle_join_group(breq *r);
void handle_sync_group(breq *r);
void handle_heartbeat(breq *r);
void handle_leave_group(breq *r);
void handle_offset_commit(breq *r);
void handle_offset_fetch(breq *r);
void handle_offset_delete(breq *r);
void handle_list_groups(breq *r);
void handle_describe_groups(breq *r);
void handle_delete_groups(breq *r);
void handle_init_producer_id(breq *r);
void handle_create_topics(breq *r);
void handle_delete_topics(breq *r);
void handle_create_partitions(breq *r);
void handle_delete_records(breq *r);
void handle_describe_cluster(breq *r);
void handle_describe_log_dirs(breq *r);
void handle_describe_configs(breq *r);
void handle_alter_configs(breq *r);
void handle_incremental_alter_configs(breq *r);
/* A log is going away (DeleteTopics): answer the duplicate batches
 * waiting on it with UNKNOWN_TOPIC_OR_PARTITION. */
void produce_fail_dup_waits(broker *b, plog *log);
/* Answer duplicate batches whose original is now written (or durable). */
void produce_run_dup_waits(broker *b);
/* Re-evaluate parked fetches (before sleep, after data arrived). */
void fetch_wake_parked(broker *b);

/* Text in r's arena: printf-style (null bytes if out of memory), and a
 * NUL-terminated copy of wire bytes (NULL if out of memory). */
sl_bytes req_printf(breq *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *req_cstr(breq *r, sl_bytes b);

/* Log a request that failed to decode and close its connection
 * (SL_E_NOMEM is logged as out of memory, not as a parse failure). */
void req_malformed(breq *r, sl_err err);
/* Log running out of memory answering r and close its connection. */
void req_out_of_memory(breq *r);

#endif
