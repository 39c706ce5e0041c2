/*
 * test_recset.c - client/recset.c without a broker: the codec names, and a
 * batch built by recset_finish (each codec, producer fields) reads back
 * record for record through recset_rd, with min_offset honoured inside a
 * batch, a bad CRC refused and a partial trailing batch the end.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

Test(recset, codec_names)
{
    cr_assert_eq(slc_codec_parse("zstd"), SLC_CODEC_ZSTD);
    cr_assert_eq(slc_codec_parse("brotli"), -1);
    cr_assert_str_eq(slc_codec_name(SLC_CODEC_SNAPPY), "snappy");
}

static void batch_round_trip(int codec)
{
    rec_builder *b = rec_builder_new(1000);
    rec_header h = { sl_bytes_str("hk"), SL_BYTES_NULL };
    uint8_t *batch;
    size_t len;
    recset_rd rd = { 0 };
    rec_record r;
    int n = 0;

    for (int i = 0; i < 500; i++) {
        char v[64];

        snprintf(v, sizeof(v), "value-%d", i);
        cr_assert_eq(rec_builder_add(b, 1000 + i, i % 2 ? sl_bytes_str("k") : SL_BYTES_NULL,
                                     sl_bytes_str(v), &h, i % 3 ? 1 : 0), SL_OK);
    }
    cr_assert_eq(recset_finish(b, codec, 0, 42, 3, 100, &batch, &len), SL_OK);
    rec_builder_free(b);
    cr_assert_eq(rec_batch_validate(batch, len, &(rec_batch){ 0 }), SL_OK);
    recset_rd_init(&rd, batch, len, true);
    while (recset_next(&rd, 0, &r) == SL_OK) {
        char v[64];

        snprintf(v, sizeof(v), "value-%d", n);
        cr_assert(sl_bytes_eq_str(r.value, v));
        cr_assert_eq(r.timestamp, 1000 + n);
        cr_assert_eq(r.offset, n);
        cr_assert_eq(r.header_count, n % 3 ? 1 : 0);
        if (r.header_count)
            cr_assert(rd.hdrs[0].value.null);
        n++;
    }
    cr_assert_eq(n, 500);
    cr_assert_eq(rd.batch.producer_id, 42);
    cr_assert_eq(rd.batch.producer_epoch, 3);
    cr_assert_eq(rd.batch.base_sequence, 100);
    cr_assert_eq(rd.batch.attributes & REC_ATTR_CODEC_MASK, codec);
    /* min_offset skips records below it, even inside a batch. */
    recset_rd_init(&rd, batch, len, true);
    cr_assert_eq(recset_next(&rd, 250, &r), SL_OK);
    cr_assert_eq(r.offset, 250);
    /* A flipped byte fails the CRC-32C. */
    batch[len - 3] ^= 0x40;
    recset_rd_init(&rd, batch, len, true);
    cr_assert_eq(recset_next(&rd, 0, &r), SL_KE_CORRUPT_MESSAGE);
    /* A partial batch at the end of a fetch is just the end. */
    recset_rd_init(&rd, batch, len - 10, true);
    cr_assert_eq(recset_next(&rd, 0, &r), SL_E_NOTFOUND);
    recset_rd_free(&rd);
    free(batch);
}

Test(recset, batches_round_trip)
{
    for (int c = 0; c <= 4; c++)
        batch_round_trip(c);
}
