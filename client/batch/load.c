/*
 * load.c - sluice-batch load: files (lines, CSV, JSON Lines) into a topic,
 * resumable and idempotent.
 *
 * Exactly once across crashes, kills and broker restarts:
 *  1. Records get numbers in input order; the partition of record i is a
 *     pure function of (key, i, partitions): murmur2 of the key, else i
 *     modulo the partition count.  So a rerun sends each record to the
 *     partition the first run did.
 *  2. The producer is idempotent with acks=all, so within a run a retried
 *     batch is never written twice, and each partition receives a prefix
 *     of the records meant for it, in order.
 *  3. Before a run sends anything, its producer id is in the checkpoint
 *     (slc_pid_fn): the topic can always tell this input's records.
 *  4. The checkpoint moves to a position only when every record before it
 *     is acknowledged, and then records per partition the offset after the
 *     last such record (next_offsets).
 *  5. A rerun reads each partition from next_offsets to its end and counts
 *     the records of this input's producer ids: by 2 they are the first k
 *     of the records after the position meant for that partition, so it
 *     skips exactly those k and sends the rest.
 * The position is also a proof: the checkpoint keeps the XXH3-64 of the
 * bytes before it, and a rerun whose input differs there stops (exit 5)
 * instead of guessing.
 *
 * Record bookkeeping: ring[] holds the records sent or skipped and not yet
 * passed by the acknowledged prefix (acked).  Fingerprint snapshots are
 * taken at record boundaries while reading; one becomes committable when
 * the prefix reaches it, with next_offsets as of exactly that record.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client_int.h"
#include "batch.h"
#include "checkpoint.h"
#include "input.h"

#define SNAP_EVERY_RECORDS 20000
#define SNAP_EVERY_MS 200
#define COMMIT_EVERY_MS 1000

typedef struct pend {
    int32_t part;
    bool done;
    int64_t offset;
} pend;

typedef struct snap {
    uint64_t pos, line, rec;
    XXH3_state_t *h;
    int64_t *next_off;
    bool captured;
} snap;

typedef struct loader {
    /* options */
    const char *topic;
    int on_error_skip;
    slc_producer_conf pc;
    /* per input */
    slc_client *cl;
    ckpt *ck;
    ckpt_entry *ent;
    const char *name;
    int32_t npart;
    pend *ring;
    size_t head, count, cap;
    uint64_t ring_base, acked;
    int64_t *next_off;
    snap *snaps;
    int nsnaps, snaps_cap;
    int64_t **skip_offs;       /* per partition: offsets found by reconcile */
    int32_t *skip_n, *skip_at;
    sl_err failed;
    slc_producer *prod;        /* for on_idle */
    src *idle_snap;
    uint64_t sent, found, bad, bytes;
    int64_t last_commit;
} loader;

static int usage_error(const char *msg)
{
    fprintf(stderr, "sluice-batch load: %s (see sluice-batch load --help)\n", msg);
    return SLB_EXIT_USAGE;
}

static const char LOAD_HELP[] =
    "usage: sluice-batch load --bootstrap HOST:PORT --topic T [options] FILE...\n"
    "Load files (or - for stdin) into a topic, resumably and without duplicates.\n"
    "  --format lines|csv|jsonl   input format (default lines)\n"
    "  --key FIELD                record key from this CSV column / JSON field\n"
    "  --timestamp FIELD          event time from this field (epoch ms or ISO 8601)\n"
    "  --headers FIELD            jsonl: record headers from this object field\n"
    "  --partitions N             spread over partitions 0..N-1 (create with N)\n"
    "  --on-error skip|stop       malformed records: skip them or stop (default)\n"
    "  --checkpoint FILE          default .sluice-load-<topic>.json\n"
    "  --compression none|gzip|snappy|lz4|zstd   (default lz4)\n"
    "  --batch-bytes N, --linger-ms N, --buffer-bytes N   producer tuning\n"
    "exit: 0 done (or nothing to do), 1 failure, 2 usage, 4 stopped at bad input,\n"
    "      5 input changed since its checkpoint, 130 interrupted (rerun to resume)\n";

/* --- acknowledged prefix, snapshots, commits ----------------------------- */

static void on_delivery(void *ctx, const slc_delivery *d)
{
    loader *L = ctx;
    uint64_t idx = (uint64_t)(uintptr_t)d->opaque;
    pend *p;

    if (idx < L->ring_base || idx - L->ring_base >= L->count)
        return;
    p = &L->ring[(L->head + (idx - L->ring_base)) % L->cap];
    if (d->err || d->offset < 0) {
        /* No offset, no exact checkpoint: stop; a rerun finds the record. */
        if (!L->failed)
            L->failed = d->err ? d->err : SL_E_FATAL;
        return;
    }
    p->done = true;
    p->offset = d->offset;
}

static bool ring_push(loader *L, int32_t part, bool done, int64_t offset)
{
    if (L->count == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 4096;
        pend *v = malloc(sizeof(*v) * cap);

        if (!v)
            return false;
        for (size_t i = 0; i < L->count; i++)
            v[i] = L->ring[(L->head + i) % L->cap];
        free(L->ring);
        L->ring = v;
        L->head = 0;
        L->cap = cap;
    }
    L->ring[(L->head + L->count) % L->cap] = (pend){ part, done, offset };
    L->count++;
    return true;
}

static void capture_snaps(loader *L)
{
    for (int i = 0; i < L->nsnaps; i++) {
        snap *s = &L->snaps[i];

        if (!s->captured && s->rec == L->acked) {
            memcpy(s->next_off, L->next_off, sizeof(int64_t) * (size_t)L->npart);
            s->captured = true;
        }
    }
}

/* Move the acknowledged prefix over every done record at its head. */
static void advance(loader *L)
{
    capture_snaps(L);
    while (L->count && L->ring[L->head].done) {
        pend *p = &L->ring[L->head];

        if (p->offset >= 0)
            L->next_off[p->part] = p->offset + 1;
        L->head = (L->head + 1) % L->cap;
        L->count--;
        L->ring_base++;
        L->acked++;
        capture_snaps(L);
    }
}

static void snap_free(snap *s)
{
    XXH3_freeState(s->h);
    free(s->next_off);
}

static bool take_snap(loader *L, src *in, bool before_last)
{
    snap *s;

    if (L->nsnaps == L->snaps_cap) {
        int cap = L->snaps_cap ? L->snaps_cap * 2 : 16;
        snap *v = realloc(L->snaps, sizeof(*v) * (size_t)cap);

        if (!v)
            return false;
        L->snaps = v;
        L->snaps_cap = cap;
    }
    s = &L->snaps[L->nsnaps];
    memset(s, 0, sizeof(*s));
    s->h = XXH3_createState();
    s->next_off = calloc((size_t)L->npart, sizeof(int64_t));
    if (!s->h || !s->next_off) {
        snap_free(s);
        return false;
    }
    src_snapshot(in, before_last, s->h, &s->pos, &s->line);
    s->rec = L->ring_base + L->count; /* records before this position */
    L->nsnaps++;
    capture_snaps(L);
    return true;
}

/* Write the newest captured snapshot to the checkpoint. */
static int commit(loader *L, bool complete)
{
    int best = -1;

    for (int i = 0; i < L->nsnaps; i++)
        if (L->snaps[i].captured)
            best = i;
    if (best < 0)
        return 0;
    snap *s = &L->snaps[best];
    ckpt_entry *e = L->ent;

    e->fingerprint = XXH3_64bits_digest(s->h);
    e->position = s->pos;
    e->line = s->line;
    e->records = s->rec;
    e->complete = complete && best == L->nsnaps - 1;
    memcpy(e->next_offsets, s->next_off, sizeof(int64_t) * (size_t)L->npart);
    /* Older snapshots are of no more use. */
    for (int i = 0; i < best; i++)
        snap_free(&L->snaps[i]);
    memmove(L->snaps, L->snaps + best, sizeof(*L->snaps) * (size_t)(L->nsnaps - best));
    L->nsnaps -= best;
    L->last_commit = slc_mono_ms();
    if (ckpt_save(L->ck)) {
        fprintf(stderr, "sluice-batch load: cannot write checkpoint %s\n", L->ck->path);
        return -1;
    }
    return 0;
}

static int on_pid(void *ctx, int64_t pid, int16_t epoch)
{
    loader *L = ctx;
    ckpt_entry *e = L->ent;
    int64_t *v = realloc(e->producer_ids, sizeof(*v) * (size_t)(e->nproducer_ids + 1));

    (void)epoch;
    if (!v)
        return -1;
    e->producer_ids = v;
    v[e->nproducer_ids++] = pid;
    return ckpt_save(L->ck) ? -1 : 0;
}

/* --- resume: which records after the position are in the topic already --- */

static bool is_ours(const ckpt_entry *e, int64_t pid)
{
    for (int32_t i = 0; i < e->nproducer_ids; i++)
        if (e->producer_ids[i] == pid)
            return true;
    return false;
}

static sl_err reconcile(loader *L)
{
    int32_t n = L->npart, *parts = calloc((size_t)n, sizeof(int32_t)), live = 0;
    int64_t *ts = calloc((size_t)n, sizeof(int64_t)), *hw = calloc((size_t)n, sizeof(int64_t));
    slc_consumer_conf cc;
    slc_consumer *k = NULL;
    sl_err e = SL_E_NOMEM;

    L->skip_offs = calloc((size_t)n, sizeof(int64_t *));
    L->skip_n = calloc((size_t)n, sizeof(int32_t));
    L->skip_at = calloc((size_t)n, sizeof(int32_t));
    if (!parts || !ts || !hw || !L->skip_offs || !L->skip_n || !L->skip_at)
        goto out;
    for (int32_t i = 0; i < n; i++) {
        parts[i] = i;
        ts[i] = SLC_OFFSET_LATEST;
    }
    e = slc_list_offsets(L->cl, L->topic, n, parts, ts, hw, NULL);
    if (e)
        goto out;
    slc_consumer_conf_init(&cc);
    k = slc_consumer_new(L->cl, &cc);
    e = k ? slc_consumer_assign(k, L->topic, n, parts, L->ent->next_offsets) : SL_E_NOMEM;
    for (int32_t i = 0; !e && i < n; i++) {
        if (L->ent->next_offsets[i] >= hw[i])
            slc_consumer_pause(k, i, true);
        else
            live++;
    }
    while (!e && live > 0) {
        const slc_message *m;
        sl_err pe = slc_consumer_poll(k, 1000, &m);

        if (pe == SL_OK && m->err) {
            e = m->err;
        } else if (pe == SL_OK) {
            int32_t p = m->partition;

            if (m->offset < hw[p] && is_ours(L->ent, m->producer_id)) {
                int32_t c = L->skip_n[p];

                if ((c & (c - 1)) == 0) { /* grow at powers of two */
                    int64_t *v = realloc(L->skip_offs[p], sizeof(int64_t) * (size_t)(c ? 2 * c : 1));

                    if (!v) {
                        e = SL_E_NOMEM;
                        break;
                    }
                    L->skip_offs[p] = v;
                }
                L->skip_offs[p][c] = m->offset;
                L->skip_n[p]++;
            }
        } else if (pe != SL_KE_REQUEST_TIMED_OUT) {
            e = pe;
        }
        live = 0;
        for (int32_t i = 0; !e && i < n; i++) {
            if (slc_consumer_position(k, i) >= hw[i])
                slc_consumer_pause(k, i, true);
            else
                live++;
        }
    }
    if (e)
        fprintf(stderr, "sluice-batch load: reading %s back to resume: %s (%s)\n", L->topic,
                sl_err_str(e), slc_client_errstr(L->cl));
out:
    slc_consumer_free(k);
    free(parts);
    free(ts);
    free(hw);
    return e;
}

/* --- one input -------------------------------------------------------------- */

static void loader_reset(loader *L)
{
    for (int i = 0; i < L->nsnaps; i++)
        snap_free(&L->snaps[i]);
    free(L->snaps);
    for (int32_t i = 0; L->skip_offs && i < L->npart; i++)
        free(L->skip_offs[i]);
    free(L->skip_offs);
    free(L->skip_n);
    free(L->skip_at);
    free(L->ring);
    free(L->next_off);
    L->snaps = NULL;
    L->nsnaps = L->snaps_cap = 0;
    L->skip_offs = NULL;
    L->skip_n = L->skip_at = NULL;
    L->ring = NULL;
    L->next_off = NULL;
    L->head = L->count = L->cap = 0;
    L->failed = SL_OK;
    L->sent = L->found = L->bad = L->bytes = 0;
}

/* While stdin is quiet: deliver what was sent and commit it. */
static void on_idle(void *ctx)
{
    loader *L = ctx;

    if (!L->prod)
        return;
    slc_producer_poll(L->prod, 0);
    advance(L);
    if (L->idle_snap)
        take_snap(L, L->idle_snap, false);
    if (slc_mono_ms() - L->last_commit >= COMMIT_EVERY_MS)
        commit(L, false);
}

static int produce_one(loader *L, slc_producer *p, const in_record *r, int32_t part)
{
    uint64_t idx = L->ring_base + L->count;
    sl_err e;

    if (!ring_push(L, part, false, -1))
        return -1;
    while ((e = slc_produce(p, L->topic, part, r->key, r->value, r->headers, r->nheaders,
                            r->timestamp, (void *)(uintptr_t)idx)) == SL_E_AGAIN) {
        slc_producer_poll(p, 100);
        advance(L);
        if (L->failed)
            return -1;
    }
    if (e) {
        L->failed = e;
        return -1;
    }
    L->sent++;
    return 0;
}

static int load_input(loader *L, const parser_conf *pcf, const char *path, bool *already)
{
    char err[512], real[PATH_MAX];
    const char *key = strcmp(path, "-") ? (realpath(path, real) ? real : path) : "-";
    src *in = src_open(path, err, sizeof(err));
    parser *ps = NULL;
    slc_producer *p = NULL;
    slb_progress prog;
    int rc = SLB_EXIT_FAIL, n_since_poll = 0;
    int64_t last_snap = slc_mono_ms();
    uint64_t last_snap_rec = 0;
    bool stopped_bad = false, resumed;
    ckpt_entry *e;

    *already = false;
    if (!in) {
        fprintf(stderr, "sluice-batch load: %s\n", err);
        return SLB_EXIT_FAIL;
    }
    L->name = path;
    e = L->ent = ckpt_get(L->ck, key, true);
    ps = parser_new(pcf, in);
    L->next_off = calloc((size_t)L->npart, sizeof(int64_t));
    if (!e || !ps || !L->next_off)
        goto out;
    if (parser_header(ps, err, sizeof(err))) {
        fprintf(stderr, "sluice-batch load: %s: %s\n", path, err);
        rc = SLB_EXIT_BAD_INPUT;
        goto out;
    }
    resumed = e->next_offsets != NULL;
    if (resumed && e->partitions != L->npart) {
        fprintf(stderr, "sluice-batch load: %s was loaded over %d partitions, now %d: "
                "use the same --partitions or a new --checkpoint\n", path, e->partitions,
                L->npart);
        rc = SLB_EXIT_CHECKPOINT;
        goto out;
    }
    if (resumed) {
        /* Same bytes up to the position? (the CSV header is part of them) */
        uint64_t done = src_pos(in);

        if (e->position < done || src_skip(in, e->position - done) ||
            src_digest(in) != e->fingerprint) {
            fprintf(stderr, "sluice-batch load: %s differs from what checkpoint %s recorded "
                    "(first %" PRIu64 " bytes); not loading it\n", path, L->ck->path,
                    e->position);
            rc = SLB_EXIT_CHECKPOINT;
            goto out;
        }
        /* src_skip counted lines; the checkpoint agrees by construction. */
        memcpy(L->next_off, e->next_offsets, sizeof(int64_t) * (size_t)L->npart);
        if (e->nproducer_ids && !e->complete && reconcile(L))
            goto out;
    } else {
        int32_t *parts = calloc((size_t)L->npart, sizeof(int32_t));
        int64_t *ts = calloc((size_t)L->npart, sizeof(int64_t));
        sl_err le;

        e->partitions = L->npart;
        e->next_offsets = calloc((size_t)L->npart, sizeof(int64_t));
        if (!parts || !ts || !e->next_offsets) {
            free(parts);
            free(ts);
            goto out;
        }
        for (int32_t i = 0; i < L->npart; i++) {
            parts[i] = i;
            ts[i] = SLC_OFFSET_LATEST;
        }
        le = slc_list_offsets(L->cl, L->topic, L->npart, parts, ts, e->next_offsets, NULL);
        free(parts);
        free(ts);
        if (le) {
            fprintf(stderr, "sluice-batch load: %s: %s\n", L->topic, slc_client_errstr(L->cl));
            goto out;
        }
        memcpy(L->next_off, e->next_offsets, sizeof(int64_t) * (size_t)L->npart);
        e->fingerprint = src_digest(in);
        e->position = src_pos(in);
        e->line = src_line(in);
    }
    L->ring_base = L->acked = e->records;
    take_snap(L, in, false);
    slb_progress_init(&prog, "load");
    L->pc.on_delivery = on_delivery;
    L->pc.on_pid = on_pid;
    L->pc.ctx = L;
    p = slc_producer_new(L->cl, &L->pc);
    if (!p)
        goto out;
    L->prod = p;
    L->idle_snap = in;
    src_on_idle(in, on_idle, L);
    for (;;) {
        in_record r;
        int pr;
        int32_t part;
        uint64_t idx;

        if (slb_stop || L->failed)
            break;
        pr = parser_next(ps, &r, err, sizeof(err));
        if (pr == 0)
            break;
        if (pr == -2) {
            fprintf(stderr, "sluice-batch load: %s: %s\n", path, err);
            L->failed = SL_E_IO;
            break;
        }
        if (pr == -1) {
            fprintf(stderr, "%s:%s\n", strcmp(path, "-") ? path : "<stdin>", err);
            L->bad++;
            if (!L->on_error_skip) {
                take_snap(L, in, true); /* the position before the bad record */
                stopped_bad = true;
                break;
            }
            continue;
        }
        idx = L->ring_base + L->count;
        part = r.key.null ? (int32_t)(idx % (uint64_t)L->npart)
                          : slc_partition_for_key(r.key, L->npart);
        if (L->skip_n && L->skip_at[part] < L->skip_n[part]) {
            /* Already in the topic from an earlier run. */
            ring_push(L, part, true, L->skip_offs[part][L->skip_at[part]++]);
            L->found++;
        } else if (produce_one(L, p, &r, part)) {
            break;
        }
        L->bytes += r.value.n + r.key.n;
        if (++n_since_poll >= 2000) {
            n_since_poll = 0;
            slc_producer_poll(p, 0);
            advance(L);
            if (L->ring_base + L->count - last_snap_rec >= SNAP_EVERY_RECORDS ||
                slc_mono_ms() - last_snap >= SNAP_EVERY_MS) {
                take_snap(L, in, false);
                last_snap = slc_mono_ms();
                last_snap_rec = L->ring_base + L->count;
            }
            if (slc_mono_ms() - L->last_commit >= COMMIT_EVERY_MS && commit(L, false))
                goto out;
            slb_progress_update(&prog, (int64_t)src_pos(in), src_size(in),
                                (int64_t)(L->sent + L->found), (int64_t)L->bytes);
        }
    }
    if (!stopped_bad)
        take_snap(L, in, false);
    /* Everything read is sent: wait for the acknowledgements. */
    while (!L->failed && slc_producer_pending(p) > 0) {
        if (slc_producer_poll(p, 200))
            break;
        advance(L);
        if (slc_mono_ms() - L->last_commit >= COMMIT_EVERY_MS && commit(L, false))
            goto out;
        slb_progress_update(&prog, (int64_t)src_pos(in), src_size(in),
                            (int64_t)(L->sent + L->found), (int64_t)L->bytes);
        if (slb_stop && slc_producer_pending(p) > 0 && slc_producer_flush(p, 10000))
            break;
    }
    if (!L->failed && slc_producer_error(p))
        L->failed = slc_producer_error(p);
    advance(L);
    slb_progress_end(&prog);
    if (commit(L, !L->failed && !slb_stop && !stopped_bad))
        goto out;
    if (L->failed) {
        fprintf(stderr, "sluice-batch load: %s: delivery failed: %s (%s); %" PRIu64
                " bytes are loaded, rerun to continue\n", path, sl_err_str(L->failed),
                slc_client_errstr(L->cl), e->position);
        goto out;
    }
    *already = resumed && L->sent == 0 && L->found == 0 && L->bad == 0;
    if (*already)
        printf("load: %s: already loaded (%" PRIu64 " records, %" PRIu64
               " bytes, checkpoint %s); nothing to do\n", path, e->records, e->position,
               L->ck->path);
    else
        printf("load: %s: %" PRIu64 " records sent, %" PRIu64 " found already loaded, %" PRIu64
               " bad, to %s in %.2f s (%.0f rec/s, %.1f MB/s); %" PRIu64 " records loaded "
               "in all\n", path, L->sent, L->found, L->bad, L->topic, slb_elapsed_s(&prog),
               (double)L->sent / (slb_elapsed_s(&prog) + 1e-9),
               (double)L->bytes / 1e6 / (slb_elapsed_s(&prog) + 1e-9), e->records);
    rc = slb_stop ? SLB_EXIT_INTERRUPTED : stopped_bad ? SLB_EXIT_BAD_INPUT : SLB_EXIT_OK;
    if (stopped_bad)
        fprintf(stderr, "sluice-batch load: stopped at a malformed record; records before it "
                "are loaded (--on-error skip to go past it)\n");
out:
    L->prod = NULL;
    L->idle_snap = NULL;
    slc_producer_free(p);
    parser_free(ps);
    src_close(in);
    loader_reset(L);
    return rc;
}

int cmd_load(int argc, char **argv)
{
    static const struct option opts[] = {
        { "bootstrap", required_argument, 0, 'b' }, { "topic", required_argument, 0, 't' },
        { "format", required_argument, 0, 'f' },    { "key", required_argument, 0, 'k' },
        { "timestamp", required_argument, 0, 'T' }, { "headers", required_argument, 0, 'H' },
        { "partitions", required_argument, 0, 'p' }, { "on-error", required_argument, 0, 'e' },
        { "checkpoint", required_argument, 0, 'c' },
        { "compression", required_argument, 0, 'z' },
        { "batch-bytes", required_argument, 0, 1 }, { "linger-ms", required_argument, 0, 2 },
        { "buffer-bytes", required_argument, 0, 3 }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *bootstrap = NULL, *ckpath = NULL;
    parser_conf pcf = { FMT_LINES, NULL, NULL, NULL };
    loader L;
    int64_t want_parts = 0, v;
    char err[512], defpath[PATH_MAX];
    int c, rc = SLB_EXIT_OK;
    int32_t actual;
    sl_err e;

    memset(&L, 0, sizeof(L));
    slc_producer_conf_init(&L.pc);
    L.pc.compression = SLC_CODEC_LZ4;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': bootstrap = optarg; break;
        case 't': L.topic = optarg; break;
        case 'k': pcf.key_field = optarg; break;
        case 'T': pcf.ts_field = optarg; break;
        case 'H': pcf.hdr_field = optarg; break;
        case 'c': ckpath = optarg; break;
        case 'f':
            if (!strcmp(optarg, "lines")) pcf.format = FMT_LINES;
            else if (!strcmp(optarg, "csv")) pcf.format = FMT_CSV;
            else if (!strcmp(optarg, "jsonl")) pcf.format = FMT_JSONL;
            else return usage_error("--format is lines, csv or jsonl");
            break;
        case 'e':
            if (!strcmp(optarg, "skip")) L.on_error_skip = 1;
            else if (!strcmp(optarg, "stop")) L.on_error_skip = 0;
            else return usage_error("--on-error is skip or stop");
            break;
        case 'p':
            if (!slb_parse_int(optarg, &want_parts) || want_parts < 1 || want_parts > 100000)
                return usage_error("--partitions needs a count >= 1");
            break;
        case 'z':
            if ((L.pc.compression = slc_codec_parse(optarg)) < 0)
                return usage_error("--compression is none, gzip, snappy, lz4 or zstd");
            break;
        case 1: case 2: case 3:
            if (!slb_parse_int(optarg, &v) || v < 0)
                return usage_error("a tuning option needs a number");
            if (c == 1) L.pc.batch_bytes = (size_t)v;
            if (c == 2) L.pc.linger_ms = (int)v;
            if (c == 3) L.pc.buffer_bytes = (size_t)v;
            break;
        case 'h':
            fputs(LOAD_HELP, stdout);
            return SLB_EXIT_OK;
        default:
            return usage_error("unknown option");
        }
    }
    if (!bootstrap || !L.topic)
        return usage_error("--bootstrap and --topic are required");
    if (optind >= argc)
        return usage_error("no input files (use - for stdin)");
    if (pcf.format == FMT_LINES && (pcf.key_field || pcf.ts_field))
        return usage_error("--key and --timestamp need --format csv or jsonl");
    if (pcf.hdr_field && pcf.format != FMT_JSONL)
        return usage_error("--headers needs --format jsonl");
    if (!ckpath) {
        snprintf(defpath, sizeof(defpath), ".sluice-load-%s.json", L.topic);
        ckpath = defpath;
    }
    L.ck = ckpt_load(ckpath, L.topic, err, sizeof(err));
    if (!L.ck) {
        fprintf(stderr, "sluice-batch load: %s\n", err);
        return SLB_EXIT_CHECKPOINT;
    }
    slb_signals();
    L.cl = slb_client(bootstrap, true);
    if (!L.cl) {
        ckpt_free(L.ck);
        return SLB_EXIT_FAIL;
    }
    e = want_parts ? slc_topic_create(L.cl, L.topic, (int32_t)want_parts, &actual)
                   : slc_topic_partitions(L.cl, L.topic, &actual);
    if (e || (want_parts && actual < want_parts)) {
        if (e)
            fprintf(stderr, "sluice-batch load: topic %s: %s\n", L.topic,
                    slc_client_errstr(L.cl));
        else
            fprintf(stderr, "sluice-batch load: topic %s has %d partitions, fewer than "
                    "--partitions %lld\n", L.topic, actual, (long long)want_parts);
        slc_client_free(L.cl);
        ckpt_free(L.ck);
        return e ? SLB_EXIT_FAIL : SLB_EXIT_USAGE;
    }
    L.npart = want_parts ? (int32_t)want_parts : actual;
    for (int i = optind; i < argc && rc == SLB_EXIT_OK; i++) {
        bool already;

        rc = load_input(&L, &pcf, argv[i], &already);
    }
    slc_client_free(L.cl);
    ckpt_free(L.ck);
    return rc;
}
