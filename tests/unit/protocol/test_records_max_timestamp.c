/*
 * test_records_max_timestamp.c - maxTimestamp recomputed from the records,
 * as Kafka's LogValidator does (issue 19 item 2: Sarama 1.22 sends -1):
 * rec_set_check_fix() for uncompressed batches, codec_batch_max_timestamp()
 * for compressed ones, rec_batch_set_max_timestamp() resealing the CRC.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "protocol/codec.h"
#include "protocol/records.h"

#define BASE_TS 1700000000000LL
#define OFF_MAX_TS 35

static int64_t get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* Three records at BASE_TS, BASE_TS + 9 and BASE_TS + 4: the largest is
 * not the last. */
static uint8_t *build(size_t *len)
{
    rec_builder *b = rec_builder_new(BASE_TS);
    const int64_t ts[] = { BASE_TS, BASE_TS + 9, BASE_TS + 4 };
    uint8_t *p;

    cr_assert_not_null(b);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(rec_builder_add(b, ts[i], sl_bytes_str("k"), sl_bytes_str("v"), NULL, 0),
                     SL_OK);
    p = rec_builder_finish(b, len);
    rec_builder_free(b);
    cr_assert_not_null(p);
    return p;
}

/* The batch as a client with a wrong maxTimestamp sends it: valid CRC. */
static uint8_t *build_with_max(int64_t max_ts, size_t *len)
{
    uint8_t *p = build(len);

    rec_batch_set_max_timestamp(p, *len, max_ts);
    cr_assert_eq(get64(p + OFF_MAX_TS), max_ts);
    cr_assert_eq(rec_batch_validate(p, *len, NULL), SL_OK, "the CRC was resealed");
    return p;
}

Test(records_max_timestamp, minus_one_is_recomputed_and_the_crc_resealed)
{
    size_t len;
    uint8_t *p = build_with_max(-1, &len);
    int32_t nb = 0;
    rec_batch h;

    cr_assert_eq(rec_set_check_fix(p, len, &nb), SL_OK);
    cr_assert_eq(nb, 1);
    cr_assert_eq(rec_batch_validate(p, len, &h), SL_OK);
    cr_assert_eq(h.max_timestamp, BASE_TS + 9);
    free(p);
}

Test(records_max_timestamp, too_small_and_too_large_are_both_corrected)
{
    const int64_t wrong[] = { BASE_TS, BASE_TS + 4, BASE_TS + 10, INT64_MAX };

    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        size_t len;
        uint8_t *p = build_with_max(wrong[i], &len);
        int32_t nb;

        cr_assert_eq(rec_set_check_fix(p, len, &nb), SL_OK);
        cr_assert_eq(get64(p + OFF_MAX_TS), BASE_TS + 9, "from %lld", (long long)wrong[i]);
        cr_assert_eq(rec_batch_validate(p, len, NULL), SL_OK);
        free(p);
    }
}

Test(records_max_timestamp, a_right_batch_is_left_byte_for_byte)
{
    size_t len;
    uint8_t *p = build(&len), *copy = malloc(len);
    int32_t nb;

    cr_assert_not_null(copy);
    memcpy(copy, p, len);
    cr_assert_eq(get64(p + OFF_MAX_TS), BASE_TS + 9);
    cr_assert_eq(rec_set_check_fix(p, len, &nb), SL_OK);
    cr_assert_eq(memcmp(p, copy, len), 0);
    free(p);
    free(copy);
}

Test(records_max_timestamp, each_batch_of_a_set_and_check_alone_changes_nothing)
{
    size_t a_len, b_len;
    uint8_t *a = build_with_max(-1, &a_len), *b = build(&b_len);
    uint8_t *set = malloc(a_len + b_len), *copy = malloc(a_len + b_len);
    int32_t nb;

    cr_assert(set && copy);
    memcpy(set, a, a_len);
    memcpy(set + a_len, b, b_len);
    memcpy(copy, set, a_len + b_len);
    cr_assert_eq(rec_set_check(set, a_len + b_len, &nb), SL_OK);
    cr_assert_eq(memcmp(set, copy, a_len + b_len), 0, "rec_set_check writes nothing");
    cr_assert_eq(rec_set_check_fix(set, a_len + b_len, &nb), SL_OK);
    cr_assert_eq(nb, 2);
    cr_assert_eq(get64(set + OFF_MAX_TS), BASE_TS + 9);
    cr_assert_eq(memcmp(set + a_len, b, b_len), 0, "the right batch is untouched");
    cr_assert_eq(rec_set_check(set, a_len + b_len, &nb), SL_OK);
    free(a);
    free(b);
    free(set);
    free(copy);
}

Test(records_max_timestamp, compressed_batches_are_not_opened_by_the_set_check)
{
    size_t len, clen;
    uint8_t *p = build(&len), *c;
    int32_t nb;
    int64_t ts = 0;

    cr_assert_eq(codec_batch_compress(p, len, CODEC_GZIP, 0, &c, &clen), SL_OK);
    rec_batch_set_max_timestamp(c, clen, -1);
    cr_assert_eq(rec_set_check_fix(c, clen, &nb), SL_OK);
    cr_assert_eq(get64(c + OFF_MAX_TS), -1, "the produce path does not decompress here");
    cr_assert_eq(codec_batch_max_timestamp(c, clen, 1 << 20, &ts), SL_OK);
    cr_assert_eq(ts, BASE_TS + 9);
    cr_assert_eq(codec_batch_max_timestamp(c, clen, 8, &ts), SL_E_RANGE, "bounded");
    memset(c + 61, 0xff, 4); /* garble the compressed records' gzip header */
    cr_assert_neq(codec_batch_max_timestamp(c, clen, 1 << 20, &ts), SL_OK);
    free(p);
    free(c);
}
