/*
 * fuzz_request.c - the libFuzzer driver over frame, request and response
 * decoding and RecordBatch v2 parsing (STYLE.md 3.3 (4), habit 10).
 *
 * One input is looked at three ways:
 *
 * 1. A request frame, size prefix stripped, as broker/dispatch.c sees it:
 *    msg_req_header_peek + _finish, then the request decoder for that
 *    (api, version) from tests/fuzz/msg_codecs.h, into an arena with a
 *    limit.  A body that decodes is re-encoded (header + body), decoded
 *    again and re-encoded again: the two encodings must be equal and the
 *    second decode must consume every byte (encode and decode agree).  The
 *    record sets of a decoded Produce request go through step 3.
 * 2. A response frame as a client sees it, for the codec chosen by the
 *    input's last two bytes: [frame ...][api key][version]; a key with no
 *    codec picks one by index, a version outside the codec's range is
 *    taken modulo it (tests/corpus/responses holds seeds in this form).  Response header, then the
 *    response decoder, then the same encode/decode/encode check.
 * 3. Record batches: rec_set_check / rec_set_validate over the bytes, then
 *    each batch that rec_batch_peek accepts is copied, its CRC recomputed
 *    (so mutations get past the checksum), and walked with rec_iter and
 *    rec_header_next; rec_batch_set_log_append_time rewrites the copy.
 *
 * A broken contract (an error code a decoder must not return, a decoded
 * message that will not re-encode the same) prints what happened and
 * aborts, which libFuzzer reports as a crash.  Memory errors are ASan's
 * and UBSan's to find.
 *
 * The same function runs in the normal test build: tests/fuzz/replay_corpus.c
 * calls it on every golden frame and every file of tests/fuzz/corpus, so
 * ctest checks the corpus under ASan/UBSan in every run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/crc32c.h"
#include "protocol/header.h"
#include "protocol/records.h"
#include "tests/fuzz/msg_codecs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that a hostile count reaches SL_E_NOMEM within a short
 * input, large enough for every golden frame. */
#define FUZZ_ARENA_LIMIT (64u << 10)

#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fuzz_request: %s:%d: check failed: %s: ", __FILE__, \
                    __LINE__, #cond);                                           \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* An exact-size heap copy: ASan then sees a read one past the end, which
 * it would not inside a larger buffer. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);

    FUZZ_CHECK(q, "out of memory");
    if (n)
        memcpy(q, p, n);
    return q;
}

static void *scratch(size_t size)
{
    void *p = calloc(1, size);

    FUZZ_CHECK(p, "out of memory");
    return p;
}

static const char *api_label(int16_t key)
{
    const char *n = api_name(key);

    return n ? n : "?";
}

/* What any decoder may return. */
static int decode_err_ok(sl_err e)
{
    return e == SL_OK || e == SL_E_MALFORMED || e == SL_E_NOMEM;
}

/* --- 3. records ---------------------------------------------------------- */

static void fuzz_records(const uint8_t *data, size_t size)
{
    int32_t nb = -1;
    sl_err e;
    int v;
    size_t off = 0;

    e = rec_set_check(data, size, &nb);
    FUZZ_CHECK(e == SL_OK || e == SL_KE_CORRUPT_MESSAGE || e == SL_KE_INVALID_RECORD,
               "rec_set_check gave %d", e);
    FUZZ_CHECK(e != SL_OK || nb > 0, "rec_set_check ok with %d batches", nb);
    v = rec_set_validate(data, size);
    FUZZ_CHECK((e == SL_OK && v == nb) || (e != SL_OK && v == -(int)e),
               "rec_set_validate %d disagrees with rec_set_check %d/%d", v, e, nb);

    while (off < size) {
        rec_batch b;
        rec_iter it;
        rec_record rec;
        uint8_t *copy;
        size_t bsz;
        int32_t count = 0;

        if (rec_batch_peek(data + off, size - off, &b) != SL_OK)
            break;
        bsz = rec_batch_size(&b);
        FUZZ_CHECK(bsz >= REC_HEADER_SIZE && bsz <= size - off,
                   "peek accepted a %zu-byte batch in %zu bytes", bsz, size - off);
        copy = dup_exact(data + off, bsz);
        {
            uint32_t crc = crc32c(0, copy + 21, bsz - 21);

            copy[17] = (uint8_t)(crc >> 24);
            copy[18] = (uint8_t)(crc >> 16);
            copy[19] = (uint8_t)(crc >> 8);
            copy[20] = (uint8_t)crc;
        }
        {
            /* What Produce accepts: an uncompressed batch passes only if
             * its records walk cleanly, recordCount of them, with offset
             * deltas 0, 1, ... */
            int32_t one = 0;
            sl_err se = rec_set_check(copy, bsz, &one);
            bool walks = false;

            if (rec_batch_validate(copy, bsz, &b) == SL_OK &&
                !(b.attributes & REC_ATTR_CODEC_MASK) && rec_iter_init(&it, copy, bsz) == SL_OK) {
                int32_t n = 0;

                walks = true;
                while (rec_iter_next(&it, &rec))
                    if (rec.offset != (int64_t)((uint64_t)b.base_offset + (uint64_t)n++))
                        walks = false;
                walks = walks && it.err == SL_OK && n == b.record_count;
                FUZZ_CHECK((se == SL_OK) == walks, "rec_set_check %d but the walk says %d", se,
                           walks);
            }
            FUZZ_CHECK(se != SL_OK || one == 1, "one batch counted as %d", one);
        }
        (void)rec_batch_validate(copy, bsz, &b);
        if (rec_iter_init(&it, copy, bsz) == SL_OK) {
            while (rec_iter_next(&it, &rec)) {
                sl_bytes hr = rec.headers;
                rec_header h;
                sl_err he;
                int32_t nh = 0;

                FUZZ_CHECK(rec.key.null || rec.key.n <= bsz, "key of %zu bytes", rec.key.n);
                FUZZ_CHECK(rec.value.null || rec.value.n <= bsz, "value of %zu bytes",
                           rec.value.n);
                while (rec_header_next(&hr, &h, &he))
                    nh++;
                (void)nh;
                count++;
            }
            FUZZ_CHECK(it.err != SL_OK || count == b.record_count,
                       "iterator ended cleanly after %d of %d records", count,
                       b.record_count);
        }
        rec_batch_set_log_append_time(copy, bsz, 1700000000000LL);
        rec_batch_set_base_offset(copy, 42);
        rec_batch_set_leader_epoch(copy, 7);
        FUZZ_CHECK(rec_batch_peek(copy, bsz, &b) == SL_OK, "rewrites broke the header");
        free(copy);
        off += bsz;
    }
}

/* --- encode / decode agreement ------------------------------------------ */

/*
 * msg decoded from some input: encode it (after the header bytes in pre),
 * decode that, encode again; both encodings must be equal and the decode
 * must use every byte.  dec/enc are one codec direction.
 */
static void reencode_check(const msg_codec *c, int16_t v, bool request, const void *msg,
                           const msg_req_header *h)
{
    msg_codec_dec_fn dec = request ? c->req_dec : c->resp_dec;
    msg_codec_enc_fn enc = request ? c->req_enc : c->resp_enc;
    size_t msize = request ? c->req_size : c->resp_size;
    const char *dir = request ? "request" : "response";
    void *msg2 = scratch(msize);
    kbuf_wr w1, w2;
    kbuf_rd r;
    sl_arena a;
    uint8_t *copy;
    sl_err e;

    kbuf_wr_init(&w1, 256);
    if (h)
        msg_req_header_encode(&w1, h);
    enc(&w1, v, msg);
    if (w1.err == SL_E_NOMEM) {
        kbuf_wr_free(&w1);
        free(msg2);
        return;
    }
    FUZZ_CHECK(w1.err == SL_OK, "%s %s v%d: encoding a decoded message failed (%d)",
               api_label(c->key), dir, v, w1.err);

    copy = dup_exact(w1.p, w1.len);
    kbuf_rd_init(&r, copy, w1.len);
    if (h) {
        msg_req_header h2;

        e = msg_req_header_decode(&r, &h2);
        FUZZ_CHECK(e == SL_OK && h2.api_key == h->api_key &&
                       h2.api_version == h->api_version &&
                       h2.correlation_id == h->correlation_id &&
                       sl_bytes_eq(h2.client_id, h->client_id),
                   "%s v%d: the re-encoded header reads back differently (%d)",
                   api_label(c->key), v, e);
    }
    sl_arena_init(&a, FUZZ_ARENA_LIMIT);
    e = dec(&r, v, &a, msg2);
    if (e != SL_E_NOMEM) {
        FUZZ_CHECK(e == SL_OK, "%s %s v%d: its own encoding (%zu bytes) fails to decode: %d at "
                   "byte %zu, field %s", api_label(c->key), dir, v, w1.len, e, kbuf_offset(&r),
                   r.field ? r.field : "?");
        FUZZ_CHECK(kbuf_remaining(&r) == 0, "%s %s v%d: %zu of %zu bytes left after decoding "
                   "its own encoding", api_label(c->key), dir, v, kbuf_remaining(&r), w1.len);
        kbuf_wr_init(&w2, w1.len);
        if (h)
            msg_req_header_encode(&w2, h);
        enc(&w2, v, msg2);
        if (w2.err != SL_E_NOMEM) {
            size_t i;

            FUZZ_CHECK(w2.err == SL_OK, "%s %s v%d: second encoding failed (%d)",
                       api_label(c->key), dir, v, w2.err);
            for (i = 0; i < w1.len && i < w2.len && w1.p[i] == w2.p[i]; i++)
                ;
            FUZZ_CHECK(w1.len == w2.len && i == w1.len,
                       "%s %s v%d: encode(decode(encode(m))) differs from encode(m) at byte "
                       "%zu (lengths %zu, %zu)", api_label(c->key), dir, v, i, w2.len, w1.len);
        }
        kbuf_wr_free(&w2);
    }
    sl_arena_free(&a);
    free(copy);
    kbuf_wr_free(&w1);
    free(msg2);
}

/* --- 1. a request frame ------------------------------------------------- */

static void fuzz_produce_records(const msg_produce_req *req)
{
    for (int32_t t = 0; t < req->topic_data_count; t++)
        for (int32_t p = 0; p < req->topic_data[t].partition_data_count; p++) {
            sl_bytes rs = req->topic_data[t].partition_data[p].records;
            uint8_t *copy;

            if (rs.null)
                continue;
            copy = dup_exact(rs.p, rs.n);
            fuzz_records(copy, rs.n);
            free(copy);
        }
}

static void fuzz_request_frame(const uint8_t *data, size_t size)
{
    const msg_codec *c;
    msg_req_header h;
    kbuf_rd r;
    sl_arena a;
    void *msg;
    sl_err e;

    kbuf_rd_init(&r, data, size);
    if (msg_req_header_peek(&r, &h) != SL_OK)
        return;
    e = msg_req_header_finish(&r, &h);
    FUZZ_CHECK(e == SL_OK || e == SL_E_MALFORMED, "request header gave %d", e);
    if (e)
        return;
    c = msg_codec_find(h.api_key);
    if (!c || h.api_version < c->vmin || h.api_version > c->vmax)
        return;

    msg = scratch(c->req_size);
    sl_arena_init(&a, FUZZ_ARENA_LIMIT);
    e = c->req_dec(&r, h.api_version, &a, msg);
    FUZZ_CHECK(decode_err_ok(e), "%s request v%d: decoder gave %d", api_label(h.api_key),
               h.api_version, e);
    FUZZ_CHECK(kbuf_offset(&r) <= size, "reader ran past the frame");
    if (e == SL_OK) {
        reencode_check(c, h.api_version, true, msg, &h);
        if (h.api_key == API_PRODUCE)
            fuzz_produce_records(msg);
    }
    sl_arena_free(&a);
    free(msg);
}

/* --- 2. a response frame ------------------------------------------------ */

static void fuzz_response_frame(const uint8_t *data, size_t size)
{
    const msg_codec *c;
    int16_t v;
    int32_t corr;
    uint8_t *frame;
    size_t n;
    kbuf_rd r;
    sl_arena a;
    void *msg;
    sl_err e;

    if (size < 2)
        return;
    c = msg_codec_find(data[size - 2]);
    if (!c)
        c = &msg_codecs[data[size - 2] % MSG_CODECS_LEN];
    v = data[size - 1];
    if (v < c->vmin || v > c->vmax)
        v = (int16_t)(c->vmin + v % (c->vmax - c->vmin + 1));
    n = size - 2;
    frame = dup_exact(data, n);

    kbuf_rd_init(&r, frame, n);
    if (msg_resp_header_decode(&r, c->key, v, &corr) == SL_OK) {
        msg = scratch(c->resp_size);
        sl_arena_init(&a, FUZZ_ARENA_LIMIT);
        e = c->resp_dec(&r, v, &a, msg);
        FUZZ_CHECK(decode_err_ok(e), "%s response v%d: decoder gave %d", api_label(c->key), v,
                   e);
        if (e == SL_OK)
            reencode_check(c, v, false, msg, NULL);
        sl_arena_free(&a);
        free(msg);
    }
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_request_frame(data, size);
    fuzz_response_frame(data, size);
    fuzz_records(data, size);
    return 0;
}
