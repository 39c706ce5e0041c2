/*
 * storage_int.h - structs and helpers shared inside storage/ only.
 *
 * A segment (seg) is one <base>.log plus its sparse <base>.index (offset ->
 * position) and <base>.timeindex (timestamp -> offset).  The log
 * (log.c) owns the segments, the watermarks and the appends in flight;
 * recover.c opens a partition directory and cuts a torn tail; segment.c
 * owns the files of one segment and its index.
 */
#ifndef SL_STORAGE_INT_H
#define SL_STORAGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../protocol/records.h"
#include "io.h"
#include "storage.h"

#define SEG_NAME_DIGITS 20
#define SEG_INDEX_ENTRY 8  /* 4-byte relative offset, 4-byte position */
#define SEG_TIME_ENTRY 12  /* 8-byte timestamp, 4-byte relative offset */
#define SEG_MAX_POS INT32_MAX /* index positions are 4 bytes */
#define SEG_NO_TIMESTAMP (-1) /* Kafka's RecordBatch.NO_TIMESTAMP */
/* The smallest segment.index.bytes: two time index entries, so the one
 * kept free for the final entry at roll leaves one for appends. */
#define SEG_INDEX_MIN_BYTES (2 * SEG_TIME_ENTRY)

typedef struct seg {
    int64_t base;        /* offset of the first batch (file name) */
    int log_fd, idx_fd, tix_fd;
    int64_t size;        /* bytes reserved: end of the last append issued */
    int64_t written;     /* bytes below the high watermark: complete */
    int64_t hinted;      /* bytes handed to the kernel's writeback (a hint) */
    int64_t end_offset;  /* one past the last offset reserved in it */
    int64_t synced;      /* offsets below are covered by a completed sync */
    /* Offset index: entry i is (last offset of a batch - base, its
     * position).  Time index: entry i is (the largest batch max timestamp
     * so far, last offset of the first batch that reached it - base),
     * timestamps strictly increasing.  The active segment maps both files
     * preallocated to index_max_bytes read-write; older ones map the
     * trimmed files read-only. */
    uint8_t *idx, *tix;
    size_t idx_cap, tix_cap; /* entries mapped */
    size_t idx_n, tix_n;     /* entries used */
    size_t idx_resv, tix_resv; /* entries whose blocks are allocated */
    bool idx_rw;             /* both indexes are writable (active) */
    bool idx_missing;    /* an index file did not exist at open */
    int64_t since_index; /* bytes appended since the last index entry */
    int64_t max_ts;      /* largest batch max timestamp, SEG_NO_TIMESTAMP */
    int64_t max_ts_offset; /* last offset of the first batch with max_ts */
    int64_t first_append_ms; /* env clock when the segment got its first
                                batch (or was opened non-empty), -1 */
    char *log_path, *idx_path, *tix_path;
} seg;

/* --- log.c: one partition (its invariants are at the top of log.c) ---- */

/* An append in flight or waiting (log.c). */
typedef struct pend {
    sl_io_req req;
    plog_env *env;
    plog *log;           /* NULL once orphaned (failed or closed log) */
    seg *seg;
    int64_t base, next;  /* offsets [base, next) */
    int64_t end_pos;     /* position after the batch in seg */
    bool inflight, durable;
    bool lost;           /* in flight when its log failed: on l->lost */
    sl_err err;          /* the failure its callback gets (lost) */
    plog_append_cb cb;
    void *ud;
    struct pend *link;
} pend;

struct plog_env {
    sl_io *io;
    plog *flush_head;
    unsigned pending;    /* live pends, syncops and unlink_ops */
    pend *free_pends;
    size_t nfree;
    plog_clock_fn clock;
    void *clock_ud;
};

/* A datasync in flight (log.c). */
typedef struct syncop {
    sl_io_req req;
    plog_env *env;
    plog *log;           /* NULL once orphaned by plog_close */
    seg *seg;
    int64_t target;
    struct syncop *link;
} syncop;

/* A retired segment's .log being unlinked off the loop. */
typedef struct unlink_op {
    sl_io_req req;
    plog_env *env;
    plog *log;           /* NULL once orphaned by plog_close/plog_discard */
    struct unlink_op *link; /* the log's list of unlinks in flight */
    char path[];
} unlink_op;

struct plog {
    plog_env *env;
    char *dir;
    plog_config cfg;
    seg **segs;          /* by base offset; the last is active */
    size_t nseg, capseg;
    int64_t log_start, end, hwm, durable, recovery_point;
    int64_t last_flush_ms;   /* env clock when the last round completed */
    int64_t last_append_time; /* LogAppendTime stamped last, or -1 */
    sl_err fail_err;     /* SL_OK until a write or sync fails (sticky) */
    int64_t failed_ms;   /* env clock at the failure or last revive try */
    bool revivable;      /* failed by a write that found no space only */
    pend *lost;          /* appends in flight when the log failed */
    pend *wq_head, *wq_tail; /* appends not yet below hwm, offset order */
    pend *dq_head, *dq_tail; /* durable appends below hwm, not yet synced */
    syncop *syncs;       /* in flight */
    struct unlink_op *unlinks; /* retired segments' unlinks in flight */
    unsigned nsync;      /* in flight, plus one while a round is issued */
    int64_t sync_target; /* hwm when the current round was issued */
    bool advancing;      /* advance() is on the stack */
    bool on_flush;       /* on the env's flush list */
    plog *flush_prev, *flush_next;
};

/* Close without syncing or writing anything (the directory is being
 * deleted): callbacks still waiting get SL_E_FATAL, I/O in flight is
 * orphaned.  The caller removes the files. */
void plog_discard(plog *l);

/* --- segment.c ----------------------------------------------------------- */

/* "<dir>/<20-digit base><ext>"; owned (free()). */
char *seg_path(const char *dir, int64_t base, const char *ext);
/* Parse a "<20 digits>.log" name; false if it is not one. */
bool seg_parse_name(const char *name, int64_t *base);

/* Open the segment at base, creating its files if `create` (an existing
 * .log is kept as is; a missing index file is created empty and
 * idx_missing set).  The indexes are not mapped yet: seg_index_load or
 * seg_index_open_rw.  Owned: seg_close. */
sl_err seg_open(seg **out, sl_io *io, const char *dir, int64_t base, bool create,
                char *errstr, size_t errstr_size);
/* Trim writable indexes to their used size, unmap, close the files. */
void seg_close(seg *s, sl_io *io);
/* Remove the three files of a segment, then close and free it. */
void seg_delete(seg *s, sl_io *io);

/* Map both indexes read-write, preallocated to max_bytes, empty (they are
 * rebuilt by the caller's scan or filled by appends).  The blocks of the
 * first time index entries are allocated at once where the disk has room
 * (the final entry's slot). */
sl_err seg_index_open_rw(seg *s, sl_io *io, int32_t max_bytes);
/* Map the existing indexes read-only and check them against the .log size
 * and s->end_offset; the time index gives max_ts.  SL_E_MALFORMED if
 * either is not usable (the caller rebuilds them). */
sl_err seg_index_load(seg *s);
/* Add the final time index entry (the segment's max timestamp, as Kafka
 * does at roll), shrink both files to the used entries and remap them
 * read-only.  A time index without room for its final entry is left at
 * its full size, so the next open rebuilds it. */
sl_err seg_index_trim(seg *s, sl_io *io);
/* Either writable index is full (the time index keeps one entry free for
 * the final entry of seg_index_trim). */
bool seg_index_full(const seg *s);
/* Allocate the blocks under the first n offset and tn time entries of
 * the writable indexes (before entries are copied in); false if the disk
 * has no room. */
bool seg_index_reserve(seg *s, sl_io *io, size_t n, size_t tn);
/* Account one batch at pos (last offset, max timestamp, size): update
 * max_ts, then, if index_interval bytes passed since the previous entry
 * (Kafka's rule), add an offset index entry for it and a time index entry
 * for max_ts if that grew; then count the batch's bytes.  An entry whose
 * file blocks cannot be allocated (disk full) is left out: the index
 * stays correct, only sparser. */
void seg_index_note(seg *s, sl_io *io, int64_t last_offset, int64_t max_ts, int64_t pos,
                    int64_t batch_size, int32_t interval);
/* Position of a batch at or before the one holding `offset` (0 if none). */
int64_t seg_index_lookup(const seg *s, int64_t offset);
/* Largest indexed batch position <= pos (0 if none). */
int64_t seg_index_floor_pos(const seg *s, int64_t pos);
/* An offset at or before the first batch whose max timestamp is >= ts:
 * the offset of the last time index entry whose timestamp is <= ts (every
 * batch before it has a smaller max timestamp), or base if none. */
int64_t seg_time_lookup(const seg *s, int64_t ts);
/* The segment's time for retention.ms: its max timestamp, or the .log's
 * mtime when no batch carries one (Kafka's fallback). */
int64_t seg_retention_time(const seg *s);

/* Decode a batch header (REC_HEADER_SIZE bytes) read from a segment:
 * SL_OK, or SL_KE_CORRUPT_MESSAGE if its length or magic is impossible. */
sl_err seg_hdr_decode(const uint8_t *p, rec_batch *out);
/* Read the header of the batch at pos: SL_OK, SL_E_SHORT past the end of
 * `limit`, SL_KE_CORRUPT_MESSAGE, or an I/O error. */
sl_err seg_read_hdr(seg *s, sl_io *io, int64_t pos, int64_t limit, rec_batch *out);

/* --- io_sync.c: synchronous helpers shared by the backends ------------- */

extern const sl_io_ops sl_io_sync_ops;
/* Write a whole file atomically: <dir>/<name>.tmp, fsync, rename, fsync
 * the directory. */
sl_err sl_io_write_file(sl_io *io, const char *dir, const char *name, const void *data,
                        size_t len);
/* Read a small file whole into buf (NUL-terminated); bytes read or error. */
int64_t sl_io_read_file(sl_io *io, const char *path, char *buf, size_t cap);

/* --- ident (meta.c): random ids as Kafka prints them ------------------- */

/* 16 random bytes, not all zero, whose base64 text does not start with
 * '-' (Kafka's Uuid.randomUuid). */
sl_err storage_random_id(uint8_t id[16]);
/* URL-safe base64 without padding: 16 bytes <-> 22 chars. */
void storage_id_encode(const uint8_t id[16], char out[23]);
bool storage_id_decode(const char *s, size_t n, uint8_t id[16]);

/* --- recover.c ----------------------------------------------------------- */

/* What recovery found in a partition directory: its segments in offset
 * order (owned by the caller), the next offset, and the segment-base
 * recovery point (segments below it are known whole). */
typedef struct plog_recovered {
    seg **segs;
    size_t nseg;
    int64_t end_offset;
    int64_t recovery_point;
} plog_recovered;

sl_err plog_recover(sl_io *io, const char *dir, const plog_config *cfg, plog_recovered *out,
                    char *errstr, size_t errstr_size);
/* Walk the batches of s from position 0: with `check`, the full CRC and
 * offset checks of recovery, else only the framing (rebuilding the index
 * of a segment known whole).  Adds index entries as appends do.  Sets
 * *valid_end to the end of the last good batch and s->end_offset. */
sl_err plog_scan_seg(sl_io *io, seg *s, bool check, int32_t interval, int64_t *valid_end);
/* Persist the recovery point (rare: after a roll is synced, at close). */
sl_err plog_write_recovery_point(sl_io *io, const char *dir, int64_t offset);
/* The clean shutdown file (recover.c's head comment) for the last segment
 * s: written by plog_close once s and its trimmed indexes are synced. */
sl_err plog_write_clean_mark(sl_io *io, const char *dir, const seg *s);
/* The log start offset file (DeleteRecords): -1 if absent or unreadable. */
int64_t plog_read_log_start(sl_io *io, const char *dir);
sl_err plog_write_log_start(sl_io *io, const char *dir, int64_t offset);

/* log.c, for log_retention.c: roll the active segment (invariant 2);
 * count an operation in flight that plog_env_pending() reports. */
sl_err plog_roll(plog *l);
void plog_env_hold(plog_env *env);
void plog_env_release(plog_env *env);

/* read.c: residency by mincore on a map of the range, for kernels without
 * cachestat (storage_range_cached): 1 all cached, 0 not, -1 unknown (a
 * range of more than 4096 pages, or the map failed). */
int storage_mincore_cached(int fd, int64_t pos, int64_t len);

/* Shared by log.c and log_flush.c (group commit and the flush policy). */
void plog_fail(plog *l, sl_err cause);
void plog_pend_free(pend *p);
void plog_flush_add(plog *l);
void plog_flush_remove(plog *l);
bool plog_policy_pending(const plog *l);
void plog_advance_recovery_point(plog *l);

#endif
