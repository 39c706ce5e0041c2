/*
 * test_msg_group_common.h - the codec harness (test_msg_common.h) plus the
 * group codecs behind it and a few helpers the test_msg_group_*.c files
 * share.
 */
#ifndef TEST_MSG_GROUP_COMMON_H
#define TEST_MSG_GROUP_COMMON_H

#include "test_msg_common.h"

#include "protocol/msg_group.h"

/* []string reference: n strings, not nullable. */
TEST_UNUSED static void bb_strs(bb *b, bool flex, const char *const *s, int32_t n)
{
    bb_arr(b, flex, n);
    for (int32_t i = 0; i < n; i++)
        bb_str(b, flex, s[i]);
}

TEST_UNUSED static void bb_blob(bb *b, bool flex, const char *s)
{
    bb_bytes(b, flex, s, strlen(s), false);
}

TEST_UNUSED static void assert_strs(const sl_bytes *got, int32_t gn, const char *const *want,
                                    int32_t wn, const char *what)
{
    cr_assert_eq(gn, wn, "%s: count %d, want %d", what, gn, wn);
    for (int32_t i = 0; i < wn; i++)
        assert_str(got[i], want[i], what);
}

TEST_UNUSED static void assert_i32s(const int32_t *got, int32_t gn, const int32_t *want,
                                    int32_t wn)
{
    cr_assert_eq(gn, wn);
    for (int32_t i = 0; i < wn; i++)
        cr_assert_eq(got[i], want[i]);
}

/* Encode at v and require exactly want[0..n). */
TEST_UNUSED static void encode_expect(const codec *c, int16_t v, const void *in,
                                      const uint8_t *want, size_t n)
{
    kbuf_wr w;

    kbuf_wr_init(&w, 0);
    c->enc(&w, v, in);
    cr_assert_eq(w.err, SL_OK);
    cr_assert(bytes_same(w.p, w.len, want, n), "%s v%d: bytes differ", c->name, v);
    kbuf_wr_free(&w);
}

/* Decode a byte vector at v expecting e; the caller frees *keep and the
 * arena. */
TEST_UNUSED static void decode_expect(const codec *c, int16_t v, const void *p, size_t n,
                                      sl_arena *a, void *out, uint8_t **keep, sl_err e)
{
    sl_err got = decode_bytes(c, v, p, n, a, out, keep);

    cr_assert_eq(got, e, "%s v%d: decode gave %d, want %d", c->name, v, got, e);
}

#endif
