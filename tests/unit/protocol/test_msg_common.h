/*
 * test_msg_common.h - harness shared by the test_msg*.c codec tests.
 *
 * rt_check() is the core: encode a message, compare the bytes with a
 * reference built field by field from Kafka's JSON schema (bb_*), decode
 * them from an exactly sized heap copy (so ASan sees any over-read), require
 * that the decoder consumed every byte, re-encode the decoded message and
 * require identical bytes, then decode every strict prefix and require
 * SL_E_MALFORMED from each.  The caller compares fields on the decoded
 * copy, which borrows from rt->buf until rt_done().
 */
#ifndef TEST_MSG_COMMON_H
#define TEST_MSG_COMMON_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/msg.h"

#define TEST_UNUSED __attribute__((unused))

/* --- a byte builder for reference encodings -------------------------- */

typedef struct bb {
    uint8_t p[8192];
    size_t n;
} bb;

static inline void bb_raw(bb *b, const void *p, size_t n)
{
    cr_assert(b->n + n <= sizeof b->p, "reference buffer too small");
    if (n == 0)
        return;
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
static inline void bb_u8(bb *b, uint8_t v) { bb_raw(b, &v, 1); }
static inline void bb_i8(bb *b, int8_t v) { bb_u8(b, (uint8_t)v); }
static inline void bb_i16(bb *b, int16_t v)
{
    bb_u8(b, (uint8_t)((uint16_t)v >> 8));
    bb_u8(b, (uint8_t)v);
}
static inline void bb_i32(bb *b, int32_t v)
{
    bb_i16(b, (int16_t)((uint32_t)v >> 16));
    bb_i16(b, (int16_t)(uint16_t)v);
}
static inline void bb_i64(bb *b, int64_t v)
{
    bb_i32(b, (int32_t)((uint64_t)v >> 32));
    bb_i32(b, (int32_t)(uint32_t)v);
}
static inline void bb_uvar(bb *b, uint32_t v)
{
    while (v >= 0x80) {
        bb_u8(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    bb_u8(b, (uint8_t)v);
}
/* STRING / NULLABLE_STRING, or the COMPACT_ forms when flex; s NULL = null. */
static inline void bb_str(bb *b, bool flex, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (flex)
        bb_uvar(b, s ? (uint32_t)n + 1 : 0);
    else
        bb_i16(b, s ? (int16_t)n : -1);
    if (s)
        bb_raw(b, s, n);
}
static inline void bb_bytes(bb *b, bool flex, const void *p, size_t n, bool null)
{
    if (flex)
        bb_uvar(b, null ? 0 : (uint32_t)n + 1);
    else
        bb_i32(b, null ? -1 : (int32_t)n);
    if (!null)
        bb_raw(b, p, n);
}
static inline void bb_arr(bb *b, bool flex, int32_t n)
{
    if (flex)
        bb_uvar(b, n < 0 ? 0 : (uint32_t)n + 1);
    else
        bb_i32(b, n);
}
static inline void bb_tags(bb *b, bool flex)
{
    if (flex)
        bb_u8(b, 0);
}
static inline void bb_uuid(bb *b, const uint8_t u[16]) { bb_raw(b, u, 16); }

/* --- codecs behind one signature (wrappers, not casts) --------------- */

typedef struct codec {
    const char *name;
    size_t size; /* sizeof the message struct */
    sl_err (*dec)(kbuf_rd *r, int16_t v, sl_arena *a, void *out);
    void (*enc)(kbuf_wr *w, int16_t v, const void *in);
} codec;

#define CODEC(msg)                                                             \
    TEST_UNUSED static sl_err msg##_dec_(kbuf_rd *r, int16_t v, sl_arena *a, void *out)   \
    {                                                                          \
        return msg##_decode(r, v, a, (msg *)out);                              \
    }                                                                          \
    TEST_UNUSED static void msg##_enc_(kbuf_wr *w, int16_t v, const void *in)              \
    {                                                                          \
        msg##_encode(w, v, (const msg *)in);                                   \
    }                                                                          \
    TEST_UNUSED static const codec msg##_codec = { #msg, sizeof(msg), msg##_dec_, msg##_enc_ }

/* --- the round trip --------------------------------------------------- */

typedef struct rt {
    uint8_t *buf; /* the encoding, exactly sized; decoded fields borrow it */
    size_t len;
    sl_arena arena;
} rt;

static inline uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);

    cr_assert(q);
    if (n)
        memcpy(q, p, n);
    return q;
}

static inline void hexdump_diff(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t i;

    for (i = 0; i < an && i < bn && a[i] == b[i]; i++)
        ;
    fprintf(stderr, "first difference at byte %zu (lengths %zu vs %zu)\n", i, an, bn);
}

static inline bool bytes_same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    if (an == bn && (an == 0 || memcmp(a, b, an) == 0))
        return true;
    hexdump_diff(a, an, b, bn);
    return false;
}

/* Every strict prefix of buf[0..len) must fail to decode, cleanly. */
static inline void check_truncations(const codec *c, int16_t v, const uint8_t *buf, size_t len)
{
    void *scratch = malloc(c->size);

    cr_assert(scratch);
    for (size_t n = 0; n < len; n++) {
        uint8_t *p = dup_exact(buf, n);
        sl_arena a;
        kbuf_rd r;
        sl_err e;

        sl_arena_init(&a, 1 << 20);
        kbuf_rd_init(&r, p, n);
        e = c->dec(&r, v, &a, scratch);
        cr_assert_eq(e, SL_E_MALFORMED, "%s v%d: prefix %zu/%zu gave %d", c->name, v, n, len, e);
        sl_arena_free(&a);
        free(p);
    }
    free(scratch);
}

/*
 * Encode in at version v (expecting exactly ref's bytes when ref is not
 * NULL), decode into out, re-encode out, check truncations.  rt_done()
 * releases what out borrows.
 */
static inline void rt_check(rt *t, const codec *c, int16_t v, const void *in, void *out,
                            const bb *ref)
{
    kbuf_wr w, w2;
    kbuf_rd r;
    sl_err e;

    kbuf_wr_init(&w, 0);
    c->enc(&w, v, in);
    cr_assert_eq(w.err, SL_OK, "%s v%d: encode failed", c->name, v);
    if (ref)
        cr_assert(bytes_same(w.p, w.len, ref->p, ref->n),
                  "%s v%d: encoding differs from the schema reference", c->name, v);
    t->len = w.len;
    t->buf = dup_exact(w.p, w.len);
    kbuf_wr_free(&w);

    sl_arena_init(&t->arena, 1 << 20);
    kbuf_rd_init(&r, t->buf, t->len);
    e = c->dec(&r, v, &t->arena, out);
    cr_assert_eq(e, SL_OK, "%s v%d: decode failed (%d) at %zu/%zu, field %s", c->name, v, e,
                 kbuf_offset(&r), t->len, r.field ? r.field : "?");
    cr_assert_eq(kbuf_remaining(&r), 0, "%s v%d: %zu bytes left after decode", c->name, v,
                 kbuf_remaining(&r));

    kbuf_wr_init(&w2, 0);
    c->enc(&w2, v, out);
    cr_assert_eq(w2.err, SL_OK);
    cr_assert(bytes_same(w2.p, w2.len, t->buf, t->len), "%s v%d: re-encoding differs",
              c->name, v);
    kbuf_wr_free(&w2);

    check_truncations(c, v, t->buf, t->len);
}

static inline void rt_done(rt *t)
{
    sl_arena_free(&t->arena);
    free(t->buf);
    t->buf = NULL;
}

/* Decode a whole buffer (exact heap copy) at version v. */
static inline sl_err decode_bytes(const codec *c, int16_t v, const void *p, size_t n,
                                  sl_arena *a, void *out, uint8_t **keep)
{
    kbuf_rd r;

    *keep = dup_exact(p, n);
    kbuf_rd_init(&r, *keep, n);
    return c->dec(&r, v, a, out);
}

static inline void assert_str(sl_bytes got, const char *want, const char *what)
{
    if (!want)
        cr_assert(got.null, "%s: expected null", what);
    else
        cr_assert(sl_bytes_eq_str(got, want), "%s: expected \"%s\", got %s\"%.*s\"", what, want,
                  got.null ? "null " : "", (int)got.n, got.p ? (const char *)got.p : "");
}

static inline void assert_bytes(sl_bytes got, sl_bytes want, const char *what)
{
    cr_assert(sl_bytes_eq(got, want), "%s differs", what);
}

static inline void assert_uuid(const uint8_t *got, const uint8_t *want, const char *what)
{
    cr_assert(memcmp(got, want, 16) == 0, "%s: uuid differs", what);
}

static const uint8_t UUID_ZERO[16] TEST_UNUSED;
static const uint8_t UUID_A[16] TEST_UNUSED = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };
static const uint8_t UUID_B[16] TEST_UNUSED = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

#define S(lit) sl_bytes_str(lit)

#endif
