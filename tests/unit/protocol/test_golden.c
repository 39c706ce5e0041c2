/*
 * test_golden.c - golden frames: real request frames captured from the real
 * clients (tests/corpus/capture.py: kcat and confluent-kafka on librdkafka
 * 2.0.2, kafka-python 2.0.2, kafkajs 2.2.4) decode and re-encode
 * byte-identically (STYLE.md 3.3, "Tests that must exist" (1)).
 *
 * For every tests/corpus/frames/\*.hex: the request header
 * (msg_req_header_decode), then the body with the codec for (api, version)
 * from tests/fuzz/msg_codecs.h, must decode with no byte left over, and
 * header + body re-encoded must be the frame again, byte for byte.  A frame
 * whose API or version has no codec fails.  Every strict prefix of every
 * frame must fail cleanly with SL_E_MALFORMED (3.3 (2)), and the record
 * batches inside the Produce frames must validate and, when uncompressed,
 * iterate to exactly their record count.
 *
 * Coverage.  This test links only sl_protocol, so it cannot read the
 * broker's table (broker/dispatch.c); the synthetic round trips in
 * test_msg*.c cover every version of every codec.  Against the table as
 * advertised when the corpus was captured, the captured versions are:
 *   ApiVersions 0-3      0 (kafka-python), 2 (kafkajs), 3 (librdkafka)
 *   Metadata 0-12        0, 1, 5 (kafka-python), 4 (librdkafka), 6 (kafkajs)
 *   Produce 3-7          7 (all)
 *   Fetch 4-13           4 (kafka-python), 11 (librdkafka, kafkajs)
 *   ListOffsets 1-5      1 (kafka-python), 2 (librdkafka), 3 (kafkajs)
 *   OffsetCommit 2-8     2 (kafka-python), 5 (kafkajs), 7 (librdkafka)
 *   OffsetFetch 1-8      1, 3 (kafka-python), 4 (kafkajs), 7 (librdkafka)
 *   FindCoordinator 0-4  0 (kafka-python), 2 (librdkafka, kafkajs)
 *   JoinGroup 0-6        2 (kafka-python), 5 (librdkafka, kafkajs)
 *   SyncGroup 0-4        1 (kafka-python), 3 (librdkafka, kafkajs)
 *   Heartbeat 0-4        1 (kafka-python), 3 (librdkafka, kafkajs)
 *   LeaveGroup 0-4       1 (kafka-python, librdkafka), 3 (kafkajs)
 *   DescribeGroups 0-5   0 (confluent-kafka), 2 (kafkajs), 3 (kafka-python)
 *   ListGroups 0-4       0 (confluent-kafka), 1 (kafka-python), 2 (kafkajs)
 *   InitProducerId 0-4   1 (kafkajs), 4 (librdkafka)
 *   DeleteGroups 0-2     1 (kafka-python, kafkajs)
 *   OffsetDelete 0       none (no client here sends it)
 * Advertised versions with no captured frame: ApiVersions 1; Metadata 2, 3,
 * 7-12; Produce 3-6; Fetch 5-10, 12, 13; ListOffsets 4, 5; OffsetCommit 3,
 * 4, 6, 8; OffsetFetch 2, 5, 6, 8; FindCoordinator 1, 3, 4; JoinGroup 0,
 * 1, 3, 4, 6; SyncGroup 0, 2, 4; Heartbeat 0, 2, 4; LeaveGroup 0, 2, 4;
 * DescribeGroups 1, 4, 5; ListGroups 3, 4; InitProducerId 0, 2, 3;
 * DeleteGroups 0, 2; OffsetDelete 0.  Most of the flexible ones (Metadata
 * 12, Fetch 13, FindCoordinator 4, JoinGroup 6, ...) are what
 * @platformatic/kafka sends; it needs Node >= 22, which this machine lacks.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/header.h"
#include "protocol/records.h"
#include "tests/fuzz/corpus_files.h"
#include "tests/fuzz/msg_codecs.h"

#define FRAMES_DIR SLUICE_SOURCE_DIR "/tests/corpus/frames"
#define RESPONSES_DIR SLUICE_SOURCE_DIR "/tests/corpus/responses"
#define ARENA_LIMIT (4u << 20)

typedef struct frame {
    const char *path, *name; /* name: the file's base name */
    uint8_t *buf;            /* exactly len bytes */
    size_t len;
} frame;

static frame *frames;
static int nframes;

static void load_frames(void)
{
    char **paths;
    int n;

    paths = corpus_list(FRAMES_DIR, ".hex", &n);
    cr_assert(paths && n > 0, "no golden frames in %s", FRAMES_DIR);
    frames = calloc((size_t)n, sizeof *frames);
    cr_assert(frames);
    for (int i = 0; i < n; i++) {
        frame *f = &frames[i];

        f->path = paths[i];
        f->name = corpus_basename(paths[i]);
        f->buf = corpus_read_hex(paths[i], &f->len);
        cr_assert(f->buf, "%s: not a readable hex file", f->name);
    }
    free(paths); /* the strings stay, owned by frames[] */
    nframes = n;
}

static void free_frames(void)
{
    for (int i = 0; i < nframes; i++) {
        free(frames[i].buf);
        free((char *)frames[i].path);
    }
    free(frames);
    frames = NULL;
    nframes = 0;
}

TestSuite(golden, .init = load_frames, .fini = free_frames);

/* The header and, through the codec table, the body; SL_OK or the first
 * error.  *c is NULL when the API has no codec. */
static sl_err decode_frame(const uint8_t *buf, size_t len, sl_arena *a, msg_req_header *h,
                           void *body, const msg_codec **c, kbuf_rd *r)
{
    sl_err e;

    kbuf_rd_init(r, buf, len);
    *c = NULL;
    e = msg_req_header_decode(r, h);
    if (e)
        return e;
    *c = msg_codec_find(h->api_key);
    if (!*c || h->api_version < (*c)->vmin || h->api_version > (*c)->vmax)
        return SL_KE_UNSUPPORTED_VERSION;
    return (*c)->req_dec(r, h->api_version, a, body);
}

static bool same_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, size_t *at)
{
    size_t i;

    for (i = 0; i < an && i < bn && a[i] == b[i]; i++)
        ;
    *at = i;
    return an == bn && i == an;
}

Test(golden, every_client_is_there)
{
    static const char *const clients[] = { "kcat-", "kafka-python-", "confluent-kafka-",
                                           "kafkajs-" };

    for (size_t k = 0; k < sizeof clients / sizeof clients[0]; k++) {
        int n = 0;

        for (int i = 0; i < nframes; i++)
            n += strncmp(frames[i].name, clients[k], strlen(clients[k])) == 0;
        cr_expect(n > 0, "no golden frame from %.*s", (int)strlen(clients[k]) - 1, clients[k]);
    }
}

Test(golden, decode_and_reencode_byte_identical)
{
    void *body = malloc(msg_codecs_max_size());
    int ok = 0;

    cr_assert(body);
    for (int i = 0; i < nframes; i++) {
        const frame *f = &frames[i];
        const msg_codec *c;
        msg_req_header h;
        sl_arena a;
        kbuf_rd r;
        kbuf_wr w;
        sl_err e;
        size_t at;
        char label[64];

        sl_arena_init(&a, ARENA_LIMIT);
        memset(body, 0, msg_codecs_max_size());
        e = decode_frame(f->buf, f->len, &a, &h, body, &c, &r);
        if (e == SL_KE_UNSUPPORTED_VERSION) {
            cr_expect_fail("%s: no codec for %s (key %d) v%d", f->name,
                           api_name(h.api_key) ? api_name(h.api_key) : "an unknown API",
                           h.api_key, h.api_version);
            sl_arena_free(&a);
            continue;
        }
        if (e) {
            cr_expect_fail("%s: decode failed (%d) at byte %zu of %zu, field %s", f->name, e,
                           kbuf_offset(&r), f->len, r.field ? r.field : "?");
            sl_arena_free(&a);
            continue;
        }
        /* The file is named after what it holds. */
        snprintf(label, sizeof label, "-%s-v%d-", api_name(h.api_key),
                 h.api_version);
        cr_expect(strstr(f->name, label), "%s: holds %s (key %d) v%d", f->name,
                  api_name(h.api_key), h.api_key, h.api_version);
        cr_expect_eq(kbuf_remaining(&r), 0, "%s: %zu bytes left after the body", f->name,
                     kbuf_remaining(&r));

        kbuf_wr_init(&w, f->len);
        msg_req_header_encode(&w, &h);
        c->req_enc(&w, h.api_version, body);
        cr_expect_eq(w.err, SL_OK, "%s: encode failed (%d)", f->name, w.err);
        if (same_bytes(w.p, w.len, f->buf, f->len, &at))
            ok++;
        else
            cr_expect_fail("%s: re-encoding differs from byte %zu (lengths %zu vs %zu)",
                           f->name, at, w.len, f->len);
        kbuf_wr_free(&w);
        sl_arena_free(&a);
    }
    free(body);
    cr_log_info("%d of %d golden frames round-trip", ok, nframes);
    cr_expect_eq(ok, nframes);
}

Test(golden, every_truncation_is_malformed)
{
    void *body = malloc(msg_codecs_max_size());

    cr_assert(body);
    for (int i = 0; i < nframes; i++) {
        const frame *f = &frames[i];

        for (size_t n = 0; n < f->len; n++) {
            uint8_t *p = malloc(n ? n : 1); /* exactly n: ASan sees an over-read */
            const msg_codec *c;
            msg_req_header h;
            sl_arena a;
            kbuf_rd r;
            sl_err e;

            cr_assert(p);
            if (n)
                memcpy(p, f->buf, n);
            sl_arena_init(&a, ARENA_LIMIT);
            e = decode_frame(p, n, &a, &h, body, &c, &r);
            sl_arena_free(&a);
            free(p);
            if (e != SL_E_MALFORMED) {
                cr_expect_fail("%s: the first %zu of %zu bytes gave %d, not SL_E_MALFORMED",
                               f->name, n, f->len, e);
                break;
            }
        }
    }
    free(body);
}

/* One Produce frame's record sets: whole batches with valid CRCs, and the
 * uncompressed ones hold exactly recordCount well-formed records. */
static void check_produce_records(const frame *f, const msg_produce_req *req, int *batches)
{
    for (int32_t t = 0; t < req->topic_data_count; t++) {
        const msg_produce_req_topic *td = &req->topic_data[t];

        for (int32_t p = 0; p < td->partition_data_count; p++) {
            sl_bytes rs = td->partition_data[p].records;
            int32_t nb = 0;
            size_t off = 0;
            sl_err e;

            cr_expect(!rs.null, "%s: null records", f->name);
            if (rs.null)
                continue;
            e = rec_set_check(rs.p, rs.n, &nb);
            cr_expect_eq(e, SL_OK, "%s: rec_set_check gave %d", f->name, e);
            if (e)
                continue;
            cr_expect_gt(nb, 0);
            while (off < rs.n) {
                rec_batch b;
                rec_iter it;
                rec_record rec;
                int32_t count = 0;

                cr_assert_eq(rec_batch_peek(rs.p + off, rs.n - off, &b), SL_OK);
                e = rec_iter_init(&it, rs.p + off, rs.n - off);
                if (b.attributes & REC_ATTR_CODEC_MASK) {
                    cr_expect_eq(e, SL_KE_UNSUPPORTED_COMPRESSION_TYPE, "%s", f->name);
                } else {
                    cr_expect_eq(e, SL_OK, "%s: rec_iter_init gave %d", f->name, e);
                    while (rec_iter_next(&it, &rec)) {
                        sl_bytes hr = rec.headers;
                        rec_header hdr;
                        sl_err he;
                        int32_t nh = 0;

                        while (rec_header_next(&hr, &hdr, &he))
                            nh++;
                        cr_expect_eq(he, SL_OK, "%s: record header error %d", f->name, he);
                        cr_expect_eq(nh, rec.header_count, "%s", f->name);
                        count++;
                    }
                    cr_expect_eq(it.err, SL_OK, "%s: record %d: error %d", f->name, count,
                                 it.err);
                    cr_expect_eq(count, b.record_count, "%s", f->name);
                }
                off += rec_batch_size(&b);
                (*batches)++;
            }
        }
    }
}

Test(golden, produce_record_batches_are_valid)
{
    int produce = 0, batches = 0;

    for (int i = 0; i < nframes; i++) {
        const frame *f = &frames[i];
        const msg_codec *c;
        msg_req_header h;
        msg_produce_req req;
        sl_arena a;
        kbuf_rd r;

        kbuf_rd_init(&r, f->buf, f->len);
        if (msg_req_header_decode(&r, &h) || h.api_key != API_PRODUCE)
            continue;
        sl_arena_init(&a, ARENA_LIMIT);
        c = msg_codec_find(API_PRODUCE);
        cr_assert(c);
        if (msg_produce_req_decode(&r, h.api_version, &a, &req) == SL_OK) {
            check_produce_records(f, &req, &batches);
            produce++;
        }
        sl_arena_free(&a);
    }
    cr_expect_gt(produce, 0, "no Produce frame in the corpus");
    cr_log_info("%d Produce frames, %d record batches", produce, batches);
}

/*
 * tests/corpus/responses: the broker's responses to the same clients, as
 * fuzz inputs (frame, then api key and version bytes).  They are sluice's
 * own encodings, so not golden; this only makes sure they are what the
 * fuzzer's response path expects: each decodes whole with the codec its
 * trailer names and re-encodes to the same bytes.
 */
Test(golden, captured_responses_round_trip)
{
    void *body = malloc(msg_codecs_max_size());
    char **paths;
    int n, ok = 0;

    cr_assert(body);
    paths = corpus_list(RESPONSES_DIR, ".hex", &n);
    cr_assert(paths && n > 0, "no responses in %s", RESPONSES_DIR);
    for (int i = 0; i < n; i++) {
        const char *name = corpus_basename(paths[i]);
        size_t len, flen, at = 0;
        uint8_t *buf = corpus_read_hex(paths[i], &len);
        const msg_codec *c;
        int16_t v;
        int32_t corr;
        sl_arena a;
        kbuf_rd r;
        kbuf_wr w;
        sl_err e;

        cr_assert(buf && len >= 6, "%s: unreadable or too short", name);
        c = msg_codec_find(buf[len - 2]);
        v = buf[len - 1];
        flen = len - 2;
        if (!c || v < c->vmin || v > c->vmax) {
            cr_expect_fail("%s: no codec for key %d v%d", name, buf[len - 2], v);
            free(buf);
            continue;
        }
        sl_arena_init(&a, ARENA_LIMIT);
        memset(body, 0, msg_codecs_max_size());
        kbuf_rd_init(&r, buf, flen);
        e = msg_resp_header_decode(&r, c->key, v, &corr);
        if (!e)
            e = c->resp_dec(&r, v, &a, body);
        cr_expect_eq(e, SL_OK, "%s: decode failed (%d) at byte %zu, field %s", name, e,
                     kbuf_offset(&r), r.field ? r.field : "?");
        if (!e) {
            cr_expect_eq(kbuf_remaining(&r), 0, "%s: %zu bytes left", name,
                         kbuf_remaining(&r));
            kbuf_wr_init(&w, flen);
            msg_resp_header_encode(&w, c->key, v, corr);
            c->resp_enc(&w, v, body);
            if (w.err == SL_OK && same_bytes(w.p, w.len, buf, flen, &at))
                ok++;
            else
                cr_expect_fail("%s: re-encoding differs from byte %zu", name, at);
            kbuf_wr_free(&w);
        }
        sl_arena_free(&a);
        free(buf);
    }
    cr_log_info("%d of %d captured responses round-trip", ok, n);
    corpus_free_list(paths, n);
    free(body);
}
