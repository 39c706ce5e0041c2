/*
 * storage_int.h - structs and helpers shared inside storage/ only.
 *
 * A segment (seg) is one <base>.log plus its sparse <base>.index.  The log
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
#define SEG_MAX_POS INT32_MAX /* index positions are 4 bytes */

typedef struct seg {
    int64_t base;        /* offset of the first batch (file name) */
    int log_fd, idx_fd;
    int64_t size;        /* bytes reserved: end of the last append issued */
    int64_t written;     /* bytes below the high watermark: complete */
    int64_t end_offset;  /* one past the last offset reserved in it */
    int64_t synced;      /* offsets below are covered by a completed sync */
    /* Index: entry i is (last offset of a batch - base, its position).
     * The active segment maps the file preallocated to index_max_bytes
     * read-write; older ones map the trimmed file read-only. */
    uint8_t *idx;
    size_t idx_cap;      /* entries mapped */
    size_t idx_n;        /* entries used */
    bool idx_rw;
    int64_t since_index; /* bytes appended since the last index entry */
    int64_t max_ts;      /* largest batch max timestamp seen */
    bool max_ts_known;   /* false until the whole segment was walked */
    char *log_path, *idx_path;
} seg;

/* --- log.c: one partition (its invariants are at the top of log.c) ---- */

typedef struct pend pend;     /* an append in flight or waiting (log.c) */
typedef struct syncop syncop; /* a datasync in flight (log.c) */

struct plog {
    plog_env *env;
    char *dir;
    plog_config cfg;
    seg **segs;          /* by base offset; the last is active */
    size_t nseg, capseg;
    int64_t log_start, end, hwm, durable, recovery_point;
    sl_err fail_err;     /* SL_OK until a write or sync fails (sticky) */
    pend *wq_head, *wq_tail; /* appends not yet below hwm, offset order */
    pend *dq_head, *dq_tail; /* durable appends below hwm, not yet synced */
    syncop *syncs;       /* in flight */
    unsigned nsync;      /* in flight, plus one while a round is issued */
    int64_t sync_target; /* hwm when the current round was issued */
    bool advancing;      /* advance() is on the stack */
    bool on_flush;       /* on the env's flush list */
    plog *flush_prev, *flush_next;
};

/* --- segment.c ----------------------------------------------------------- */

/* "<dir>/<20-digit base><ext>"; owned (free()). */
char *seg_path(const char *dir, int64_t base, const char *ext);
/* Parse a "<20 digits>.log" name; false if it is not one. */
bool seg_parse_name(const char *name, int64_t *base);

/* Open the segment at base, creating its files if `create` (an existing
 * .log is kept as is).  The index is not mapped yet: seg_index_load or
 * seg_index_open_rw.  Owned: seg_close. */
sl_err seg_open(seg **out, sl_io *io, const char *dir, int64_t base, bool create,
                char *errstr, size_t errstr_size);
/* Trim a writable index to its used size, unmap, close both files. */
void seg_close(seg *s, sl_io *io);
/* Remove both files of a closed segment's paths, then free it. */
void seg_delete(seg *s, sl_io *io);

/* Map the index read-write, preallocated to max_bytes, empty (it is
 * rebuilt by the caller's scan or filled by appends). */
sl_err seg_index_open_rw(seg *s, sl_io *io, int32_t max_bytes);
/* Map the existing index read-only and check it against the .log size:
 * SL_E_MALFORMED if it is not usable (the caller rebuilds it). */
sl_err seg_index_load(seg *s);
/* Shrink the file to the used entries and remap it read-only. */
sl_err seg_index_trim(seg *s, sl_io *io);
bool seg_index_full(const seg *s);
/* Add an entry for a batch at pos whose last offset is last_offset, if
 * index_interval bytes passed since the previous one (Kafka's rule); then
 * count the batch's bytes. */
void seg_index_note(seg *s, int64_t last_offset, int64_t pos, int64_t batch_size,
                    int32_t interval);
/* Position of a batch at or before the one holding `offset` (0 if none). */
int64_t seg_index_lookup(const seg *s, int64_t offset);
/* Largest indexed batch position <= pos (0 if none). */
int64_t seg_index_floor_pos(const seg *s, int64_t pos);

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
/* Persist the recovery point (rare: after a roll is synced, at close). */
sl_err plog_write_recovery_point(sl_io *io, const char *dir, int64_t offset);

#endif
