/*
 * test_assign.c - the assignors as pure functions: range and round-robin
 * give Kafka's plans (members sorted by id, partial subscriptions), and
 * sluice-exclusive gives everything to the member whose user data sorts
 * first.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "client/group_int.h"

static const sl_bytes T_A = { (const uint8_t *)"a", 1, false };
static const sl_bytes T_B = { (const uint8_t *)"b", 1, false };

static int32_t **plan(const char *proto, const group_member_sub *m, int32_t nm,
                      const group_topic_parts *t, int32_t nt)
{
    int32_t **owner = calloc((size_t)nt, sizeof(*owner));

    for (int32_t i = 0; i < nt; i++)
        owner[i] = calloc((size_t)t[i].partitions, sizeof(int32_t));
    cr_assert_eq(group_plan(proto, m, nm, t, nt, owner), SL_OK);
    return owner;
}

static void unplan(int32_t **o, int32_t nt)
{
    for (int32_t i = 0; i < nt; i++)
        free(o[i]);
    free(o);
}

Test(assign, range)
{
    sl_bytes both[2] = { T_A, T_B }, only_a[1] = { T_A };
    /* Listed out of id order: "m2" sorts after "m1". */
    group_member_sub m[2] = { { sl_bytes_str("m2"), both, 2, SL_BYTES_NULL },
                              { sl_bytes_str("m1"), only_a, 1, SL_BYTES_NULL } };
    group_topic_parts t[2] = { { T_A, 5 }, { T_B, 3 } };
    int32_t **o = plan("range", m, 2, t, 2);
    int32_t want_a[5] = { 1, 1, 1, 0, 0 }; /* m1 gets 3 (one extra), m2 gets 2 */

    for (int p = 0; p < 5; p++)
        cr_assert_eq(o[0][p], want_a[p], "a/%d", p);
    for (int p = 0; p < 3; p++)
        cr_assert_eq(o[1][p], 0, "b/%d belongs to m2 alone", p);
    unplan(o, 2);
}

Test(assign, roundrobin)
{
    sl_bytes both[2] = { T_A, T_B };
    group_member_sub m[3] = { { sl_bytes_str("c"), both, 2, SL_BYTES_NULL },
                              { sl_bytes_str("a"), both, 2, SL_BYTES_NULL },
                              { sl_bytes_str("b"), both, 2, SL_BYTES_NULL } };
    group_topic_parts t[2] = { { T_A, 4 }, { T_B, 2 } };
    int32_t **o = plan("roundrobin", m, 3, t, 2);

    /* a/0 a/1 a/2 a/3 b/0 b/1 dealt to members a, b, c (indexes 1, 2, 0). */
    cr_assert_eq(o[0][0], 1);
    cr_assert_eq(o[0][1], 2);
    cr_assert_eq(o[0][2], 0);
    cr_assert_eq(o[0][3], 1);
    cr_assert_eq(o[1][0], 2);
    cr_assert_eq(o[1][1], 0);
    unplan(o, 2);
}

Test(assign, exclusive_goes_to_the_earliest)
{
    sl_bytes only_a[1] = { T_A };
    group_member_sub m[3] = {
        { sl_bytes_str("x"), only_a, 1, sl_bytes_str("00000000001700000000500 7") },
        { sl_bytes_str("y"), only_a, 1, sl_bytes_str("00000000001700000000100 9") },
        { sl_bytes_str("z"), only_a, 1, sl_bytes_str("00000000001700000000900 1") } };
    group_topic_parts t[1] = { { T_A, 6 } };
    int32_t **o = plan("sluice-exclusive", m, 3, t, 1);

    for (int p = 0; p < 6; p++)
        cr_assert_eq(o[0][p], 1);
    unplan(o, 1);
}

Test(assign, unknown_protocol)
{
    group_topic_parts t[1] = { { T_A, 1 } };
    int32_t row[1], *o[1] = { row };

    cr_assert_eq(group_plan("sticky", NULL, 0, t, 1, o), SL_E_INVAL);
}
