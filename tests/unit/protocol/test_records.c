/*
 * test_records.c - protocol/records.c: RecordBatch v2 validation, in-place
 * rewrites, the record iterator and the builder.
 *
 * Batches come from the builder, from a byte-exact golden batch (encoded
 * independently from the spec in PROTOCOL.md section 8), and from
 * make_batch(), which wraps a hand-written records region in a header so a
 * test can break one rule at a time and still carry a valid CRC.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/crc32c.h"
#include "protocol/records.h"

#define BASE_TS 1700000000000LL

/* Two records: key "key", value "value", header h1=x at BASE_TS; then null
 * key, null value, no header at BASE_TS + 5. */
static const uint8_t golden[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x48, 0x31, 0xfa, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68,
    0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0x00, 0x00, 0x00, 0x02, 0x26, 0x00, 0x00, 0x00, 0x06, 0x6b, 0x65, 0x79, 0x0a,
    0x76, 0x61, 0x6c, 0x75, 0x65, 0x02, 0x04, 0x68, 0x31, 0x02, 0x78, 0x0c, 0x00, 0x0a,
    0x02, 0x01, 0x01, 0x00,
};

/* --- helpers ------------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fix_crc(uint8_t *p, size_t len)
{
    put32(p + 17, crc32c(0, p + 21, len - 21));
}

/* A header around `body` (records region), producer -1, valid CRC. */
static uint8_t *make_batch(const void *body, size_t body_len, int32_t count,
                           int32_t last_delta, size_t *len)
{
    uint8_t *p = calloc(1, 61 + body_len);

    cr_assert_not_null(p);
    put64(p, 0);
    put32(p + 8, (uint32_t)(49 + body_len));
    p[16] = 2;
    put32(p + 23, (uint32_t)last_delta);
    put64(p + 27, (uint64_t)BASE_TS);
    put64(p + 35, (uint64_t)BASE_TS);
    put64(p + 43, (uint64_t)-1);
    put16(p + 51, 0xffff);
    put32(p + 53, 0xffffffffu);
    put32(p + 57, (uint32_t)count);
    if (body_len)
        memcpy(p + 61, body, body_len);
    *len = 61 + body_len;
    fix_crc(p, *len);
    return p;
}

static uint8_t *build_golden_input(size_t *len)
{
    rec_builder *b = rec_builder_new(BASE_TS);
    rec_header h = { sl_bytes_str("h1"), sl_bytes_str("x") };
    uint8_t *p;

    cr_assert_not_null(b);
    cr_assert_eq(rec_builder_add(b, BASE_TS, sl_bytes_str("key"), sl_bytes_str("value"), &h, 1),
                 SL_OK);
    cr_assert_eq(rec_builder_add(b, BASE_TS + 5, SL_BYTES_NULL, SL_BYTES_NULL, NULL, 0), SL_OK);
    p = rec_builder_finish(b, len);
    rec_builder_free(b);
    cr_assert_not_null(p);
    return p;
}

/* A batch of n records with distinct keys, for rewrites and sets. */
static uint8_t *build_n(int n, size_t *len)
{
    rec_builder *b = rec_builder_new(BASE_TS);
    uint8_t *p;
    char key[16];

    cr_assert_not_null(b);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        cr_assert_eq(rec_builder_add(b, BASE_TS + i, sl_bytes_str(key), sl_bytes_str("v"),
                                     NULL, 0), SL_OK);
    }
    cr_assert_eq(rec_builder_count(b), n);
    p = rec_builder_finish(b, len);
    rec_builder_free(b);
    cr_assert_not_null(p);
    return p;
}

/* An exact-size heap copy of the first n bytes: ASan catches an over-read. */
static uint8_t *copy_n(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);

    cr_assert_not_null(q);
    if (n)
        memcpy(q, p, n);
    return q;
}

static uint8_t *concat(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, size_t *n)
{
    uint8_t *p = malloc(an + bn);

    cr_assert_not_null(p);
    memcpy(p, a, an);
    memcpy(p + an, b, bn);
    *n = an + bn;
    return p;
}

/* --- builder and golden bytes ------------------------------------------- */

Test(records, builder_matches_golden_bytes)
{
    size_t len;
    uint8_t *p = build_golden_input(&len);

    cr_assert_eq(len, sizeof(golden));
    for (size_t i = 0; i < len; i++)
        cr_expect_eq(p[i], golden[i], "byte %zu: %02x != %02x", i, p[i], golden[i]);
    free(p);
}

Test(records, golden_header_fields)
{
    rec_batch b;

    cr_assert_eq(rec_batch_validate(golden, sizeof(golden), &b), SL_OK);
    cr_expect_eq(b.base_offset, 0);
    cr_expect_eq(b.batch_length, (int32_t)sizeof(golden) - REC_LOG_OVERHEAD);
    cr_expect_eq(rec_batch_size(&b), sizeof(golden));
    cr_expect_eq(b.leader_epoch, 0);
    cr_expect_eq(b.magic, 2);
    cr_expect_eq(b.crc, 0x4831fabfu);
    cr_expect_eq(b.attributes, 0);
    cr_expect_eq(b.last_offset_delta, 1);
    cr_expect_eq(b.base_timestamp, BASE_TS);
    cr_expect_eq(b.max_timestamp, BASE_TS + 5);
    cr_expect_eq(b.producer_id, -1);
    cr_expect_eq(b.producer_epoch, -1);
    cr_expect_eq(b.base_sequence, -1);
    cr_expect_eq(b.record_count, 2);
}

/* Null key, null value, empty key and value, headers with a null value. */
Test(records, build_validate_iterate_round_trip)
{
    rec_builder *b = rec_builder_new(BASE_TS);
    rec_header hs[3] = {
        { sl_bytes_str("trace"), sl_bytes_make("\x00\x01\x02", 3) },
        { sl_bytes_str("nullv"), SL_BYTES_NULL },
        { sl_bytes_make("", 0), sl_bytes_make("", 0) },
    };
    struct {
        int64_t ts;
        sl_bytes key, value;
        int32_t nh;
    } in[] = {
        { BASE_TS + 3, sl_bytes_str("k0"), sl_bytes_str("value zero"), 0 },
        { BASE_TS - 10, SL_BYTES_NULL, sl_bytes_str("no key"), 3 },
        { BASE_TS + 1000, sl_bytes_str("tombstone"), SL_BYTES_NULL, 1 },
        { BASE_TS, sl_bytes_make("", 0), sl_bytes_make("", 0), 0 },
    };
    const int n = (int)(sizeof(in) / sizeof(in[0]));
    uint8_t *p;
    size_t len;
    rec_batch hdr;
    rec_iter it;
    rec_record r;
    int i;

    cr_assert_not_null(b);
    for (i = 0; i < n; i++)
        cr_assert_eq(rec_builder_add(b, in[i].ts, in[i].key, in[i].value,
                                     in[i].nh ? hs : NULL, in[i].nh), SL_OK);
    p = rec_builder_finish(b, &len);
    rec_builder_free(b);
    cr_assert_not_null(p);

    cr_assert_eq(rec_batch_validate(p, len, &hdr), SL_OK);
    cr_expect_eq(rec_batch_size(&hdr), len);
    cr_expect_eq(hdr.record_count, n);
    cr_expect_eq(hdr.last_offset_delta, n - 1);
    cr_expect_eq(hdr.max_timestamp, BASE_TS + 1000);
    cr_expect_eq(hdr.base_timestamp, BASE_TS);
    cr_expect_eq(rec_set_validate(p, len), 1);

    cr_assert_eq(rec_iter_init(&it, p, len), SL_OK);
    for (i = 0; rec_iter_next(&it, &r); i++) {
        sl_bytes region = r.headers;
        rec_header h;
        sl_err e;
        int32_t nh = 0;

        cr_assert_lt(i, n);
        cr_expect_eq(r.offset, i);
        cr_expect_eq(r.timestamp, in[i].ts, "record %d", i);
        cr_expect_eq(r.attributes, 0);
        cr_expect(sl_bytes_eq(r.key, in[i].key), "record %d key", i);
        cr_expect(sl_bytes_eq(r.value, in[i].value), "record %d value", i);
        cr_expect_eq(r.key.null, in[i].key.null, "record %d key null", i);
        cr_expect_eq(r.value.null, in[i].value.null, "record %d value null", i);
        cr_expect_eq(r.header_count, in[i].nh);
        while (rec_header_next(&region, &h, &e)) {
            cr_assert_lt(nh, in[i].nh);
            cr_expect(sl_bytes_eq(h.key, hs[nh].key), "record %d header %d key", i, nh);
            cr_expect(sl_bytes_eq(h.value, hs[nh].value), "record %d header %d value", i, nh);
            nh++;
        }
        cr_expect_eq(e, SL_OK);
        cr_expect_eq(nh, in[i].nh);
        /* Borrowed: the slices point into the batch. */
        if (!r.value.null && r.value.n)
            cr_expect(r.value.p > p && r.value.p + r.value.n <= p + len);
    }
    cr_expect_eq(i, n);
    cr_expect_eq(it.err, SL_OK);
    cr_expect(!rec_iter_next(&it, &r), "stays at the end");
    free(p);
}

/* The records region written by hand: null key, value "abc", no headers. */
Test(records, builder_record_encoding_is_exact)
{
    static const uint8_t want[] = { 0x12, 0x00, 0x00, 0x00, 0x01, 0x06, 'a', 'b', 'c', 0x00 };
    rec_builder *b = rec_builder_new(BASE_TS);
    uint8_t *p;
    size_t len;

    cr_assert_eq(rec_builder_add(b, BASE_TS, SL_BYTES_NULL, sl_bytes_str("abc"), NULL, 0), SL_OK);
    p = rec_builder_finish(b, &len);
    rec_builder_free(b);
    cr_assert_eq(len, REC_HEADER_SIZE + sizeof(want));
    cr_expect_eq(memcmp(p + REC_HEADER_SIZE, want, sizeof(want)), 0);
    free(p);
}

Test(records, builder_rejects_bad_arguments)
{
    rec_builder *b = rec_builder_new(0);
    rec_header nullkey = { SL_BYTES_NULL, sl_bytes_str("v") };

    cr_assert_not_null(b);
    cr_expect_eq(rec_builder_add(b, 0, SL_BYTES_NULL, SL_BYTES_NULL, NULL, -1), SL_E_INVAL);
    cr_expect_eq(rec_builder_add(b, 0, SL_BYTES_NULL, SL_BYTES_NULL, NULL, 1), SL_E_INVAL);
    cr_expect_eq(rec_builder_add(b, 0, SL_BYTES_NULL, SL_BYTES_NULL, &nullkey, 1), SL_E_INVAL);
    cr_expect_eq(rec_builder_count(b), 0, "a refused record is not counted");
    rec_builder_free(b);
    rec_builder_free(NULL);
}

/* An empty builder still yields a well-framed batch, which validation then
 * refuses (recordCount 0). */
Test(records, empty_builder_batch_is_invalid_record)
{
    rec_builder *b = rec_builder_new(BASE_TS);
    size_t len;
    uint8_t *p = rec_builder_finish(b, &len);
    rec_batch hdr;

    rec_builder_free(b);
    cr_assert_not_null(p);
    cr_assert_eq(len, REC_HEADER_SIZE);
    cr_expect_eq(rec_batch_peek(p, len, &hdr), SL_OK);
    cr_expect_eq(hdr.record_count, 0);
    cr_expect_eq(rec_batch_validate(p, len, NULL), SL_KE_INVALID_RECORD);
    free(p);
}

/* --- framing ------------------------------------------------------------ */

Test(records, every_truncation_is_short)
{
    size_t len;
    uint8_t *p = build_n(3, &len);

    for (size_t n = 0; n < len; n++) {
        uint8_t *q = copy_n(p, n);
        rec_batch b;
        rec_iter it;

        cr_assert_eq(rec_batch_peek(q, n, &b), SL_E_SHORT, "peek at %zu of %zu", n, len);
        cr_assert_eq(rec_batch_validate(q, n, &b), SL_E_SHORT, "validate at %zu of %zu", n, len);
        cr_assert_eq(rec_iter_init(&it, q, n), SL_E_SHORT, "iter at %zu of %zu", n, len);
        cr_assert_eq(rec_set_validate(q, n), -SL_KE_CORRUPT_MESSAGE, "set at %zu", n);
        free(q);
    }
    free(p);
}

/* Bytes after the batch belong to the next one: not this batch's problem. */
Test(records, trailing_bytes_after_batch_are_ignored)
{
    uint8_t buf[sizeof(golden) + 7];
    rec_batch b;

    memcpy(buf, golden, sizeof(golden));
    memset(buf + sizeof(golden), 0xee, 7);
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), &b), SL_OK);
    cr_expect_eq(rec_batch_size(&b), sizeof(golden));
}

Test(records, impossible_length_is_malformed)
{
    uint8_t buf[sizeof(golden)];

    memcpy(buf, golden, sizeof(golden));
    put32(buf + 8, 48); /* one short of an empty batch's header */
    cr_expect_eq(rec_batch_peek(buf, REC_LOG_OVERHEAD, NULL), SL_E_MALFORMED,
                 "known from the first 12 bytes");
    cr_expect_eq(rec_batch_peek(buf, sizeof(buf), NULL), SL_E_MALFORMED);
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_KE_CORRUPT_MESSAGE);
    put32(buf + 8, 0x80000000u); /* negative */
    cr_expect_eq(rec_batch_peek(buf, sizeof(buf), NULL), SL_E_MALFORMED);
    cr_expect_eq(rec_set_validate(buf, sizeof(buf)), -SL_KE_CORRUPT_MESSAGE);
    put32(buf + 8, 49); /* possible, but the CRC no longer matches */
    cr_expect_eq(rec_batch_peek(buf, sizeof(buf), NULL), SL_OK);
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_KE_CORRUPT_MESSAGE);
}

Test(records, longer_length_is_short)
{
    uint8_t buf[sizeof(golden)];

    memcpy(buf, golden, sizeof(golden));
    put32(buf + 8, get32(buf + 8) + 1);
    cr_expect_eq(rec_batch_peek(buf, sizeof(buf), NULL), SL_E_SHORT);
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_E_SHORT);
}

Test(records, wrong_magic)
{
    static const int8_t magics[] = { 0, 1, 3, -1 };
    uint8_t buf[sizeof(golden)];
    rec_iter it;

    for (size_t i = 0; i < sizeof(magics); i++) {
        memcpy(buf, golden, sizeof(golden));
        buf[16] = (uint8_t)magics[i];
        cr_expect_eq(rec_batch_peek(buf, sizeof(buf), NULL), SL_E_MALFORMED, "magic %d",
                     magics[i]);
        cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_KE_CORRUPT_MESSAGE,
                     "magic %d", magics[i]);
        cr_expect_eq(rec_iter_init(&it, buf, sizeof(buf)), SL_E_MALFORMED);
        cr_expect_eq(rec_set_validate(buf, sizeof(buf)), -SL_KE_CORRUPT_MESSAGE);
    }
}

/* --- CRC ---------------------------------------------------------------- */

Test(records, bad_crc_is_corrupt_message)
{
    uint8_t buf[sizeof(golden)];
    rec_iter it;

    memcpy(buf, golden, sizeof(golden));
    buf[17] ^= 0x01;
    cr_expect_eq(rec_batch_peek(buf, sizeof(buf), NULL), SL_OK, "peek skips the CRC");
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_KE_CORRUPT_MESSAGE);
    cr_expect_eq(rec_iter_init(&it, buf, sizeof(buf)), SL_KE_CORRUPT_MESSAGE);
}

/* The CRC covers bytes 21..end and nothing before. */
Test(records, crc_coverage)
{
    uint8_t buf[sizeof(golden)];

    for (size_t i = 0; i < sizeof(golden); i++) {
        sl_err want;

        if (i == 8 || i == 9 || i == 10 || i == 11 || i == 16)
            continue; /* batchLength and magic: framing, tested above */
        memcpy(buf, golden, sizeof(golden));
        buf[i] ^= 0x40;
        want = (i < 17) ? SL_OK : SL_KE_CORRUPT_MESSAGE;
        cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), want, "byte %zu", i);
    }
}

/* --- Kafka's LogValidator rules ----------------------------------------- */

static sl_err validate_with(size_t off, int width, int64_t v)
{
    uint8_t buf[sizeof(golden)];

    memcpy(buf, golden, sizeof(golden));
    if (width == 2)
        put16(buf + off, (uint16_t)v);
    else if (width == 4)
        put32(buf + off, (uint32_t)v);
    else
        put64(buf + off, (uint64_t)v);
    fix_crc(buf, sizeof(buf));
    return rec_batch_validate(buf, sizeof(buf), NULL);
}

Test(records, last_offset_delta_mismatch_is_invalid_record)
{
    cr_expect_eq(validate_with(23, 4, 0), SL_KE_INVALID_RECORD);
    cr_expect_eq(validate_with(23, 4, 2), SL_KE_INVALID_RECORD);
    cr_expect_eq(validate_with(23, 4, -1), SL_KE_INVALID_RECORD);
    cr_expect_eq(validate_with(23, 4, 1), SL_OK, "the control case");
}

Test(records, record_count_rules)
{
    uint8_t buf[sizeof(golden)];

    /* count 0 with lastOffsetDelta -1 agrees with itself, yet is refused. */
    memcpy(buf, golden, sizeof(golden));
    put32(buf + 23, (uint32_t)-1);
    put32(buf + 57, 0);
    fix_crc(buf, sizeof(buf));
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_KE_INVALID_RECORD);
    cr_expect_eq(validate_with(57, 4, -5), SL_KE_INVALID_RECORD);
    cr_expect_eq(validate_with(57, 4, 3), SL_KE_INVALID_RECORD);
}

Test(records, control_batch_from_client_is_invalid_record)
{
    cr_expect_eq(validate_with(21, 2, REC_ATTR_CONTROL), SL_KE_INVALID_RECORD);
    cr_expect_eq(validate_with(21, 2, REC_ATTR_CONTROL | REC_ATTR_TRANSACTIONAL),
                 SL_KE_INVALID_RECORD);
    cr_expect_eq(validate_with(21, 2, REC_ATTR_TRANSACTIONAL), SL_OK);
}

Test(records, producer_id_needs_a_sequence)
{
    uint8_t buf[sizeof(golden)];

    memcpy(buf, golden, sizeof(golden));
    put64(buf + 43, 1000); /* producerId */
    put16(buf + 51, 0);    /* producerEpoch */
    fix_crc(buf, sizeof(buf));
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_KE_INVALID_RECORD,
                 "baseSequence -1");
    put32(buf + 53, 0);
    fix_crc(buf, sizeof(buf));
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_OK);
    put32(buf + 53, 0x80000000u);
    fix_crc(buf, sizeof(buf));
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_KE_INVALID_RECORD);
}

/* The produce path never decompresses: a compressed batch validates, and the
 * iterator refuses it. */
Test(records, compressed_batch_validates_but_does_not_iterate)
{
    uint8_t buf[sizeof(golden)];
    rec_iter it;

    memcpy(buf, golden, sizeof(golden));
    put16(buf + 21, 4); /* zstd */
    fix_crc(buf, sizeof(buf));
    cr_expect_eq(rec_batch_validate(buf, sizeof(buf), NULL), SL_OK);
    cr_expect_eq(rec_iter_init(&it, buf, sizeof(buf)), SL_KE_UNSUPPORTED_COMPRESSION_TYPE);
    cr_expect(!rec_iter_next(&it, &(rec_record){ 0 }));
}

/* --- rewrites ----------------------------------------------------------- */

Test(records, base_offset_and_epoch_rewrite_keep_crc)
{
    size_t len;
    uint8_t *p = build_n(3, &len);
    uint32_t crc = get32(p + 17);
    rec_batch b;
    rec_iter it;
    rec_record r;
    int i;

    rec_batch_set_base_offset(p, 1234567890123LL);
    rec_batch_set_leader_epoch(p, 7);
    cr_expect_eq(get32(p + 17), crc, "CRC field untouched");
    cr_assert_eq(rec_batch_validate(p, len, &b), SL_OK);
    cr_expect_eq(b.base_offset, 1234567890123LL);
    cr_expect_eq(b.leader_epoch, 7);
    cr_assert_eq(rec_iter_init(&it, p, len), SL_OK);
    for (i = 0; rec_iter_next(&it, &r); i++)
        cr_expect_eq(r.offset, 1234567890123LL + i);
    cr_expect_eq(i, 3);
    cr_expect_eq(it.err, SL_OK);
    free(p);
}

Test(records, log_append_time_rewrite)
{
    const int64_t now = BASE_TS + 999999;
    size_t len;
    uint8_t *p = build_n(3, &len);
    uint32_t crc = get32(p + 17);
    rec_batch b;
    rec_iter it;
    rec_record r;
    int i;

    rec_batch_set_log_append_time(p, len, now);
    cr_expect_neq(get32(p + 17), crc, "CRC recomputed");
    cr_assert_eq(rec_batch_validate(p, len, &b), SL_OK);
    cr_expect(b.attributes & REC_ATTR_LOG_APPEND_TIME);
    cr_expect_eq(b.attributes & ~REC_ATTR_LOG_APPEND_TIME, 0, "other bits untouched");
    cr_expect_eq(b.max_timestamp, now);
    cr_expect_eq(b.base_timestamp, BASE_TS, "base timestamp kept");
    cr_assert_eq(rec_iter_init(&it, p, len), SL_OK);
    for (i = 0; rec_iter_next(&it, &r); i++)
        cr_expect_eq(r.timestamp, now, "record %d takes the append time", i);
    cr_expect_eq(i, 3);

    /* Idempotent, and keeps codec bits (a compressed batch may get it). */
    rec_batch_set_log_append_time(p, len, now);
    cr_expect_eq(rec_batch_validate(p, len, NULL), SL_OK);
    put16(p + 21, 1);
    fix_crc(p, len);
    rec_batch_set_log_append_time(p, len, now + 1);
    cr_assert_eq(rec_batch_validate(p, len, &b), SL_OK);
    cr_expect_eq(b.attributes, 1 | REC_ATTR_LOG_APPEND_TIME);
    cr_expect_eq(b.max_timestamp, now + 1);
    free(p);
}

/* Given a buffer longer than the batch, the CRC still covers the batch only;
 * given a truncated one, nothing is written. */
Test(records, log_append_time_uses_the_batch_length)
{
    size_t l1, l2, n;
    uint8_t *b1 = build_n(2, &l1), *b2 = build_n(3, &l2);
    uint8_t *set = concat(b1, l1, b2, l2, &n);

    rec_batch_set_log_append_time(set, n, BASE_TS + 1);
    cr_expect_eq(rec_set_validate(set, n), 2);
    rec_batch_set_log_append_time(set + l1, l2 - 1, BASE_TS + 2);
    cr_expect_eq(memcmp(set + l1, b2, l2), 0, "truncated batch left alone");
    free(set);
    free(b1);
    free(b2);
}

/* --- sets of batches ---------------------------------------------------- */


Test(records, set_of_two_batches)
{
    size_t l1, l2, n;
    uint8_t *b1 = build_n(1, &l1), *b2 = build_n(4, &l2);
    uint8_t *set = concat(b1, l1, b2, l2, &n);
    int32_t count = -1;

    cr_expect_eq(rec_set_validate(set, n), 2);
    cr_expect_eq(rec_set_check(set, n, &count), SL_OK);
    cr_expect_eq(count, 2);
    free(set);
    free(b1);
    free(b2);
}

Test(records, set_with_partial_trailing_batch)
{
    size_t l1, l2, n;
    uint8_t *b1 = build_n(2, &l1), *b2 = build_n(2, &l2);
    uint8_t *set = concat(b1, l1, b2, l2, &n);
    int32_t count = -1;

    for (size_t cut = 1; cut < l2; cut++) {
        uint8_t *q = copy_n(set, n - cut);

        cr_assert_eq(rec_set_validate(q, n - cut), -SL_KE_CORRUPT_MESSAGE, "cut %zu", cut);
        cr_assert_eq(rec_set_check(q, n - cut, &count), SL_KE_CORRUPT_MESSAGE);
        cr_assert_eq(count, 0);
        free(q);
    }
    free(set);
    free(b1);
    free(b2);
}

Test(records, set_empty_is_corrupt)
{
    int32_t count = -1;

    cr_expect_eq(rec_set_validate(golden, 0), -SL_KE_CORRUPT_MESSAGE);
    cr_expect_eq(rec_set_check(NULL, 0, &count), SL_KE_CORRUPT_MESSAGE);
    cr_expect_eq(count, 0);
}

Test(records, set_reports_the_bad_batch_error)
{
    uint8_t buf[2 * sizeof(golden)];
    int32_t count;

    memcpy(buf, golden, sizeof(golden));
    memcpy(buf + sizeof(golden), golden, sizeof(golden));
    cr_expect_eq(rec_set_validate(buf, sizeof(buf)), 2);
    buf[sizeof(golden) + 40] ^= 1; /* second batch, inside the CRC */
    cr_expect_eq(rec_set_validate(buf, sizeof(buf)), -SL_KE_CORRUPT_MESSAGE);
    memcpy(buf + sizeof(golden), golden, sizeof(golden));
    put32(buf + sizeof(golden) + 23, 0); /* lastOffsetDelta */
    fix_crc(buf + sizeof(golden), sizeof(golden));
    cr_expect_eq(rec_set_validate(buf, sizeof(buf)), -SL_KE_INVALID_RECORD);
    cr_expect_eq(rec_set_check(buf, sizeof(buf), &count), SL_KE_INVALID_RECORD);
}

/* --- iterator strictness ------------------------------------------------ */

/* Two well-formed records: null key, value "a"; key "b", null value. */
static const uint8_t two_recs[] = { 0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00,
                                    0x0e, 0x00, 0x02, 0x02, 0x02, 'b', 0x01, 0x00 };

static sl_err iterate_all(const uint8_t *p, size_t len, int *nrec)
{
    rec_iter it;
    rec_record r;
    sl_err e = rec_iter_init(&it, p, len);

    *nrec = 0;
    if (e != SL_OK)
        return e;
    while (rec_iter_next(&it, &r))
        (*nrec)++;
    return it.err;
}

Test(records, hand_made_records_iterate)
{
    size_t len;
    uint8_t *p = make_batch(two_recs, sizeof(two_recs), 2, 1, &len);
    rec_iter it;
    rec_record r;

    cr_assert_eq(rec_batch_validate(p, len, NULL), SL_OK);
    cr_assert_eq(rec_iter_init(&it, p, len), SL_OK);
    cr_assert(rec_iter_next(&it, &r));
    cr_expect(r.key.null);
    cr_expect(sl_bytes_eq_str(r.value, "a"));
    cr_expect_eq(r.offset, 0);
    cr_expect_eq(r.timestamp, BASE_TS);
    cr_expect_eq(r.header_count, 0);
    cr_expect_eq(r.headers.n, 0);
    cr_assert(rec_iter_next(&it, &r));
    cr_expect(sl_bytes_eq_str(r.key, "b"));
    cr_expect(r.value.null);
    cr_expect_eq(r.offset, 1);
    cr_expect_eq(r.timestamp, BASE_TS + 1);
    cr_expect(!rec_iter_next(&it, &r));
    cr_expect_eq(it.err, SL_OK);
    free(p);
}

Test(records, record_length_longer_than_fields)
{
    /* Length 8 but 7 bytes of fields, plus a spare byte inside the batch. */
    static const uint8_t body[] = { 0x10, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00, 0x00 };
    size_t len;
    uint8_t *p = make_batch(body, sizeof(body), 1, 0, &len);
    int n;

    cr_assert_eq(rec_batch_validate(p, len, NULL), SL_OK, "the header alone is fine");
    cr_expect_eq(iterate_all(p, len, &n), SL_E_MALFORMED);
    cr_expect_eq(n, 0);
    free(p);
}

Test(records, record_length_shorter_than_fields)
{
    /* Length 6 but the fields need 7 bytes. */
    static const uint8_t body[] = { 0x0c, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00 };
    size_t len;
    uint8_t *p = make_batch(body, sizeof(body), 1, 0, &len);
    int n;

    cr_expect_eq(iterate_all(p, len, &n), SL_E_MALFORMED);
    cr_expect_eq(n, 0);
    free(p);
}

Test(records, record_length_past_batch_end)
{
    static const uint8_t body[] = { 0x7e, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00 };
    size_t len;
    uint8_t *p = make_batch(body, sizeof(body), 1, 0, &len);
    int n;

    cr_expect_eq(iterate_all(p, len, &n), SL_E_MALFORMED);
    free(p);
}

Test(records, record_negative_lengths)
{
    /* Record length -1. */
    static const uint8_t neg_len[] = { 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00 };
    /* Key length -2. */
    static const uint8_t neg_key[] = { 0x0e, 0x00, 0x00, 0x00, 0x03, 0x02, 'a', 0x00 };
    /* Header count -1. */
    static const uint8_t neg_hc[] = { 0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x01 };
    /* One header with a null key. */
    static const uint8_t null_hkey[] = { 0x12, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x02,
                                         0x01, 0x00 };
    const uint8_t *bodies[] = { neg_len, neg_key, neg_hc, null_hkey };
    const size_t lens[] = { sizeof(neg_len), sizeof(neg_key), sizeof(neg_hc), sizeof(null_hkey) };

    for (int i = 0; i < 4; i++) {
        size_t len;
        uint8_t *p = make_batch(bodies[i], lens[i], 1, 0, &len);
        int n;

        cr_expect_eq(iterate_all(p, len, &n), SL_E_MALFORMED, "case %d", i);
        cr_expect_eq(n, 0, "case %d", i);
        free(p);
    }
}

Test(records, header_count_larger_than_headers)
{
    /* Count 2, one header "h"="v": runs into the record's end. */
    static const uint8_t body[] = { 0x16, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x04,
                                    0x02, 'h', 0x02, 'v' };
    size_t len;
    uint8_t *p = make_batch(body, sizeof(body), 1, 0, &len);
    int n;

    cr_expect_eq(iterate_all(p, len, &n), SL_E_MALFORMED);
    free(p);
}

Test(records, record_count_more_than_records)
{
    size_t len;
    uint8_t *p = make_batch(two_recs, sizeof(two_recs), 3, 2, &len);
    int n;

    cr_assert_eq(rec_batch_validate(p, len, NULL), SL_OK);
    cr_expect_eq(iterate_all(p, len, &n), SL_E_MALFORMED);
    cr_expect_eq(n, 2, "the two real records come out first");
    free(p);
}

Test(records, record_count_fewer_than_records)
{
    size_t len;
    uint8_t *p = make_batch(two_recs, sizeof(two_recs), 1, 0, &len);
    int n;

    cr_assert_eq(rec_batch_validate(p, len, NULL), SL_OK);
    cr_expect_eq(iterate_all(p, len, &n), SL_E_MALFORMED, "bytes left after the count");
    cr_expect_eq(n, 1);
    free(p);
}

Test(records, negative_record_count_does_not_iterate)
{
    size_t len;
    uint8_t *p = make_batch(two_recs, sizeof(two_recs), -1, -2, &len);
    int n;

    cr_expect_eq(iterate_all(p, len, &n), SL_E_MALFORMED);
    cr_expect_eq(n, 0);
    free(p);
}

Test(records, header_next_errors)
{
    /* key "k", value -1 (null); then key length -1: not allowed. */
    static const uint8_t region[] = { 0x02, 'k', 0x01, 0x01, 0x00 };
    static const uint8_t trunc[] = { 0x04, 'k' };
    sl_bytes s = sl_bytes_make(region, sizeof(region));
    rec_header h;
    sl_err e = SL_E_FATAL;

    cr_assert(rec_header_next(&s, &h, &e));
    cr_expect_eq(e, SL_OK);
    cr_expect(sl_bytes_eq_str(h.key, "k"));
    cr_expect(h.value.null);
    cr_expect(!rec_header_next(&s, &h, &e));
    cr_expect_eq(e, SL_E_MALFORMED);

    s = sl_bytes_make(trunc, sizeof(trunc));
    cr_expect(!rec_header_next(&s, &h, &e));
    cr_expect_eq(e, SL_E_MALFORMED);
    s = SL_BYTES_NULL;
    cr_expect(!rec_header_next(&s, &h, NULL), "a null region is empty");
}

/* Every truncation of the records region (header fixed up to match, CRC
 * valid) must fail in the iterator, never over-read: exact-size copies let
 * ASan see a read past the end. */
Test(records, every_records_region_truncation_fails)
{
    size_t full;
    uint8_t *g = build_golden_input(&full);
    size_t body = full - REC_HEADER_SIZE;

    for (size_t cut = 1; cut <= body; cut++) {
        size_t len;
        uint8_t *p = make_batch(g + REC_HEADER_SIZE, body - cut, 2, 1, &len);
        uint8_t *q = copy_n(p, len);
        int n;

        cr_assert_neq(iterate_all(q, len, &n), SL_OK, "cut %zu", cut);
        free(q);
        free(p);
    }
    free(g);
}

/* --- a Produce's records: the records of an uncompressed batch too ------ */

static sl_err set_check(const void *body, size_t body_len, int32_t count, int16_t attrs)
{
    size_t len;
    uint8_t *p = make_batch(body, body_len, count, count - 1, &len);
    int32_t nb = -1;
    sl_err e;

    put16(p + 21, (uint16_t)attrs);
    fix_crc(p, len);
    e = rec_set_check(p, len, &nb);
    cr_expect_eq(nb, e == SL_OK ? 1 : 0);
    free(p);
    return e;
}

Test(records, set_check_opens_uncompressed_records)
{
    /* Well formed. */
    cr_expect_eq(set_check(two_recs, sizeof two_recs, 2, 0), SL_OK);
    /* A record whose length does not match its fields. */
    static const uint8_t longer[] = { 0x10, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00, 0x00 };
    cr_expect_eq(set_check(longer, sizeof longer, 1, 0), SL_KE_CORRUPT_MESSAGE);
    /* Fewer records than counted. */
    cr_expect_eq(set_check(two_recs, 8, 2, 0), SL_KE_CORRUPT_MESSAGE);
    /* More bytes than the counted records. */
    cr_expect_eq(set_check(two_recs, sizeof two_recs, 1, 0), SL_KE_CORRUPT_MESSAGE);
    /* Garbage instead of records. */
    static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3 };
    cr_expect_eq(set_check(junk, sizeof junk, 1, 0), SL_KE_CORRUPT_MESSAGE);
    /* Offset deltas 0, 0: INVALID_RECORD, as Kafka's LogValidator. */
    uint8_t dup[sizeof two_recs];
    memcpy(dup, two_recs, sizeof dup);
    dup[11] = 0x00; /* the second record's offset delta */
    cr_expect_eq(set_check(dup, sizeof dup, 2, 0), SL_KE_INVALID_RECORD);
    /* A compressed batch is not opened on the produce path. */
    cr_expect_eq(set_check(junk, sizeof junk, 1, 1), SL_OK);
}
