/*
 * read.c - the read side of a partition log: the byte range that serves a
 * fetch (plog_read) and ListOffsets by time (plog_offset_for_time, through
 * the segments' time indexes, then the records of one batch: decompressed
 * if need be, the only place the broker decompresses).
 *
 * Reads see only what is below the high watermark: every byte below a
 * segment's `written` is a whole batch whose write has completed (log.c,
 * invariant 3), so the batch headers met there are ours and complete.  A
 * read never blocks on or changes the append path.
 *
 * Residency (storage_range_cached, storage_range_load): whether a file
 * range is in the page cache, so the broker can send it zero-copy without
 * the loop waiting on the disk, and a blocking read that brings it in.
 * Both touch only the fd they are given (a dup the caller owns), never a
 * plog: storage_range_load is the one call here a worker thread may make.
 */
#include "storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../base/log.h"
#include "../protocol/codec.h"

/* --- read -------------------------------------------------------------------- */

/* The last segment whose base is <= offset (the first if none). */
static size_t seg_find(const plog *l, int64_t offset)
{
    size_t lo = 0, hi = l->nseg;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (l->segs[mid]->base <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : lo - 1;
}

/* Find the batch holding `offset` (or the first after it) below hwm. */
static sl_err find_batch(plog *l, int64_t offset, size_t *segi, int64_t *pos, rec_batch *h)
{
    sl_io *io = plog_env_io(l->env);

    for (size_t k = seg_find(l, offset); k < l->nseg; k++) {
        seg *s = l->segs[k];
        int64_t p = seg_index_lookup(s, offset);

        while (p < s->written) {
            sl_err e = seg_read_hdr(s, io, p, s->written, h);

            if (e != SL_OK) /* below hwm the bytes are ours and whole */
                return e == SL_E_SHORT || e == SL_KE_CORRUPT_MESSAGE ? SL_E_IO : e;
            if (h->base_offset + h->last_offset_delta >= offset) {
                *segi = k;
                *pos = p;
                return SL_OK;
            }
            p += (int64_t)rec_batch_size(h);
        }
        /* offset is past this segment's last batch: the next one has it */
    }
    return SL_KE_OFFSET_OUT_OF_RANGE;
}

sl_err plog_read(plog *l, int64_t offset, int64_t max_bytes, plog_slice *out)
{
    sl_io *io = plog_env_io(l->env);
    int64_t pos, q, limit, first;
    rec_batch h;
    size_t k;
    seg *s;
    sl_err e;
    int fd;

    out->fd = -1;
    out->pos = out->len = 0;
    if (offset < l->log_start || offset > l->hwm)
        return SL_KE_OFFSET_OUT_OF_RANGE;
    if (offset == l->hwm)
        return SL_OK;
    e = find_batch(l, offset, &k, &pos, &h);
    if (e != SL_OK)
        return e;
    s = l->segs[k];
    first = (int64_t)rec_batch_size(&h);
    q = pos + first;
    /* Whole batches within max_bytes (the first always), below hwm. */
    if (max_bytes > s->written - pos)
        limit = s->written;
    else
        limit = pos + (max_bytes > first ? max_bytes : first);
    if (q < limit) {
        /* Skip ahead with the index, then walk the last few headers. */
        int64_t f = seg_index_floor_pos(s, limit);

        if (f > q)
            q = f;
        while (limit - q >= REC_LOG_OVERHEAD) {
            uint8_t b[REC_LOG_OVERHEAD];
            int64_t n = io->ops->pread(io, s->log_fd, b, sizeof b, (off_t)q);
            int32_t blen;

            if (n < 0)
                return (sl_err)n;
            blen = n == REC_LOG_OVERHEAD ? (int32_t)sl_be32(b + 8) : 0;
            if (blen < REC_HEADER_SIZE - REC_LOG_OVERHEAD || blen > limit - q - REC_LOG_OVERHEAD)
                break;
            q += REC_LOG_OVERHEAD + blen;
        }
    }
    fd = fcntl(s->log_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        sl_warn_rl("storage", "%s: no descriptor for a fetch: %s", s->log_path, strerror(errno));
        return sl_err_from_errno(-errno);
    }
    out->fd = fd;
    out->pos = pos;
    out->len = q - pos;
    return SL_OK;
}

/*
 * The most a compressed batch's records may take decompressed for
 * ListOffsets to look inside it.  Storage does not know message.max.bytes,
 * and a batch stored under an older, larger limit stays readable, so the
 * bound is fixed: 64 MiB is 64 times Kafka's default message.max.bytes
 * (1 MiB), more than real record data compresses by, yet small enough that
 * one ListOffsets on the loop cannot pin much memory or time.  A batch past
 * it (a zip bomb, or a huge limit) gets the batch answer, as before.
 */
#define FIND_MAX_PLAIN (64u << 20)

/* The first record of the batch at pos of fd with timestamp >= ts: the
 * exact record, as Kafka answers, decompressing the batch if it is
 * compressed.  The batch's base offset and max timestamp (never an error)
 * when it cannot be read, decompressed or iterated.  Reads fd with plain
 * pread: @any (a worker may run it on its own dup). */
static void first_record_at(int fd, int64_t pos, const rec_batch *h, int64_t ts,
                            int64_t *offset, int64_t *timestamp)
{
    size_t size = rec_batch_size(h), got = 0;
    uint8_t *buf;
    rec_iter it;
    rec_record r;

    *offset = h->base_offset;
    *timestamp = h->max_timestamp;
    /* LogAppendTime: every record has the batch's time, so the first
     * record (the base offset) is the answer. */
    if (h->attributes & REC_ATTR_LOG_APPEND_TIME)
        return;
    buf = malloc(size);
    if (!buf)
        return;
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got, (off_t)pos + (off_t)got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out;
        got += (size_t)n;
    }
    if (h->attributes & REC_ATTR_CODEC_MASK) {
        uint8_t *plain;
        size_t n;

        /* The CRC first, as rec_iter_init checks it for a plain batch: the
         * disk may have garbled what was appended. */
        if (rec_batch_validate(buf, size, NULL) != SL_OK ||
            codec_batch_decompress(buf, size, FIND_MAX_PLAIN, &plain, &n) != SL_OK)
            goto out;
        free(buf);
        buf = plain;
        size = n;
    }
    if (rec_iter_init(&it, buf, size) == SL_OK) {
        while (rec_iter_next(&it, &r)) {
            if (r.timestamp >= ts) {
                *offset = r.offset;
                *timestamp = r.timestamp;
                break;
            }
        }
    }
out:
    free(buf);
}

sl_err plog_offset_for_time_begin(plog *l, int64_t ts, int64_t *offset, int64_t *timestamp,
                                 plog_time_probe *probe)
{
    sl_io *io = plog_env_io(l->env);

    *offset = -1;
    *timestamp = -1;
    probe->fd = -1;
    for (size_t k = seg_find(l, l->log_start); k < l->nseg; k++) {
        seg *s = l->segs[k];
        int64_t pos;
        rec_batch h;

        /* max_ts covers every batch reserved in the segment. */
        if (s->max_ts < ts)
            continue;
        /* Every batch before the time index's answer has a smaller max
         * timestamp; the offset index finds a batch at or before it. */
        pos = seg_index_lookup(s, seg_time_lookup(s, ts));
        while (pos < s->written) {
            sl_err e = seg_read_hdr(s, io, pos, s->written, &h);

            if (e != SL_OK)
                return e == SL_E_SHORT || e == SL_KE_CORRUPT_MESSAGE ? SL_E_IO : e;
            if (h.max_timestamp >= ts && h.base_offset + h.last_offset_delta >= l->log_start) {
                *offset = h.base_offset;
                *timestamp = h.max_timestamp;
                if (*offset < l->log_start) /* Kafka: max(found, log start) */
                    *offset = l->log_start;
                if (h.attributes & REC_ATTR_LOG_APPEND_TIME)
                    return SL_OK;
                /* The records must be read (and maybe decompressed). */
                probe->fd = fcntl(s->log_fd, F_DUPFD_CLOEXEC, 0);
                if (probe->fd < 0)
                    return SL_OK; /* out of fds: the batch answer */
                probe->pos = pos;
                probe->hdr = h;
                probe->ts = ts;
                probe->log_start = l->log_start;
                probe->heavy = (h.attributes & REC_ATTR_CODEC_MASK) != 0;
                return SL_OK;
            }
            pos += (int64_t)rec_batch_size(&h);
        }
        if (s->written < s->size)
            break; /* the rest is not below the high watermark */
    }
    return SL_OK;
}

void plog_time_probe_run(plog_time_probe *p, int64_t *offset, int64_t *timestamp)
{
    first_record_at(p->fd, p->pos, &p->hdr, p->ts, offset, timestamp);
    if (*offset < p->log_start)
        *offset = p->log_start;
    close(p->fd);
    p->fd = -1;
}

sl_err plog_offset_for_time(plog *l, int64_t ts, int64_t *offset, int64_t *timestamp)
{
    plog_time_probe probe;
    sl_err e = plog_offset_for_time_begin(l, ts, offset, timestamp, &probe);

    if (e == SL_OK && probe.fd >= 0)
        plog_time_probe_run(&probe, offset, timestamp);
    return e;
}

/* --- batch headers off the loop ---------------------------------------------- */

typedef struct scan_seg {
    int fd; /* a dup: the scan's own */
    int64_t pos, end;
} scan_seg;

struct plog_hdr_scan {
    scan_seg *segs;
    size_t n, i;
    int64_t from;
};

sl_err plog_hdr_scan_new(plog *l, int64_t from, plog_hdr_scan **out)
{
    plog_hdr_scan *hs = calloc(1, sizeof *hs);
    size_t k0;

    if (!hs)
        return SL_E_NOMEM;
    if (from < l->log_start)
        from = l->log_start;
    hs->from = from;
    k0 = seg_find(l, from);
    hs->segs = calloc(l->nseg - k0 + 1, sizeof *hs->segs);
    if (!hs->segs) {
        free(hs);
        return SL_E_NOMEM;
    }
    for (size_t k = k0; k < l->nseg && from < l->hwm; k++) {
        seg *sg = l->segs[k];
        scan_seg *ss = &hs->segs[hs->n];

        /* Below `written` every byte is a whole batch of ours (log.c). */
        ss->pos = k == k0 ? seg_index_lookup(sg, from) : 0;
        ss->end = sg->written;
        if (ss->pos >= ss->end)
            continue;
        ss->fd = fcntl(sg->log_fd, F_DUPFD_CLOEXEC, 0);
        if (ss->fd < 0) {
            sl_err e = sl_err_from_errno(-errno);

            plog_hdr_scan_free(hs);
            return e;
        }
        hs->n++;
    }
    *out = hs;
    return SL_OK;
}

sl_err plog_hdr_scan_next(plog_hdr_scan *hs, rec_batch *h)
{
    while (hs->i < hs->n) {
        scan_seg *ss = &hs->segs[hs->i];
        uint8_t hdr[REC_HEADER_SIZE];

        if (ss->end - ss->pos < REC_HEADER_SIZE) {
            hs->i++;
            continue;
        }
        if (pread(ss->fd, hdr, sizeof hdr, (off_t)ss->pos) != (ssize_t)sizeof hdr)
            return SL_E_IO;
        /* SL_E_SHORT for a header alone, with the fields filled. */
        if (rec_batch_peek(hdr, sizeof hdr, h) == SL_E_MALFORMED)
            return SL_E_MALFORMED;
        ss->pos += (int64_t)rec_batch_size(h);
        if (h->base_offset + h->last_offset_delta >= hs->from)
            return SL_OK;
    }
    return SL_E_NOTFOUND;
}

void plog_hdr_scan_free(plog_hdr_scan *hs)
{
    if (!hs)
        return;
    for (size_t k = 0; k < hs->n; k++)
        close(hs->segs[k].fd);
    free(hs->segs);
    free(hs);
}

/* --- residency ------------------------------------------------------------ */

/* cachestat(2), Linux 6.5: Debian 12's headers predate it. */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct sl_cachestat_range {
    uint64_t off, len;
};
struct sl_cachestat {
    uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

#define PAGE_OF(x, pg) ((x) / (pg) * (pg))

/* Older kernels: map the range and ask mincore.  A map is not free, but it
 * is only made once per few MiB sent. */
int storage_mincore_cached(int fd, int64_t pos, int64_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    int64_t start = PAGE_OF(pos, pg);
    size_t maplen = (size_t)(pos + len - start), npages = (maplen + (size_t)pg - 1) / (size_t)pg;
    unsigned char vec[4096]; /* 16 MiB of 4 KiB pages: more than a warm-up asks */
    void *m;
    int res = 1;

    if (npages > sizeof vec)
        return -1;
    m = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, (off_t)start);
    if (m == MAP_FAILED)
        return -1;
    if (mincore(m, maplen, vec) < 0)
        res = -1;
    for (size_t i = 0; res == 1 && i < npages; i++)
        if (!(vec[i] & 1))
            res = 0;
    munmap(m, maplen);
    return res;
}

bool storage_range_cached(int fd, int64_t pos, int64_t len)
{
    static int have_cachestat = 1;
    long pg = sysconf(_SC_PAGESIZE);
    int res;

    if (len <= 0)
        return true;
    if (have_cachestat) {
        struct sl_cachestat_range r = { (uint64_t)pos, (uint64_t)len };
        struct sl_cachestat cs;
        uint64_t first = (uint64_t)pos / (uint64_t)pg;
        uint64_t last = (uint64_t)(pos + len - 1) / (uint64_t)pg;

        if (syscall(__NR_cachestat, fd, &r, &cs, 0) == 0)
            return cs.nr_cache >= last - first + 1;
        if (errno != ENOSYS && errno != EPERM)
            return true; /* cannot tell: send as before */
        have_cachestat = 0;
    }
    res = storage_mincore_cached(fd, pos, len);
    return res != 0; /* unknown (-1): send as before */
}

sl_err storage_range_load(int fd, int64_t pos, int64_t len)
{
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK);
    sl_err e = SL_OK;

    if (!buf)
        return SL_E_NOMEM;
    /* Ask for all of it at once, so the disk sees one large read, then
     * wait for it page by page. */
    posix_fadvise(fd, (off_t)pos, (off_t)len, POSIX_FADV_WILLNEED);
    while (len > 0) {
        ssize_t n = pread(fd, buf, (size_t)(len < CHUNK ? len : CHUNK), (off_t)pos);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? sl_err_from_errno(-errno) : SL_OK; /* short file: the send says so */
            break;
        }
        pos += n;
        len -= n;
    }
    free(buf);
    return e;
}
