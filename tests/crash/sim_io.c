/*
 * sim_io.c - the crash-simulating sl_io (see sim_io.h for the model).
 *
 * Everything the storage does to a file goes through here except writes
 * into mmapped indexes; those are caught at the crash by comparing the
 * real file with what the tracked operations explain, page by page.  A
 * size that the tracked operations do not explain means storage changed a
 * file behind sl_io's back: the simulator aborts and says so.
 */
#include "sim_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage_int.h"

#define SECTOR 512
#define PAGE 4096
#define MAX_FD 65536

enum { OP_WRITE, OP_TRUNC };
typedef struct fop {
    int kind;
    uint64_t seq;
    int64_t off; /* OP_TRUNC: the new size */
    size_t len;
    uint8_t *data;
} fop;

typedef struct inode {
    dev_t dev;
    ino_t ino;
    int fd;       /* the simulator's own: keeps an unlinked file readable */
    uint8_t *dur; /* content as of the last completed sync */
    size_t dur_n;
    fop *ops;     /* since then, in issue order */
    size_t nops, capops;
} inode;

enum { D_CREATE, D_UNLINK, D_RENAME };
typedef struct dop {
    int kind;
    char *a, *b;
    inode *ino;
} dop;

typedef struct dname {
    char *name;
    inode *ino;
} dname;

enum { Q_WRITE, Q_SYNC, Q_UNLINK };
typedef struct qreq {
    int kind;
    sl_io_req *req;
    int fd;
    inode *ino;
    const uint8_t *buf;
    size_t len;
    off_t off;
    uint64_t cover;
    char *path;
} qreq;

typedef struct img {
    char *name;
    uint8_t *data;
    size_t n;
} img;

struct sim_io {
    sl_io io;
    sl_io_ops ops;
    char *root;
    size_t rootlen;
    uint64_t rng;
    inode **inodes;
    size_t ninodes, capinodes;
    dname *names; /* durable directory entries */
    size_t nnames, capnames;
    dop *dops;    /* directory operations since the last sync_dir */
    size_t ndops, capdops;
    inode **fdmap;
    qreq *q;
    size_t nq, capq;
    uint64_t seq;
    long countdown;
    unsigned nospc;  /* percent of writes and reserves refused for space */
    bool crashed;
    img *image;
    size_t nimage;
    sim_stats st;
};

static void die(const char *what)
{
    fprintf(stderr, "sim_io: %s\n", what);
    abort();
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);

    if (!p)
        die("out of memory");
    return p;
}

#define GROW(arr, n, cap)                                                  \
    do {                                                                   \
        if ((n) == (cap)) {                                                \
            (cap) = (cap) ? (cap) * 2 : 16;                                \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));                \
        }                                                                  \
    } while (0)

uint64_t sim_rand(sim_io *s)
{
    uint64_t x = s->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static sim_io *of(sl_io *io) { return (sim_io *)io; }

static int trace_on = -1;
#define TRACE(...)                                                       \
    do {                                                                 \
        if (trace_on < 0)                                                \
            trace_on = getenv("SIM_TRACE") != NULL;                      \
        if (trace_on)                                                    \
            fprintf(stderr, "sim: " __VA_ARGS__);                        \
    } while (0)

/* The name of path inside root, or NULL if it is elsewhere. */
static const char *in_root(const sim_io *s, const char *path)
{
    if (strncmp(path, s->root, s->rootlen) != 0 || path[s->rootlen] != '/')
        return NULL;
    path += s->rootlen + 1;
    return *path && !strchr(path, '/') ? path : NULL;
}

/* --- byte buffers ---------------------------------------------------------- */

static void buf_resize(uint8_t **p, size_t *n, size_t want)
{
    if (want > *n) {
        *p = xrealloc(*p, want);
        memset(*p + *n, 0, want - *n);
    }
    *n = want;
}

static void buf_write(uint8_t **p, size_t *n, int64_t off, const uint8_t *data, size_t len)
{
    if (len == 0)
        return;
    if ((size_t)off + len > *n)
        buf_resize(p, n, (size_t)off + len);
    memcpy(*p + off, data, len);
}

static void apply_op(uint8_t **p, size_t *n, const fop *op)
{
    if (op->kind == OP_TRUNC)
        buf_resize(p, n, (size_t)op->off);
    else
        buf_write(p, n, op->off, op->data, op->len);
}

static uint8_t *read_all(int fd, size_t *n)
{
    struct stat st;
    uint8_t *p;
    size_t got = 0;

    if (fstat(fd, &st) < 0)
        die("fstat");
    p = xrealloc(NULL, (size_t)st.st_size);
    while (got < (size_t)st.st_size) {
        ssize_t r = pread(fd, p + got, (size_t)st.st_size - got, (off_t)got);

        if (r <= 0)
            die("pread");
        got += (size_t)r;
    }
    *n = got;
    return p;
}

/* --- the model ------------------------------------------------------------- */

static inode *inode_find(sim_io *s, int fd, bool existed)
{
    struct stat st;
    inode *in;

    if (fstat(fd, &st) < 0)
        die("fstat");
    for (size_t i = 0; i < s->ninodes; i++)
        if (s->inodes[i]->dev == st.st_dev && s->inodes[i]->ino == st.st_ino)
            return s->inodes[i];
    in = calloc(1, sizeof *in);
    if (!in)
        die("out of memory");
    in->dev = st.st_dev;
    in->ino = st.st_ino;
    {
        /* A descriptor of our own that can read, whatever fd's mode. */
        char proc[64];

        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        in->fd = open(proc, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0)
            die("reopen through /proc/self/fd");
    }
    /* A file no operation of ours made is taken as durable as it is. */
    if (existed)
        in->dur = read_all(in->fd, &in->dur_n);
    GROW(s->inodes, s->ninodes, s->capinodes);
    s->inodes[s->ninodes++] = in;
    return in;
}

static void inode_free(inode *in)
{
    for (size_t i = 0; i < in->nops; i++)
        free(in->ops[i].data);
    free(in->ops);
    free(in->dur);
    if (in->fd >= 0)
        close(in->fd);
    free(in);
}

static void record(sim_io *s, inode *in, int kind, int64_t off, const void *data, size_t len)
{
    fop *op;

    TRACE("ino %lu %s off %ld len %zu seq %lu\n", (unsigned long)in->ino,
          kind == OP_WRITE ? "write" : "trunc", (long)off, len, (unsigned long)s->seq + 1);
    GROW(in->ops, in->nops, in->capops);
    op = &in->ops[in->nops++];
    op->kind = kind;
    op->seq = ++s->seq;
    op->off = off;
    op->len = len;
    op->data = NULL;
    if (kind == OP_WRITE) {
        op->data = xrealloc(NULL, len);
        memcpy(op->data, data, len);
    }
}

/* A completed sync: the operations up to seq `cover` are durable. */
static void sync_covered(inode *in, uint64_t cover)
{
    size_t k = 0;

    TRACE("ino %lu datasync covers seq <= %lu\n", (unsigned long)in->ino, (unsigned long)cover);
    while (k < in->nops && in->ops[k].seq <= cover) {
        apply_op(&in->dur, &in->dur_n, &in->ops[k]);
        free(in->ops[k].data);
        k++;
    }
    memmove(in->ops, in->ops + k, (in->nops - k) * sizeof *in->ops);
    in->nops -= k;
}

static void add_dop(sim_io *s, int kind, const char *a, const char *b, inode *in)
{
    dop *d;

    GROW(s->dops, s->ndops, s->capdops);
    d = &s->dops[s->ndops++];
    d->kind = kind;
    d->a = xstrdup(a);
    d->b = b ? xstrdup(b) : NULL;
    d->ino = in;
    TRACE("dirop %d %s %s\n", kind, a, b ? b : "");
}

static ssize_t name_find(dname *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return (ssize_t)i;
    return -1;
}

static void name_remove(dname *v, size_t *n, size_t i)
{
    free(v[i].name);
    v[i] = v[--*n];
}

static void name_set(dname **v, size_t *n, size_t *cap, const char *name, inode *in)
{
    ssize_t i = name_find(*v, *n, name);

    if (i >= 0) {
        (*v)[i].ino = in;
        return;
    }
    GROW(*v, *n, *cap);
    (*v)[*n].name = xstrdup(name);
    (*v)[*n].ino = in;
    (*n)++;
}

static void apply_dop(dname **v, size_t *n, size_t *cap, const dop *d)
{
    ssize_t i;

    switch (d->kind) {
    case D_CREATE:
        name_set(v, n, cap, d->a, d->ino);
        break;
    case D_UNLINK:
        i = name_find(*v, *n, d->a);
        if (i >= 0)
            name_remove(*v, n, (size_t)i);
        break;
    case D_RENAME:
        i = name_find(*v, *n, d->a);
        if (i >= 0) {
            inode *in = (*v)[i].ino;

            name_remove(*v, n, (size_t)i);
            name_set(v, n, cap, d->b, in);
        }
        break;
    }
}

static void dops_clear(sim_io *s)
{
    for (size_t i = 0; i < s->ndops; i++) {
        free(s->dops[i].a);
        free(s->dops[i].b);
    }
    s->ndops = 0;
}

/* --- the crash ------------------------------------------------------------- */

/* What a power loss leaves of one file. */
static uint8_t *crash_content(sim_io *s, inode *in, size_t *out_n)
{
    uint8_t *res = NULL, *full = NULL, *cur;
    size_t res_n = 0, full_n = 0, cur_n;

    buf_write(&res, &res_n, 0, in->dur, in->dur_n);
    buf_write(&full, &full_n, 0, in->dur, in->dur_n);
    for (size_t i = 0; i < in->nops; i++) {
        const fop *op = &in->ops[i];

        apply_op(&full, &full_n, op);
        if (op->kind == OP_TRUNC) {
            if (sim_below(s, 2))
                apply_op(&res, &res_n, op);
            continue;
        }
        switch (sim_below(s, 10)) {
        case 0: case 1: case 2: case 3:
            apply_op(&res, &res_n, op);
            s->st.writes_kept++;
            break;
        case 4: case 5:
            s->st.writes_dropped++;
            break;
        case 6: {
            uint8_t *z = calloc(1, op->len ? op->len : 1);

            if (!z)
                die("out of memory");
            buf_write(&res, &res_n, op->off, z, op->len);
            free(z);
            s->st.writes_zeroed++;
            break;
        }
        default:
            /* Torn: each sector of the write new, old or garbage. */
            for (size_t j = 0; j < op->len; j += SECTOR) {
                size_t k = op->len - j < SECTOR ? op->len - j : SECTOR;
                uint8_t g[SECTOR];

                switch (sim_below(s, 3)) {
                case 0:
                    buf_write(&res, &res_n, op->off + (int64_t)j, op->data + j, k);
                    break;
                case 1:
                    break;
                default:
                    for (size_t b = 0; b < k; b++)
                        g[b] = (uint8_t)sim_rand(s);
                    buf_write(&res, &res_n, op->off + (int64_t)j, g, k);
                }
            }
            s->st.writes_torn++;
        }
    }
    /* Pages written through mmap since the last sync: each kept or lost. */
    cur = read_all(in->fd, &cur_n);
    if (cur_n != full_n) {
        fprintf(stderr, "sim_io: a file is %zu bytes, its operations explain %zu: storage "
                "changed it outside sl_io\n", cur_n, full_n);
        abort();
    }
    for (size_t p = 0; p < cur_n; p += PAGE) {
        size_t k = cur_n - p < PAGE ? cur_n - p : PAGE;

        if (memcmp(cur + p, full + p, k) == 0)
            continue;
        if (sim_below(s, 2) && p < res_n) {
            memcpy(res + p, cur + p, res_n - p < k ? res_n - p : k);
        } else {
            s->st.pages_lost++;
        }
    }
    free(cur);
    free(full);
    *out_n = res_n;
    return res;
}

static void image_free(sim_io *s)
{
    for (size_t i = 0; i < s->nimage; i++) {
        free(s->image[i].name);
        free(s->image[i].data);
    }
    free(s->image);
    s->image = NULL;
    s->nimage = 0;
}

static int dname_cmp(const void *a, const void *b)
{
    return strcmp(((const dname *)a)->name, ((const dname *)b)->name);
}

static void do_crash(sim_io *s)
{
    dname *names = NULL;
    size_t n = 0, cap = 0, k;

    if (s->crashed)
        return;
    TRACE("CRASH\n");
    s->crashed = true;
    s->st.crashes++;
    for (size_t i = 0; i < s->nnames; i++)
        name_set(&names, &n, &cap, s->names[i].name, s->names[i].ino);
    k = (size_t)sim_below(s, s->ndops + 1);
    for (size_t i = 0; i < k; i++)
        apply_dop(&names, &n, &cap, &s->dops[i]);
    /* Name order, not readdir order: a seed gives the same run anywhere. */
    if (n > 1)
        qsort(names, n, sizeof *names, dname_cmp);
    s->st.dirops_lost += (long)(s->ndops - k);
    image_free(s);
    s->image = xrealloc(NULL, (n ? n : 1) * sizeof *s->image);
    for (size_t i = 0; i < n; i++) {
        s->image[i].name = names[i].name;
        s->image[i].data = crash_content(s, names[i].ino, &s->image[i].n);
    }
    s->nimage = n;
    free(names);
}

/* Count one mutating operation; false if the simulated machine is down. */
static bool tick(sim_io *s)
{
    if (s->crashed)
        return false;
    if (s->countdown > 0 && --s->countdown == 0)
        do_crash(s);
    return !s->crashed;
}

/* --- sl_io ------------------------------------------------------------------ */

static int sim_open(sl_io *io, const char *path, int flags, int mode)
{
    sim_io *s = of(io);
    const char *name = in_root(s, path);
    struct stat st;
    bool existed;
    inode *in;
    int fd;

    if (!name)
        return s->crashed ? SL_E_IO : sl_io_sync_ops.open(io, path, flags, mode);
    if ((flags & (O_CREAT | O_TRUNC)) ? !tick(s) : s->crashed)
        return SL_E_IO;
    existed = stat(path, &st) == 0;
    fd = sl_io_sync_ops.open(io, path, flags, mode);
    if (fd < 0)
        return fd;
    if (fd >= MAX_FD)
        die("descriptor out of range");
    in = inode_find(s, fd, existed);
    TRACE("open %s fd %d ino %lu%s\n", name, fd, (unsigned long)in->ino, existed ? "" : " new");
    if (!existed)
        add_dop(s, D_CREATE, name, NULL, in);
    else if (flags & O_TRUNC)
        record(s, in, OP_TRUNC, 0, NULL, 0);
    s->fdmap[fd] = in;
    return fd;
}

static int sim_close(sl_io *io, int fd)
{
    sim_io *s = of(io);

    if (fd >= 0 && fd < MAX_FD)
        s->fdmap[fd] = NULL;
    return sl_io_sync_ops.close(io, fd);
}

static int64_t sim_pread(sl_io *io, int fd, void *buf, size_t len, off_t off)
{
    if (of(io)->crashed)
        return SL_E_IO;
    return sl_io_sync_ops.pread(io, fd, buf, len, off);
}

static inode *ino_of(sim_io *s, int fd)
{
    return fd >= 0 && fd < MAX_FD ? s->fdmap[fd] : NULL;
}

static void enqueue(sim_io *s, int kind, sl_io_req *req, int fd, const void *buf, size_t len,
                    off_t off, const char *path)
{
    qreq *q;

    GROW(s->q, s->nq, s->capq);
    q = &s->q[s->nq++];
    memset(q, 0, sizeof *q);
    q->kind = kind;
    q->req = req;
    q->fd = fd;
    q->ino = ino_of(s, fd);
    q->buf = buf;
    q->len = len;
    q->off = off;
    q->cover = s->seq;
    q->path = path ? xstrdup(path) : NULL;
    req->io = &s->io;
    req->fd = fd;
}

static void sim_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len, off_t off)
{
    sim_io *s = of(io);

    if (s->crashed) {
        req->cb(req, SL_E_IO);
        return;
    }
    enqueue(s, Q_WRITE, req, fd, buf, len, off, NULL);
}

static void sim_datasync(sl_io *io, sl_io_req *req, int fd)
{
    sim_io *s = of(io);

    if (s->crashed) {
        req->cb(req, SL_E_IO);
        return;
    }
    enqueue(s, Q_SYNC, req, fd, NULL, 0, 0, NULL);
}

static void sim_unlink_async(sl_io *io, sl_io_req *req, const char *path)
{
    sim_io *s = of(io);

    if (s->crashed) {
        req->cb(req, SL_E_IO);
        return;
    }
    enqueue(s, Q_UNLINK, req, -1, NULL, 0, 0, path);
}

static int sim_pwrite_sync(sl_io *io, int fd, const void *buf, size_t len, off_t off)
{
    sim_io *s = of(io);
    inode *in = ino_of(s, fd);
    int r;

    if (!tick(s))
        return SL_E_IO;
    r = sl_io_sync_ops.pwrite_sync(io, fd, buf, len, off);
    if (r == SL_OK && in)
        record(s, in, OP_WRITE, (int64_t)off, buf, len);
    return r;
}

/* Block allocation changes no content: not modelled, only refused. */
static int sim_reserve(sl_io *io, int fd, off_t off, off_t len)
{
    sim_io *s = of(io);

    if (s->crashed)
        return SL_E_IO;
    if (sim_below(s, 100) < s->nospc)
        return SL_E_NOSPC;
    return sl_io_sync_ops.reserve(io, fd, off, len);
}

static int sim_truncate(sl_io *io, int fd, off_t len)
{
    sim_io *s = of(io);
    inode *in = ino_of(s, fd);
    int r;

    if (!tick(s))
        return SL_E_IO;
    r = sl_io_sync_ops.truncate(io, fd, len);
    if (r == SL_OK && in)
        record(s, in, OP_TRUNC, (int64_t)len, NULL, 0);
    return r;
}

static int sim_sync(sl_io *io, int fd)
{
    sim_io *s = of(io);
    inode *in = ino_of(s, fd);

    if (!tick(s))
        return SL_E_IO;
    TRACE("fsync fd %d ino %lu\n", fd, in ? (unsigned long)in->ino : 0ul);
    if (in) {
        /* Everything the file holds now, mmapped pages included. */
        free(in->dur);
        in->dur = read_all(in->fd, &in->dur_n);
        for (size_t i = 0; i < in->nops; i++)
            free(in->ops[i].data);
        in->nops = 0;
    }
    return SL_OK;
}

static int sim_sync_dir(sl_io *io, const char *dir)
{
    sim_io *s = of(io);

    if (strcmp(dir, s->root) != 0)
        return s->crashed ? SL_E_IO : SL_OK; /* outside the model: durable */
    if (!tick(s))
        return SL_E_IO;
    for (size_t i = 0; i < s->ndops; i++)
        apply_dop(&s->names, &s->nnames, &s->capnames, &s->dops[i]);
    dops_clear(s);
    return SL_OK;
}

static int sim_rename(sl_io *io, const char *from, const char *to)
{
    sim_io *s = of(io);
    const char *a = in_root(s, from), *b = in_root(s, to);
    int r;

    if (!a || !b)
        die("rename outside root");
    if (!tick(s))
        return SL_E_IO;
    r = sl_io_sync_ops.rename(io, from, to);
    if (r == SL_OK)
        add_dop(s, D_RENAME, a, b, NULL);
    return r;
}

static int do_unlink(sim_io *s, const char *path)
{
    const char *a = in_root(s, path);
    int r;

    if (!a)
        die("unlink outside root");
    r = sl_io_sync_ops.unlink(&s->io, path);
    if (r == SL_OK)
        add_dop(s, D_UNLINK, a, NULL, NULL);
    return r;
}

static int sim_unlink(sl_io *io, const char *path)
{
    sim_io *s = of(io);

    if (!tick(s))
        return SL_E_IO;
    return do_unlink(s, path);
}

static void sim_destroy(sl_io *io) { (void)io; }

/* --- running queued requests ---------------------------------------------- */

static void run_one(sim_io *s, size_t i)
{
    qreq q = s->q[i];
    int64_t r;

    s->q[i] = s->q[--s->nq];
    if (!tick(s)) {
        free(q.path);
        q.req->cb(q.req, SL_E_IO);
        return;
    }
    switch (q.kind) {
    case Q_WRITE: {
        /* A full disk: a random prefix lands, then ENOSPC. */
        bool full = sim_below(s, 100) < s->nospc;
        size_t len = full ? (size_t)sim_below(s, q.len) : q.len;

        r = sl_io_sync_ops.pwrite_sync(&s->io, q.fd, q.buf, len, q.off);
        if (r == SL_OK) {
            if (q.ino != ino_of(s, q.fd) || !q.ino)
                die("a write ran on a descriptor closed or reused since it was issued");
            if (len)
                record(s, q.ino, OP_WRITE, (int64_t)q.off, q.buf, len);
            r = full ? SL_E_NOSPC : (int64_t)q.len;
            s->st.writes_nospc += full;
        }
        q.req->cb(q.req, r);
        break;
    }
    case Q_SYNC:
        if (q.ino)
            sync_covered(q.ino, q.cover);
        q.req->cb(q.req, 0);
        break;
    default:
        r = do_unlink(s, q.path);
        free(q.path);
        q.req->cb(q.req, r);
    }
}

int sim_run(sim_io *s, int n)
{
    int ran = 0;

    while (ran < n && s->nq > 0) {
        run_one(s, (size_t)sim_below(s, s->nq));
        ran++;
    }
    return ran;
}

unsigned sim_queued(const sim_io *s) { return (unsigned)s->nq; }
void sim_crash_after(sim_io *s, long n) { s->countdown = n > 0 ? n : 0; }
void sim_set_nospc(sim_io *s, unsigned percent) { s->nospc = percent; }
void sim_crash(sim_io *s) { do_crash(s); }
bool sim_crashed(const sim_io *s) { return s->crashed; }
sim_stats sim_get_stats(const sim_io *s) { return s->st; }
sl_io *sim_io_of(sim_io *s) { return &s->io; }

/* --- boot -------------------------------------------------------------------- */

static void model_free(sim_io *s)
{
    for (size_t i = 0; i < s->ninodes; i++)
        inode_free(s->inodes[i]);
    s->ninodes = 0;
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i].name);
    s->nnames = 0;
    dops_clear(s);
    memset(s->fdmap, 0, MAX_FD * sizeof *s->fdmap);
}

static char *join(const sim_io *s, const char *name)
{
    size_t n = s->rootlen + 1 + strlen(name) + 1;
    char *p = xrealloc(NULL, n);

    snprintf(p, n, "%s/%s", s->root, name);
    return p;
}

static void boot(sim_io *s)
{
    DIR *d = opendir(s->root);
    struct dirent *de;

    if (!d)
        die("opendir root");
    while ((de = readdir(d)) != NULL) {
        char *p;
        struct stat st;
        int fd;

        if (de->d_name[0] == '.' && (!de->d_name[1] || strcmp(de->d_name, "..") == 0))
            continue;
        p = join(s, de->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                die("open at boot");
            name_set(&s->names, &s->nnames, &s->capnames, de->d_name, inode_find(s, fd, true));
            close(fd);
        }
        free(p);
    }
    closedir(d);
    s->crashed = false;
    s->countdown = 0;
}

void sim_reboot(sim_io *s)
{
    DIR *d;
    struct dirent *de;

    /* The machine is down: what was queued never ran. */
    do_crash(s);
    while (s->nq > 0) {
        qreq q = s->q[--s->nq];

        free(q.path);
        q.req->cb(q.req, SL_E_IO);
    }
    model_free(s);
    d = opendir(s->root);
    if (!d)
        die("opendir root");
    while ((de = readdir(d)) != NULL) {
        char *p;
        struct stat st;

        if (de->d_name[0] == '.' && (!de->d_name[1] || strcmp(de->d_name, "..") == 0))
            continue;
        p = join(s, de->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && unlink(p) < 0)
            die("unlink at reboot");
        free(p);
    }
    closedir(d);
    for (size_t i = 0; i < s->nimage; i++) {
        char *p = join(s, s->image[i].name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || (s->image[i].n &&
                       write(fd, s->image[i].data, s->image[i].n) != (ssize_t)s->image[i].n))
            die("write image");
        close(fd);
        free(p);
    }
    image_free(s);
    boot(s);
}

sim_io *sim_new(const char *root, uint64_t seed)
{
    sim_io *s = calloc(1, sizeof *s);

    if (!s)
        die("out of memory");
    s->root = xstrdup(root);
    s->rootlen = strlen(root);
    s->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    s->fdmap = calloc(MAX_FD, sizeof *s->fdmap);
    if (!s->fdmap)
        die("out of memory");
    s->ops = sl_io_sync_ops;
    s->ops.writeback = NULL; /* a hint the page-cache model has no use for */
    s->ops.pwrite = sim_pwrite;
    s->ops.datasync = sim_datasync;
    s->ops.unlink_async = sim_unlink_async;
    s->ops.open = sim_open;
    s->ops.close = sim_close;
    s->ops.pread = sim_pread;
    s->ops.pwrite_sync = sim_pwrite_sync;
    s->ops.truncate = sim_truncate;
    s->ops.reserve = sim_reserve;
    s->ops.sync = sim_sync;
    s->ops.sync_dir = sim_sync_dir;
    s->ops.rename = sim_rename;
    s->ops.unlink = sim_unlink;
    s->ops.destroy = sim_destroy;
    s->io.ops = &s->ops;
    boot(s);
    return s;
}

void sim_free(sim_io *s)
{
    if (!s)
        return;
    while (s->nq > 0) {
        qreq q = s->q[--s->nq];

        free(q.path);
        q.req->cb(q.req, SL_E_IO);
    }
    model_free(s);
    image_free(s);
    free(s->inodes);
    free(s->names);
    free(s->dops);
    free(s->q);
    free(s->fdmap);
    free(s->root);
    free(s);
}
