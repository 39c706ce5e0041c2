/*
 * export.c - sluice-batch export: a bounded window of a topic into one
 * file per partition, then the group's offsets are committed.
 *
 * The window.  --from and --to are each an offset (a plain integer, the
 * same on every partition), "earliest", "latest", a time (ISO 8601 or
 * @epoch-ms), or for --from "committed" (the group's offsets).  A time
 * becomes, per partition, the offset ListOffsets gives for it: the first
 * record whose timestamp is >= that time (the log end if none).  The
 * window is then the offset range [from, to) of each partition.
 * The time rule: the offset range decides.  A record inside the range
 * whose timestamp is outside [from-time, to-time) (producers' clocks and
 * CreateTime are not monotonic) is exported anyway and counted as "outside
 * the time window" in the summary; a record outside the range is not
 * exported even if its timestamp is inside.  So consecutive windows
 * [a, b) and [b, c) tile the log: every record lands in exactly one.
 *
 * Repeatable.  Files are a pure function of the records in the range
 * (output.h), so rerunning a closed window rewrites identical files.
 *
 * Exclusive.  Two runs of one window must not overlap: an flock on
 * DIR/.sluice-export.lock stops a second run on this machine, and group
 * membership stops one anywhere else: every run joins the group with the
 * sluice-exclusive assignor and its start time as user data, the earliest
 * run gets every partition, and a run that gets none exits with
 * SLB_EXIT_BUSY.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../client_int.h"
#include "export.h"

static const char EXPORT_HELP[] =
    "usage: sluice-batch export --bootstrap HOST:PORT --topic T --group G\n"
    "         --from X --to Y --format jsonl|csv|avro --out DIR\n"
    "       sluice-batch export ... --follow --every 60s [--allowed-lateness 30s]\n"
    "Write the window [from, to) of every partition to DIR/T-P.<format>, each file\n"
    "under a temporary name until complete; then commit the group's offsets.\n"
    "  X, Y: an offset, earliest, latest, a time (2024-05-01T12:00:00Z or @epoch-ms);\n"
    "        --from also 'committed'.  A time selects the first offset at or after it;\n"
    "        records in the offset range are all exported (see docs).\n"
    "  --follow            export windows of event time continuously into DIR/<start>/,\n"
    "                      late records into DIR/late/\n"
    "  --every D           window length (default 60s); --allowed-lateness D (0)\n"
    "  --max-windows N     with --follow: stop after N windows\n"
    "  --idle-exit D       with --follow: stop after D without records\n"
    "exit: 0 done, 1 failure, 2 usage, 3 another export is running, 130 interrupted\n";

enum { B_OFFSET, B_TIME, B_EARLIEST, B_LATEST, B_COMMITTED };

typedef struct bound {
    int kind;
    int64_t v;
} bound;

static bool parse_bound(const char *s, bool from, bound *b)
{
    if (!strcmp(s, "earliest")) {
        b->kind = B_EARLIEST;
    } else if (!strcmp(s, "latest")) {
        b->kind = B_LATEST;
    } else if (from && !strcmp(s, "committed")) {
        b->kind = B_COMMITTED;
    } else if (slb_parse_int(s, &b->v)) {
        if (b->v < 0)
            return false;
        b->kind = B_OFFSET;
    } else {
        b->v = slb_parse_time(s);
        b->kind = B_TIME;
        return b->v != INT64_MIN;
    }
    return true;
}

static int usage(const char *msg)
{
    fprintf(stderr, "sluice-batch export: %s (see sluice-batch export --help)\n", msg);
    return SLB_EXIT_USAGE;
}

/* --- lock and membership ----------------------------------------------------- */

static int take_lock(export_ctx *x)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/.sluice-export.lock", x->out_dir);
    x->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (x->lock_fd < 0) {
        fprintf(stderr, "sluice-batch export: %s: %s\n", path, strerror(errno));
        return SLB_EXIT_FAIL;
    }
    if (flock(x->lock_fd, LOCK_EX | LOCK_NB)) {
        fprintf(stderr, "sluice-batch export: another export is running into %s (%s is "
                "locked)\n", x->out_dir, path);
        return SLB_EXIT_BUSY;
    }
    return SLB_EXIT_OK;
}

static bool holds_all(export_ctx *x)
{
    int32_t n;

    slc_group_assignment(x->g, &n);
    return n == x->npart;
}

static int join(export_ctx *x, bool follow)
{
    int32_t members = 0;
    sl_err e;

    /* A bounded export refuses at once if the group has members: joining
     * would make the running export rebalance, and if it finished meanwhile
     * this run would export the same window again, overlapping it.  (A
     * follower restarting after a crash may find its old member still
     * there until the session times out, so --follow relies on the
     * exclusive assignor alone.) */
    if (!follow && slc_group_members(x->cl, x->group, &members) == SL_OK && members > 0) {
        fprintf(stderr, "sluice-batch export: another export of group %s is running (the "
                "group has %d member%s); not starting\n", x->group, (int)members,
                members == 1 ? "" : "s");
        return SLB_EXIT_BUSY;
    }
    e = slc_group_join(x->g, 120000);

    if (e) {
        fprintf(stderr, "sluice-batch export: joining group %s: %s\n", x->group,
                slc_client_errstr(x->cl));
        return SLB_EXIT_FAIL;
    }
    if (!holds_all(x)) {
        fprintf(stderr, "sluice-batch export: another export of group %s is running (it "
                "holds the partitions of %s); not starting\n", x->group, x->topic);
        return SLB_EXIT_BUSY;
    }
    return SLB_EXIT_OK;
}

sl_err export_heartbeat(export_ctx *x)
{
    sl_err e = slc_group_poll(x->g);

    if (e == SL_OK)
        return SL_OK;
    /* A rebalance (another run joined, say): join again; the earliest run
     * keeps the partitions. */
    e = slc_group_join(x->g, 120000);
    if (e)
        return e;
    return holds_all(x) ? SL_OK : SL_E_EXISTS;
}

sl_err export_commit(export_ctx *x, const int64_t *offsets, const char *metadata)
{
    sl_err e = slc_group_commit(x->g, x->npart, x->parts, offsets, metadata);

    if (e == SL_KE_REBALANCE_IN_PROGRESS || e == SL_KE_ILLEGAL_GENERATION ||
        e == SL_KE_UNKNOWN_MEMBER_ID) {
        e = export_heartbeat(x);
        if (!e)
            e = slc_group_commit(x->g, x->npart, x->parts, offsets, metadata);
    }
    if (e)
        fprintf(stderr, "sluice-batch export: committing offsets of group %s: %s\n", x->group,
                slc_client_errstr(x->cl));
    return e;
}

/* --- the window ------------------------------------------------------------ */

static sl_err resolve(export_ctx *x, const bound *b, const int64_t *lo, const int64_t *hi,
                      int64_t *out)
{
    int64_t *ts;
    sl_err e = SL_OK;

    for (int32_t i = 0; i < x->npart; i++) {
        switch (b->kind) {
        case B_OFFSET:
            out[i] = b->v < lo[i] ? lo[i] : b->v > hi[i] ? hi[i] : b->v;
            break;
        case B_EARLIEST:
            out[i] = lo[i];
            break;
        case B_LATEST:
            out[i] = hi[i];
            break;
        default:
            break;
        }
    }
    if (b->kind == B_COMMITTED) {
        e = slc_committed_offsets(x->cl, x->group, x->topic, x->npart, x->parts, out, NULL);
        for (int32_t i = 0; !e && i < x->npart; i++)
            out[i] = out[i] < lo[i] ? lo[i] : out[i] > hi[i] ? hi[i] : out[i];
    } else if (b->kind == B_TIME) {
        ts = malloc(sizeof(int64_t) * (size_t)x->npart);
        if (!ts)
            return SL_E_NOMEM;
        for (int32_t i = 0; i < x->npart; i++)
            ts[i] = b->v;
        e = slc_list_offsets(x->cl, x->topic, x->npart, x->parts, ts, out, NULL);
        for (int32_t i = 0; !e && i < x->npart; i++)
            if (out[i] < 0 || out[i] > hi[i])
                out[i] = hi[i]; /* no record at or after the time (yet) */
        free(ts);
    }
    return e;
}

static int export_window(export_ctx *x, const int64_t *start, const int64_t *end,
                         const bound *from, const bound *to)
{
    out_file **files = calloc((size_t)x->npart, sizeof(*files));
    slc_consumer_conf cc;
    slc_consumer *k = NULL;
    int64_t total = 0, done = 0, outside = 0, bytes = 0;
    int32_t live = 0;
    char err[512], path[PATH_MAX];
    int rc = SLB_EXIT_FAIL;
    sl_err e;

    if (!files)
        return SLB_EXIT_FAIL;
    for (int32_t i = 0; i < x->npart; i++) {
        snprintf(path, sizeof(path), "%s/%s-%d.%s", x->out_dir, x->topic, i,
                 out_format_ext(x->format));
        files[i] = out_open(x->format, path, err, sizeof(err));
        if (!files[i]) {
            fprintf(stderr, "sluice-batch export: %s\n", err);
            goto out;
        }
        total += end[i] - start[i];
    }
    slc_consumer_conf_init(&cc);
    cc.offset_reset = 0;
    k = slc_consumer_new(x->cl, &cc);
    if (!k || slc_consumer_assign(k, x->topic, x->npart, x->parts, start))
        goto out;
    for (int32_t i = 0; i < x->npart; i++) {
        if (start[i] >= end[i])
            slc_consumer_pause(k, i, true);
        else
            live++;
    }
    while (live > 0) {
        const slc_message *m;

        if (slb_stop) {
            rc = SLB_EXIT_INTERRUPTED;
            goto out;
        }
        e = slc_consumer_poll(k, 500, &m);
        if (e == SL_OK && m->err) {
            fprintf(stderr, "sluice-batch export: %s/%d at offset %" PRId64 ": %s\n", x->topic,
                    m->partition, m->offset, sl_err_str(m->err));
            goto out;
        }
        if (e == SL_OK && m->offset < end[m->partition]) {
            if (out_write(files[m->partition], m)) {
                fprintf(stderr, "sluice-batch export: writing %s-%d: %s\n", x->topic,
                        m->partition, strerror(errno));
                goto out;
            }
            done++;
            bytes += (int64_t)(m->key.n + m->value.n);
            if ((from->kind == B_TIME && m->timestamp < from->v) ||
                (to->kind == B_TIME && m->timestamp >= to->v))
                outside++;
        } else if (e != SL_OK && e != SL_KE_REQUEST_TIMED_OUT) {
            fprintf(stderr, "sluice-batch export: fetching %s: %s\n", x->topic,
                    slc_client_errstr(x->cl));
            goto out;
        }
        live = 0;
        for (int32_t i = 0; i < x->npart; i++) {
            if (slc_consumer_position(k, i) >= end[i])
                slc_consumer_pause(k, i, true);
            else
                live++;
        }
        e = export_heartbeat(x);
        if (e == SL_E_EXISTS) {
            fprintf(stderr, "sluice-batch export: lost the partitions of %s to another "
                    "member of group %s\n", x->topic, x->group);
            rc = SLB_EXIT_BUSY;
            goto out;
        }
        slb_progress_update(&x->prog, done, total, done, bytes);
    }
    /* Every file is whole: put them in place, then commit. */
    for (int32_t i = 0; i < x->npart; i++) {
        out_file *f = files[i];

        files[i] = NULL;
        if (out_close(f, true)) {
            fprintf(stderr, "sluice-batch export: finishing %s-%d: %s\n", x->topic, i,
                    strerror(errno));
            goto out;
        }
    }
    if (slb_fsync_dir(x->out_dir))
        goto out;
    slb_progress_end(&x->prog);
    {
        char meta[128];

        snprintf(meta, sizeof(meta), "sluice-batch export %s", x->out_dir);
        if (export_commit(x, end, meta))
            goto out;
    }
    printf("export: %s: %" PRId64 " records from %d partitions to %s/%s-*.%s in %.2f s "
           "(%.0f rec/s, %.1f MB/s)%s", x->topic, done, x->npart, x->out_dir, x->topic,
           out_format_ext(x->format), slb_elapsed_s(&x->prog),
           (double)done / (slb_elapsed_s(&x->prog) + 1e-9),
           (double)bytes / 1e6 / (slb_elapsed_s(&x->prog) + 1e-9),
           outside ? "" : "; offsets committed\n");
    if (outside)
        printf("; %" PRId64 " records in the offset range have timestamps outside the time "
               "window (exported: the offset range decides); offsets committed\n", outside);
    rc = SLB_EXIT_OK;
out:
    slb_progress_end(&x->prog);
    for (int32_t i = 0; i < x->npart; i++)
        if (files[i])
            out_close(files[i], false);
    free(files);
    slc_consumer_free(k);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        { "bootstrap", required_argument, 0, 'b' }, { "topic", required_argument, 0, 't' },
        { "group", required_argument, 0, 'g' },     { "from", required_argument, 0, 'F' },
        { "to", required_argument, 0, 'T' },        { "format", required_argument, 0, 'f' },
        { "out", required_argument, 0, 'o' },       { "follow", no_argument, 0, 'w' },
        { "every", required_argument, 0, 'e' },
        { "allowed-lateness", required_argument, 0, 'l' },
        { "max-windows", required_argument, 0, 'm' },
        { "idle-exit", required_argument, 0, 'i' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *bootstrap = NULL, *from_s = NULL, *to_s = NULL;
    bound from = { B_COMMITTED, 0 }, to = { B_LATEST, 0 };
    bool follow = false;
    int64_t every = 60000, lateness = 0, max_windows = -1, idle_exit = -1;
    int64_t *lo = NULL, *hi = NULL, *start = NULL, *end = NULL;
    export_ctx x;
    slc_group_conf gc;
    char ud[64];
    int c, rc;
    sl_err e;

    memset(&x, 0, sizeof(x));
    x.format = -1;
    x.lock_fd = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': bootstrap = optarg; break;
        case 't': x.topic = optarg; break;
        case 'g': x.group = optarg; break;
        case 'F': from_s = optarg; break;
        case 'T': to_s = optarg; break;
        case 'o': x.out_dir = optarg; break;
        case 'w': follow = true; break;
        case 'f':
            if ((x.format = out_format_parse(optarg)) < 0)
                return usage("--format is jsonl, csv or avro");
            break;
        case 'e':
            if ((every = slb_parse_duration(optarg)) <= 0)
                return usage("bad --every");
            break;
        case 'l':
            if ((lateness = slb_parse_duration(optarg)) < 0)
                return usage("bad --allowed-lateness");
            break;
        case 'i':
            if ((idle_exit = slb_parse_duration(optarg)) < 0)
                return usage("bad --idle-exit");
            break;
        case 'm':
            if (!slb_parse_int(optarg, &max_windows) || max_windows < 1)
                return usage("bad --max-windows");
            break;
        case 'h':
            fputs(EXPORT_HELP, stdout);
            return SLB_EXIT_OK;
        default:
            return usage("unknown option");
        }
    }
    if (!bootstrap || !x.topic || !x.group || !x.out_dir || x.format < 0 || optind < argc)
        return usage("--bootstrap, --topic, --group, --format and --out are required");
    if (!follow && (!from_s || !to_s))
        return usage("--from and --to are required (or --follow)");
    if (from_s && !parse_bound(from_s, true, &from))
        return usage("bad --from");
    if (to_s && (follow || !parse_bound(to_s, false, &to)))
        return usage(follow ? "--to makes no sense with --follow" : "bad --to");
    if (slb_mkdirs(x.out_dir))
        return fprintf(stderr, "sluice-batch export: %s: %s\n", x.out_dir, strerror(errno)),
               SLB_EXIT_FAIL;
    rc = take_lock(&x);
    if (rc)
        return rc;
    slb_signals();
    slb_progress_init(&x.prog, "export");
    rc = SLB_EXIT_FAIL;
    x.cl = slb_client(bootstrap, false);
    if (!x.cl)
        goto out;
    e = slc_topic_partitions(x.cl, x.topic, &x.npart);
    if (e) {
        fprintf(stderr, "sluice-batch export: %s\n", slc_client_errstr(x.cl));
        goto out;
    }
    x.parts = calloc((size_t)x.npart, sizeof(int32_t));
    lo = calloc((size_t)x.npart, sizeof(int64_t));
    hi = calloc((size_t)x.npart, sizeof(int64_t));
    start = calloc((size_t)x.npart, sizeof(int64_t));
    end = calloc((size_t)x.npart, sizeof(int64_t));
    if (!x.parts || !lo || !hi || !start || !end)
        goto out;
    slc_group_conf_init(&gc);
    gc.assignors[0] = "sluice-exclusive";
    gc.assignors_count = 1;
    snprintf(ud, sizeof(ud), "%020lld %d", (long long)slc_wall_ms(), (int)getpid());
    gc.user_data = sl_bytes_str(ud);
    x.g = slc_group_new(x.cl, x.group, x.topic, &gc);
    if (!x.g)
        goto out;
    rc = join(&x, follow);
    if (rc)
        goto out;
    rc = SLB_EXIT_FAIL;
    for (int32_t i = 0; i < x.npart; i++) {
        x.parts[i] = i;
        start[i] = SLC_OFFSET_EARLIEST;
        end[i] = SLC_OFFSET_LATEST;
    }
    if (slc_list_offsets(x.cl, x.topic, x.npart, x.parts, start, lo, NULL) ||
        slc_list_offsets(x.cl, x.topic, x.npart, x.parts, end, hi, NULL) ||
        resolve(&x, &from, lo, hi, start) || (!follow && resolve(&x, &to, lo, hi, end))) {
        fprintf(stderr, "sluice-batch export: %s\n", slc_client_errstr(x.cl));
        goto out;
    }
    if (follow) {
        rc = follow_run(&x, start, every, lateness, max_windows, idle_exit);
    } else {
        for (int32_t i = 0; i < x.npart; i++)
            if (end[i] < start[i])
                end[i] = start[i];
        rc = export_window(&x, start, end, &from, &to);
    }
out:
    slc_group_free(x.g); /* leaves the group */
    slc_client_free(x.cl);
    free(x.parts);
    free(lo);
    free(hi);
    free(start);
    free(end);
    if (x.lock_fd >= 0)
        close(x.lock_fd);
    return rc;
}
