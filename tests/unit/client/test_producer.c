/*
 * test_producer.c - slc_producer against a real sluiced: every codec and
 * acks setting round-trips through slc_consumer exactly (keys, values,
 * null and empty, headers, timestamps), idempotent batches carry the
 * producer id, a full buffer pushes back with SL_E_AGAIN, and delivery
 * reports give every record its offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_fixture.h"
#include "sluice.h"

static test_broker B;
static const char *const OVR[] = { "num.partitions=3", NULL };

static void setup(void) { test_broker_start(&B, OVR); }
static void teardown(void) { test_broker_stop(&B); }

TestSuite(producer, .init = setup, .fini = teardown, .timeout = 120);

typedef struct dr_state {
    int ok, failed;
    int64_t *offsets;   /* by record number */
    int32_t *parts;
} dr_state;

static void on_dr(void *ctx, const slc_delivery *d)
{
    dr_state *s = ctx;
    intptr_t i = (intptr_t)d->opaque;

    if (d->err) {
        s->failed++;
        return;
    }
    s->ok++;
    s->offsets[i] = d->offset;
    s->parts[i] = d->partition;
}

static slc_client *client(void)
{
    char err[256];
    slc_conf conf;
    slc_client *c;

    slc_conf_init(&conf);
    conf.bootstrap = B.bootstrap;
    c = slc_client_new(&conf, err, sizeof(err));
    cr_assert_not_null(c, "%s", err);
    return c;
}

#define N 3000

static void key_of(int i, char *buf, size_t n) { snprintf(buf, n, "key-%d", i % 97); }
static void value_of(int i, char *buf, size_t n)
{
    snprintf(buf, n, "value %d %.*s", i, i % 200, "abcdefghijklmnopqrstuvwxyz0123456789"
             "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
             "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
             "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij");
}

/* Produce N records (some null keys, empty values, headers) and read them
 * all back; compare field by field. */
static void round_trip(const char *topic, int codec, int acks, bool idempotent)
{
    slc_client *c = client();
    slc_producer_conf pc;
    slc_producer *p;
    dr_state s = { 0, 0, calloc(N, sizeof(int64_t)), calloc(N, sizeof(int32_t)) };
    int64_t base_ts = 1700000000000;
    int seen = 0;

    slc_producer_conf_init(&pc);
    pc.compression = codec;
    pc.acks = acks;
    pc.idempotent = idempotent;
    pc.batch_bytes = 16384;
    pc.on_delivery = on_dr;
    pc.ctx = &s;
    p = slc_producer_new(c, &pc);
    for (int i = 0; i < N; i++) {
        char k[32], v[300];
        rec_header h[2];
        sl_err e;

        key_of(i, k, sizeof(k));
        value_of(i, v, sizeof(v));
        h[0] = (rec_header){ sl_bytes_str("n"), sl_bytes_str(k) };
        h[1] = (rec_header){ sl_bytes_str("nullv"), SL_BYTES_NULL };
        do {
            e = slc_produce(p, topic, SLC_PARTITION_ANY,
                            i % 10 == 0 ? SL_BYTES_NULL : sl_bytes_str(k),
                            i % 50 == 0 ? sl_bytes_make("", 0) : sl_bytes_str(v), h,
                            i % 3 ? 1 + (i % 2) : 0, base_ts + i, (void *)(intptr_t)i);
            if (e == SL_E_AGAIN)
                slc_producer_poll(p, 100);
        } while (e == SL_E_AGAIN);
        cr_assert_eq(e, SL_OK, "produce %d: %s (%s)", i, sl_err_name(e),
                     slc_client_errstr(c));
    }
    cr_assert_eq(slc_producer_flush(p, 30000), SL_OK, "%s", slc_client_errstr(c));
    cr_assert_eq(s.failed, 0);
    cr_assert_eq(s.ok, N);
    slc_producer_free(p);

    slc_consumer_conf cc;
    slc_consumer_conf_init(&cc);
    slc_consumer *k = slc_consumer_new(c, &cc);
    int32_t parts[3] = { 0, 1, 2 };
    int *got = calloc(N, sizeof(int));

    cr_assert_eq(slc_consumer_assign(k, topic, 3, parts, NULL), SL_OK);
    while (seen < N) {
        const slc_message *m;
        sl_err e = slc_consumer_poll(k, 5000, &m);
        char v[300], kk[32];
        int i;

        cr_assert_eq(e, SL_OK, "poll after %d: %s (%s)", seen, sl_err_name(e),
                     slc_client_errstr(c));
        cr_assert_eq(m->err, SL_OK, "message error %s", sl_err_name(m->err));
        i = (int)(m->timestamp - base_ts);
        cr_assert(i >= 0 && i < N, "timestamp %lld", (long long)m->timestamp);
        cr_assert_eq(got[i], 0, "record %d twice", i);
        got[i] = 1;
        seen++;
        key_of(i, kk, sizeof(kk));
        value_of(i, v, sizeof(v));
        if (i % 10 == 0)
            cr_assert(m->key.null);
        else
            cr_assert(sl_bytes_eq_str(m->key, kk));
        if (i % 50 == 0)
            cr_assert(!m->value.null && m->value.n == 0);
        else
            cr_assert(sl_bytes_eq_str(m->value, v), "value of %d", i);
        cr_assert_eq(m->header_count, i % 3 ? 1 + (i % 2) : 0);
        if (m->header_count) {
            cr_assert(sl_bytes_eq_str(m->headers[0].key, "n"));
            cr_assert(sl_bytes_eq_str(m->headers[0].value, kk));
        }
        if (m->header_count > 1)
            cr_assert(m->headers[1].value.null);
        if (acks != 0) {
            cr_assert_eq(m->offset, s.offsets[i]);
            cr_assert_eq(m->partition, s.parts[i]);
        }
        if (idempotent)
            cr_assert_geq(m->producer_id, 0);
        else
            cr_assert_eq(m->producer_id, -1);
    }
    free(got);
    free(s.offsets);
    free(s.parts);
    slc_consumer_free(k);
    slc_client_free(c);
}

Test(producer, none_idempotent) { round_trip("t-none", SLC_CODEC_NONE, -1, true); }
Test(producer, gzip) { round_trip("t-gzip", SLC_CODEC_GZIP, -1, true); }
Test(producer, lz4) { round_trip("t-lz4", SLC_CODEC_LZ4, -1, true); }
Test(producer, zstd) { round_trip("t-zstd", SLC_CODEC_ZSTD, -1, true); }
Test(producer, snappy) { round_trip("t-snappy", SLC_CODEC_SNAPPY, -1, true); }
Test(producer, acks1_plain) { round_trip("t-acks1", SLC_CODEC_LZ4, 1, false); }
Test(producer, acks0_plain) { round_trip("t-acks0", SLC_CODEC_NONE, 0, false); }

Test(producer, backpressure)
{
    slc_client *c = client();
    slc_producer_conf pc;
    slc_producer *p;
    char v[1000];
    int again = 0;
    sl_err e;

    memset(v, 'x', sizeof(v));
    slc_producer_conf_init(&pc);
    pc.buffer_bytes = 20000;
    pc.linger_ms = 1000;
    p = slc_producer_new(c, &pc);
    for (int i = 0; i < 200; i++) {
        while ((e = slc_produce(p, "t-bp", 0, SL_BYTES_NULL, sl_bytes_make(v, sizeof(v)), NULL,
                                0, -1, NULL)) == SL_E_AGAIN) {
            again++;
            cr_assert_leq(slc_producer_pending(p), 20);
            slc_producer_poll(p, 100);
        }
        cr_assert_eq(e, SL_OK);
    }
    cr_assert_gt(again, 0, "a 20 kB buffer never pushed back");
    cr_assert_eq(slc_producer_flush(p, 30000), SL_OK);
    cr_assert_eq(slc_producer_pending(p), 0);
    slc_producer_free(p);
    slc_client_free(c);
}

Test(producer, unknown_partition)
{
    slc_client *c = client();
    slc_producer_conf pc;
    slc_producer *p;

    slc_producer_conf_init(&pc);
    p = slc_producer_new(c, &pc);
    cr_assert_eq(slc_produce(p, "t-up", 7, SL_BYTES_NULL, sl_bytes_str("x"), NULL, 0, -1, NULL),
                 SL_KE_UNKNOWN_TOPIC_OR_PARTITION);
    slc_producer_free(p);
    slc_client_free(c);
}
