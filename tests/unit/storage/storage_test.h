/*
 * storage_test.h - helpers for the storage unit tests: temporary
 * directories, batches built with rec_builder, callback recorders.
 * Header-only (static) so each test file stays one executable.
 */
#ifndef SL_STORAGE_TEST_H
#define SL_STORAGE_TEST_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/records.h"
#include "storage/storage.h"

static inline char *st_tmpdir(void)
{
    char tmpl[] = "/tmp/sl-storage-XXXXXX";
    char *d = mkdtemp(tmpl);

    cr_assert(d, "mkdtemp");
    return strdup(d);
}

static int st_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void st_rmdir(char *dir)
{
    if (!dir)
        return;
    if (!getenv("SLUICE_TEST_KEEP"))
        nftw(dir, st_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static inline char *st_path(const char *dir, const char *name)
{
    char *p = NULL;

    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

static inline int64_t st_file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static inline bool st_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* A valid uncompressed batch of n records; record i has timestamp ts + i
 * and a value of vsize bytes derived from `seed` and i.  Owned (free()). */
static inline uint8_t *st_batch(int n, int64_t ts, size_t vsize, int seed, size_t *len)
{
    rec_builder *b = rec_builder_new(ts);
    char *val = malloc(vsize + 1);
    uint8_t *out;

    cr_assert(b && val);
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < vsize; k++)
            val[k] = (char)('a' + (seed * 7 + i * 3 + (int)k) % 26);
        cr_assert_eq(rec_builder_add(b, ts + i, SL_BYTES_NULL, sl_bytes_make(val, vsize), NULL, 0),
                     SL_OK);
    }
    out = rec_builder_finish(b, len);
    rec_builder_free(b);
    cr_assert(out);
    free(val);
    return out;
}

/* Records the callbacks of appends, in the order they ran. */
#define ST_MAX_CB 4096
typedef struct st_cbs {
    int n;
    sl_err err[ST_MAX_CB];
    int64_t base[ST_MAX_CB];
    int tag[ST_MAX_CB];
} st_cbs;

typedef struct st_cb_ud {
    st_cbs *rec;
    int tag;
} st_cb_ud;

static inline void st_cb(void *ud, sl_err err, int64_t base)
{
    st_cb_ud *u = ud;
    st_cbs *r = u->rec;

    cr_assert(r->n < ST_MAX_CB);
    r->err[r->n] = err;
    r->base[r->n] = base;
    r->tag[r->n] = u->tag;
    r->n++;
}

/* Read a plog_slice's bytes into a new buffer (owned) and close its fd. */
static inline uint8_t *st_slice_bytes(plog_slice *s)
{
    uint8_t *buf = malloc(s->len ? (size_t)s->len : 1);

    cr_assert(buf);
    if (s->len > 0)
        cr_assert_eq(pread(s->fd, buf, (size_t)s->len, s->pos), s->len);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    return buf;
}

static inline plog_config st_small_config(int64_t segment_bytes, int32_t interval)
{
    plog_config cfg;

    plog_config_default(&cfg);
    cfg.segment_bytes = segment_bytes;
    cfg.index_interval_bytes = interval;
    cfg.index_max_bytes = 64 * 1024;
    return cfg;
}

/* --- a plog over the sync io in a temporary directory ---------------- */

typedef struct fixture {
    char *dir;
    sl_io *io;
    plog_env *env;
    plog *log;
    plog_config cfg;
} fixture;

static inline void fx_open(fixture *f)
{
    char err[256] = "";

    cr_assert_eq(plog_open(&f->log, f->env, f->dir, &f->cfg, err, sizeof err), SL_OK, "%s", err);
}

static inline void fx_init(fixture *f, plog_config cfg)
{
    memset(f, 0, sizeof *f);
    f->dir = st_tmpdir();
    f->io = sl_io_sync_new();
    f->cfg = cfg;
    cr_assert_eq(plog_env_new(&f->env, f->io), SL_OK);
    fx_open(f);
}

static inline void fx_reopen(fixture *f)
{
    plog_close(f->log);
    fx_open(f);
}

static inline void fx_fini(fixture *f)
{
    plog_close(f->log);
    cr_assert_eq(plog_env_pending(f->env), 0);
    plog_env_free(f->env);
    sl_io_free(f->io);
    st_rmdir(f->dir);
}

/* Append one batch of n records (non-durable, sync io: acked at return). */
static inline int64_t append_n(fixture *f, int n, int64_t ts, size_t vsize, uint8_t **keep,
                                size_t *klen)
{
    static st_cbs rec;
    st_cb_ud ud = { &rec, 0 };
    size_t len;
    uint8_t *b = st_batch(n, ts, vsize, n, &len);
    int before = rec.n;

    cr_assert_eq(plog_append(f->log, b, len, false, st_cb, &ud), SL_OK);
    cr_assert_eq(rec.n, before + 1, "sync io acks before plog_append returns");
    cr_assert_eq(rec.err[before], SL_OK);
    if (keep) {
        *keep = b;
        *klen = len;
    } else {
        free(b);
    }
    return rec.base[before];
}

static inline void check_batch_at(plog *l, int64_t off)
{
    plog_slice s;
    rec_batch h;
    uint8_t *buf;

    cr_assert_eq(plog_read(l, off, 1, &s), SL_OK, "read %ld", (long)off);
    cr_assert_gt(s.len, 0);
    buf = st_slice_bytes(&s);
    cr_assert_eq(rec_batch_validate(buf, (size_t)s.len, &h), SL_OK);
    cr_assert_eq((int64_t)rec_batch_size(&h), s.len, "max_bytes 1 gives exactly one batch");
    cr_assert(h.base_offset <= off && off <= h.base_offset + h.last_offset_delta,
              "batch [%ld,%ld] holds %ld", (long)h.base_offset,
              (long)(h.base_offset + h.last_offset_delta), (long)off);
    cr_assert_eq(h.leader_epoch, 0);
    free(buf);
}

#endif
