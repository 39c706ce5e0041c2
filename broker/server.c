/*
 * server.c - the broker's life: open storage, listen, run the loop, stop.
 *
 * One loop turn (Redis' beforeSleep order):
 *   1. run expired timers (fetch waits)
 *   2. look again at parked fetches if any log's high watermark moved
 *   3. group commit: one datasync per log with acks=all appends waiting
 *   4. submit everything and sleep in io_uring until a completion or the
 *      next timer; dispatch all completions
 * Stopping (broker_request_stop, from any thread): stop accepting, let
 * connections finish what they have, wait for every storage write and
 * flush, close logs cleanly.
 */
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "broker.h"
#include "faults.h"
#include "group.h"
#include "offsets.h"
#include "producers.h"
#include "retention.h"
#include "topic_config.h"
#include "version.h"

#define RING_ENTRIES 4096
#define STOP_GRACE_MS 10000
#define STALL_SLACK_MS 500 /* a turn this much longer than its wait is a stall */
#define FD_MARGIN 64       /* descriptors for rolls, fetches, side files */

/* Completions of cancel requests need no handling (never written: safe
 * to share between brokers). */
static sl_op cancel_op = { NULL };

static void ensure_group(void *ud, sl_bytes group)
{
    grp_ensure(ud, group);
}

/* offsets.retention.minutes (KIP-211): a group's offsets expire once it
 * has had no members for that long (and none was committed since); the
 * group goes with them. */
typedef struct expiry_ctx {
    grp_coord *gc;
    int64_t cutoff;
} expiry_ctx;

static bool group_idle(void *ud, sl_bytes group)
{
    expiry_ctx *ec = ud;
    int64_t since = grp_empty_since(ec->gc, group);

    if (since < 0 || since > ec->cutoff)
        return false;
    grp_remove(ec->gc, group);
    return true;
}

/* The sweep itself runs after the next reap of completions (broker_run):
 * after a stall of the loop, bytes that arrived meanwhile must count as
 * activity before anything is judged idle. */
static void on_idle_check(sl_timer *t)
{
    broker *b = CONTAINER_OF(t, broker, idle_timer);
    int64_t every = b->cfg.connections_max_idle_ms / 10;

    b->idle_sweep_due = true;
    timer_arm(b, t, every < 10 ? 10 : every > 1000 ? 1000 : every, on_idle_check);
}

/* A compaction that found commits in flight: try again until a moment
 * with none (a busy broker has them most of the time, briefly each). */
static void on_offsets_compact_retry(sl_timer *t)
{
    broker *b = CONTAINER_OF(t, broker, offsets_compact_timer);

    if (!offsets_compact(b->offs))
        timer_arm(b, t, 20, on_offsets_compact_retry);
}

static void on_offsets_expiry(sl_timer *t)
{
    broker *b = CONTAINER_OF(t, broker, offsets_expiry_timer);
    int64_t now = sl_wallclock_ms();

    expiry_ctx ec = { b->groups, now - b->cfg.offsets_retention_minutes * 60000 };

    offsets_expire(b->offs, ec.cutoff, group_idle, &ec, now);
    if (!offsets_compact(b->offs))
        timer_arm(b, &b->offsets_compact_timer, 20, on_offsets_compact_retry);
    timer_arm(b, t, b->cfg.offsets_retention_check_interval_ms, on_offsets_expiry);
}

/* producer.id.expiration.ms; the same turn snapshots changed producer
 * states, which bounds what a restart after a crash reads. */
static void on_producers_expiry(sl_timer *t)
{
    broker *b = CONTAINER_OF(t, broker, producers_expiry_timer);

    producers_expire(b->prods, sl_wallclock_ms(), b->cfg.producer_id_expiration_ms);
    producers_snapshot(b->prods);
    timer_arm(b, t, b->cfg.producer_id_expiration_check_interval_ms, on_producers_expiry);
}

static void post_accept(broker *b);

static void accept_retry(sl_timer *t)
{
    post_accept(CONTAINER_OF(t, broker, accept_retry_timer));
}

static void on_accept(sl_op *op, int res, uint32_t flags)
{
    broker *b = CONTAINER_OF(op, broker, accept_op);

    (void)flags;
    b->accept_busy = false;
    if (res >= 0) {
        if (b->stopping) {
            close(res);
            return;
        }
        if (faults_paused(b)) {
            close(res); /* an injected outage: as if nobody listened */
        } else if (b->nconns >= b->cfg.max_connections) {
            sl_warn_rl("net", "max.connections (%lld) reached: refusing a connection",
                       (long long)b->cfg.max_connections);
            close(res);
        } else {
            connlim_accepted(b);
            conn_accepted(b, res, (struct sockaddr *)&b->accept_addr, b->accept_addrlen);
        }
        post_accept(b);
        return;
    }
    if (b->stopping || res == -ECANCELED)
        return;
    sl_warn_rl("net", "accept: %s: retrying in 100 ms", strerror(-res));
    /* EMFILE and friends: back off instead of spinning; the client waits
     * in the listen backlog meanwhile. */
    timer_arm(b, &b->accept_retry_timer, 100, accept_retry);
}

static void post_accept(broker *b)
{
    struct io_uring_sqe *sqe;
    int64_t delay;

    if (b->accept_busy || b->stopping || b->accept_retry_timer.armed)
        return;
    /* max.connection.creation.rate: the next client waits in the backlog. */
    delay = connlim_accept_delay_ms(b);
    if (delay > 0) {
        timer_arm(b, &b->accept_retry_timer, delay, accept_retry);
        return;
    }
    b->accept_addrlen = sizeof b->accept_addr;
    sqe = sl_ring_sqe(b->ring, &b->accept_op);
    io_uring_prep_accept(sqe, b->listen_fd, (struct sockaddr *)&b->accept_addr,
                         &b->accept_addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    b->accept_busy = true;
}

static void post_wake_read(broker *b);

/* Another thread asked something of the loop (broker_wake): a stop, or
 * a fault to apply. */
static void on_wake(sl_op *op, int res, uint32_t flags)
{
    broker *b = CONTAINER_OF(op, broker, wake_op);

    (void)flags;
    (void)res;
    b->wake_busy = false;
    if (atomic_load(&b->stop_requested))
        broker_stop(b);
    faults_on_wake(b);
    if (!b->stopping)
        post_wake_read(b);
}

static void post_wake_read(broker *b)
{
    struct io_uring_sqe *sqe = sl_ring_sqe(b->ring, &b->wake_op);

    io_uring_prep_read(sqe, b->wake_fd, &b->wake_val, sizeof b->wake_val, 0);
    b->wake_busy = true;
}

void broker_wake(broker *b)
{
    uint64_t one = 1;

    /* An eventfd counter only overflows after 2^64-1 wakes: ignore. */
    if (write(b->wake_fd, &one, sizeof one) < 0)
        sl_warn("broker", "wake: %s", strerror(errno));
}

void broker_request_stop(broker *b)
{
    atomic_store(&b->stop_requested, true);
    broker_wake(b);
}

static int mkdir_p(const char *path)
{
    char tmp[CONFIG_PATH_MAX];
    size_t n = strlen(path);

    if (n >= sizeof tmp)
        return -ENAMETOOLONG;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* The first address that binds and listens: its fd, or -1 with *err. */
static int bind_first(const struct addrinfo *ai, int *err)
{
    int one = 1;

    *err = 0;
    for (const struct addrinfo *p = ai; p; p = p->ai_next) {
        int fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);

        if (fd < 0) {
            *err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, p->ai_addr, p->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            return fd;
        *err = errno;
        close(fd);
    }
    return -1;
}

static sl_err open_listener(broker *b, char *errstr, size_t errstr_size)
{
    struct addrinfo hints = { 0 }, *ai = NULL;
    char port[16];
    int rc;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;

    snprintf(port, sizeof port, "%d", b->cfg.listen_port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(b->cfg.listen_host[0] ? b->cfg.listen_host : NULL, port, &hints, &ai);
    if (rc) {
        snprintf(errstr, errstr_size, "listeners: cannot resolve '%s': %s", b->cfg.listen_host,
                 gai_strerror(rc));
        return SL_E_INVAL;
    }
    b->listen_fd = -1;
    /* A killed broker's listening socket can outlive it briefly (the
     * kernel tears its io_uring down after the process is gone): retry
     * an address in use for a few seconds before giving up. */
    for (int attempt = 0; b->listen_fd < 0 && attempt < 50; attempt++) {
        if (attempt) {
            struct timespec ts = { 0, 100 * 1000000L };

            nanosleep(&ts, NULL);
        }
        b->listen_fd = bind_first(ai, &rc);
        if (rc != EADDRINUSE)
            break;
    }
    freeaddrinfo(ai);
    if (b->listen_fd < 0) {
        snprintf(errstr, errstr_size, "cannot listen on %s: %s", b->cfg.listeners,
                 strerror(rc ? rc : EADDRNOTAVAIL));
        return SL_E_IO;
    }
    getsockname(b->listen_fd, (struct sockaddr *)&ss, &sslen);
    b->bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    b->advertised_port = b->cfg.advertised_port ? b->cfg.advertised_port : b->bound_port;
    return SL_OK;
}

/* Descriptors open now (the data directory's files, the ring, ...). */
static long count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    long n = 0;

    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own */
}

/* RLIMIT_NOFILE: the soft limit up to the hard one, before the data
 * directory's files are opened (a partition holds several). */
static void raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    {
        struct rlimit up = { rl.rlim_max, rl.rlim_max };

        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            sl_info("broker", "RLIMIT_NOFILE raised from %llu to the hard limit %llu",
                    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    }
}

/* Warn if max.connections cannot fit beside the descriptors open now
 * (new partitions and rolls need more). */
static void check_nofile(broker *b)
{
    struct rlimit rl;
    long open_now = count_open_fds();
    long long need = open_now + b->cfg.max_connections + FD_MARGIN;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        (unsigned long long)need <= rl.rlim_cur)
        return;
    sl_warn("broker",
            "RLIMIT_NOFILE is %llu: %ld descriptors are open (partitions' files and the "
            "broker's own), max.connections is %lld: about %lld are needed.  Past the limit "
            "new connections wait, and appends that roll a segment and fetches fail with "
            "'too many open files' (raise the hard limit: ulimit -Hn, systemd LimitNOFILE=)",
            (unsigned long long)rl.rlim_cur, open_now, (long long)b->cfg.max_connections, need);
}

/* Each topic's stored overrides over the broker's defaults. */
static sl_err apply_topic_configs(broker *b, char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < catalog_count(b->cat); i++) {
        cat_topic *t = catalog_at(b->cat, i);
        plog_config tpc;
        int64_t maxmsg;
        char why[256];
        sl_err err = tcfg_resolve(&b->cfg, cat_topic_overrides(t), &tpc, &maxmsg, why, sizeof why);

        if (!err)
            err = cat_topic_set_config(t, &tpc);
        if (err) {
            snprintf(errstr, errstr_size, "topic %s: stored config: %s", cat_topic_name(t), why);
            return err;
        }
    }
    return SL_OK;
}

/* io.backend: io_uring, or epoll where it is refused (containers'
 * seccomp profiles, kernel.io_uring_disabled) or asked for. */
static sl_err open_ring(broker *b, char *errstr, size_t errstr_size)
{
    const char *want = b->cfg.io_backend;
    sl_err err;

    if (!strcmp(want, "epoll"))
        return sl_ring_new_kind(&b->ring, SL_RING_EPOLL, RING_ENTRIES, errstr, errstr_size);
    err = sl_ring_new(&b->ring, RING_ENTRIES, errstr, errstr_size);
    if (err && !strcmp(want, "io_uring")) {
        size_t n = strlen(errstr);

        snprintf(errstr + n, errstr_size - n,
                 " (io.backend=io_uring; io.backend=auto would run on epoll instead)");
    }
    if (!err || strcmp(want, "auto"))
        return err;
    sl_warn("broker",
            "%s: running on epoll instead, with file I/O on worker threads (slower; "
            "io.backend=epoll silences this, io.backend=io_uring refuses to start)",
            errstr);
    return sl_ring_new_kind(&b->ring, SL_RING_EPOLL, RING_ENTRIES, errstr, errstr_size);
}

sl_err broker_start(broker *b, const broker_config *cfg, char *errstr, size_t errstr_size)
{
    plog_config pcfg, opcfg;
    int64_t maxmsg;
    sl_err err;
    int rc;

    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    b->listen_fd = b->wake_fd = b->dir_lock_fd = -1;
    b->node_id = (int32_t)cfg->broker_id;
    LIST_INIT(&b->conns);
    RB_INIT(&b->ip_counts);
    TAILQ_INIT(&b->kicks);
    TAILQ_INIT(&b->mem_waiters);
    TAILQ_INIT(&b->dup_waits);
    RB_INIT(&b->timers);
    TAILQ_INIT(&b->parked);
    b->accept_op.done = on_accept;
    b->wake_op.done = on_wake;

    rc = mkdir_p(cfg->log_dirs);
    if (rc < 0) {
        snprintf(errstr, errstr_size, "log.dirs %s: %s", cfg->log_dirs, strerror(-rc));
        return SL_E_IO;
    }
    /* Before anything in it is read: two brokers on one directory
     * would overwrite each other's segments. */
    err = storage_dir_lock(cfg->log_dirs, &b->dir_lock_fd, errstr, errstr_size);
    if (err)
        return err;
    raise_nofile();
    err = storage_meta_load(cfg->log_dirs, b->node_id, b->cluster_id, errstr, errstr_size);
    if (err)
        return err;
    err = open_ring(b, errstr, errstr_size);
    if (err)
        return err;
    err = sl_pool_new(&b->pool, b->ring, (int)cfg->background_threads, errstr, errstr_size);
    if (err)
        return err;
    b->io = sl_io_uring_new(b->ring);
    if (!b->io || plog_env_new(&b->env, b->io) != SL_OK) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    /* The broker's log.* settings are every topic's defaults. */
    err = tcfg_resolve(cfg, NULL, &pcfg, &maxmsg, errstr, errstr_size);
    if (err)
        return err;
    err = catalog_open(&b->cat, b->env, cfg->log_dirs, &pcfg, errstr, errstr_size);
    if (err)
        return err;
    err = apply_topic_configs(b, errstr, errstr_size);
    if (err)
        return err;
    retention_start(b);
    /* The offsets log is ours: no retention, no LogAppendTime, no roll by
     * time; only its segment size follows the broker's. */
    plog_config_default(&opcfg);
    opcfg.segment_bytes = pcfg.segment_bytes;
    err = offsets_open(&b->offs, b->env, cfg->log_dirs, &opcfg, errstr, errstr_size);
    if (err)
        return err;
    err = producers_open(&b->prods, cfg->log_dirs, errstr, errstr_size);
    if (err)
        return err;
    producers_set_pool(b->prods, b->pool);
    b->groups = grp_coord_new(b);
    if (!b->groups) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    offsets_each_group(b->offs, ensure_group, b->groups);
    timer_arm(b, &b->offsets_expiry_timer, cfg->offsets_retention_check_interval_ms,
              on_offsets_expiry);
    timer_arm(b, &b->producers_expiry_timer, cfg->producer_id_expiration_check_interval_ms,
              on_producers_expiry);
    timer_arm(b, &b->idle_timer, 1000, on_idle_check);
    check_nofile(b);
    err = open_listener(b, errstr, errstr_size);
    if (err)
        return err;

    b->wake_fd = eventfd(0, EFD_CLOEXEC);
    b->faults = faults_new();
    if (b->wake_fd < 0 || !b->faults) {
        snprintf(errstr, errstr_size, "eventfd: %s",
                 b->wake_fd < 0 ? strerror(errno) : "out of memory");
        return SL_E_IO;
    }
    post_wake_read(b);
    post_accept(b);
    sl_info("broker", "sluiced %s: node %d, cluster %s, data in %s, %zu topics, on %s",
            sluice_version, b->node_id, b->cluster_id, cfg->log_dirs, catalog_count(b->cat),
            sl_ring_kind_name(sl_ring_kind_of(b->ring)));
    /* Tests that ask for port 0 read the address from this line. */
    sl_notice("broker", "listening on %s:%d (advertised as %s:%d)",
            cfg->listen_host[0] ? cfg->listen_host : "0.0.0.0", b->bound_port,
            cfg->advertised_host, b->advertised_port);
    return SL_OK;
}

void broker_stop(broker *b)
{
    conn *c, *next;

    if (b->stopping)
        return;
    b->stopping = true;
    b->stop_deadline_ms = sl_now_ms() + STOP_GRACE_MS;
    if (b->accept_busy) {
        struct io_uring_sqe *sqe = sl_ring_sqe(b->ring, &cancel_op);

        io_uring_prep_cancel(sqe, &b->accept_op, 0);
    }
    timer_cancel(b, &b->accept_retry_timer);
    faults_stop(b);
    for (c = LIST_FIRST(&b->conns); c; c = next) {
        next = LIST_NEXT(c, link);
        conn_drain(c);
    }
}

/*
 * The loop was away far longer than it asked to wait (SIGSTOP, a long
 * blocking call, a starved machine): what clients sent meanwhile may not
 * even have reached the socket yet (softirqs starve too), so for the next
 * connections.max.idle.ms no connection counts as idle from before now.
 * started: when this turn began; wait: what it asked of the ring (the
 * idle check's timer keeps it finite).
 */
static void note_stall(broker *b, int64_t started, int wait)
{
    int64_t now = sl_now_ms();

    if (wait >= 0 && now - started > wait + STALL_SLACK_MS) {
        if (now - b->stall_end_ms > 1000)
            sl_info("broker", "the event loop was stalled for %lld ms",
                    (long long)(now - started));
        b->stall_end_ms = now;
    }
}

int broker_run(broker *b)
{
    int64_t t0;

    for (;;) {
        int wait;

        t0 = sl_now_ms();
        retention_tick(b);
        catalog_reap(b->cat);
        wait = timer_run(b);

        /* Any completion may have moved a high watermark. */
        if (!TAILQ_EMPTY(&b->parked))
            fetch_wake_parked(b);
        if (!TAILQ_EMPTY(&b->dup_waits))
            produce_run_dup_waits(b);
        plog_env_flush(b->env);
        conn_run_kicks(b);
        if (!TAILQ_EMPTY(&b->kicks))
            wait = 0;
        if (b->stopping) {
            if (b->nconns == 0 && plog_env_pending(b->env) == 0 &&
                sl_pool_pending(b->pool) == 0)
                break;
            if (sl_now_ms() > b->stop_deadline_ms) {
                conn *c, *next;

                sl_warn("broker", "stop: %d connections still busy after %d ms; closing them",
                        b->nconns, STOP_GRACE_MS);
                for (c = LIST_FIRST(&b->conns); c; c = next) {
                    next = LIST_NEXT(c, link);
                    conn_close(c, "broker stopping");
                }
                b->stop_deadline_ms = INT64_MAX;
            }
            if (wait < 0 || wait > 100)
                wait = 100;
        }
        sl_ring_run(b->ring, wait);
        note_stall(b, t0, wait);
        if (b->idle_sweep_due) {
            b->idle_sweep_due = false;
            /* With DEFER_TASKRUN a wait that timed out during a stall
             * may return before the completions that arrived meanwhile
             * are posted (on epoll, before the readiness is looked at
             * again): reap them first. */
            sl_ring_run(b->ring, 0);
            conn_close_idle(b);
        }
    }
    sl_info("broker", "all writes finished; closing logs");
    producers_snapshot(b->prods);
    return 0;
}

void broker_free(broker *b)
{
    grp_coord_free(b->groups);
    b->groups = NULL;
    offsets_close(b->offs);
    b->offs = NULL;
    producers_close(b->prods);
    b->prods = NULL;
    catalog_close(b->cat);
    b->cat = NULL;
    plog_env_free(b->env);
    b->env = NULL;
    if (b->listen_fd >= 0)
        close(b->listen_fd);
    b->listen_fd = -1;
    sl_io_free(b->io);
    b->io = NULL;
    sl_ring_free(b->ring);
    b->ring = NULL;
    sl_pool_free(b->pool); /* after the ring: its eventfd read goes with it */
    b->pool = NULL;
    /* After the ring: its read on the eventfd is gone with it. */
    if (b->wake_fd >= 0)
        close(b->wake_fd);
    b->wake_fd = -1;
    faults_free(b->faults);
    b->faults = NULL;
    /* Last: every file of the directory is closed by now. */
    storage_dir_unlock(b->dir_lock_fd);
    b->dir_lock_fd = -1;
}
