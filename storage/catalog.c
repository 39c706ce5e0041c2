/*
 * catalog.c - the topics of a data directory, Kafka's layout.
 *
 * A topic is the set of directories <data_dir>/<topic>-<n>, n = 0..count-1
 * (no gaps: a gap is reported, not guessed at).  Each partition directory
 * holds its segments and partition.metadata ("version: 0\ntopic_id:
 * <22 chars>\n"), so the topic id survives a restart and every partition
 * of a topic carries the same id.  The catalog keeps its topics sorted by
 * name: catalog_at is name order, catalog_find is a binary search.
 *
 * A topic's config overrides (text the broker's topic_config.c reads) live
 * in <topic>-0/topic.config, written atomically (tmp, fsync, rename, fsync
 * of the directory); a topic without the file has none.
 *
 * Deleting a topic takes it out of the sorted array at once and renames
 * its directories <topic>-<p>.<32 hex>-delete, as Kafka does; its logs
 * wait in a graveyard until their appends, syncs and unlinks complete
 * (catalog_reap), then their files go.  catalog_open removes any such
 * directory a crash left behind.
 *
 * Creating a topic can take seconds (thousands of directories, each with
 * a few fsyncs), so it comes in three steps: catalog_create_begin (@loop)
 * reserves the name on the `creating` list, where catalog_find does not
 * look but catalog_creating and a second create of the name do;
 * catalog_create_work (@any, e.g. a worker thread) makes the directories
 * and logs; catalog_create_end (@loop) publishes the topic or drops it.
 * Threads: the catalog is single-threaded; while a topic is being created
 * only the work step touches it (its logs, directories and overrides),
 * and the loop touches nothing of it but the name (the creating list
 * holds the pointer, and the name never changes).  catalog_create is the
 * three steps in a row.
 */
#include "storage_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../base/log.h"

#define PART_META_FILE "partition.metadata"
#define TOPIC_CONFIG_FILE "topic.config"
#define TOPIC_CONFIG_MAX 65536
/* Far above any real topic; bounds what one CreateTopics can allocate. */
#define CAT_PARTITIONS_MAX 100000

struct cat_topic {
    char *name;
    uint8_t id[16];
    int32_t nparts;
    plog **logs;
    char *overrides; /* NULL: none */
    plog_config create_cfg; /* while being created: the logs' settings */
    struct cat_grow *grow;  /* partitions being added, or NULL */
};

/* Partitions being added to a topic (catalog_grow_begin): made into a
 * shadow of the topic that only the work step touches. */
struct cat_grow {
    cat_topic *t;        /* NULL once the topic was deleted meanwhile */
    cat_topic shadow;    /* name and id copied; logs[old, new) made here */
    int32_t old, total;
    plog_config cfg;
};

struct catalog {
    plog_env *env;
    char *dir;
    plog_config cfg;
    cat_topic **topics; /* sorted by name */
    size_t n, cap;
    plog **grave; /* logs of deleted topics, I/O still in flight; their
                     dir is the renamed one */
    size_t ngrave, capgrave;
    cat_topic **creating; /* being created (unsorted, few) */
    size_t ncreating, capcreating;
};

bool catalog_valid_name(sl_bytes name)
{
    if (name.null || name.n == 0 || name.n > CAT_TOPIC_NAME_MAX)
        return false;
    if (sl_bytes_eq_str(name, ".") || sl_bytes_eq_str(name, ".."))
        return false;
    for (size_t i = 0; i < name.n; i++) {
        uint8_t c = name.p[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int name_cmp(sl_bytes a, const char *b)
{
    size_t bn = strlen(b), n = a.n < bn ? a.n : bn;
    int c = n ? memcmp(a.p, b, n) : 0;

    return c ? c : (a.n > bn) - (a.n < bn);
}

/* Index of the first topic whose name is >= name. */
static size_t lower_bound(const catalog *c, sl_bytes name)
{
    size_t lo = 0, hi = c->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (name_cmp(name, c->topics[mid]->name) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

cat_topic *catalog_find(catalog *c, sl_bytes name)
{
    size_t i;

    if (name.null)
        return NULL;
    i = lower_bound(c, name);
    return i < c->n && name_cmp(name, c->topics[i]->name) == 0 ? c->topics[i] : NULL;
}

static ssize_t creating_index(const catalog *c, sl_bytes name)
{
    for (size_t i = 0; i < c->ncreating; i++)
        if (name_cmp(name, c->creating[i]->name) == 0)
            return (ssize_t)i;
    return -1;
}

bool catalog_creating(const catalog *c, sl_bytes name)
{
    return !name.null && creating_index(c, name) >= 0;
}

cat_topic *catalog_find_id(catalog *c, const uint8_t id[16])
{
    for (size_t i = 0; i < c->n; i++)
        if (memcmp(c->topics[i]->id, id, 16) == 0)
            return c->topics[i];
    return NULL;
}

size_t catalog_count(const catalog *c) { return c->n; }
cat_topic *catalog_at(catalog *c, size_t i) { return i < c->n ? c->topics[i] : NULL; }
const char *cat_topic_name(const cat_topic *t) { return t->name; }
const uint8_t *cat_topic_id(const cat_topic *t) { return t->id; }
int32_t cat_topic_partitions(const cat_topic *t) { return t->nparts; }

plog *cat_topic_log(cat_topic *t, int32_t partition)
{
    return partition >= 0 && partition < t->nparts ? t->logs[partition] : NULL;
}

static bool part_dir(const catalog *c, const char *topic, int32_t p, char *out, size_t n)
{
    return snprintf(out, n, "%s/%s-%d", c->dir, topic, (int)p) < (int)n;
}

const char *cat_topic_overrides(const cat_topic *t) { return t->overrides ? t->overrides : ""; }

sl_err cat_topic_set_overrides(catalog *c, cat_topic *t, const char *text)
{
    sl_io *io = plog_env_io(c->env);
    char pdir[PATH_MAX], path[PATH_MAX];
    size_t n = text ? strlen(text) : 0;
    char *copy = NULL;
    sl_err e;

    if (n >= TOPIC_CONFIG_MAX)
        return SL_E_RANGE;
    if (n && !(copy = strdup(text)))
        return SL_E_NOMEM;
    if (!part_dir(c, t->name, 0, pdir, sizeof pdir) ||
        snprintf(path, sizeof path, "%s/%s", pdir, TOPIC_CONFIG_FILE) >= (int)sizeof path) {
        free(copy);
        return SL_E_RANGE;
    }
    if (n) {
        e = sl_io_write_file(io, pdir, TOPIC_CONFIG_FILE, text, n);
    } else {
        e = (sl_err)io->ops->unlink(io, path);
        if (e == SL_E_NOTFOUND)
            e = SL_OK;
        else if (e == SL_OK)
            e = (sl_err)io->ops->sync_dir(io, pdir);
    }
    if (e != SL_OK) {
        sl_error("storage", "%s: %s", path, sl_err_str(e));
        free(copy);
        return e;
    }
    free(t->overrides);
    t->overrides = copy;
    return SL_OK;
}

/* Read <topic>-0/topic.config if there is one. */
static sl_err load_overrides(catalog *c, cat_topic *t)
{
    sl_io *io = plog_env_io(c->env);
    char pdir[PATH_MAX], path[PATH_MAX], *buf;
    int64_t n;

    if (!part_dir(c, t->name, 0, pdir, sizeof pdir) ||
        snprintf(path, sizeof path, "%s/%s", pdir, TOPIC_CONFIG_FILE) >= (int)sizeof path)
        return SL_E_RANGE;
    buf = malloc(TOPIC_CONFIG_MAX);
    if (!buf)
        return SL_E_NOMEM;
    n = sl_io_read_file(io, path, buf, TOPIC_CONFIG_MAX);
    if (n == SL_E_NOTFOUND) {
        free(buf);
        return SL_OK;
    }
    if (n < 0) {
        free(buf);
        return (sl_err)n;
    }
    t->overrides = n ? strdup(buf) : NULL;
    free(buf);
    return n && !t->overrides ? SL_E_NOMEM : SL_OK;
}

sl_err cat_topic_set_config(cat_topic *t, const plog_config *cfg)
{
    char errstr[256];
    sl_err e = plog_config_check(cfg, errstr, sizeof errstr);

    for (int32_t i = 0; e == SL_OK && i < t->nparts; i++)
        e = plog_set_config(t->logs[i], cfg);
    return e;
}

static void topic_free(cat_topic *t)
{
    if (!t)
        return;
    if (t->logs)
        for (int32_t i = 0; i < t->nparts; i++)
            plog_close(t->logs[i]);
    free(t->logs);
    free(t->name);
    free(t->overrides);
    free(t);
}

/* Room for one more in an array of n topic pointers (doubling). */
static sl_err topics_room(cat_topic ***v, size_t n, size_t *cap)
{
    cat_topic **nv;
    size_t ncap;

    if (n < *cap)
        return SL_OK;
    ncap = *cap ? *cap * 2 : 16;
    if (!(nv = realloc(*v, ncap * sizeof *nv)))
        return SL_E_NOMEM;
    *v = nv;
    *cap = ncap;
    return SL_OK;
}

static sl_err insert_topic(catalog *c, cat_topic *t)
{
    size_t i = lower_bound(c, sl_bytes_str(t->name));

    if (topics_room(&c->topics, c->n, &c->cap) != SL_OK)
        return SL_E_NOMEM;
    memmove(c->topics + i + 1, c->topics + i, (c->n - i) * sizeof *c->topics);
    c->topics[i] = t;
    c->n++;
    return SL_OK;
}


/* partition.metadata: SL_OK and the id, SL_E_NOTFOUND, or SL_E_MALFORMED. */
static sl_err read_part_meta(sl_io *io, const char *pdir, uint8_t id[16])
{
    char path[PATH_MAX], text[256], *v, *nl;
    int64_t n;

    if (snprintf(path, sizeof path, "%s/%s", pdir, PART_META_FILE) >= (int)sizeof path)
        return SL_E_RANGE;
    n = sl_io_read_file(io, path, text, sizeof text);
    if (n < 0)
        return n == SL_E_NOTFOUND ? SL_E_NOTFOUND : SL_E_MALFORMED;
    if (strncmp(text, "version: 0\n", 11) != 0 || !(v = strstr(text, "topic_id: ")))
        return SL_E_MALFORMED;
    v += strlen("topic_id: ");
    nl = strchr(v, '\n');
    if (!storage_id_decode(v, nl ? (size_t)(nl - v) : strlen(v), id))
        return SL_E_MALFORMED;
    return SL_OK;
}

static sl_err write_part_meta(sl_io *io, const char *pdir, const uint8_t id[16])
{
    char text[64], b64[23];
    int n;

    storage_id_encode(id, b64);
    n = snprintf(text, sizeof text, "version: 0\ntopic_id: %s\n", b64);
    return sl_io_write_file(io, pdir, PART_META_FILE, text, (size_t)n);
}

/* Remove a partition directory we own (a failed create, a deleted
 * topic): its files (flat), then the directory. */
static void remove_part_dir(sl_io *io, const char *pdir)
{
    DIR *d = opendir(pdir);
    struct dirent *de;
    char path[PATH_MAX];

    if (d) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (snprintf(path, sizeof path, "%s/%s", pdir, de->d_name) < (int)sizeof path)
                io->ops->unlink(io, path);
        }
        closedir(d);
    }
    rmdir(pdir);
}

/* "<topic>-<p>.<32 hex>-delete": a deleted topic's partition. */
static bool is_deleted_dir(const char *name)
{
    size_t n = strlen(name);
    const char *dot;

    if (n < 40 || strcmp(name + n - 7, "-delete") != 0)
        return false;
    dot = name + n - 7 - 33;
    if (*dot != '.')
        return false;
    for (const char *p = dot + 1; p < name + n - 7; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* "<topic>-<n>": false if the name is not a partition directory. */
static bool parse_dir_name(const char *name, char *topic, int32_t *part)
{
    const char *dash = strrchr(name, '-');
    size_t tn;
    long v = 0;

    if (!dash || dash == name || !dash[1] || (dash[1] == '0' && dash[2]) || strlen(dash + 1) > 10)
        return false;
    for (const char *p = dash + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    tn = (size_t)(dash - name);
    if (v > INT32_MAX || !catalog_valid_name(sl_bytes_make(name, tn)))
        return false;
    memcpy(topic, name, tn);
    topic[tn] = '\0';
    *part = (int32_t)v;
    return true;
}

typedef struct found_dir {
    char topic[CAT_TOPIC_NAME_MAX + 1];
    int32_t part;
} found_dir;

static int found_cmp(const void *a, const void *b)
{
    const found_dir *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);

    return c ? c : (x->part > y->part) - (x->part < y->part);
}

/* Open the topic found as dirs [0, n) (sorted, one name). */
static sl_err open_topic(catalog *c, const found_dir *dirs, size_t n, char *errstr,
                         size_t errstr_size)
{
    sl_io *io = plog_env_io(c->env);
    cat_topic *t = calloc(1, sizeof *t);
    char pdir[PATH_MAX];
    bool have_id = false;
    sl_err e = SL_OK;

    if (!t || !(t->name = strdup(dirs[0].topic)) || !(t->logs = calloc(n, sizeof *t->logs))) {
        topic_free(t);
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (dirs[i].part != (int32_t)i) {
            snprintf(errstr, errstr_size, "%s/%s: partition %zu missing (found %d)", c->dir,
                     t->name, i, (int)dirs[i].part);
            topic_free(t);
            return SL_E_MALFORMED;
        }
    }
    /* Every partition must agree on the id; one without the file (a crash
     * while creating, or a directory from elsewhere) gets the topic's. */
    for (size_t i = 0; i < n && e == SL_OK; i++) {
        uint8_t id[16];

        part_dir(c, t->name, (int32_t)i, pdir, sizeof pdir);
        e = read_part_meta(io, pdir, id);
        if (e == SL_E_NOTFOUND) {
            e = SL_OK;
        } else if (e == SL_OK && !have_id) {
            memcpy(t->id, id, 16);
            have_id = true;
        } else if (e == SL_OK && memcmp(t->id, id, 16) != 0) {
            snprintf(errstr, errstr_size, "%s: topic id differs from partition 0's", pdir);
            e = SL_E_MALFORMED;
        } else if (e != SL_OK) {
            snprintf(errstr, errstr_size, "%s/%s: unreadable", pdir, PART_META_FILE);
        }
    }
    if (e == SL_OK && !have_id)
        e = storage_random_id(t->id);
    for (size_t i = 0; i < n && e == SL_OK; i++) {
        uint8_t id[16];

        part_dir(c, t->name, (int32_t)i, pdir, sizeof pdir);
        if (read_part_meta(io, pdir, id) == SL_E_NOTFOUND) {
            sl_warn("storage", "%s: no %s, writing the topic's id", pdir, PART_META_FILE);
            e = write_part_meta(io, pdir, t->id);
            if (e != SL_OK)
                snprintf(errstr, errstr_size, "%s/%s: %s", pdir, PART_META_FILE, sl_err_str(e));
        }
    }
    t->nparts = (int32_t)n;
    if (e == SL_OK) {
        e = load_overrides(c, t);
        if (e != SL_OK)
            snprintf(errstr, errstr_size, "%s/%s-0/%s: %s", c->dir, t->name, TOPIC_CONFIG_FILE,
                     sl_err_str(e));
    }
    for (size_t i = 0; i < n && e == SL_OK; i++) {
        part_dir(c, t->name, (int32_t)i, pdir, sizeof pdir);
        e = plog_open(&t->logs[i], c->env, pdir, &c->cfg, errstr, errstr_size);
    }
    if (e == SL_OK)
        e = insert_topic(c, t);
    if (e != SL_OK)
        topic_free(t);
    return e;
}

sl_err catalog_open(catalog **out, plog_env *env, const char *data_dir, const plog_config *cfg,
                    char *errstr, size_t errstr_size)
{
    catalog *c = calloc(1, sizeof *c);
    found_dir *dirs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d = NULL;
    sl_err e = SL_OK;

    if (!c || !(c->dir = strdup(data_dir))) {
        free(c);
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    c->env = env;
    c->cfg = *cfg;
    if (mkdir(data_dir, 0755) < 0 && errno != EEXIST)
        e = sl_err_from_errno(-errno);
    if (e == SL_OK && !(d = opendir(data_dir)))
        e = sl_err_from_errno(-errno);
    while (e == SL_OK && (de = readdir(d)) != NULL) {
        found_dir f;
        struct stat st;
        char path[PATH_MAX];

        if (is_deleted_dir(de->d_name)) {
            char path[PATH_MAX];

            if (snprintf(path, sizeof path, "%s/%s", data_dir, de->d_name) < (int)sizeof path) {
                sl_info("storage", "removing %s (a deleted topic's partition)", path);
                remove_part_dir(plog_env_io(env), path);
            }
            continue;
        }
        if (!parse_dir_name(de->d_name, f.topic, &f.part))
            continue;
        if (snprintf(path, sizeof path, "%s/%s", data_dir, de->d_name) >= (int)sizeof path ||
            stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        if (n == cap) {
            found_dir *v = realloc(dirs, (cap ? cap * 2 : 64) * sizeof *v);

            if (!v) {
                e = SL_E_NOMEM;
                break;
            }
            dirs = v;
            cap = cap ? cap * 2 : 64;
        }
        dirs[n++] = f;
    }
    if (d)
        closedir(d);
    if (e != SL_OK)
        snprintf(errstr, errstr_size, "%s: %s", data_dir, sl_err_str(e));
    if (n)
        qsort(dirs, n, sizeof *dirs, found_cmp);
    for (size_t i = 0, j; e == SL_OK && i < n; i = j) {
        for (j = i + 1; j < n && strcmp(dirs[j].topic, dirs[i].topic) == 0; j++)
            ;
        e = open_topic(c, dirs + i, j - i, errstr, errstr_size);
    }
    free(dirs);
    if (e != SL_OK) {
        catalog_close(c);
        return e;
    }
    *out = c;
    return SL_OK;
}

void catalog_close(catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        topic_free(c->topics[i]);
    free(c->topics);
    if (c->ncreating)
        sl_warn("storage", "closing with %zu topics still being created", c->ncreating);
    free(c->creating);
    catalog_reap(c);
    /* Still busy: orphan their I/O; the directories go at the next open. */
    for (size_t i = 0; i < c->ngrave; i++)
        plog_discard(c->grave[i]);
    free(c->grave);
    free(c->dir);
    free(c);
}

/* --- creating partitions -------------------------------------------------- */

/* Partitions made at once.  Each one is a few small fsyncs (its id file,
 * its directory, its recovery point); fsyncs issued together share the
 * file system's journal commits, so a topic of hundreds of partitions
 * takes a fraction of a second on the loop instead of seconds.  The
 * threads only run plog_open's synchronous file calls on partitions no
 * one else can see yet. */
#define CREATE_THREADS 16

typedef struct create_job {
    catalog *c;
    cat_topic *t;
    const plog_config *cfg;
    int32_t from, to;
    atomic_int next;
    sl_err *errs;  /* per partition, from `from` */
    bool *made;    /* its directory was created */
} create_job;

static sl_err create_one(create_job *j, int32_t i)
{
    sl_io *io = plog_env_io(j->c->env);
    char pdir[PATH_MAX], errstr[256];
    sl_err e;

    if (!part_dir(j->c, j->t->name, i, pdir, sizeof pdir))
        return SL_E_RANGE;
    if (mkdir(pdir, 0755) < 0) {
        e = errno == EEXIST ? SL_E_EXISTS : sl_err_from_errno(-errno);
        sl_error("storage", "create %s: %s", pdir, sl_err_str(e));
        return e;
    }
    j->made[i - j->from] = true;
    e = write_part_meta(io, pdir, j->t->id);
    if (e == SL_OK)
        e = plog_open(&j->t->logs[i], j->c->env, pdir, j->cfg, errstr, sizeof errstr);
    if (e != SL_OK)
        sl_error("storage", "create %s: %s", pdir, sl_err_str(e));
    return e;
}

static void *create_worker(void *arg)
{
    create_job *j = arg;
    int32_t i;

    while ((i = atomic_fetch_add(&j->next, 1)) < j->to)
        j->errs[i - j->from] = create_one(j, i);
    return NULL;
}

/* Undo partitions [from, to) of t: discard their logs, remove the
 * directories made (made[i - from], or all if made is NULL). */
static void undo_parts(catalog *c, cat_topic *t, int32_t from, int32_t to, const bool *made)
{
    sl_io *io = plog_env_io(c->env);
    char pdir[PATH_MAX];

    for (int32_t i = from; i < to; i++) {
        plog_discard(t->logs[i]);
        t->logs[i] = NULL;
        if ((!made || made[i - from]) && part_dir(c, t->name, i, pdir, sizeof pdir))
            remove_part_dir(io, pdir);
    }
}

/* Create partitions [from, to) of t (t->logs has room, NULL there), then
 * sync the data directory.  On failure nothing is left behind: the logs
 * opened are discarded and the directories removed. */
static sl_err create_parts(catalog *c, cat_topic *t, int32_t from, int32_t to,
                           const plog_config *cfg)
{
    size_t n = (size_t)(to - from);
    create_job j = { .c = c, .t = t, .cfg = cfg, .from = from, .to = to };
    pthread_t th[CREATE_THREADS];
    size_t nth = 0;
    sl_io *io = plog_env_io(c->env);
    sl_err e = SL_OK;

    atomic_init(&j.next, from);
    j.errs = calloc(n, sizeof *j.errs);
    j.made = calloc(n, sizeof *j.made);
    if (!j.errs || !j.made) {
        free(j.errs);
        free(j.made);
        return SL_E_NOMEM;
    }
    /* This thread works too, so a failed pthread_create only slows it. */
    while (nth < CREATE_THREADS - 1 && nth + 1 < n &&
           pthread_create(&th[nth], NULL, create_worker, &j) == 0)
        nth++;
    create_worker(&j);
    for (size_t k = 0; k < nth; k++)
        pthread_join(th[k], NULL);
    for (size_t k = 0; k < n && e == SL_OK; k++)
        e = j.errs[k];
    if (e == SL_OK)
        e = (sl_err)io->ops->sync_dir(io, c->dir);
    if (e != SL_OK)
        undo_parts(c, t, from, to, j.made);
    free(j.errs);
    free(j.made);
    return e;
}

sl_err catalog_create_begin(catalog *c, sl_bytes name, int32_t partitions, cat_topic **out)
{
    cat_topic *t;
    sl_err e;

    if (!catalog_valid_name(name))
        return SL_KE_INVALID_TOPIC_EXCEPTION;
    if (partitions <= 0 || partitions > CAT_PARTITIONS_MAX)
        return SL_KE_INVALID_PARTITIONS;
    if (catalog_find(c, name) || catalog_creating(c, name))
        return SL_KE_TOPIC_ALREADY_EXISTS;
    if (topics_room(&c->creating, c->ncreating, &c->capcreating) != SL_OK)
        return SL_E_NOMEM;
    t = calloc(1, sizeof *t);
    if (!t || !(t->name = strndup((const char *)name.p, name.n)) ||
        !(t->logs = calloc((size_t)partitions, sizeof *t->logs))) {
        topic_free(t);
        return SL_E_NOMEM;
    }
    e = storage_random_id(t->id);
    if (e != SL_OK) {
        topic_free(t);
        return e;
    }
    t->nparts = partitions;
    t->create_cfg = c->cfg;
    c->creating[c->ncreating++] = t;
    *out = t;
    return SL_OK;
}

sl_err catalog_create_work(catalog *c, cat_topic *t)
{
    return create_parts(c, t, 0, t->nparts, &t->create_cfg);
}

static void catalog_create_undo(catalog *c, cat_topic *t)
{
    sl_io *io = plog_env_io(c->env);

    undo_parts(c, t, 0, t->nparts, NULL);
    io->ops->sync_dir(io, c->dir);
}

sl_err catalog_create_end(catalog *c, cat_topic *t, sl_err err)
{
    ssize_t k = creating_index(c, sl_bytes_str(t->name));

    if (k >= 0)
        c->creating[k] = c->creating[--c->ncreating];
    if (err == SL_OK && (err = insert_topic(c, t)) != SL_OK)
        catalog_create_undo(c, t);
    if (err != SL_OK) {
        /* A caller's own step failed after a good work: undo it here. */
        for (int32_t i = 0; i < t->nparts; i++) {
            if (t->logs[i]) {
                catalog_create_undo(c, t);
                break;
            }
        }
        topic_free(t);
    }
    return err;
}

sl_err catalog_create(catalog *c, sl_bytes name, int32_t partitions, cat_topic **out)
{
    cat_topic *t;
    sl_err e = catalog_create_begin(c, name, partitions, &t);

    if (e != SL_OK)
        return e;
    e = catalog_create_end(c, t, catalog_create_work(c, t));
    if (e == SL_OK && out)
        *out = t;
    return e;
}

sl_err catalog_grow_begin(catalog *c, cat_topic *t, int32_t new_total, cat_grow **out)
{
    cat_grow *g;

    if (new_total <= t->nparts || new_total > CAT_PARTITIONS_MAX)
        return SL_KE_INVALID_PARTITIONS;
    if (t->grow)
        return SL_KE_INVALID_PARTITIONS; /* one change at a time */
    g = calloc(1, sizeof *g);
    if (!g || !(g->shadow.name = strdup(t->name)) ||
        !(g->shadow.logs = calloc((size_t)new_total, sizeof *g->shadow.logs))) {
        if (g)
            free(g->shadow.name);
        free(g);
        return SL_E_NOMEM;
    }
    memcpy(g->shadow.id, t->id, 16);
    g->shadow.nparts = new_total;
    g->t = t;
    g->old = t->nparts;
    g->total = new_total;
    g->cfg = t->nparts ? *plog_get_config(t->logs[0]) : c->cfg;
    t->grow = g;
    *out = g;
    return SL_OK;
}

sl_err catalog_grow_work(catalog *c, cat_grow *g)
{
    return create_parts(c, &g->shadow, g->old, g->total, &g->cfg);
}

static void grow_free(cat_grow *g)
{
    free(g->shadow.logs);
    free(g->shadow.name);
    free(g);
}

sl_err catalog_grow_end(catalog *c, cat_grow *g, sl_err err)
{
    cat_topic *t = g->t;
    plog **logs = NULL;

    if (err == SL_OK && !t)
        err = SL_KE_UNKNOWN_TOPIC_OR_PARTITION; /* deleted meanwhile */
    if (err == SL_OK && !(logs = realloc(t->logs, (size_t)g->total * sizeof *logs)))
        err = SL_E_NOMEM;
    if (err == SL_OK) {
        t->logs = logs;
        memcpy(t->logs + g->old, g->shadow.logs + g->old,
               (size_t)(g->total - g->old) * sizeof *logs);
        t->nparts = g->total;
    } else if (g->shadow.logs[g->old]) { /* made, but not wanted now */
        sl_io *io = plog_env_io(c->env);

        undo_parts(c, &g->shadow, g->old, g->total, NULL);
        io->ops->sync_dir(io, c->dir);
    }
    if (t)
        t->grow = NULL;
    grow_free(g);
    return err;
}

sl_err catalog_add_partitions(catalog *c, cat_topic *t, int32_t new_total)
{
    cat_grow *g;
    sl_err e = catalog_grow_begin(c, t, new_total, &g);

    return e != SL_OK ? e : catalog_grow_end(c, g, catalog_grow_work(c, g));
}

sl_err catalog_delete(catalog *c, cat_topic *t)
{
    sl_io *io = plog_env_io(c->env);
    char pdir[PATH_MAX], gone[PATH_MAX + 64], hex[33];
    size_t i, renamed = 0;
    plog **v;

    for (i = 0; i < c->n && c->topics[i] != t; i++)
        ;
    if (i == c->n)
        return SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
    if (c->ngrave + (size_t)t->nparts > c->capgrave) {
        size_t cap = (c->capgrave ? c->capgrave * 2 : 16) + (size_t)t->nparts;

        if (!(v = realloc(c->grave, cap * sizeof *v)))
            return SL_E_NOMEM;
        c->grave = v;
        c->capgrave = cap;
    }
    for (int32_t p = 0; p < t->nparts; p++) {
        uint8_t id[16];
        plog *l = t->logs[p];
        char *ndir;
        sl_err e;

        if (!part_dir(c, t->name, p, pdir, sizeof pdir) || storage_random_id(id) != SL_OK)
            continue;
        for (int k = 0; k < 16; k++)
            snprintf(hex + 2 * k, 3, "%02x", id[k]);
        snprintf(gone, sizeof gone, "%s.%s-delete", pdir, hex);
        e = (sl_err)io->ops->rename(io, pdir, gone);
        if (e != SL_OK) {
            sl_error("storage", "delete: rename %s: %s", pdir, sl_err_str(e));
            if (p == 0) /* nothing renamed: the topic stays */
                return e;
            continue; /* reaped under its old name, the same files */
        }
        renamed++;
        if ((ndir = strdup(gone)) != NULL) {
            free(l->dir);
            l->dir = ndir;
        }
    }
    (void)renamed;
    io->ops->sync_dir(io, c->dir);
    memmove(c->topics + i, c->topics + i + 1, (c->n - i - 1) * sizeof *c->topics);
    c->n--;
    for (int32_t p = 0; p < t->nparts; p++)
        c->grave[c->ngrave++] = t->logs[p];
    if (t->grow)
        t->grow->t = NULL; /* its end undoes what it made */
    t->nparts = 0; /* the logs are the graveyard's now */
    topic_free(t);
    catalog_reap(c);
    return SL_OK;
}

size_t catalog_reap(catalog *c)
{
    sl_io *io = plog_env_io(c->env);
    size_t j = 0;

    for (size_t i = 0; i < c->ngrave; i++) {
        plog *l = c->grave[i];
        char *dir;

        if (plog_pending(l)) {
            c->grave[j++] = l;
            continue;
        }
        dir = strdup(l->dir);
        plog_discard(l);
        if (dir) {
            remove_part_dir(io, dir);
            free(dir);
        }
    }
    c->ngrave = j;
    return j;
}
