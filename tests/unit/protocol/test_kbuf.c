/*
 * test_kbuf.c - protocol/kbuf.c: the bounds-checked reader and the writer.
 *
 * Fixed-width ints, varints at their boundaries and in their rejected
 * forms, strings and bytes (classic and compact, null vs empty), array
 * length bounds, tagged-field skipping, sub-readers, the sticky error, and a
 * guard-page harness in the manner of picohttpparser's test.c: the input is
 * placed so its last byte is the last readable byte before a PROT_NONE page,
 * and every truncation of a valid multi-field encoding must fail cleanly
 * instead of reading past its end.
 */
#include <criterion/criterion.h>

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "protocol/kbuf.h"

/* --- helpers ------------------------------------------------------------ */

static kbuf_rd rd(const void *p, size_t n)
{
    kbuf_rd r;

    kbuf_rd_init(&r, p, n);
    return r;
}

/* --- fixed-width integers ----------------------------------------------- */

Test(kbuf, ints_are_big_endian)
{
    static const uint8_t in[] = { 0x81, 0x12, 0x34, 0x89, 0xab, 0xcd, 0xef,
                                  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                  0xff, 0xff, 0xff, 0xfe, 0x00, 0x02 };
    kbuf_rd r = rd(in, sizeof(in));

    cr_expect_eq(kbuf_get_i8(&r), (int8_t)0x81);
    cr_expect_eq(kbuf_get_i16(&r), 0x1234);
    cr_expect_eq(kbuf_get_i32(&r), (int32_t)0x89abcdefu);
    cr_expect_eq(kbuf_get_i64(&r), 0x0102030405060708LL);
    cr_expect_eq(kbuf_get_u32(&r), 0xfffffffeu);
    cr_expect_eq(kbuf_get_bool(&r), false);
    cr_expect_eq(kbuf_get_bool(&r), true);
    cr_expect(kbuf_ok(&r));
    cr_expect_eq(kbuf_remaining(&r), 0);
    cr_expect_eq(kbuf_offset(&r), sizeof(in));
}

Test(kbuf, ints_round_trip_through_writer)
{
    kbuf_wr w;
    kbuf_rd r;

    kbuf_wr_init(&w, 1); /* tiny, so the writer has to grow */
    kbuf_put_i8(&w, INT8_MIN);
    kbuf_put_i8(&w, INT8_MAX);
    kbuf_put_i16(&w, INT16_MIN);
    kbuf_put_i16(&w, INT16_MAX);
    kbuf_put_i32(&w, INT32_MIN);
    kbuf_put_i32(&w, INT32_MAX);
    kbuf_put_i64(&w, INT64_MIN);
    kbuf_put_i64(&w, INT64_MAX);
    kbuf_put_u32(&w, UINT32_MAX);
    kbuf_put_bool(&w, true);
    cr_assert_eq(w.err, SL_OK);
    cr_assert_eq(w.len, 1 + 1 + 2 + 2 + 4 + 4 + 8 + 8 + 4 + 1);

    r = rd(w.p, w.len);
    cr_expect_eq(kbuf_get_i8(&r), INT8_MIN);
    cr_expect_eq(kbuf_get_i8(&r), INT8_MAX);
    cr_expect_eq(kbuf_get_i16(&r), INT16_MIN);
    cr_expect_eq(kbuf_get_i16(&r), INT16_MAX);
    cr_expect_eq(kbuf_get_i32(&r), INT32_MIN);
    cr_expect_eq(kbuf_get_i32(&r), INT32_MAX);
    cr_expect_eq(kbuf_get_i64(&r), INT64_MIN);
    cr_expect_eq(kbuf_get_i64(&r), INT64_MAX);
    cr_expect_eq(kbuf_get_u32(&r), UINT32_MAX);
    cr_expect_eq(kbuf_get_bool(&r), true);
    cr_expect(kbuf_ok(&r));
    cr_expect_eq(kbuf_remaining(&r), 0);
    kbuf_wr_free(&w);
}

Test(kbuf, short_int_fails_without_moving)
{
    static const uint8_t in[] = { 1, 2, 3 };
    kbuf_rd r = rd(in, sizeof(in));

    cr_expect_eq(kbuf_get_i32(&r), 0);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    cr_expect_eq(kbuf_offset(&r), 0);
}

/* --- varints ------------------------------------------------------------ */

static void uvarint_round_trip(uint32_t v)
{
    kbuf_wr w;
    kbuf_rd r;

    kbuf_wr_init(&w, 0);
    kbuf_put_uvarint(&w, v);
    cr_assert_eq(w.len, kbuf_uvarint_size(v), "size of %u", v);
    r = rd(w.p, w.len);
    cr_expect_eq(kbuf_get_uvarint(&r), v);
    cr_expect(kbuf_ok(&r), "uvarint %u", v);
    cr_expect_eq(kbuf_remaining(&r), 0);
    kbuf_wr_free(&w);
}

static void varint_round_trip(int32_t v)
{
    kbuf_wr w;
    kbuf_rd r;

    kbuf_wr_init(&w, 0);
    kbuf_put_varint(&w, v);
    cr_assert_eq(w.len, kbuf_varint_size(v), "size of %d", v);
    r = rd(w.p, w.len);
    cr_expect_eq(kbuf_get_varint(&r), v);
    cr_expect(kbuf_ok(&r), "varint %d", v);
    cr_expect_eq(kbuf_remaining(&r), 0);
    kbuf_wr_free(&w);
}

static void varlong_round_trip(int64_t v)
{
    kbuf_wr w;
    kbuf_rd r;

    kbuf_wr_init(&w, 0);
    kbuf_put_varlong(&w, v);
    cr_assert_eq(w.len, kbuf_varint_size(v), "size of %lld", (long long)v);
    r = rd(w.p, w.len);
    cr_expect_eq(kbuf_get_varlong(&r), v);
    cr_expect(kbuf_ok(&r), "varlong %lld", (long long)v);
    cr_expect_eq(kbuf_remaining(&r), 0);
    kbuf_wr_free(&w);
}

Test(kbuf, uvarint_round_trips)
{
    static const uint32_t vs[] = { 0, 1, 127, 128, 255, 300, 16383, 16384, 2097151,
                                   2097152, 268435455, 268435456, INT32_MAX,
                                   (uint32_t)INT32_MAX + 1, UINT32_MAX - 1, UINT32_MAX };

    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
        uvarint_round_trip(vs[i]);
    cr_expect_eq(kbuf_uvarint_size(0), 1);
    cr_expect_eq(kbuf_uvarint_size(127), 1);
    cr_expect_eq(kbuf_uvarint_size(128), 2);
    cr_expect_eq(kbuf_uvarint_size(UINT32_MAX), 5);
}

Test(kbuf, varint_round_trips)
{
    static const int32_t vs[] = { 0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192,
                                  INT16_MAX, INT16_MIN, INT32_MAX - 1, INT32_MAX,
                                  INT32_MIN + 1, INT32_MIN };

    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
        varint_round_trip(vs[i]);
    cr_expect_eq(kbuf_varint_size(INT32_MAX), 5);
    cr_expect_eq(kbuf_varint_size(INT32_MIN), 5);
}

Test(kbuf, varlong_round_trips)
{
    static const int64_t vs[] = { 0, 1, -1, 63, -64, 64, -65, INT32_MAX, INT32_MIN,
                                  (int64_t)INT32_MAX + 1, (int64_t)INT32_MIN - 1,
                                  1700000000000LL, -1700000000000LL, INT64_MAX - 1,
                                  INT64_MAX, INT64_MIN + 1, INT64_MIN };

    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
        varlong_round_trip(vs[i]);
    cr_expect_eq(kbuf_varint_size(INT64_MAX), 10);
    cr_expect_eq(kbuf_varint_size(INT64_MIN), 10);
}

/* Encodings fixed by the spec (zigzag then LEB128), not by our writer. */
Test(kbuf, varint_known_encodings)
{
    static const struct {
        uint8_t b[5];
        size_t n;
        int32_t v;
    } cases[] = {
        { { 0x00 }, 1, 0 },
        { { 0x01 }, 1, -1 },
        { { 0x02 }, 1, 1 },
        { { 0x7f }, 1, -64 },
        { { 0x80, 0x01 }, 2, 64 },
        { { 0xfe, 0xff, 0xff, 0xff, 0x0f }, 5, INT32_MAX },
        { { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, INT32_MIN },
    };
    static const uint8_t u300[] = { 0xac, 0x02 };
    kbuf_rd r;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = rd(cases[i].b, cases[i].n);
        cr_expect_eq(kbuf_get_varint(&r), cases[i].v, "case %zu", i);
        cr_expect(kbuf_ok(&r) && kbuf_remaining(&r) == 0, "case %zu", i);
    }
    r = rd(u300, sizeof(u300));
    cr_expect_eq(kbuf_get_uvarint(&r), 300);
    cr_expect(kbuf_ok(&r));
}

/* More than 5 bytes for a 32-bit value, or 10 for a 64-bit one. */
Test(kbuf, overlong_varints_rejected)
{
    static const uint8_t six[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    static const uint8_t eleven[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                      0x80, 0x80, 0x80, 0x80, 0x00 };
    kbuf_rd r;

    r = rd(six, sizeof(six));
    (void)kbuf_get_uvarint(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED, "6-byte uvarint");
    r = rd(six, sizeof(six));
    (void)kbuf_get_varint(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED, "6-byte varint");
    r = rd(eleven, sizeof(eleven));
    (void)kbuf_get_varlong(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED, "11-byte varlong");
}

/* A fifth (tenth) byte with bits that do not fit in 32 (64) bits. */
Test(kbuf, too_wide_varints_rejected)
{
    static const uint8_t max32[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    static const uint8_t wide32[] = { 0xff, 0xff, 0xff, 0xff, 0x10 };
    static const uint8_t max64[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0x01 };
    static const uint8_t wide64[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0x02 };
    kbuf_rd r;

    r = rd(max32, sizeof(max32));
    cr_expect_eq(kbuf_get_uvarint(&r), UINT32_MAX);
    cr_expect(kbuf_ok(&r));
    r = rd(wide32, sizeof(wide32));
    cr_expect_eq(kbuf_get_uvarint(&r), 0);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(wide32, sizeof(wide32));
    (void)kbuf_get_varint(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED);

    r = rd(max64, sizeof(max64));
    cr_expect_eq(kbuf_get_varlong(&r), INT64_MIN); /* zigzag of UINT64_MAX */
    cr_expect(kbuf_ok(&r));
    r = rd(wide64, sizeof(wide64));
    (void)kbuf_get_varlong(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED);
}

Test(kbuf, truncated_varint_rejected)
{
    static const uint8_t in[] = { 0x80, 0x80 };
    kbuf_rd r = rd(in, sizeof(in));

    (void)kbuf_get_varint(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(in, 0);
    (void)kbuf_get_varlong(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED);
}

/* --- strings and bytes -------------------------------------------------- */

Test(kbuf, classic_string_null_empty_value)
{
    static const uint8_t in[] = { 0xff, 0xff, 0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c' };
    kbuf_rd r = rd(in, sizeof(in));
    sl_bytes s;

    s = kbuf_get_str(&r, false);
    cr_expect(s.null);
    cr_expect_null(s.p);
    s = kbuf_get_str(&r, false);
    cr_expect(!s.null);
    cr_expect_eq(s.n, 0);
    s = kbuf_get_str(&r, false);
    cr_expect(sl_bytes_eq_str(s, "abc"));
    cr_expect_eq(s.p, in + 6, "borrowed, not copied");
    cr_expect(kbuf_ok(&r));
    cr_expect_eq(kbuf_remaining(&r), 0);
}

Test(kbuf, classic_string_bad_lengths)
{
    static const uint8_t neg[] = { 0xff, 0xfe, 'a', 'b' };
    static const uint8_t over[] = { 0x00, 0x03, 'a', 'b' };
    kbuf_rd r;

    r = rd(neg, sizeof(neg));
    cr_expect(kbuf_get_str(&r, false).null);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(over, sizeof(over));
    cr_expect(kbuf_get_str(&r, false).null);
    cr_expect_eq(r.err, SL_E_MALFORMED);
}

Test(kbuf, compact_string_null_empty_value)
{
    static const uint8_t in[] = { 0x00, 0x01, 0x04, 'x', 'y', 'z' };
    kbuf_rd r = rd(in, sizeof(in));
    sl_bytes s;

    s = kbuf_get_str(&r, true);
    cr_expect(s.null);
    s = kbuf_get_str(&r, true);
    cr_expect(!s.null && s.n == 0);
    s = kbuf_get_str(&r, true);
    cr_expect(sl_bytes_eq_str(s, "xyz"));
    cr_expect(kbuf_ok(&r));
}

Test(kbuf, compact_string_bad_lengths)
{
    /* 0x8000 + 1: one past the int16 limit of a Kafka string. */
    static const uint8_t huge[] = { 0x81, 0x80, 0x02 };
    static const uint8_t over[] = { 0x05, 'a', 'b', 'c' };
    kbuf_rd r;

    r = rd(huge, sizeof(huge));
    cr_expect(kbuf_get_str(&r, true).null);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(over, sizeof(over));
    cr_expect(kbuf_get_str(&r, true).null);
    cr_expect_eq(r.err, SL_E_MALFORMED);
}

Test(kbuf, bytes_classic_and_compact)
{
    static const uint8_t in[] = { 0xff, 0xff, 0xff, 0xff,  /* null */
                                  0x00, 0x00, 0x00, 0x00,  /* empty */
                                  0x00, 0x00, 0x00, 0x02, 0xde, 0xad,
                                  0x00,                    /* compact null */
                                  0x01,                    /* compact empty */
                                  0x03, 0xbe, 0xef };
    static const uint8_t neg[] = { 0xff, 0xff, 0xff, 0xfe };
    static const uint8_t over[] = { 0x7f, 0xff, 0xff, 0xff, 0x00 };
    kbuf_rd r = rd(in, sizeof(in));
    sl_bytes b;

    cr_expect(kbuf_get_bytes(&r, false).null);
    b = kbuf_get_bytes(&r, false);
    cr_expect(!b.null && b.n == 0);
    b = kbuf_get_bytes(&r, false);
    cr_expect(b.n == 2 && b.p[0] == 0xde && b.p[1] == 0xad);
    cr_expect(kbuf_get_bytes(&r, true).null);
    b = kbuf_get_bytes(&r, true);
    cr_expect(!b.null && b.n == 0);
    b = kbuf_get_bytes(&r, true);
    cr_expect(b.n == 2 && b.p[0] == 0xbe && b.p[1] == 0xef);
    cr_expect(kbuf_ok(&r));
    cr_expect_eq(kbuf_remaining(&r), 0);

    r = rd(neg, sizeof(neg));
    (void)kbuf_get_bytes(&r, false);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(over, sizeof(over));
    (void)kbuf_get_bytes(&r, false);
    cr_expect_eq(r.err, SL_E_MALFORMED);
}

Test(kbuf, strings_round_trip_through_writer)
{
    kbuf_wr w;
    kbuf_rd r;

    kbuf_wr_init(&w, 0);
    for (int flex = 0; flex < 2; flex++) {
        kbuf_put_str(&w, flex, SL_BYTES_NULL);
        kbuf_put_cstr(&w, flex, "");
        kbuf_put_cstr(&w, flex, "topic-1");
        kbuf_put_bytes(&w, flex, SL_BYTES_NULL);
        kbuf_put_bytes(&w, flex, sl_bytes_make("", 0));
        kbuf_put_bytes(&w, flex, sl_bytes_make("\x00\x01", 2));
    }
    cr_assert_eq(w.err, SL_OK);
    r = rd(w.p, w.len);
    for (int flex = 0; flex < 2; flex++) {
        sl_bytes s;

        cr_expect(kbuf_get_str(&r, flex).null, "flex %d", flex);
        s = kbuf_get_str(&r, flex);
        cr_expect(!s.null && s.n == 0, "flex %d", flex);
        cr_expect(sl_bytes_eq_str(kbuf_get_str(&r, flex), "topic-1"), "flex %d", flex);
        cr_expect(kbuf_get_bytes(&r, flex).null, "flex %d", flex);
        s = kbuf_get_bytes(&r, flex);
        cr_expect(!s.null && s.n == 0, "flex %d", flex);
        cr_expect(sl_bytes_eq(kbuf_get_bytes(&r, flex), sl_bytes_make("\x00\x01", 2)));
    }
    cr_expect(kbuf_ok(&r));
    cr_expect_eq(kbuf_remaining(&r), 0);
    kbuf_wr_free(&w);
}

/* --- arrays ------------------------------------------------------------- */

Test(kbuf, array_len_null_and_counts)
{
    static const uint8_t nul[] = { 0xff, 0xff, 0xff, 0xff };
    static const uint8_t three[] = { 0, 0, 0, 3, 1, 2, 3, 4, 5, 6 };
    static const uint8_t cnul[] = { 0x00 };
    static const uint8_t cempty[] = { 0x01 };
    static const uint8_t cthree[] = { 0x04, 1, 2, 3 };
    kbuf_rd r;

    r = rd(nul, sizeof(nul));
    cr_expect_eq(kbuf_get_array_len(&r, false, 4, 100), -1);
    cr_expect(kbuf_ok(&r));
    r = rd(three, sizeof(three));
    cr_expect_eq(kbuf_get_array_len(&r, false, 2, 100), 3); /* 6 bytes left: fits */
    cr_expect(kbuf_ok(&r));
    r = rd(cnul, sizeof(cnul));
    cr_expect_eq(kbuf_get_array_len(&r, true, 1, 100), -1);
    cr_expect(kbuf_ok(&r));
    r = rd(cempty, sizeof(cempty));
    cr_expect_eq(kbuf_get_array_len(&r, true, 1, 100), 0);
    cr_expect(kbuf_ok(&r));
    r = rd(cthree, sizeof(cthree));
    cr_expect_eq(kbuf_get_array_len(&r, true, 1, 3), 3);
    cr_expect(kbuf_ok(&r));
}

Test(kbuf, array_len_over_hard_max)
{
    static const uint8_t in[] = { 0, 0, 0, 4, 1, 2, 3, 4 };
    static const uint8_t cin[] = { 0x05, 1, 2, 3, 4 };
    kbuf_rd r;

    r = rd(in, sizeof(in));
    cr_expect_eq(kbuf_get_array_len(&r, false, 1, 3), 0);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(cin, sizeof(cin));
    cr_expect_eq(kbuf_get_array_len(&r, true, 1, 3), 0);
    cr_expect_eq(r.err, SL_E_MALFORMED);
}

/* A count that could not fit in what remains must not size an allocation. */
Test(kbuf, array_len_over_remaining)
{
    static const uint8_t in[] = { 0, 0, 0, 3, 1, 2, 3, 4, 5 };  /* 5 < 3*2 */
    static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, 0 };
    static const uint8_t neg[] = { 0xff, 0xff, 0xff, 0xfe };
    kbuf_rd r;

    r = rd(in, sizeof(in));
    cr_expect_eq(kbuf_get_array_len(&r, false, 2, 100), 0);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(huge, sizeof(huge));
    cr_expect_eq(kbuf_get_array_len(&r, false, 1, INT32_MAX), 0);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(neg, sizeof(neg));
    cr_expect_eq(kbuf_get_array_len(&r, false, 0, 100), 0);
    cr_expect_eq(r.err, SL_E_MALFORMED);
}

Test(kbuf, array_len_round_trip)
{
    kbuf_wr w;
    kbuf_rd r;

    kbuf_wr_init(&w, 0);
    kbuf_put_array_len(&w, false, -1);
    kbuf_put_array_len(&w, false, 2);
    kbuf_put_array_len(&w, true, -1);
    kbuf_put_array_len(&w, true, 0);
    kbuf_put_array_len(&w, true, 200);
    cr_assert_eq(w.err, SL_OK);
    cr_expect_eq(w.len, 4 + 4 + 1 + 1 + 2);
    r = rd(w.p, w.len);
    cr_expect_eq(kbuf_get_array_len(&r, false, 0, 10), -1);
    cr_expect_eq(kbuf_get_array_len(&r, false, 0, 10), 2);
    cr_expect_eq(kbuf_get_array_len(&r, true, 0, 10), -1);
    cr_expect_eq(kbuf_get_array_len(&r, true, 0, 10), 0);
    cr_expect_eq(kbuf_get_array_len(&r, true, 0, 200), 200);
    cr_expect(kbuf_ok(&r));
    kbuf_wr_free(&w);
}

/* --- tagged fields ------------------------------------------------------ */

Test(kbuf, tags_skipped)
{
    /* count 2: tag 0 size 3, tag 300 size 0; then an int16 field. */
    static const uint8_t in[] = { 0x02, 0x00, 0x03, 'a', 'b', 'c', 0xac, 0x02, 0x00,
                                  0x12, 0x34 };
    static const uint8_t empty[] = { 0x00, 0x56, 0x78 };
    kbuf_rd r;

    r = rd(in, sizeof(in));
    kbuf_skip_tags(&r);
    cr_expect(kbuf_ok(&r));
    cr_expect_eq(kbuf_get_i16(&r), 0x1234);
    cr_expect(kbuf_ok(&r));

    r = rd(empty, sizeof(empty));
    kbuf_skip_tags(&r);
    cr_expect_eq(kbuf_get_i16(&r), 0x5678);
    cr_expect(kbuf_ok(&r));
}

Test(kbuf, tags_bad)
{
    /* A tag whose size runs past the end. */
    static const uint8_t over[] = { 0x01, 0x00, 0x05, 'a', 'b' };
    /* More tags than the bytes could hold. */
    static const uint8_t many[] = { 0x7f, 0x00, 0x00, 0x00, 0x00 };
    /* Count present, tag missing. */
    static const uint8_t missing[] = { 0x01 };
    kbuf_rd r;

    r = rd(over, sizeof(over));
    kbuf_skip_tags(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(many, sizeof(many));
    kbuf_skip_tags(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    r = rd(missing, sizeof(missing));
    kbuf_skip_tags(&r);
    cr_expect_eq(r.err, SL_E_MALFORMED);
}

Test(kbuf, tags_writer_only_empty)
{
    kbuf_wr w;

    kbuf_wr_init(&w, 0);
    kbuf_put_tags(&w, false);
    cr_expect_eq(w.len, 0);
    kbuf_put_tags(&w, true);
    cr_assert_eq(w.len, 1);
    cr_expect_eq(w.p[0], 0x00);
    kbuf_wr_free(&w);
}

/* --- sub-readers and the sticky error ----------------------------------- */

Test(kbuf, sub_cannot_read_past_its_length)
{
    static const uint8_t in[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    kbuf_rd r = rd(in, sizeof(in));
    kbuf_rd s = kbuf_sub(&r, 4);

    cr_expect_eq(kbuf_remaining(&s), 4);
    cr_expect_eq(kbuf_offset(&r), 4, "parent skips the sub's bytes");
    cr_expect_eq(kbuf_get_i16(&s), 0x0102);
    cr_expect_eq(kbuf_get_i32(&s), 0, "only 2 bytes left in the sub");
    cr_expect_eq(s.err, SL_E_MALFORMED);
    cr_expect(kbuf_ok(&r), "the sub's error stays in the sub");
    cr_expect_eq(kbuf_get_i32(&r), 0x05060708);
    cr_expect(kbuf_ok(&r));
}

Test(kbuf, sub_longer_than_parent)
{
    static const uint8_t in[] = { 1, 2, 3 };
    kbuf_rd r = rd(in, sizeof(in));
    kbuf_rd s = kbuf_sub(&r, 4);

    cr_expect_eq(r.err, SL_E_MALFORMED);
    cr_expect_neq(s.err, SL_OK);
    cr_expect_eq(kbuf_remaining(&s), 0);
    cr_expect_eq(kbuf_get_i8(&s), 0);
}

Test(kbuf, error_is_sticky)
{
    static const uint8_t in[] = { 0x00, 0x05, 'a', 'b', 0x07, 0x08 };
    kbuf_rd r = rd(in, sizeof(in));
    const uint8_t *at;

    cr_expect(kbuf_get_str(&r, false).null); /* length 5, only 4 bytes */
    cr_assert_eq(r.err, SL_E_MALFORMED);
    at = r.p;
    /* Bytes are there, yet every later read gives zero/empty and no move. */
    cr_expect_eq(kbuf_get_i8(&r), 0);
    cr_expect_eq(kbuf_get_i16(&r), 0);
    cr_expect_eq(kbuf_get_uvarint(&r), 0);
    cr_expect_eq(kbuf_get_varlong(&r), 0);
    cr_expect(kbuf_get_raw(&r, 1).null);
    kbuf_skip(&r, 1);
    cr_expect_eq(r.p, at);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    kbuf_fail(&r, SL_E_NOMEM);
    cr_expect_eq(r.err, SL_E_MALFORMED, "kbuf_fail keeps the first error");
}

Test(kbuf, raw_skip_uuid)
{
    uint8_t in[20], u[16];
    kbuf_rd r;
    sl_bytes b;

    for (int i = 0; i < 20; i++)
        in[i] = (uint8_t)i;
    r = rd(in, sizeof(in));
    kbuf_skip(&r, 2);
    b = kbuf_get_raw(&r, 2);
    cr_expect(b.n == 2 && b.p == in + 2);
    kbuf_get_uuid(&r, u);
    cr_expect(kbuf_ok(&r));
    cr_expect_eq(memcmp(u, in + 4, 16), 0);
    kbuf_get_uuid(&r, u);
    cr_expect_eq(r.err, SL_E_MALFORMED);
    for (int i = 0; i < 16; i++)
        cr_expect_eq(u[i], 0, "uuid zeroed on failure");
}

/* --- writer ------------------------------------------------------------- */

Test(kbuf, writer_reserve_patch_take)
{
    kbuf_wr w;
    size_t off, len;
    uint8_t *p;

    kbuf_wr_init(&w, 2);
    kbuf_put_i8(&w, 7);
    off = kbuf_reserve(&w, 4);
    kbuf_put_cstr(&w, false, "hello");
    kbuf_patch_i32(&w, off, (int32_t)(w.len - off - 4));
    kbuf_patch_u32(&w, w.len, 0xdeadbeef); /* out of range: ignored */
    cr_assert_eq(w.err, SL_OK);
    p = kbuf_wr_take(&w, &len);
    cr_expect_eq(w.p, NULL);
    cr_expect_eq(w.len, 0);
    cr_assert_eq(len, 1 + 4 + 2 + 5);
    cr_expect_eq(p[0], 7);
    cr_expect_eq(sl_be32(p + 1), 7);
    cr_expect_eq(memcmp(p + 5, "\x00\x05hello", 7), 0);
    free(p);
}

/* --- guard page --------------------------------------------------------- */

/* A request-like message with one of everything the reader decodes. */
static uint8_t *encode_sample(size_t *len)
{
    kbuf_wr w;
    static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

    kbuf_wr_init(&w, 0);
    kbuf_put_i16(&w, 0);                    /* api_key */
    kbuf_put_i16(&w, 9);                    /* api_version */
    kbuf_put_i32(&w, 0x01020304);           /* correlation_id */
    kbuf_put_cstr(&w, false, "client-1");   /* classic string */
    kbuf_put_tags(&w, true);
    kbuf_put_cstr(&w, true, "txn");         /* compact string */
    kbuf_put_i64(&w, -2);
    kbuf_put_array_len(&w, true, 2);        /* compact array of topics */
    for (int t = 0; t < 2; t++) {
        kbuf_put_cstr(&w, true, t ? "beta" : "alpha");
        kbuf_put_uuid(&w, uuid);
        kbuf_put_array_len(&w, false, 2);   /* classic array of int32 */
        kbuf_put_i32(&w, t * 10);
        kbuf_put_i32(&w, t * 10 + 1);
        kbuf_put_bytes(&w, true, sl_bytes_make("records!", 8));
        kbuf_put_varint(&w, -300);
        kbuf_put_varlong(&w, INT64_MIN);
        kbuf_put_uvarint(&w, 70000);
        /* A tag section with one real tag to skip. */
        kbuf_put_uvarint(&w, 1);
        kbuf_put_uvarint(&w, 5);
        kbuf_put_uvarint(&w, 3);
        kbuf_put_raw(&w, "xyz", 3);
    }
    kbuf_put_bytes(&w, false, SL_BYTES_NULL);
    kbuf_put_bool(&w, true);
    kbuf_put_tags(&w, true);
    cr_assert_eq(w.err, SL_OK);
    return kbuf_wr_take(&w, len);
}

/* Decode the sample; the sticky error is checked once, at the end, the way a
 * real decoder does.  Returns r.err; on success also checks the values. */
static sl_err decode_sample(const uint8_t *p, size_t n, bool check)
{
    kbuf_rd r = rd(p, n);
    int16_t key, ver;
    int32_t corr, nt;
    int64_t i64;
    sl_bytes client, txn;
    uint8_t u[16];

    key = kbuf_get_i16(&r);
    ver = kbuf_get_i16(&r);
    corr = kbuf_get_i32(&r);
    client = kbuf_get_str(&r, false);
    kbuf_skip_tags(&r);
    txn = kbuf_get_str(&r, true);
    i64 = kbuf_get_i64(&r);
    nt = kbuf_get_array_len(&r, true, 20, 10);
    for (int32_t t = 0; t < nt && kbuf_ok(&r); t++) {
        sl_bytes name, recs;
        int32_t np, p0, p1, vi;
        int64_t vl;
        uint32_t uv;
        kbuf_rd sub;

        name = kbuf_get_str(&r, true);
        kbuf_get_uuid(&r, u);
        np = kbuf_get_array_len(&r, false, 4, 100);
        p0 = kbuf_get_i32(&r);
        p1 = kbuf_get_i32(&r);
        /* The records blob through a sub-reader, as a nested parser reads
         * it: all of its bytes, and then not one more. */
        uv = kbuf_get_uvarint(&r);
        sub = kbuf_sub(&r, uv ? uv - 1 : 0);
        recs = kbuf_get_raw(&sub, kbuf_remaining(&sub));
        (void)kbuf_get_i8(&sub);
        vi = kbuf_get_varint(&r);
        vl = kbuf_get_varlong(&r);
        uv = kbuf_get_uvarint(&r);
        kbuf_skip_tags(&r);
        if (check && kbuf_ok(&r)) {
            cr_expect(sl_bytes_eq_str(name, t ? "beta" : "alpha"));
            cr_expect_eq(u[15], 16);
            cr_expect_eq(np, 2);
            cr_expect_eq(p0, t * 10);
            cr_expect_eq(p1, t * 10 + 1);
            cr_expect(sl_bytes_eq_str(recs, "records!"));
            cr_expect_eq(sub.err, SL_E_MALFORMED, "read past the sub-reader");
            cr_expect_eq(vi, -300);
            cr_expect_eq(vl, INT64_MIN);
            cr_expect_eq(uv, 70000);
        }
    }
    (void)kbuf_get_bytes(&r, false);
    (void)kbuf_get_bool(&r);
    kbuf_skip_tags(&r);
    if (check && kbuf_ok(&r)) {
        cr_expect_eq(key, 0);
        cr_expect_eq(ver, 9);
        cr_expect_eq(corr, 0x01020304);
        cr_expect(sl_bytes_eq_str(client, "client-1"));
        cr_expect(sl_bytes_eq_str(txn, "txn"));
        cr_expect_eq(i64, -2);
        cr_expect_eq(nt, 2);
        cr_expect_eq(kbuf_remaining(&r), 0);
    }
    return r.err;
}

typedef struct guard {
    uint8_t *base;
    size_t page;
} guard;

/* Two pages, the second PROT_NONE: a read one byte past the input faults. */
static guard guard_new(void)
{
    guard g;

    g.page = (size_t)sysconf(_SC_PAGESIZE);
    g.base = mmap(NULL, 2 * g.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(g.base, MAP_FAILED);
    cr_assert_eq(mprotect(g.base + g.page, g.page, PROT_NONE), 0);
    return g;
}

/* Copy n bytes so they end exactly at the guard page. */
static const uint8_t *guard_place(guard *g, const uint8_t *src, size_t n)
{
    uint8_t *dst = g->base + g->page - n;

    cr_assert(n <= g->page);
    if (n)
        memcpy(dst, src, n);
    return dst;
}

static void guard_free(guard *g)
{
    munmap(g->base, 2 * g->page);
}

/* The harness is only worth something if a read past the input faults.
 * SIG_DFL: under ASan its own SEGV handler would exit(1) instead. */
Test(kbuf, guard_page_self_check, .signal = SIGSEGV)
{
    guard g = guard_new();
    volatile const uint8_t *p = g.base + g.page;

    signal(SIGSEGV, SIG_DFL);
    (void)*p;
}

Test(kbuf, guard_page_every_truncation_fails)
{
    size_t len;
    uint8_t *enc = encode_sample(&len);
    guard g = guard_new();

    cr_assert_eq(decode_sample(guard_place(&g, enc, len), len, true), SL_OK);
    for (size_t n = 0; n < len; n++) {
        sl_err e = decode_sample(guard_place(&g, enc, n), n, false);

        cr_assert_neq(e, SL_OK, "truncation to %zu of %zu bytes decoded", n, len);
        cr_assert_eq(e, SL_E_MALFORMED, "truncation to %zu", n);
    }
    guard_free(&g);
    free(enc);
}

/* Corrupt every byte in a few ways: any outcome is fine but an over-read. */
Test(kbuf, guard_page_mutations_never_over_read)
{
    static const uint8_t vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff };
    size_t len;
    uint8_t *enc = encode_sample(&len);
    uint8_t *tmp = malloc(len);
    guard g = guard_new();

    cr_assert_not_null(tmp);
    for (size_t i = 0; i < len; i++) {
        for (size_t v = 0; v < sizeof(vals); v++) {
            memcpy(tmp, enc, len);
            tmp[i] = vals[v];
            for (size_t n = i + 1; n <= len; n += (n < i + 8 ? 1 : 13))
                (void)decode_sample(guard_place(&g, tmp, n), n, false);
        }
    }
    guard_free(&g);
    free(tmp);
    free(enc);
}
