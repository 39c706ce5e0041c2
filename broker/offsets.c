/*
 * offsets.c - the committed-offsets store (see offsets.h).
 *
 * Invariants:
 *  - The table holds exactly what the log says once replayed, minus
 *    appends whose fdatasync has not completed: an entry changes only
 *    when its commit is durable.
 *  - Records are applied in log order, so the latest value wins.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include <bsd/sys/tree.h>

#include "../base/arena.h"
#include "../base/log.h"
#include "../protocol/kbuf.h"
#include "../protocol/records.h"
#include "offsets.h"

#define OFFSETS_DIR "__consumer_offsets"
#define KEY_VERSION 1
#define VALUE_VERSION 3
#define COMPACT_MIN_RECORDS 1000
#define RECORDS_PER_BATCH 1000

typedef struct oentry {
    RB_ENTRY(oentry) node;
    sl_bytes group, topic; /* owned copies (one allocation with the entry) */
    int32_t partition;
    offset_value v;
    uint8_t *meta; /* owned */
} oentry;

static int oentry_cmp(oentry *a, oentry *b)
{
    size_t n = a->group.n < b->group.n ? a->group.n : b->group.n;
    int c = n ? memcmp(a->group.p, b->group.p, n) : 0;

    if (c || a->group.n != b->group.n)
        return c ? c : (a->group.n < b->group.n ? -1 : 1);
    n = a->topic.n < b->topic.n ? a->topic.n : b->topic.n;
    c = n ? memcmp(a->topic.p, b->topic.p, n) : 0;
    if (c || a->topic.n != b->topic.n)
        return c ? c : (a->topic.n < b->topic.n ? -1 : 1);
    return a->partition < b->partition ? -1 : a->partition > b->partition;
}

RB_HEAD(otree, oentry);
RB_GENERATE_STATIC(otree, oentry, node, oentry_cmp)

struct offsets {
    struct otree tree;
    size_t nlive;
    int64_t nrec; /* records in the log (about: appends that failed count) */
    plog *log;
    plog_env *env;
    char dir[4096];
    char data_dir[4096];
    plog_config cfg;
};

typedef struct commit_ctx {
    offsets *o;
    sl_bytes group;
    const offsets_item *items;
    int32_t n;
    bool is_delete;
    int64_t now;
    uint8_t *batch;
    offsets_cb cb;
    void *ud;
    sl_arena owned; /* copies for deletes built from the table */
} commit_ctx;

static oentry *find(offsets *o, sl_bytes group, sl_bytes topic, int32_t partition)
{
    oentry key;

    key.group = group;
    key.topic = topic;
    key.partition = partition;
    return RB_FIND(otree, &o->tree, &key);
}

static void entry_free(oentry *e)
{
    free(e->meta);
    free(e);
}

static void apply_delete(offsets *o, sl_bytes group, sl_bytes topic, int32_t partition)
{
    oentry *e = find(o, group, topic, partition);

    if (!e)
        return;
    RB_REMOVE(otree, &o->tree, e);
    o->nlive--;
    entry_free(e);
}

static sl_err apply_set(offsets *o, sl_bytes group, sl_bytes topic, int32_t partition,
                        int64_t offset, int32_t epoch, sl_bytes metadata, int64_t ts)
{
    oentry *e = find(o, group, topic, partition);
    uint8_t *meta = NULL;

    if (metadata.n) {
        meta = malloc(metadata.n);
        if (!meta)
            return SL_E_NOMEM;
        memcpy(meta, metadata.p, metadata.n);
    }
    if (!e) {
        uint8_t *p;

        e = calloc(1, sizeof *e + group.n + topic.n + 2);
        if (!e) {
            free(meta);
            return SL_E_NOMEM;
        }
        p = (uint8_t *)(e + 1);
        memcpy(p, group.p, group.n);
        e->group = sl_bytes_make(p, group.n);
        memcpy(p + group.n + 1, topic.p, topic.n);
        e->topic = sl_bytes_make(p + group.n + 1, topic.n);
        e->partition = partition;
        RB_INSERT(otree, &o->tree, e);
        o->nlive++;
    }
    free(e->meta);
    e->meta = meta;
    e->v.offset = offset;
    e->v.leader_epoch = epoch;
    e->v.metadata = sl_bytes_make(meta ? meta : (const uint8_t *)"", metadata.n);
    e->v.commit_ts = ts;
    return SL_OK;
}

static void encode_key(kbuf_wr *w, sl_bytes group, sl_bytes topic, int32_t partition)
{
    kbuf_put_i16(w, KEY_VERSION);
    kbuf_put_str(w, false, group);
    kbuf_put_str(w, false, topic);
    kbuf_put_i32(w, partition);
}

static void encode_value(kbuf_wr *w, int64_t offset, int32_t epoch, sl_bytes metadata, int64_t ts)
{
    kbuf_put_i16(w, VALUE_VERSION);
    kbuf_put_i64(w, offset);
    kbuf_put_i32(w, epoch);
    kbuf_put_str(w, false, metadata.null ? sl_bytes_make("", 0) : metadata);
    kbuf_put_i64(w, ts);
}

/* One record of the log, in log order. */
/* One record of the log into b: the key and, unless v is NULL (a
 * tombstone), the value; ts is the record's and the value's time. */
static sl_err add_record(rec_builder *b, int64_t ts, sl_bytes group, sl_bytes topic,
                         int32_t partition, const offset_value *v)
{
    kbuf_wr k, w;
    sl_err err;

    kbuf_wr_init(&k, 64);
    kbuf_wr_init(&w, 64);
    encode_key(&k, group, topic, partition);
    if (v)
        encode_value(&w, v->offset, v->leader_epoch, v->metadata, ts);
    err = k.err ? k.err : w.err;
    if (!err)
        err = rec_builder_add(b, ts, sl_bytes_make(k.p, k.len),
                              v ? sl_bytes_make(w.p, w.len) : SL_BYTES_NULL, NULL, 0);
    kbuf_wr_free(&k);
    kbuf_wr_free(&w);
    return err;
}

static void apply_record(offsets *o, const rec_record *rec)
{
    kbuf_rd k, v;
    sl_bytes group, topic, meta;
    int32_t partition, epoch;
    int64_t offset, ts;
    int16_t ver;

    kbuf_rd_init(&k, rec->key.p, rec->key.n);
    ver = kbuf_get_i16(&k);
    group = kbuf_get_str(&k, false);
    topic = kbuf_get_str(&k, false);
    partition = kbuf_get_i32(&k);
    if (!kbuf_ok(&k) || (ver != 0 && ver != 1)) {
        sl_warn_rl("offsets", "skipping a record with an unknown key at offset %lld",
                   (long long)rec->offset);
        return;
    }
    if (rec->value.null) {
        apply_delete(o, group, topic, partition);
        return;
    }
    kbuf_rd_init(&v, rec->value.p, rec->value.n);
    ver = kbuf_get_i16(&v);
    offset = kbuf_get_i64(&v);
    epoch = kbuf_get_i32(&v);
    meta = kbuf_get_str(&v, false);
    ts = kbuf_get_i64(&v);
    if (!kbuf_ok(&v) || ver != VALUE_VERSION) {
        sl_warn_rl("offsets", "skipping a record with an unknown value at offset %lld",
                   (long long)rec->offset);
        return;
    }
    apply_set(o, group, topic, partition, offset, epoch, meta, ts);
}

/* Read the whole log back into the table; *nrecords counts records. */
static sl_err replay(offsets *o, int64_t *nrecords)
{
    int64_t off = plog_log_start(o->log), end = plog_high_watermark(o->log);

    *nrecords = 0;
    while (off < end) {
        plog_slice s;
        uint8_t *buf;
        size_t pos = 0;
        sl_err err = plog_read(o->log, off, 4 << 20, &s);

        if (err)
            return err;
        if (s.len == 0) {
            if (s.fd >= 0)
                close(s.fd);
            break;
        }
        buf = malloc((size_t)s.len);
        if (!buf || pread(s.fd, buf, (size_t)s.len, s.pos) != s.len) {
            free(buf);
            close(s.fd);
            return buf ? SL_E_IO : SL_E_NOMEM;
        }
        close(s.fd);
        while (pos < (size_t)s.len) {
            rec_batch h;
            rec_iter it;
            rec_record rec;

            if (rec_batch_peek(buf + pos, (size_t)s.len - pos, &h) != SL_OK)
                break;
            if (rec_iter_init(&it, buf + pos, rec_batch_size(&h)) == SL_OK) {
                while (rec_iter_next(&it, &rec)) {
                    if (rec.offset >= off) {
                        apply_record(o, &rec);
                        (*nrecords)++;
                    }
                }
            }
            off = h.base_offset + h.last_offset_delta + 1;
            pos += rec_batch_size(&h);
        }
        free(buf);
    }
    return SL_OK;
}

static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[8192];

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0)
        return -errno;
    rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

/*
 * Rewrite the log with the live entries only: write a new segment in a
 * side directory, sync it, then swap directories.  A crash leaves either
 * the old log (the side directory is removed at the next open) or the
 * new one (a finished side directory is moved into place).
 */
static sl_err compact(offsets *o)
{
    char tmp[4200], old[4200], seg[4300];
    int fd;
    int64_t next = 0;
    oentry *e;
    rec_builder *b = NULL;
    sl_err err = SL_OK;

    snprintf(tmp, sizeof tmp, "%s.compact", o->dir);
    snprintf(old, sizeof old, "%s.old", o->dir);
    remove_flat_dir(tmp);
    if (mkdir(tmp, 0755) < 0)
        return sl_err_from_errno(-errno);
    snprintf(seg, sizeof seg, "%s/%020d.log", tmp, 0);
    fd = open(seg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_err_from_errno(-errno);
    e = RB_MIN(otree, &o->tree);
    while (e && err == SL_OK) {
        uint8_t *batch;
        size_t len;

        if (!b && !(b = rec_builder_new(e->v.commit_ts))) {
            err = SL_E_NOMEM;
            break;
        }
        err = add_record(b, e->v.commit_ts, e->group, e->topic, e->partition, &e->v);
        e = RB_NEXT(otree, &o->tree, e);
        if (err || (rec_builder_count(b) < RECORDS_PER_BATCH && e))
            continue;
        batch = rec_builder_finish(b, &len);
        if (!batch) {
            err = SL_E_NOMEM;
            break;
        }
        rec_batch_set_base_offset(batch, next);
        next += rec_builder_count(b);
        if (write(fd, batch, len) != (ssize_t)len)
            err = SL_E_IO;
        free(batch);
        rec_builder_free(b);
        b = NULL;
    }
    rec_builder_free(b);
    if (!err && fsync(fd) < 0)
        err = sl_err_from_errno(-errno);
    close(fd);
    if (!err && fsync_path(tmp) < 0)
        err = SL_E_IO;
    if (err) {
        remove_flat_dir(tmp);
        return err;
    }
    plog_close(o->log);
    o->log = NULL;
    if (rename(o->dir, old) < 0)
        return sl_err_from_errno(-errno);
    if (rename(tmp, o->dir) < 0) {
        err = sl_err_from_errno(-errno);
        rename(old, o->dir); /* put the old log back */
        return err;
    }
    if (fsync_path(o->data_dir) < 0)
        return SL_E_IO; /* the new log is in place; .old goes at the next open */
    remove_flat_dir(old);
    return SL_OK;
}

/* The log holds over four times the live entries (and at least
 * COMPACT_MIN_RECORDS). */
static bool compact_due(const offsets *o)
{
    return o->nrec >= COMPACT_MIN_RECORDS && o->nrec > 4 * (int64_t)o->nlive;
}

/* Compact if due, then open the log again.  Nothing may be in flight on
 * it.  If it cannot be opened again, o->log stays NULL and commits fail. */
static sl_err compact_and_reopen(offsets *o, char *errstr, size_t errstr_size)
{
    sl_err err;

    if (!compact_due(o))
        return SL_OK;
    sl_info("offsets", "compacting the offsets log: %lld records, %zu live", (long long)o->nrec,
            o->nlive);
    err = compact(o);
    if (!err)
        o->nrec = (int64_t)o->nlive;
    else
        sl_warn("offsets", "compacting %s: %s", o->dir, sl_err_str(err));
    if (!o->log) {
        sl_err e = plog_open(&o->log, o->env, o->dir, &o->cfg, errstr, errstr_size);

        if (e)
            return e;
    }
    return SL_OK;
}

bool offsets_compact(offsets *o)
{
    char errstr[256] = "";
    sl_err err;

    if (!o->log || !compact_due(o))
        return true;
    if (plog_pending(o->log))
        return false; /* commits in flight: the log cannot be swapped now */
    err = compact_and_reopen(o, errstr, sizeof errstr);
    if (err)
        sl_error("offsets", "%s: cannot open the offsets log again: %s; commits will fail",
                 o->dir, errstr[0] ? errstr : sl_err_str(err));
    return true;
}

sl_err offsets_open(offsets **out, plog_env *env, const char *data_dir, const plog_config *cfg,
                    char *errstr, size_t errstr_size)
{
    offsets *o = calloc(1, sizeof *o);
    char side[4200];
    struct stat st;
    sl_err err;

    if (!o) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    RB_INIT(&o->tree);
    o->env = env;
    o->cfg = *cfg;
    snprintf(o->data_dir, sizeof o->data_dir, "%s", data_dir);
    snprintf(o->dir, sizeof o->dir, "%s/%s", data_dir, OFFSETS_DIR);
    /* Finish or undo a compaction a crash interrupted. */
    snprintf(side, sizeof side, "%s.compact", o->dir);
    if (stat(o->dir, &st) < 0 && stat(side, &st) == 0)
        rename(side, o->dir);
    remove_flat_dir(side);
    snprintf(side, sizeof side, "%s.old", o->dir);
    remove_flat_dir(side);

    err = plog_open(&o->log, env, o->dir, cfg, errstr, errstr_size);
    if (!err)
        err = replay(o, &o->nrec);
    if (!err)
        err = compact_and_reopen(o, errstr, errstr_size);
    if (err) {
        if (!errstr[0])
            snprintf(errstr, errstr_size, "%s: %s", o->dir, sl_err_str(err));
        offsets_close(o);
        return err;
    }
    sl_info("offsets", "%zu committed offsets loaded", o->nlive);
    *out = o;
    return SL_OK;
}

void offsets_close(offsets *o)
{
    oentry *e, *next;

    if (!o)
        return;
    for (e = RB_MIN(otree, &o->tree); e; e = next) {
        next = RB_NEXT(otree, &o->tree, e);
        RB_REMOVE(otree, &o->tree, e);
        entry_free(e);
    }
    plog_close(o->log);
    free(o);
}

const offset_value *offsets_get(offsets *o, sl_bytes group, sl_bytes topic, int32_t partition)
{
    oentry *e = find(o, group, topic, partition);

    return e ? &e->v : NULL;
}

static oentry *group_first(offsets *o, sl_bytes group)
{
    oentry key;
    oentry *e;

    key.group = group;
    key.topic = sl_bytes_make("", 0);
    key.partition = INT32_MIN;
    e = RB_NFIND(otree, &o->tree, &key);
    return e && sl_bytes_eq(e->group, group) ? e : NULL;
}

void offsets_each(offsets *o, sl_bytes group,
                  bool (*fn)(void *ud, sl_bytes topic, int32_t partition, const offset_value *v),
                  void *ud)
{
    for (oentry *e = group_first(o, group); e && sl_bytes_eq(e->group, group);
         e = RB_NEXT(otree, &o->tree, e))
        if (!fn(ud, e->topic, e->partition, &e->v))
            return;
}

void offsets_each_group(offsets *o, void (*fn)(void *ud, sl_bytes group), void *ud)
{
    oentry *e = RB_MIN(otree, &o->tree);

    while (e) {
        sl_bytes g = e->group;

        fn(ud, g);
        while (e && sl_bytes_eq(e->group, g))
            e = RB_NEXT(otree, &o->tree, e);
    }
}

bool offsets_group_has(offsets *o, sl_bytes group)
{
    return group_first(o, group) != NULL;
}

static void on_committed(void *ud, sl_err err, int64_t base_offset)
{
    commit_ctx *ctx = ud;
    offsets *o = ctx->o;

    (void)base_offset;
    if (!err) {
        for (int32_t i = 0; i < ctx->n && !err; i++) {
            const offsets_item *it = &ctx->items[i];

            if (ctx->is_delete)
                apply_delete(o, ctx->group, it->topic, it->partition);
            else
                err = apply_set(o, ctx->group, it->topic, it->partition, it->offset,
                                it->leader_epoch, it->metadata, ctx->now);
        }
    }
    free(ctx->batch);
    ctx->cb(ctx->ud, err);
    sl_arena_free(&ctx->owned);
    free(ctx);
}

static sl_err append_items(offsets *o, commit_ctx *ctx)
{
    rec_builder *b = rec_builder_new(ctx->now);
    sl_err err = b ? SL_OK : SL_E_NOMEM;
    int32_t n = ctx->n;
    size_t len;

    for (int32_t i = 0; i < ctx->n && !err; i++) {
        const offsets_item *it = &ctx->items[i];
        offset_value v = { it->offset, it->leader_epoch, it->metadata, ctx->now };

        err = add_record(b, ctx->now, ctx->group, it->topic, it->partition,
                         ctx->is_delete ? NULL : &v);
    }
    if (!err && !(ctx->batch = rec_builder_finish(b, &len)))
        err = SL_E_NOMEM;
    rec_builder_free(b);
    if (!err && !o->log)
        err = SL_E_IO;
    /* A full disk failed the log: it comes back once there is room. */
    if (!err && plog_state(o->log))
        err = plog_revive(o->log);
    /* Counted first: a synchronous io may run on_committed (freeing ctx)
     * inside plog_append. */
    if (!err) {
        o->nrec += n;
        err = plog_append(o->log, ctx->batch, len, true, on_committed, ctx);
        if (err)
            o->nrec -= n;
    }
    return err;
}

sl_err offsets_commit(offsets *o, sl_bytes group, const offsets_item *items, int32_t n,
                      bool is_delete, int64_t now_ms, offsets_cb cb, void *ud)
{
    commit_ctx *ctx;
    sl_err err;

    if (n <= 0) {
        cb(ud, SL_OK);
        return SL_OK;
    }
    ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return SL_E_NOMEM;
    *ctx = (commit_ctx){ .o = o, .group = group, .items = items, .n = n,
                         .is_delete = is_delete, .now = now_ms, .cb = cb, .ud = ud };
    sl_arena_init(&ctx->owned, 0);
    err = append_items(o, ctx);
    if (err) {
        free(ctx->batch);
        sl_arena_free(&ctx->owned);
        free(ctx);
    }
    return err;
}

/* Build delete items for a group, copied so they outlive table changes. */
static sl_err delete_items(offsets *o, sl_bytes group, commit_ctx *ctx)
{
    int32_t n = 0, i = 0;
    offsets_item *items;
    uint8_t *g;

    for (oentry *e = group_first(o, group); e && sl_bytes_eq(e->group, group);
         e = RB_NEXT(otree, &o->tree, e))
        n++;
    items = sl_arena_calloc(&ctx->owned, (size_t)n + 1, sizeof *items);
    g = sl_arena_alloc(&ctx->owned, group.n + 1);
    if (!items || !g)
        return SL_E_NOMEM;
    memcpy(g, group.p, group.n);
    ctx->group = sl_bytes_make(g, group.n);
    for (oentry *e = group_first(o, group); e && sl_bytes_eq(e->group, group);
         e = RB_NEXT(otree, &o->tree, e)) {
        uint8_t *t = sl_arena_alloc(&ctx->owned, e->topic.n + 1);

        if (!t)
            return SL_E_NOMEM;
        memcpy(t, e->topic.p, e->topic.n);
        items[i].topic = sl_bytes_make(t, e->topic.n);
        items[i++].partition = e->partition;
    }
    ctx->items = items;
    ctx->n = n;
    return SL_OK;
}

sl_err offsets_delete_group(offsets *o, sl_bytes group, int64_t now_ms, offsets_cb cb, void *ud)
{
    commit_ctx *ctx = calloc(1, sizeof *ctx);
    sl_err err;

    if (!ctx)
        return SL_E_NOMEM;
    *ctx = (commit_ctx){ .o = o, .is_delete = true, .now = now_ms, .cb = cb, .ud = ud };
    sl_arena_init(&ctx->owned, 0);
    err = delete_items(o, group, ctx);
    if (!err && ctx->n == 0) {
        sl_arena_free(&ctx->owned);
        free(ctx);
        cb(ud, SL_OK);
        return SL_OK;
    }
    if (!err)
        err = append_items(o, ctx);
    if (err) {
        free(ctx->batch);
        sl_arena_free(&ctx->owned);
        free(ctx);
    }
    return err;
}

typedef struct topic_del {
    offsets_cb cb;
    void *ud;
    int pending;
    sl_err err;
} topic_del;

static void on_topic_group_deleted(void *ud, sl_err err)
{
    topic_del *td = ud;

    if (err && !td->err)
        td->err = err;
    if (--td->pending == 0) {
        td->cb(td->ud, td->err);
        free(td);
    }
}

sl_err offsets_delete_topic(offsets *o, sl_bytes topic, int64_t now_ms, offsets_cb cb, void *ud)
{
    topic_del *td = calloc(1, sizeof *td);
    oentry *e = RB_MIN(otree, &o->tree);

    if (!td)
        return SL_E_NOMEM;
    td->cb = cb;
    td->ud = ud;
    td->pending = 1;
    while (e) {
        sl_bytes group = e->group;
        commit_ctx *ctx;
        offsets_item *items;
        int32_t n = 0, i = 0;
        uint8_t *g;
        sl_err err = SL_OK;
        oentry *first = e;

        for (; e && sl_bytes_eq(e->group, group); e = RB_NEXT(otree, &o->tree, e))
            if (sl_bytes_eq(e->topic, topic))
                n++;
        if (n == 0)
            continue;
        if (!(ctx = calloc(1, sizeof *ctx))) {
            td->err = SL_E_NOMEM;
            break;
        }
        *ctx = (commit_ctx){ .o = o, .is_delete = true, .now = now_ms,
                             .cb = on_topic_group_deleted, .ud = td };
        sl_arena_init(&ctx->owned, 0);
        items = sl_arena_calloc(&ctx->owned, (size_t)n, sizeof *items);
        g = sl_arena_alloc(&ctx->owned, group.n + 1);
        uint8_t *tp = sl_arena_alloc(&ctx->owned, topic.n + 1);
        if (!items || !g || !tp) {
            err = SL_E_NOMEM;
        } else {
            memcpy(g, group.p, group.n);
            memcpy(tp, topic.p, topic.n);
            ctx->group = sl_bytes_make(g, group.n);
            for (oentry *x = first; x && sl_bytes_eq(x->group, group);
                 x = RB_NEXT(otree, &o->tree, x)) {
                if (!sl_bytes_eq(x->topic, topic))
                    continue;
                items[i].topic = sl_bytes_make(tp, topic.n);
                items[i++].partition = x->partition;
            }
            ctx->items = items;
            ctx->n = n;
            td->pending++;
            err = append_items(o, ctx);
            if (err)
                td->pending--;
        }
        if (err) {
            free(ctx->batch);
            sl_arena_free(&ctx->owned);
            free(ctx);
            td->err = err;
            break;
        }
    }
    on_topic_group_deleted(td, SL_OK);
    return SL_OK;
}

static void on_expired(void *ud, sl_err err)
{
    (void)ud;
    if (err)
        sl_warn("offsets", "expiring offsets failed: %s", sl_err_str(err));
}

void offsets_expire(offsets *o, int64_t cutoff_ms, bool (*is_idle)(void *ud, sl_bytes group),
                    void *ud, int64_t now_ms)
{
    oentry *e = RB_MIN(otree, &o->tree);

    while (e) {
        sl_bytes group = e->group;
        bool stale = true;
        oentry *first = e;

        for (; e && sl_bytes_eq(e->group, group); e = RB_NEXT(otree, &o->tree, e))
            if (e->v.commit_ts >= cutoff_ms)
                stale = false;
        if (stale && is_idle(ud, group)) {
            sl_info("offsets", "expiring the offsets of idle group '%.*s'", (int)group.n,
                    (const char *)group.p);
            /* The table changes only when the deletes are durable, so
             * `e` stays valid. */
            offsets_delete_group(o, first->group, now_ms, on_expired, NULL);
        }
    }
}
