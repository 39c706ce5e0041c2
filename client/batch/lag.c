/*
 * lag.c - sluice-batch lag: per partition of a group, the committed
 * offset, the log end, the lag, and how long ago the partition's newest
 * record was written (its timestamp: CreateTime or LogAppendTime, as the
 * topic stores it).  --max-lag and --max-staleness turn it into a check
 * a scheduler can act on (exit 6, 7 or 8).
 *
 * Lag of a partition without a committed offset counts everything from the
 * log start.  A topic that never received a record is infinitely stale.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client_int.h"
#include "batch.h"

static const char LAG_HELP[] =
    "usage: sluice-batch lag --bootstrap HOST:PORT --group G [--topic T]\n"
    "                        [--max-lag N] [--max-staleness DURATION]\n"
    "Per partition: committed offset, log end, lag, age of the newest record.\n"
    "Without --topic, every topic the group has committed offsets for.\n"
    "exit: 0 within limits, 6 lag above --max-lag, 7 staler than --max-staleness,\n"
    "      8 both, 1 failure, 2 usage\n";

static void fmt_age(int64_t ms, char *buf, size_t n)
{
    if (ms < 0)
        snprintf(buf, n, "never");
    else if (ms < 60000)
        snprintf(buf, n, "%.1fs", (double)ms / 1000.0);
    else if (ms < 3600000)
        snprintf(buf, n, "%.1fm", (double)ms / 60000.0);
    else
        snprintf(buf, n, "%.1fh", (double)ms / 3600000.0);
}

/* Timestamp of the record at offset (the newest one); -1 if none. */
static int64_t record_time(slc_client *c, const char *topic, int32_t part, int64_t offset)
{
    slc_consumer_conf cc;
    slc_consumer *k;
    const slc_message *m;
    int64_t ts = -1;

    slc_consumer_conf_init(&cc);
    cc.offset_reset = 0;
    cc.fetch_max_wait_ms = 100;
    k = slc_consumer_new(c, &cc);
    if (!k)
        return -1;
    if (slc_consumer_assign(k, topic, 1, &part, &offset) == SL_OK &&
        slc_consumer_poll(k, 3000, &m) == SL_OK && !m->err)
        ts = m->timestamp;
    slc_consumer_free(k);
    return ts;
}

static int lag_topic(slc_client *c, const char *group, const char *topic, int64_t max_lag,
                     bool *over_lag, int64_t *newest, int64_t *total)
{
    int32_t n, *parts;
    int64_t *committed, *end, *start, *ts;
    int64_t now = slc_wall_ms();
    sl_err e;

    e = slc_topic_partitions(c, topic, &n);
    if (e) {
        fprintf(stderr, "sluice-batch lag: %s: %s\n", topic, slc_client_errstr(c));
        return -1;
    }
    parts = calloc((size_t)n, sizeof(*parts));
    committed = calloc((size_t)n, sizeof(int64_t));
    end = calloc((size_t)n, sizeof(int64_t));
    start = calloc((size_t)n, sizeof(int64_t));
    ts = calloc((size_t)n, sizeof(int64_t));
    if (!parts || !committed || !end || !start || !ts)
        e = SL_E_NOMEM;
    for (int32_t i = 0; !e && i < n; i++) {
        parts[i] = i;
        ts[i] = SLC_OFFSET_LATEST;
    }
    if (!e)
        e = slc_list_offsets(c, topic, n, parts, ts, end, NULL);
    for (int32_t i = 0; !e && i < n; i++)
        ts[i] = SLC_OFFSET_EARLIEST;
    if (!e)
        e = slc_list_offsets(c, topic, n, parts, ts, start, NULL);
    if (!e)
        e = slc_committed_offsets(c, group, topic, n, parts, committed, NULL);
    if (e) {
        fprintf(stderr, "sluice-batch lag: %s: %s\n", topic, slc_client_errstr(c));
    } else {
        for (int32_t i = 0; i < n; i++) {
            int64_t from = committed[i] >= 0 ? committed[i] : start[i];
            int64_t lag = end[i] > from ? end[i] - from : 0;
            int64_t t = end[i] > start[i] ? record_time(c, topic, i, end[i] - 1) : -1;
            char cbuf[32], age[32];

            if (t >= 0 && t > *newest)
                *newest = t;
            if (committed[i] >= 0)
                snprintf(cbuf, sizeof(cbuf), "%" PRId64, committed[i]);
            else
                snprintf(cbuf, sizeof(cbuf), "-");
            fmt_age(t >= 0 ? now - t : -1, age, sizeof(age));
            printf("%-24s %9d %12s %12" PRId64 " %10" PRId64 "  %s\n", topic, i, cbuf, end[i],
                   lag, age);
            *total += lag;
            if (max_lag >= 0 && lag > max_lag)
                *over_lag = true;
        }
    }
    free(parts);
    free(committed);
    free(end);
    free(start);
    free(ts);
    return e ? -1 : 0;
}

int cmd_lag(int argc, char **argv)
{
    static const struct option opts[] = {
        { "bootstrap", required_argument, 0, 'b' }, { "group", required_argument, 0, 'g' },
        { "topic", required_argument, 0, 't' },     { "max-lag", required_argument, 0, 'l' },
        { "max-staleness", required_argument, 0, 's' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *bootstrap = NULL, *group = NULL, *topic = NULL;
    int64_t max_lag = -1, max_stale = -1, total = 0;
    char **topics = NULL;
    int32_t ntopics = 0;
    bool over_lag = false, over_stale = false, failed = false;
    slc_client *c;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'b': bootstrap = optarg; break;
        case 'g': group = optarg; break;
        case 't': topic = optarg; break;
        case 'l':
            if (!slb_parse_int(optarg, &max_lag) || max_lag < 0) {
                fprintf(stderr, "sluice-batch lag: --max-lag needs a count\n");
                return SLB_EXIT_USAGE;
            }
            break;
        case 's':
            if ((max_stale = slb_parse_duration(optarg)) < 0) {
                fprintf(stderr, "sluice-batch lag: bad --max-staleness '%s'\n", optarg);
                return SLB_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(LAG_HELP, stdout);
            return SLB_EXIT_OK;
        default:
            fprintf(stderr, "sluice-batch lag: unknown option (see --help)\n");
            return SLB_EXIT_USAGE;
        }
    }
    if (!bootstrap || !group || optind < argc) {
        fprintf(stderr, "sluice-batch lag: --bootstrap and --group are required\n");
        return SLB_EXIT_USAGE;
    }
    c = slb_client(bootstrap, false);
    if (!c)
        return SLB_EXIT_FAIL;
    if (!topic) {
        if (slc_group_topics(c, group, &topics, &ntopics)) {
            fprintf(stderr, "sluice-batch lag: %s\n", slc_client_errstr(c));
            slc_client_free(c);
            return SLB_EXIT_FAIL;
        }
        if (ntopics == 0)
            fprintf(stderr, "sluice-batch lag: group %s has no committed offsets; "
                    "name a --topic\n", group);
    }
    printf("%-24s %9s %12s %12s %10s  %s\n", "TOPIC", "PARTITION", "COMMITTED", "LOG-END",
           "LAG", "LAST-RECORD");
    for (int32_t i = 0; i < (topic ? 1 : ntopics); i++) {
        const char *t = topic ? topic : topics[i];
        int64_t newest = -1;
        char age[32];

        if (lag_topic(c, group, t, max_lag, &over_lag, &newest, &total)) {
            failed = true;
            continue;
        }
        fmt_age(newest >= 0 ? slc_wall_ms() - newest : -1, age, sizeof(age));
        if (max_stale >= 0 && (newest < 0 || slc_wall_ms() - newest > max_stale))
            over_stale = true;
        if (newest >= 0)
            printf("lag: group %s topic %s: newest record %s ago\n", group, t, age);
        else
            printf("lag: group %s topic %s: no records\n", group, t);
    }
    for (int32_t i = 0; i < ntopics; i++)
        free(topics[i]);
    free(topics);
    slc_client_free(c);
    printf("lag: group %s: total lag %" PRId64 "%s%s\n", group, total,
           over_lag ? "; above --max-lag" : "", over_stale ? "; staler than --max-staleness" : "");
    if (failed)
        return SLB_EXIT_FAIL;
    if (over_lag && over_stale)
        return SLB_EXIT_LAG_STALE;
    return over_lag ? SLB_EXIT_LAG : over_stale ? SLB_EXIT_STALE : SLB_EXIT_OK;
}
