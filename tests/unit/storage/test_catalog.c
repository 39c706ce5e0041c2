/* test_catalog.c - storage/catalog.c: create, find, ids, persistence, name
 * rules, Kafka's partition.metadata. */
#include "storage/storage_int.h"
#include "storage_test.h"

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>

typedef struct cfx {
    char *dir;
    sl_io *io;
    plog_env *env;
    catalog *cat;
    plog_config cfg;
} cfx;

static void cfx_open(cfx *f)
{
    char err[256] = "";

    cr_assert_eq(catalog_open(&f->cat, f->env, f->dir, &f->cfg, err, sizeof err), SL_OK, "%s",
                 err);
}

static void cfx_init(cfx *f)
{
    f->dir = st_tmpdir();
    f->io = sl_io_sync_new();
    f->cfg = st_small_config(1 << 20, 4096);
    cr_assert_eq(plog_env_new(&f->env, f->io), SL_OK);
    cfx_open(f);
}

static void cfx_fini(cfx *f)
{
    catalog_close(f->cat);
    plog_env_free(f->env);
    sl_io_free(f->io);
    st_rmdir(f->dir);
}

Test(catalog, name_rules)
{
    char name[300];

    memset(name, 'a', sizeof name);
    cr_assert(catalog_valid_name(sl_bytes_make(name, 249)));
    cr_assert_not(catalog_valid_name(sl_bytes_make(name, 250)));
    cr_assert_not(catalog_valid_name(sl_bytes_make(name, 0)));
    cr_assert_not(catalog_valid_name(SL_BYTES_NULL));
    cr_assert_not(catalog_valid_name(sl_bytes_str(".")));
    cr_assert_not(catalog_valid_name(sl_bytes_str("..")));
    cr_assert_not(catalog_valid_name(sl_bytes_str("a/b")));
    cr_assert_not(catalog_valid_name(sl_bytes_str("a b")));
    cr_assert_not(catalog_valid_name(sl_bytes_str("a\xc3\xa9")));
    cr_assert(catalog_valid_name(sl_bytes_str("...")));
    cr_assert(catalog_valid_name(sl_bytes_str("Orders_v2.eu-west-1")));
    cr_assert(catalog_valid_name(sl_bytes_str("__consumer_offsets")));
}

Test(catalog, create_find_and_ids)
{
    cfx f;
    cat_topic *t, *u;
    char *meta, buf[128], b64[23];
    static const uint8_t zero[16];

    cfx_init(&f);
    cr_assert_eq(catalog_count(f.cat), 0);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("orders"), 3, &t), SL_OK);
    cr_assert_str_eq(cat_topic_name(t), "orders");
    cr_assert_eq(cat_topic_partitions(t), 3);
    cr_assert_neq(memcmp(cat_topic_id(t), zero, 16), 0, "a non-zero id");
    cr_assert(cat_topic_log(t, 0) && cat_topic_log(t, 2));
    cr_assert_null(cat_topic_log(t, 3));
    cr_assert_null(cat_topic_log(t, -1));
    cr_assert_eq(catalog_find(f.cat, sl_bytes_str("orders")), t);
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("order")));
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("ordersx")));
    cr_assert_eq(catalog_find_id(f.cat, cat_topic_id(t)), t);
    cr_assert_null(catalog_find_id(f.cat, zero));

    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("audit"), 1, &u), SL_OK);
    cr_assert_neq(memcmp(cat_topic_id(t), cat_topic_id(u), 16), 0);
    cr_assert_eq(catalog_count(f.cat), 2);
    cr_assert_str_eq(cat_topic_name(catalog_at(f.cat, 0)), "audit", "name order");
    cr_assert_str_eq(cat_topic_name(catalog_at(f.cat, 1)), "orders");
    cr_assert_null(catalog_at(f.cat, 2));

    /* Kafka's partition.metadata, the same id in every partition. */
    storage_id_encode(cat_topic_id(t), b64);
    for (int p = 0; p < 3; p++) {
        char name[64], want[64];

        snprintf(name, sizeof name, "orders-%d/partition.metadata", p);
        meta = st_path(f.dir, name);
        cr_assert_eq(sl_io_read_file(f.io, meta, buf, sizeof buf), 11 + 10 + 22 + 1);
        snprintf(want, sizeof want, "version: 0\ntopic_id: %s\n", b64);
        cr_assert_str_eq(buf, want);
        free(meta);
    }
    cfx_fini(&f);
}

Test(catalog, create_errors)
{
    cfx f;
    char name[251];
    cat_topic *t = NULL;

    cfx_init(&f);
    memset(name, 'x', sizeof name);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_make(name, 250), 1, &t),
                 SL_KE_INVALID_TOPIC_EXCEPTION);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_make(name, 249), 1, &t), SL_OK);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str(".."), 1, &t), SL_KE_INVALID_TOPIC_EXCEPTION);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("a/b"), 1, &t),
                 SL_KE_INVALID_TOPIC_EXCEPTION);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("ok"), 0, &t), SL_KE_INVALID_PARTITIONS);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("ok"), -3, &t), SL_KE_INVALID_PARTITIONS);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("ok"), 2, &t), SL_OK);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("ok"), 2, &t), SL_KE_TOPIC_ALREADY_EXISTS);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("ok"), 5, &t), SL_KE_TOPIC_ALREADY_EXISTS);
    cr_assert_eq(catalog_count(f.cat), 2);
    cfx_fini(&f);
}

static void append_one(plog *l, int64_t want)
{
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };
    size_t len;
    uint8_t *b = st_batch(2, 5, 8, 1, &len);

    cr_assert_eq(plog_append(l, b, len, false, st_cb, &ud), SL_OK);
    cr_assert_eq(rec.n, 1);
    cr_assert_eq(rec.base[0], want);
    free(b);
}

Test(catalog, persists_across_reopen)
{
    cfx f;
    cat_topic *t;
    uint8_t id_a[16], id_b[16];
    char *stray;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("b-topic"), 2, &t), SL_OK);
    memcpy(id_b, cat_topic_id(t), 16);
    append_one(cat_topic_log(t, 1), 0);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("a.topic"), 12, &t), SL_OK);
    memcpy(id_a, cat_topic_id(t), 16);
    catalog_close(f.cat);
    /* Things in the data dir that are not partitions are left alone. */
    stray = st_path(f.dir, "meta.properties");
    cr_assert_eq(sl_io_write_file(f.io, f.dir, "meta.properties", "x\n", 2), SL_OK);
    free(stray);
    stray = st_path(f.dir, "lost+found");
    cr_assert_eq(mkdir(stray, 0755), 0);
    free(stray);
    stray = st_path(f.dir, "x-1.abc-delete");
    cr_assert_eq(mkdir(stray, 0755), 0);
    free(stray);

    cfx_open(&f);
    cr_assert_eq(catalog_count(f.cat), 2);
    t = catalog_find(f.cat, sl_bytes_str("b-topic"));
    cr_assert(t);
    cr_assert_eq(memcmp(cat_topic_id(t), id_b, 16), 0, "same id after reopen");
    cr_assert_eq(cat_topic_partitions(t), 2);
    cr_assert_eq(plog_end_offset(cat_topic_log(t, 1)), 2, "data kept");
    cr_assert_eq(plog_end_offset(cat_topic_log(t, 0)), 0);
    t = catalog_find(f.cat, sl_bytes_str("a.topic"));
    cr_assert(t);
    cr_assert_eq(cat_topic_partitions(t), 12, "partitions 10 and 11 sort after 9");
    cr_assert_eq(catalog_find_id(f.cat, id_a), t);
    cr_assert_str_eq(cat_topic_name(catalog_at(f.cat, 0)), "a.topic");
    cfx_fini(&f);
}

Test(catalog, missing_metadata_gets_the_topics_id)
{
    cfx f;
    cat_topic *t;
    uint8_t id[16];
    char *meta;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("t"), 3, &t), SL_OK);
    memcpy(id, cat_topic_id(t), 16);
    catalog_close(f.cat);
    meta = st_path(f.dir, "t-2/partition.metadata");
    cr_assert_eq(unlink(meta), 0);
    cfx_open(&f);
    t = catalog_find(f.cat, sl_bytes_str("t"));
    cr_assert_eq(memcmp(cat_topic_id(t), id, 16), 0);
    cr_assert(st_exists(meta), "rewritten");
    free(meta);
    cfx_fini(&f);
}

Test(catalog, gap_in_partitions_is_an_error)
{
    cfx f;
    cat_topic *t;
    char *p, *q, err[256] = "";

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("g"), 3, &t), SL_OK);
    catalog_close(f.cat);
    p = st_path(f.dir, "g-1");
    q = st_path(f.dir, "g-1.moved");
    cr_assert_eq(rename(p, q), 0);
    cr_assert_eq(catalog_open(&f.cat, f.env, f.dir, &f.cfg, err, sizeof err), SL_E_MALFORMED);
    cr_assert(strstr(err, "partition 1 missing"), "%s", err);
    cr_assert_eq(rename(q, p), 0);
    cfx_open(&f);
    free(p);
    free(q);
    cfx_fini(&f);
}

Test(catalog, topic_overrides_persist)
{
    cfx f;
    cat_topic *t;
    char *path;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("orders"), 3, &t), SL_OK);
    cr_assert_str_eq(cat_topic_overrides(t), "");
    cr_assert_eq(cat_topic_set_overrides(f.cat, t, "retention.ms=1000\nsegment.bytes=2048\n"),
                 SL_OK);
    cr_assert_str_eq(cat_topic_overrides(t), "retention.ms=1000\nsegment.bytes=2048\n");
    path = st_path(f.dir, "orders-0/topic.config");
    cr_assert(st_exists(path));
    catalog_close(f.cat);
    cfx_open(&f);
    t = catalog_find(f.cat, sl_bytes_str("orders"));
    cr_assert(t);
    cr_assert_str_eq(cat_topic_overrides(t), "retention.ms=1000\nsegment.bytes=2048\n",
                     "read back at open");
    cr_assert_eq(cat_topic_set_overrides(f.cat, t, NULL), SL_OK);
    cr_assert_str_eq(cat_topic_overrides(t), "");
    cr_assert_not(st_exists(path), "none: no file");
    cr_assert_eq(cat_topic_set_overrides(f.cat, t, ""), SL_OK, "removing twice is fine");
    catalog_close(f.cat);
    cfx_open(&f);
    t = catalog_find(f.cat, sl_bytes_str("orders"));
    cr_assert_str_eq(cat_topic_overrides(t), "");
    free(path);
    cfx_fini(&f);
}

Test(catalog, set_config_reaches_every_partition)
{
    cfx f;
    cat_topic *t;
    plog_config cfg;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("t"), 2, &t), SL_OK);
    cfg = f.cfg;
    cfg.retention_ms = 5000;
    cfg.log_append_time = true;
    cr_assert_eq(cat_topic_set_config(t, &cfg), SL_OK);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(plog_get_config(cat_topic_log(t, i))->retention_ms, 5000);
        cr_assert(plog_get_config(cat_topic_log(t, i))->log_append_time);
    }
    cfg.flush_ms = -5;
    cr_assert_eq(cat_topic_set_config(t, &cfg), SL_E_INVAL);
    cr_assert_eq(plog_get_config(cat_topic_log(t, 1))->flush_ms, -1, "none changed");
    cfx_fini(&f);
}

Test(catalog, add_partitions)
{
    cfx f;
    cat_topic *t;
    plog_config tc;
    uint8_t id[16], got[16];
    char *meta, buf[128], b64[23];

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("grow"), 2, &t), SL_OK);
    memcpy(id, cat_topic_id(t), 16);
    tc = f.cfg;
    tc.retention_ms = 12345;
    cr_assert_eq(cat_topic_set_config(t, &tc), SL_OK);
    cr_assert_eq(catalog_add_partitions(f.cat, t, 2), SL_KE_INVALID_PARTITIONS);
    cr_assert_eq(catalog_add_partitions(f.cat, t, 1), SL_KE_INVALID_PARTITIONS);
    cr_assert_eq(cat_topic_partitions(t), 2);
    cr_assert_eq(catalog_add_partitions(f.cat, t, 5), SL_OK);
    cr_assert_eq(cat_topic_partitions(t), 5);
    cr_assert(cat_topic_log(t, 4));
    cr_assert_null(cat_topic_log(t, 5));
    cr_assert_eq(plog_get_config(cat_topic_log(t, 4))->retention_ms, 12345, "the topic's config");
    append_one(cat_topic_log(t, 4), 0);
    meta = st_path(f.dir, "grow-4/partition.metadata");
    cr_assert(sl_io_read_file(f.io, meta, buf, sizeof buf) > 0);
    storage_id_encode(id, b64);
    cr_assert(strstr(buf, b64), "same topic id: %s", buf);
    free(meta);
    catalog_close(f.cat);
    cfx_open(&f);
    t = catalog_find(f.cat, sl_bytes_str("grow"));
    cr_assert(t);
    cr_assert_eq(cat_topic_partitions(t), 5);
    memcpy(got, cat_topic_id(t), 16);
    cr_assert_eq(memcmp(got, id, 16), 0);
    cr_assert_eq(plog_end_offset(cat_topic_log(t, 4)), 2);
    cfx_fini(&f);
}

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    cr_assert(d);
    while ((de = readdir(d)) != NULL)
        n += !strncmp(de->d_name, prefix, strlen(prefix));
    closedir(d);
    return n;
}

/* Partitions are made on several threads: all of them, or none. */
Test(catalog, create_many_partitions_all_or_nothing)
{
    cfx f;
    cat_topic *t = NULL;
    char *stray;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("wide"), 200, &t), SL_OK);
    cr_assert_eq(count_prefixed(f.dir, "wide-"), 200);
    for (int32_t i = 0; i < 200; i++)
        cr_assert(cat_topic_log(t, i), "partition %d", i);
    append_one(cat_topic_log(t, 199), 0);

    /* A directory in the way of partition 37 of 64: the create fails and
     * the 63 others are gone again. */
    stray = st_path(f.dir, "blocked-37");
    cr_assert_eq(mkdir(stray, 0755), 0);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("blocked"), 64, &t), SL_E_EXISTS);
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("blocked")));
    cr_assert_eq(count_prefixed(f.dir, "blocked-"), 1, "only the stray directory is left");
    cr_assert_eq(rmdir(stray), 0);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("blocked"), 64, &t), SL_OK);

    /* The same for added partitions: the topic keeps what it had. */
    free(stray);
    stray = st_path(f.dir, "wide-250");
    cr_assert_eq(mkdir(stray, 0755), 0);
    t = catalog_find(f.cat, sl_bytes_str("wide"));
    cr_assert_eq(catalog_add_partitions(f.cat, t, 300), SL_E_EXISTS);
    cr_assert_eq(cat_topic_partitions(t), 200);
    cr_assert_eq(count_prefixed(f.dir, "wide-"), 201);
    cr_assert_eq(rmdir(stray), 0);
    cr_assert_eq(catalog_add_partitions(f.cat, t, 300), SL_OK);
    cr_assert_eq(count_prefixed(f.dir, "wide-"), 300);
    free(stray);

    catalog_close(f.cat);
    cfx_open(&f);
    cr_assert_eq(cat_topic_partitions(catalog_find(f.cat, sl_bytes_str("wide"))), 300);
    cr_assert_eq(cat_topic_partitions(catalog_find(f.cat, sl_bytes_str("blocked"))), 64);
    cr_assert_eq(plog_end_offset(cat_topic_log(catalog_find(f.cat, sl_bytes_str("wide")), 199)),
                 2);
    cfx_fini(&f);
}

static int count_deleted_dirs(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    cr_assert(d);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (!strncmp(de->d_name, prefix, strlen(prefix)) && len > 7 &&
            !strcmp(de->d_name + len - 7, "-delete"))
            n++;
    }
    closedir(d);
    return n;
}

Test(catalog, delete_idle_topic)
{
    cfx f;
    cat_topic *t, *keep;
    uint8_t id[16];
    char *p0;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("doomed"), 3, &t), SL_OK);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("kept"), 1, &keep), SL_OK);
    append_one(cat_topic_log(t, 0), 0);
    memcpy(id, cat_topic_id(t), 16);
    cr_assert_eq(catalog_delete(f.cat, t), SL_OK);
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("doomed")));
    cr_assert_null(catalog_find_id(f.cat, id));
    cr_assert_eq(catalog_count(f.cat), 1);
    cr_assert_eq(catalog_at(f.cat, 0), keep);
    cr_assert_null(catalog_at(f.cat, 1));
    /* Nothing in flight: reaped at once, the directories are gone. */
    cr_assert_eq(catalog_reap(f.cat), 0);
    p0 = st_path(f.dir, "doomed-0");
    cr_assert_not(st_exists(p0));
    free(p0);
    cr_assert_eq(count_deleted_dirs(f.dir, "doomed-"), 0);
    /* The name is free again, with a new id and an empty log. */
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("doomed"), 1, &t), SL_OK);
    cr_assert_neq(memcmp(cat_topic_id(t), id, 16), 0);
    cr_assert_eq(plog_end_offset(cat_topic_log(t, 0)), 0);
    catalog_close(f.cat);
    cfx_open(&f);
    cr_assert_eq(catalog_count(f.cat), 2);
    cfx_fini(&f);
}

Test(catalog, delete_waits_for_io_in_flight)
{
    cfx f;
    cat_topic *t;
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 7 };
    size_t len;
    uint8_t *b = st_batch(2, 5, 8, 1, &len);
    plog *l;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("busy"), 2, &t), SL_OK);
    l = cat_topic_log(t, 1);
    /* acks=all: the callback waits for a sync round. */
    cr_assert_eq(plog_append(l, b, len, true, st_cb, &ud), SL_OK);
    cr_assert_eq(rec.n, 0);
    cr_assert_eq(plog_pending(l), 1);
    cr_assert_eq(plog_pending(cat_topic_log(t, 0)), 0);
    cr_assert_eq(catalog_delete(f.cat, t), SL_OK);
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("busy")));
    cr_assert_eq(catalog_count(f.cat), 0);
    /* Partition 0 went at once; partition 1 waits, renamed. */
    cr_assert_eq(catalog_reap(f.cat), 1);
    cr_assert_eq(count_deleted_dirs(f.dir, "busy-1."), 1);
    cr_assert_eq(count_deleted_dirs(f.dir, "busy-0."), 0);
    cr_assert_eq(rec.n, 0);
    plog_env_flush(f.env);
    cr_assert_eq(rec.n, 1, "the append completes normally");
    cr_assert_eq(rec.err[0], SL_OK);
    cr_assert_eq(catalog_reap(f.cat), 0);
    cr_assert_eq(count_deleted_dirs(f.dir, "busy-"), 0);
    free(b);
    cfx_fini(&f);
}

Test(catalog, open_removes_deleted_leftovers)
{
    cfx f;
    cat_topic *t;
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 1 };
    size_t len;
    uint8_t *b = st_batch(2, 5, 8, 1, &len);
    char *odd;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("left"), 1, &t), SL_OK);
    cr_assert_eq(plog_append(cat_topic_log(t, 0), b, len, true, st_cb, &ud), SL_OK);
    cr_assert_eq(catalog_delete(f.cat, t), SL_OK);
    cr_assert_eq(catalog_reap(f.cat), 1);
    /* Closed while busy (a crash would do the same): the renamed dir stays. */
    catalog_close(f.cat);
    cr_assert_eq(rec.n, 1);
    cr_assert_neq(rec.err[0], SL_OK, "not acknowledged");
    cr_assert_eq(count_deleted_dirs(f.dir, "left-0."), 1);
    odd = st_path(f.dir, "left-0.abc-delete"); /* not Kafka's form: kept */
    cr_assert_eq(mkdir(odd, 0755), 0);
    cfx_open(&f);
    cr_assert_eq(catalog_count(f.cat), 0);
    cr_assert_eq(count_deleted_dirs(f.dir, "left-0."), 1);
    cr_assert(st_exists(odd));
    free(odd);
    free(b);
    cfx_fini(&f);
}

/* The create in steps: while being created the topic is invisible to
 * lookups but holds its name; work runs on another thread; end
 * publishes it, or drops it and everything made. */
static void *work_thread(void *arg)
{
    void **a = arg;

    a[2] = (void *)(intptr_t)catalog_create_work(a[0], a[1]);
    return NULL;
}

Test(catalog, create_in_steps)
{
    cfx f;
    cat_topic *t = NULL, *u = NULL;
    pthread_t th;
    void *args[3];
    char *stray;
    size_t before;

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("there"), 1, &u), SL_OK);
    before = catalog_count(f.cat);
    cr_assert_eq(catalog_create_begin(f.cat, sl_bytes_str("there"), 3, &t),
                 SL_KE_TOPIC_ALREADY_EXISTS);
    cr_assert_eq(catalog_create_begin(f.cat, sl_bytes_str("steps"), 30, &t), SL_OK);
    cr_assert(catalog_creating(f.cat, sl_bytes_str("steps")));
    cr_assert_not(catalog_creating(f.cat, sl_bytes_str("there")));
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("steps")));
    cr_assert_null(catalog_find_id(f.cat, cat_topic_id(t)));
    cr_assert_eq(catalog_count(f.cat), before);
    cr_assert_eq(catalog_create_begin(f.cat, sl_bytes_str("steps"), 2, &u),
                 SL_KE_TOPIC_ALREADY_EXISTS);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("steps"), 2, &u), SL_KE_TOPIC_ALREADY_EXISTS);

    args[0] = f.cat;
    args[1] = t;
    cr_assert_eq(pthread_create(&th, NULL, work_thread, args), 0);
    cr_assert_eq(pthread_join(th, NULL), 0);
    cr_assert_eq((sl_err)(intptr_t)args[2], SL_OK);
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("steps")), "published before end");
    cr_assert_eq(catalog_create_end(f.cat, t, SL_OK), SL_OK);
    cr_assert_not(catalog_creating(f.cat, sl_bytes_str("steps")));
    cr_assert_eq(catalog_find(f.cat, sl_bytes_str("steps")), t);
    cr_assert_eq(catalog_count(f.cat), before + 1);
    cr_assert_eq(count_prefixed(f.dir, "steps-"), 30);
    append_one(cat_topic_log(t, 29), 0);

    /* Work fails (a directory in the way): end drops it, the name is free. */
    stray = st_path(f.dir, "failing-5");
    cr_assert_eq(mkdir(stray, 0755), 0);
    cr_assert_eq(catalog_create_begin(f.cat, sl_bytes_str("failing"), 8, &t), SL_OK);
    cr_assert_eq(catalog_create_end(f.cat, t, catalog_create_work(f.cat, t)), SL_E_EXISTS);
    cr_assert_not(catalog_creating(f.cat, sl_bytes_str("failing")));
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("failing")));
    cr_assert_eq(count_prefixed(f.dir, "failing-"), 1, "only the stray directory is left");
    cr_assert_eq(rmdir(stray), 0);

    /* Work succeeds but the caller's next step fails: end undoes it all. */
    cr_assert_eq(catalog_create_begin(f.cat, sl_bytes_str("failing"), 8, &t), SL_OK);
    cr_assert_eq(catalog_create_work(f.cat, t), SL_OK);
    cr_assert_eq(count_prefixed(f.dir, "failing-"), 8);
    cr_assert_eq(catalog_create_end(f.cat, t, SL_E_IO), SL_E_IO);
    cr_assert_null(catalog_find(f.cat, sl_bytes_str("failing")));
    cr_assert_eq(count_prefixed(f.dir, "failing-"), 0);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("failing"), 2, &t), SL_OK);
    free(stray);
    cfx_fini(&f);
}

/* Adding partitions in steps: the topic keeps its count until end; one
 * grow at a time; a topic deleted meanwhile leaves nothing of the grow. */
static void *grow_thread(void *arg)
{
    void **a = arg;

    a[2] = (void *)(intptr_t)catalog_grow_work(a[0], a[1]);
    return NULL;
}

Test(catalog, grow_in_steps)
{
    cfx f;
    cat_topic *t = NULL;
    cat_grow *g = NULL, *g2 = NULL;
    pthread_t th;
    void *args[3];

    cfx_init(&f);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("grows"), 2, &t), SL_OK);
    cr_assert_eq(catalog_grow_begin(f.cat, t, 2, &g), SL_KE_INVALID_PARTITIONS);
    cr_assert_eq(catalog_grow_begin(f.cat, t, 40, &g), SL_OK);
    cr_assert_eq(catalog_grow_begin(f.cat, t, 50, &g2), SL_KE_INVALID_PARTITIONS,
                 "one grow at a time");
    cr_assert_eq(catalog_add_partitions(f.cat, t, 50), SL_KE_INVALID_PARTITIONS);
    args[0] = f.cat;
    args[1] = g;
    cr_assert_eq(pthread_create(&th, NULL, grow_thread, args), 0);
    cr_assert_eq(pthread_join(th, NULL), 0);
    cr_assert_eq((sl_err)(intptr_t)args[2], SL_OK);
    cr_assert_eq(cat_topic_partitions(t), 2, "not before end");
    cr_assert_eq(count_prefixed(f.dir, "grows-"), 40);
    cr_assert_eq(catalog_grow_end(f.cat, g, SL_OK), SL_OK);
    cr_assert_eq(cat_topic_partitions(t), 40);
    append_one(cat_topic_log(t, 39), 0);

    /* Deleted while growing: end answers UNKNOWN_TOPIC_OR_PARTITION and
     * removes the new directories; the name is free for a new topic. */
    cr_assert_eq(catalog_grow_begin(f.cat, t, 45, &g), SL_OK);
    cr_assert_eq(catalog_grow_work(f.cat, g), SL_OK);
    cr_assert_eq(catalog_delete(f.cat, t), SL_OK);
    cr_assert_eq(catalog_grow_end(f.cat, g, SL_OK), SL_KE_UNKNOWN_TOPIC_OR_PARTITION);
    catalog_reap(f.cat);
    cr_assert_eq(count_prefixed(f.dir, "grows-"), 0);
    cr_assert_eq(catalog_create(f.cat, sl_bytes_str("grows"), 45, &t), SL_OK);
    cfx_fini(&f);
}
