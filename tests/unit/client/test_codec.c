/*
 * test_codec.c - the compression codecs and record-set reading, without a
 * broker: every codec round-trips (empty, small, large, incompressible),
 * snappy reads both raw and xerial framing, corrupt or truncated input and
 * output past the limit fail cleanly, and a compressed batch built by
 * recset_finish reads back record for record, with a bad CRC refused.
 */
#include <criterion/criterion.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

static uint8_t *sample(size_t n, bool random)
{
    uint8_t *p = malloc(n ? n : 1);
    uint32_t x = 12345;

    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245 + 12345;
        p[i] = random ? (uint8_t)(x >> 16) : (uint8_t)("sluice log "[i % 11]);
    }
    return p;
}

static void round_trip(int codec, size_t n, bool random)
{
    uint8_t *in = sample(n, random), *z, *out;
    size_t zn, on;

    cr_assert_eq(codec_compress(codec, 0, in, n, &z, &zn), SL_OK, "%s %zu", slc_codec_name(codec), n);
    cr_assert_eq(codec_decompress(codec, z, zn, n + 1, &out, &on), SL_OK, "%s %zu",
                 slc_codec_name(codec), n);
    cr_assert_eq(on, n);
    cr_assert(n == 0 || memcmp(in, out, n) == 0);
    if (n > 100) {
        /* Truncated input fails, never crashes. */
        uint8_t *t;
        size_t tn;

        cr_assert_neq(codec_decompress(codec, z, zn / 2, n + 1, &t, &tn), SL_OK, "%s",
                      slc_codec_name(codec));
        /* A limit below the real size is SL_E_RANGE (or corrupt for snappy's
         * length check), never an overrun. */
        cr_assert_neq(codec_decompress(codec, z, zn, n / 2, &t, &tn), SL_OK);
    }
    free(in);
    free(z);
    free(out);
}

Test(codec, every_codec_round_trips)
{
    int codecs[] = { SLC_CODEC_GZIP, SLC_CODEC_SNAPPY, SLC_CODEC_LZ4, SLC_CODEC_ZSTD };
    size_t sizes[] = { 0, 1, 100, 70000, 3 << 20 };

    for (int c = 0; c < 4; c++)
        for (int s = 0; s < 5; s++) {
            round_trip(codecs[c], sizes[s], false);
            round_trip(codecs[c], sizes[s], true);
        }
}

Test(codec, names)
{
    cr_assert_eq(slc_codec_parse("zstd"), SLC_CODEC_ZSTD);
    cr_assert_eq(slc_codec_parse("brotli"), -1);
    cr_assert_str_eq(slc_codec_name(SLC_CODEC_SNAPPY), "snappy");
}

Test(codec, snappy_raw_is_read)
{
    uint8_t *in = sample(5000, false), *out;
    size_t zn = snappy_max_compressed_length(5000), on;
    char *z = malloc(zn);

    cr_assert_eq(snappy_compress((const char *)in, 5000, z, &zn), SNAPPY_OK);
    cr_assert_eq(codec_decompress(SLC_CODEC_SNAPPY, (uint8_t *)z, zn, 1 << 20, &out, &on), SL_OK);
    cr_assert_eq(on, 5000);
    cr_assert(memcmp(in, out, 5000) == 0);
    free(in);
    free(z);
    free(out);
}

Test(codec, garbage_is_corrupt)
{
    uint8_t junk[64], *out;
    size_t on;

    memset(junk, 0xA5, sizeof(junk));
    for (int c = 1; c <= 4; c++)
        cr_assert_neq(codec_decompress(c, junk, sizeof(junk), 1 << 20, &out, &on), SL_OK, "%d", c);
    cr_assert_eq(codec_decompress(7, junk, 1, 10, &out, &on), SL_KE_UNSUPPORTED_COMPRESSION_TYPE);
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

Test(codec, batches_round_trip)
{
    for (int c = 0; c <= 4; c++)
        batch_round_trip(c);
}
