/*
 * test_msg_group_hostile.c - checks across all the group codecs (as
 * test_msg.c does for the others): absurd and merely plausible array
 * counts (refused before allocating), absurd string and bytes lengths,
 * arena exhaustion, unknown tags and trailing bytes, versions outside the
 * implemented ranges, and minimum element sizes that are not overestimated.
 */
#include "test_msg_group_common.h"

CODEC(msg_findcoordinator_req);
CODEC(msg_findcoordinator_resp);
CODEC(msg_joingroup_req);
CODEC(msg_joingroup_resp);
CODEC(msg_syncgroup_req);
CODEC(msg_syncgroup_resp);
CODEC(msg_heartbeat_req);
CODEC(msg_heartbeat_resp);
CODEC(msg_leavegroup_req);
CODEC(msg_leavegroup_resp);
CODEC(msg_offsetcommit_req);
CODEC(msg_offsetcommit_resp);
CODEC(msg_offsetfetch_req);
CODEC(msg_offsetfetch_resp);
CODEC(msg_offsetdelete_req);
CODEC(msg_offsetdelete_resp);
CODEC(msg_listgroups_req);
CODEC(msg_listgroups_resp);
CODEC(msg_describegroups_req);
CODEC(msg_describegroups_resp);
CODEC(msg_deletegroups_req);
CODEC(msg_deletegroups_resp);

/* --- absurd counts ------------------------------------------------------ */

typedef struct absurd {
    const codec *c;
    int16_t v;
    uint8_t bytes[48];
    size_t n; /* bytes up to and including the absurd count */
} absurd;

#define I32MAX 0x7f, 0xff, 0xff, 0xff
#define U32MAX 0xff, 0xff, 0xff, 0xff, 0x07

/* Each entry leads to the message's first array with a huge count. */
static const absurd absurd_cases[] = {
    { &msg_findcoordinator_req_codec, 4, { 0x00, U32MAX }, 6 },
    { &msg_findcoordinator_resp_codec, 4, { 0, 0, 0, 0, U32MAX }, 9 },
    { &msg_joingroup_req_codec, 0, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, I32MAX }, 14 },
    { &msg_joingroup_req_codec, 6, { 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01, U32MAX },
      17 },
    { &msg_joingroup_resp_codec, 0, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, I32MAX }, 16 },
    { &msg_joingroup_resp_codec, 6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x01, U32MAX },
      18 },
    { &msg_syncgroup_req_codec, 0, { 0, 0, 0, 0, 0, 0, 0, 0, I32MAX }, 12 },
    { &msg_syncgroup_req_codec, 4, { 0x01, 0, 0, 0, 0, 0x01, 0x00, U32MAX }, 12 },
    { &msg_leavegroup_req_codec, 3, { 0, 0, I32MAX }, 6 },
    { &msg_leavegroup_req_codec, 4, { 0x01, U32MAX }, 6 },
    { &msg_leavegroup_resp_codec, 3, { 0, 0, 0, 0, 0, 0, I32MAX }, 10 },
    { &msg_offsetcommit_req_codec, 2, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, I32MAX },
      20 },
    { &msg_offsetcommit_req_codec, 8, { 0x01, 0, 0, 0, 0, 0x01, 0x00, U32MAX }, 12 },
    { &msg_offsetcommit_resp_codec, 2, { I32MAX }, 4 },
    { &msg_offsetfetch_req_codec, 1, { 0, 0, I32MAX }, 6 },
    { &msg_offsetfetch_req_codec, 8, { U32MAX }, 5 },
    { &msg_offsetfetch_resp_codec, 1, { I32MAX }, 4 },
    { &msg_offsetfetch_resp_codec, 8, { 0, 0, 0, 0, U32MAX }, 9 },
    { &msg_offsetdelete_req_codec, 0, { 0, 0, I32MAX }, 6 },
    { &msg_offsetdelete_resp_codec, 0, { 0, 0, 0, 0, 0, 0, I32MAX }, 10 },
    { &msg_listgroups_req_codec, 4, { U32MAX }, 5 },
    { &msg_listgroups_resp_codec, 0, { 0, 0, I32MAX }, 6 },
    { &msg_describegroups_req_codec, 0, { I32MAX }, 4 },
    { &msg_describegroups_req_codec, 5, { U32MAX }, 5 },
    { &msg_describegroups_resp_codec, 0, { I32MAX }, 4 },
    { &msg_deletegroups_req_codec, 0, { I32MAX }, 4 },
    { &msg_deletegroups_resp_codec, 0, { 0, 0, 0, 0, I32MAX }, 8 },
    { &msg_deletegroups_resp_codec, 2, { 0, 0, 0, 0, U32MAX }, 9 },
};

Test(msg_group_hostile, absurd_top_level_counts_fail_before_allocating)
{
    for (size_t i = 0; i < sizeof absurd_cases / sizeof absurd_cases[0]; i++) {
        const absurd *x = &absurd_cases[i];
        uint8_t buf[4096];
        void *out = malloc(x->c->size);
        uint8_t *keep;
        sl_arena a;

        /* Plenty of bytes after the count, but nowhere near enough. */
        memset(buf, 0, sizeof buf);
        memcpy(buf, x->bytes, x->n);
        sl_arena_init(&a, 0); /* no limit: only the codec's checks stand */
        cr_assert_eq(decode_bytes(x->c, x->v, buf, sizeof buf, &a, out, &keep), SL_E_MALFORMED,
                     "case %zu: %s v%d", i, x->c->name, x->v);
        cr_assert_eq(a.used_total, 0, "case %zu: %s v%d allocated %zu bytes", i, x->c->name,
                     x->v, a.used_total);
        sl_arena_free(&a);
        free(keep);
        free(out);
    }
}

/* Counts below every hard cap that 64 KiB could hold at one byte per
 * element but not at the schema's minimum element size (>= 2 bytes for
 * every case here): only that minimum can refuse them before the array is
 * allocated.  max_used: nothing when the array comes first, one small
 * outer element when it is nested. */
typedef struct plausible {
    const codec *c;
    int16_t v;
    uint8_t bytes[48];
    size_t n;
    size_t max_used;
} plausible;

#define C40K 0x00, 0x00, 0x9c, 0x40
#define C20K 0x00, 0x00, 0x4e, 0x20
#define U40K 0xc1, 0xb8, 0x02

static const plausible plausible_cases[] = {
    { &msg_findcoordinator_resp_codec, 4, { 0, 0, 0, 0, U40K }, 7, 0 },
    { &msg_joingroup_req_codec, 0, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, C40K }, 14, 0 },
    { &msg_joingroup_req_codec, 6, { 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01, U40K },
      15, 0 },
    { &msg_joingroup_resp_codec, 6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x01, U40K },
      16, 0 },
    { &msg_syncgroup_req_codec, 4, { 0x01, 0, 0, 0, 0, 0x01, 0x00, U40K }, 10, 0 },
    { &msg_leavegroup_req_codec, 4, { 0x01, U40K }, 4, 0 },
    { &msg_leavegroup_resp_codec, 4, { 0, 0, 0, 0, 0, 0, U40K }, 9, 0 },
    { &msg_offsetcommit_req_codec, 8, { 0x01, 0, 0, 0, 0, 0x01, 0x00, U40K }, 10, 0 },
    { &msg_offsetcommit_resp_codec, 8, { 0, 0, 0, 0, U40K }, 7, 0 },
    { &msg_offsetfetch_req_codec, 6, { 0x01, U40K }, 4, 0 },
    { &msg_offsetfetch_req_codec, 8, { U40K }, 3, 0 },
    { &msg_offsetfetch_resp_codec, 6, { 0, 0, 0, 0, U40K }, 7, 0 },
    { &msg_offsetfetch_resp_codec, 8, { 0, 0, 0, 0, U40K }, 7, 0 },
    { &msg_offsetdelete_req_codec, 0, { 0, 0, C40K }, 6, 0 },
    { &msg_offsetdelete_resp_codec, 0, { 0, 0, 0, 0, 0, 0, C40K }, 10, 0 },
    { &msg_listgroups_resp_codec, 3, { 0, 0, 0, 0, 0, 0, U40K }, 9, 0 },
    { &msg_describegroups_req_codec, 0, { C40K }, 4, 0 },
    { &msg_describegroups_resp_codec, 5, { 0, 0, 0, 0, U40K }, 7, 0 },
    { &msg_deletegroups_req_codec, 1, { C40K }, 4, 0 },
    { &msg_deletegroups_resp_codec, 2, { 0, 0, 0, 0, U40K }, 7, 0 },
    /* nested */
    { &msg_offsetcommit_req_codec, 8,
      { 0x01, 0, 0, 0, 0, 0x01, 0x00, 0x02, 0x02, 't', U40K }, 13, 4096 },
    { &msg_offsetcommit_resp_codec, 2, { 0, 0, 0, 1, 0, 1, 't', C40K }, 11, 4096 },
    { &msg_offsetfetch_req_codec, 1, { 0, 0, 0, 0, 0, 1, 0, 1, 't', C20K }, 13, 4096 },
    { &msg_offsetfetch_req_codec, 8, { 0x02, 0x02, 'g', 0x02, 0x02, 't', U40K }, 9, 4096 },
    { &msg_offsetfetch_resp_codec, 8, { 0, 0, 0, 0, 0x02, 0x02, 'g', 0x02, 0x02, 't', U40K },
      13, 4096 },
    { &msg_offsetdelete_req_codec, 0, { 0, 0, 0, 0, 0, 1, 0, 1, 't', C20K }, 13, 4096 },
    { &msg_describegroups_resp_codec, 0,
      { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, C40K }, 18, 4096 },
};

Test(msg_group_hostile, plausible_counts_need_the_minimum_element_size)
{
    enum { BUF = 64 * 1024 };
    uint8_t *buf = calloc(1, BUF);

    for (size_t i = 0; i < sizeof plausible_cases / sizeof plausible_cases[0]; i++) {
        const plausible *x = &plausible_cases[i];
        void *out = malloc(x->c->size);
        uint8_t *keep;
        sl_arena a;

        memset(buf, 0, BUF);
        memcpy(buf, x->bytes, x->n);
        sl_arena_init(&a, 0);
        cr_assert_eq(decode_bytes(x->c, x->v, buf, BUF, &a, out, &keep), SL_E_MALFORMED,
                     "case %zu: %s v%d", i, x->c->name, x->v);
        cr_assert_leq(a.used_total, x->max_used, "case %zu: %s v%d allocated %zu bytes", i,
                      x->c->name, x->v, a.used_total);
        sl_arena_free(&a);
        free(keep);
        free(out);
    }
    free(buf);
}

Test(msg_group_hostile, absurd_string_and_bytes_lengths)
{
    /* JoinGroup v0: protocol metadata claims 2^31-1 bytes. */
    static const uint8_t j0[] = { 0, 1, 'g', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'r',
                                  0x7f, 0xff, 0xff, 0xff, 0 };
    /* JoinGroup v0: metadata length -2. */
    static const uint8_t jn[] = { 0, 1, 'g', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'r',
                                  0xff, 0xff, 0xff, 0xfe, 0 };
    /* SyncGroup v4 response: assignment of 2^32-2 bytes (compact). */
    static const uint8_t s4[] = { 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0 };
    /* SyncGroup v4 response: overlong uvarint length. */
    static const uint8_t so[] = { 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0 };
    /* Heartbeat v4: group_id of 2^31 bytes (compact). */
    static const uint8_t h4[] = { 0x80, 0x80, 0x80, 0x80, 0x08, 'g' };
    /* Heartbeat v0: group_id length -2. */
    static const uint8_t h0[] = { 0xff, 0xfe, 'g' };
    msg_joingroup_req jq;
    msg_syncgroup_resp sr;
    msg_heartbeat_req hq;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    decode_expect(&msg_joingroup_req_codec, 0, j0, sizeof j0, &a, &jq, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_joingroup_req_codec, 0, jn, sizeof jn, &a, &jq, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_syncgroup_resp_codec, 4, s4, sizeof s4, &a, &sr, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_syncgroup_resp_codec, 4, so, sizeof so, &a, &sr, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_heartbeat_req_codec, 4, h4, sizeof h4, &a, &hq, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_heartbeat_req_codec, 0, h0, sizeof h0, &a, &hq, &keep, SL_E_MALFORMED);
    free(keep);
    /* A well-formed length decodes (the test can fail). */
    {
        static const uint8_t ok[] = { 0, 0, 0, 0, 0, 0, 0x03, 0xaa, 0xbb, 0 };

        decode_expect(&msg_syncgroup_resp_codec, 4, ok, sizeof ok, &a, &sr, &keep, SL_OK);
        cr_assert_eq(sr.assignment.n, 2);
        free(keep);
    }
    sl_arena_free(&a);
}

Test(msg_group_hostile, arena_limit_gives_nomem)
{
    /* OffsetCommit v2: 100 topics "x", each with one partition. */
    enum { PART = 4 + 8 + 2 };
    uint8_t buf[20 + 100 * (3 + 4 + PART)];
    size_t n = 0;
    msg_offsetcommit_req out;
    uint8_t *keep;
    sl_arena a;

    memset(buf, 0, sizeof buf);
    n = 16; /* "", generation 0, "", retention 0 */
    sl_put_be32(buf + n, 100), n += 4;
    for (int i = 0; i < 100; i++) {
        buf[n + 1] = 1, buf[n + 2] = 'x', n += 3;
        sl_put_be32(buf + n, 1), n += 4;
        n += PART;
    }
    cr_assert_eq(n, sizeof buf);
    sl_arena_init(&a, 256);
    decode_expect(&msg_offsetcommit_req_codec, 2, buf, n, &a, &out, &keep, SL_E_NOMEM);
    cr_assert_leq(a.used_total, 256);
    free(keep);
    sl_arena_free(&a);
    /* And with room it decodes. */
    sl_arena_init(&a, 0);
    decode_expect(&msg_offsetcommit_req_codec, 2, buf, n, &a, &out, &keep, SL_OK);
    cr_assert_eq(out.topics_count, 100);
    assert_str(out.topics[99].name, "x", "name");
    free(keep);
    sl_arena_free(&a);
}

/* --- tolerance ---------------------------------------------------------- */

Test(msg_group_misc, unknown_tags_are_skipped)
{
    /* JoinGroup v6 request: a tag on the protocol and two at the top. */
    static const uint8_t jq[] = {
        0x02, 'g', 0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30,  /* "g", 30000, 30000 */
        0x01, 0x00, 0x09, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',
        0x02, 0x02, 'r', 0x02, 0xaa,                    /* [ "r", {aa} */
        0x01, 0x05, 0x02, 0xbb, 0xcc,                   /*   tag 5 ] */
        0x02, 0x00, 0x01, 0x11, 0x07, 0x00,             /* tags 0 and 7 */
    };
    /* OffsetFetch v8 request: tags on a topic and on the group. */
    static const uint8_t fq[] = {
        0x02, 0x02, 'g', 0x02, 0x02, 't', 0x02, 0, 0, 0, 3, /* [ "g" [ "t" [3] */
        0x01, 0x63, 0x01, 0x00,                             /*   tag 99 ] */
        0x01, 0x01, 0x00,                                   /*   tag 1 ] */
        0x00, 0x00,                                         /* stable, tags */
    };
    msg_joingroup_req j;
    msg_offsetfetch_req f;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    decode_expect(&msg_joingroup_req_codec, 6, jq, sizeof jq, &a, &j, &keep, SL_OK);
    cr_assert_eq(j.session_timeout_ms, 30000);
    assert_str(j.protocol_type, "consumer", "protocol_type");
    cr_assert_eq(j.protocols_count, 1);
    assert_str(j.protocols[0].name, "r", "name");
    cr_assert_eq(j.protocols[0].metadata.n, 1);
    cr_assert_eq(j.protocols[0].metadata.p[0], 0xaa);
    free(keep);
    decode_expect(&msg_offsetfetch_req_codec, 8, fq, sizeof fq, &a, &f, &keep, SL_OK);
    cr_assert_eq(f.groups_count, 1);
    cr_assert_eq(f.groups[0].topics_count, 1);
    cr_assert_eq(f.groups[0].topics[0].partition_indexes_count, 1);
    cr_assert_eq(f.groups[0].topics[0].partition_indexes[0], 3);
    free(keep);
    sl_arena_free(&a);
    check_truncations(&msg_joingroup_req_codec, 6, jq, sizeof jq);
    check_truncations(&msg_offsetfetch_req_codec, 8, fq, sizeof fq);
}

Test(msg_group_misc, trailing_bytes_are_ignored)
{
    /* Heartbeat v4 request and OffsetCommit v8 response, then junk. */
    static const uint8_t hb[] = { 0x02, 'g', 0, 0, 0, 1, 0x02, 'm', 0x00, 0x00, 0xde, 0xad };
    static const uint8_t oc[] = { 0, 0, 0, 0, 0x01, 0x00, 0x77 };
    msg_heartbeat_req h;
    msg_offsetcommit_resp o;
    sl_arena a;
    kbuf_rd r;

    sl_arena_init(&a, 0);
    kbuf_rd_init(&r, hb, sizeof hb);
    cr_assert_eq(msg_heartbeat_req_decode(&r, 4, &a, &h), SL_OK);
    cr_assert_eq(kbuf_remaining(&r), 2);
    assert_str(h.member_id, "m", "member_id");
    kbuf_rd_init(&r, oc, sizeof oc);
    cr_assert_eq(msg_offsetcommit_resp_decode(&r, 8, &a, &o), SL_OK);
    cr_assert_eq(kbuf_remaining(&r), 1);
    sl_arena_free(&a);
}

/* --- version bounds ----------------------------------------------------- */

typedef struct range {
    const codec *c;
    int16_t lo, hi;
} range;

Test(msg_group_misc, versions_outside_the_range_are_refused)
{
    static const range ranges[] = {
        { &msg_findcoordinator_req_codec, MSG_FINDCOORDINATOR_VMIN, MSG_FINDCOORDINATOR_VMAX },
        { &msg_findcoordinator_resp_codec, MSG_FINDCOORDINATOR_VMIN, MSG_FINDCOORDINATOR_VMAX },
        { &msg_joingroup_req_codec, MSG_JOINGROUP_VMIN, MSG_JOINGROUP_VMAX },
        { &msg_joingroup_resp_codec, MSG_JOINGROUP_VMIN, MSG_JOINGROUP_VMAX },
        { &msg_syncgroup_req_codec, MSG_SYNCGROUP_VMIN, MSG_SYNCGROUP_VMAX },
        { &msg_syncgroup_resp_codec, MSG_SYNCGROUP_VMIN, MSG_SYNCGROUP_VMAX },
        { &msg_heartbeat_req_codec, MSG_HEARTBEAT_VMIN, MSG_HEARTBEAT_VMAX },
        { &msg_heartbeat_resp_codec, MSG_HEARTBEAT_VMIN, MSG_HEARTBEAT_VMAX },
        { &msg_leavegroup_req_codec, MSG_LEAVEGROUP_VMIN, MSG_LEAVEGROUP_VMAX },
        { &msg_leavegroup_resp_codec, MSG_LEAVEGROUP_VMIN, MSG_LEAVEGROUP_VMAX },
        { &msg_offsetcommit_req_codec, MSG_OFFSETCOMMIT_VMIN, MSG_OFFSETCOMMIT_VMAX },
        { &msg_offsetcommit_resp_codec, MSG_OFFSETCOMMIT_VMIN, MSG_OFFSETCOMMIT_VMAX },
        { &msg_offsetfetch_req_codec, MSG_OFFSETFETCH_VMIN, MSG_OFFSETFETCH_VMAX },
        { &msg_offsetfetch_resp_codec, MSG_OFFSETFETCH_VMIN, MSG_OFFSETFETCH_VMAX },
        { &msg_offsetdelete_req_codec, MSG_OFFSETDELETE_VMIN, MSG_OFFSETDELETE_VMAX },
        { &msg_offsetdelete_resp_codec, MSG_OFFSETDELETE_VMIN, MSG_OFFSETDELETE_VMAX },
        { &msg_listgroups_req_codec, MSG_LISTGROUPS_VMIN, MSG_LISTGROUPS_VMAX },
        { &msg_listgroups_resp_codec, MSG_LISTGROUPS_VMIN, MSG_LISTGROUPS_VMAX },
        { &msg_describegroups_req_codec, MSG_DESCRIBEGROUPS_VMIN, MSG_DESCRIBEGROUPS_VMAX },
        { &msg_describegroups_resp_codec, MSG_DESCRIBEGROUPS_VMIN, MSG_DESCRIBEGROUPS_VMAX },
        { &msg_deletegroups_req_codec, MSG_DELETEGROUPS_VMIN, MSG_DELETEGROUPS_VMAX },
        { &msg_deletegroups_resp_codec, MSG_DELETEGROUPS_VMIN, MSG_DELETEGROUPS_VMAX },
    };
    uint8_t zeros[64] = { 0 };

    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        const range *g = &ranges[i];
        int16_t bad[] = { -1, (int16_t)(g->lo - 1), (int16_t)(g->hi + 1), INT16_MAX };
        void *msg = calloc(1, g->c->size);

        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            uint8_t *keep;
            sl_arena a;
            kbuf_wr w;

            if (bad[j] >= g->lo && bad[j] <= g->hi)
                continue;
            sl_arena_init(&a, 0);
            cr_assert_eq(decode_bytes(g->c, bad[j], zeros, sizeof zeros, &a, msg, &keep),
                         SL_KE_UNSUPPORTED_VERSION, "%s v%d", g->c->name, bad[j]);
            free(keep);
            sl_arena_free(&a);
            memset(msg, 0, g->c->size);
            kbuf_wr_init(&w, 0);
            g->c->enc(&w, bad[j], msg);
            cr_assert_eq(w.err, SL_E_INVAL, "%s v%d", g->c->name, bad[j]);
            cr_assert_eq(w.len, 0);
            kbuf_wr_free(&w);
        }
        free(msg);
    }
}

/* --- minimum element sizes are not overestimated ----------------------- */

/* Arrays of 50 smallest-possible elements (zeroed structs: empty strings
 * and bytes, empty arrays), one array at a time and near the end of the
 * body, must decode: a minimum element size above the true one would
 * refuse them, since 50 elements outweigh the few bytes that follow. */
enum { NMIN = 50 };

static void minimal_ok(const codec *c, int16_t v, const void *msg, const char *what)
{
    void *out = malloc(c->size);
    uint8_t *keep;
    sl_arena a;
    kbuf_wr w;
    kbuf_rd r;

    kbuf_wr_init(&w, 0);
    c->enc(&w, v, msg);
    cr_assert_eq(w.err, SL_OK);
    keep = dup_exact(w.p, w.len);
    sl_arena_init(&a, 0);
    kbuf_rd_init(&r, keep, w.len);
    cr_assert_eq(c->dec(&r, v, &a, out), SL_OK, "%s v%d: %s", c->name, v, what);
    cr_assert_eq(kbuf_remaining(&r), 0);
    sl_arena_free(&a);
    free(keep);
    kbuf_wr_free(&w);
    free(out);
}

Test(msg_group_minimal, smallest_elements_decode)
{
    static sl_bytes strs[NMIN];
    static int32_t ints[NMIN];
    static msg_findcoordinator_resp_coordinator fc[NMIN];
    static msg_joingroup_req_protocol jp[NMIN];
    static msg_joingroup_resp_member jm[NMIN];
    static msg_syncgroup_req_assignment sa[NMIN];
    static msg_leavegroup_req_member lqm[NMIN];
    static msg_leavegroup_resp_member lsm[NMIN];
    static msg_offsetcommit_req_topic cqt[NMIN];
    static msg_offsetcommit_req_partition cqp[NMIN];
    static msg_offsetcommit_resp_topic cst[NMIN];
    static msg_offsetcommit_resp_partition csp[NMIN];
    static msg_offsetfetch_req_topic fqt[NMIN];
    static msg_offsetfetch_req_group fqg[NMIN];
    static msg_offsetfetch_resp_topic fst[NMIN];
    static msg_offsetfetch_resp_partition fsp[NMIN];
    static msg_offsetfetch_resp_group fsg[NMIN];
    static msg_offsetdelete_req_topic dqt[NMIN];
    static msg_offsetdelete_req_partition dqp[NMIN];
    static msg_offsetdelete_resp_topic dst[NMIN];
    static msg_offsetdelete_resp_partition dsp[NMIN];
    static msg_listgroups_resp_group lg[NMIN];
    static msg_describegroups_resp_group dg[NMIN];
    static msg_describegroups_resp_member dm[NMIN];
    static msg_deletegroups_resp_result dr[NMIN];

    /* Nullable fields as null (as small as empty) and nullable arrays as
     * null, so those forms are covered too. */
    for (int i = 0; i < NMIN; i++) {
        fc[i].error_message = SL_BYTES_NULL;
        jm[i].group_instance_id = SL_BYTES_NULL;
        lqm[i].group_instance_id = SL_BYTES_NULL;
        lsm[i].group_instance_id = SL_BYTES_NULL;
        cqp[i].committed_metadata = SL_BYTES_NULL;
        fsp[i].metadata = SL_BYTES_NULL;
        dm[i].group_instance_id = SL_BYTES_NULL;
        fqg[i].topics_count = -1;
    }

    for (int16_t v = MSG_FINDCOORDINATOR_VMIN; v <= MSG_FINDCOORDINATOR_VMAX; v++) {
        msg_findcoordinator_req q = { .coordinator_keys = strs, .coordinator_keys_count = NMIN };
        msg_findcoordinator_resp s = { .coordinators = fc, .coordinators_count = NMIN };

        minimal_ok(&msg_findcoordinator_req_codec, v, &q, "coordinator_keys");
        minimal_ok(&msg_findcoordinator_resp_codec, v, &s, "coordinators");
    }
    for (int16_t v = MSG_JOINGROUP_VMIN; v <= MSG_JOINGROUP_VMAX; v++) {
        msg_joingroup_req q = { .protocols = jp, .protocols_count = NMIN };
        msg_joingroup_resp s = { .members = jm, .members_count = NMIN };

        minimal_ok(&msg_joingroup_req_codec, v, &q, "protocols");
        minimal_ok(&msg_joingroup_resp_codec, v, &s, "members");
    }
    for (int16_t v = MSG_SYNCGROUP_VMIN; v <= MSG_SYNCGROUP_VMAX; v++) {
        msg_syncgroup_req q = { .assignments = sa, .assignments_count = NMIN };

        minimal_ok(&msg_syncgroup_req_codec, v, &q, "assignments");
    }
    for (int16_t v = MSG_LEAVEGROUP_VMIN; v <= MSG_LEAVEGROUP_VMAX; v++) {
        msg_leavegroup_req q = { .members = lqm, .members_count = NMIN };
        msg_leavegroup_resp s = { .members = lsm, .members_count = NMIN };

        minimal_ok(&msg_leavegroup_req_codec, v, &q, "members");
        minimal_ok(&msg_leavegroup_resp_codec, v, &s, "members");
    }
    for (int16_t v = MSG_OFFSETCOMMIT_VMIN; v <= MSG_OFFSETCOMMIT_VMAX; v++) {
        msg_offsetcommit_req_topic qt = { .partitions = cqp, .partitions_count = NMIN };
        msg_offsetcommit_resp_topic st = { .partitions = csp, .partitions_count = NMIN };
        msg_offsetcommit_req q1 = { .topics = cqt, .topics_count = NMIN };
        msg_offsetcommit_req q2 = { .topics = &qt, .topics_count = 1 };
        msg_offsetcommit_resp s1 = { .topics = cst, .topics_count = NMIN };
        msg_offsetcommit_resp s2 = { .topics = &st, .topics_count = 1 };

        minimal_ok(&msg_offsetcommit_req_codec, v, &q1, "topics");
        minimal_ok(&msg_offsetcommit_req_codec, v, &q2, "partitions");
        minimal_ok(&msg_offsetcommit_resp_codec, v, &s1, "topics");
        minimal_ok(&msg_offsetcommit_resp_codec, v, &s2, "partitions");
    }
    for (int16_t v = MSG_OFFSETFETCH_VMIN; v <= MSG_OFFSETFETCH_VMAX; v++) {
        msg_offsetfetch_req_topic qt = { .partition_indexes = ints,
                                         .partition_indexes_count = NMIN };
        msg_offsetfetch_req_group qg1 = { .topics = fqt, .topics_count = NMIN };
        msg_offsetfetch_req_group qg2 = { .topics = &qt, .topics_count = 1 };
        msg_offsetfetch_resp_topic st = { .partitions = fsp, .partitions_count = NMIN };
        msg_offsetfetch_resp_group sg1 = { .topics = fst, .topics_count = NMIN };
        msg_offsetfetch_resp_group sg2 = { .topics = &st, .topics_count = 1 };
        msg_offsetfetch_req q1 = { .topics = fqt, .topics_count = NMIN, .groups = &qg1,
                                   .groups_count = 1 };
        msg_offsetfetch_req q2 = { .topics = &qt, .topics_count = 1, .groups = &qg2,
                                   .groups_count = 1 };
        msg_offsetfetch_req q3 = { .groups = fqg, .groups_count = NMIN };
        msg_offsetfetch_resp s1 = { .topics = fst, .topics_count = NMIN, .groups = &sg1,
                                    .groups_count = 1 };
        msg_offsetfetch_resp s2 = { .topics = &st, .topics_count = 1, .groups = &sg2,
                                    .groups_count = 1 };
        msg_offsetfetch_resp s3 = { .groups = fsg, .groups_count = NMIN };

        minimal_ok(&msg_offsetfetch_req_codec, v, &q1, "topics");
        minimal_ok(&msg_offsetfetch_req_codec, v, &q2, "partition_indexes");
        minimal_ok(&msg_offsetfetch_resp_codec, v, &s1, "topics");
        minimal_ok(&msg_offsetfetch_resp_codec, v, &s2, "partitions");
        if (v >= 8) {
            minimal_ok(&msg_offsetfetch_req_codec, v, &q3, "groups");
            minimal_ok(&msg_offsetfetch_resp_codec, v, &s3, "groups");
        }
    }
    {
        msg_offsetdelete_req_topic qt = { .partitions = dqp, .partitions_count = NMIN };
        msg_offsetdelete_resp_topic st = { .partitions = dsp, .partitions_count = NMIN };
        msg_offsetdelete_req q1 = { .topics = dqt, .topics_count = NMIN };
        msg_offsetdelete_req q2 = { .topics = &qt, .topics_count = 1 };
        msg_offsetdelete_resp s1 = { .topics = dst, .topics_count = NMIN };
        msg_offsetdelete_resp s2 = { .topics = &st, .topics_count = 1 };

        minimal_ok(&msg_offsetdelete_req_codec, 0, &q1, "topics");
        minimal_ok(&msg_offsetdelete_req_codec, 0, &q2, "partitions");
        minimal_ok(&msg_offsetdelete_resp_codec, 0, &s1, "topics");
        minimal_ok(&msg_offsetdelete_resp_codec, 0, &s2, "partitions");
    }
    for (int16_t v = MSG_LISTGROUPS_VMIN; v <= MSG_LISTGROUPS_VMAX; v++) {
        msg_listgroups_req q = { strs, NMIN };
        msg_listgroups_resp s = { .groups = lg, .groups_count = NMIN };

        minimal_ok(&msg_listgroups_req_codec, v, &q, "states_filter");
        minimal_ok(&msg_listgroups_resp_codec, v, &s, "groups");
    }
    for (int16_t v = MSG_DESCRIBEGROUPS_VMIN; v <= MSG_DESCRIBEGROUPS_VMAX; v++) {
        msg_describegroups_resp_group g = { .members = dm, .members_count = NMIN };
        msg_describegroups_req q = { strs, NMIN, false };
        msg_describegroups_resp s1 = { .groups = dg, .groups_count = NMIN };
        msg_describegroups_resp s2 = { .groups = &g, .groups_count = 1 };

        minimal_ok(&msg_describegroups_req_codec, v, &q, "groups");
        minimal_ok(&msg_describegroups_resp_codec, v, &s1, "groups");
        minimal_ok(&msg_describegroups_resp_codec, v, &s2, "members");
    }
    for (int16_t v = MSG_DELETEGROUPS_VMIN; v <= MSG_DELETEGROUPS_VMAX; v++) {
        msg_deletegroups_req q = { strs, NMIN };
        msg_deletegroups_resp s = { .results = dr, .results_count = NMIN };

        minimal_ok(&msg_deletegroups_req_codec, v, &q, "groups_names");
        minimal_ok(&msg_deletegroups_resp_codec, v, &s, "results");
    }
}
