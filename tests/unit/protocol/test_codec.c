/*
 * test_codec.c - protocol/codec.c: every codec round-trips (empty, small,
 * large, incompressible), snappy reads both raw and xerial framing,
 * corrupt or truncated input and output past the limit fail cleanly, and
 * a whole batch compressed and decompressed again is the batch it was.
 */
#include <criterion/criterion.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/codec.h"
#include "protocol/records.h"

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

    cr_assert_eq(codec_compress(codec, 0, in, n, &z, &zn), SL_OK, "codec %d, %zu bytes", codec, n);
    cr_assert_eq(codec_decompress(codec, z, zn, n + 1, &out, &on), SL_OK, "codec %d, %zu bytes",
                 codec, n);
    cr_assert_eq(on, n);
    cr_assert(n == 0 || memcmp(in, out, n) == 0);
    if (n > 100) {
        /* Truncated input fails, never crashes. */
        uint8_t *t;
        size_t tn;

        cr_assert_neq(codec_decompress(codec, z, zn / 2, n + 1, &t, &tn), SL_OK, "codec %d",
                      codec);
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
    int codecs[] = { CODEC_GZIP, CODEC_SNAPPY, CODEC_LZ4, CODEC_ZSTD };
    size_t sizes[] = { 0, 1, 100, 70000, 3 << 20 };

    for (int c = 0; c < 4; c++)
        for (int s = 0; s < 5; s++) {
            round_trip(codecs[c], sizes[s], false);
            round_trip(codecs[c], sizes[s], true);
        }
}

Test(codec, snappy_raw_is_read)
{
    uint8_t *in = sample(5000, false), *out;
    size_t zn = snappy_max_compressed_length(5000), on;
    char *z = malloc(zn);

    cr_assert_eq(snappy_compress((const char *)in, 5000, z, &zn), SNAPPY_OK);
    cr_assert_eq(codec_decompress(CODEC_SNAPPY, (uint8_t *)z, zn, 1 << 20, &out, &on), SL_OK);
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

/* A batch through codec_batch_compress and codec_batch_decompress is
 * byte for byte the one built (the builder's CRC included). */
static void batch_round_trip(int codec)
{
    rec_builder *b = rec_builder_new(1000);
    uint8_t *plain, *z, *back;
    size_t len, zn, bn;
    rec_batch h;
    rec_iter it;
    rec_record r;
    int n = 0;

    for (int i = 0; i < 300; i++) {
        char v[64];

        snprintf(v, sizeof(v), "value-%d", i);
        cr_assert_eq(rec_builder_add(b, 1000 + i, SL_BYTES_NULL, sl_bytes_str(v), NULL, 0), SL_OK);
    }
    plain = rec_builder_finish(b, &len);
    rec_builder_free(b);
    cr_assert_eq(codec_batch_compress(plain, len, codec, 0, &z, &zn), SL_OK, "codec %d", codec);
    cr_assert_eq(rec_batch_validate(z, zn, &h), SL_OK);
    cr_assert_eq(h.attributes & REC_ATTR_CODEC_MASK, codec);
    cr_assert_eq(h.record_count, 300);
    cr_assert_lt(zn, len, "compressible values shrink");
    cr_assert_eq(rec_iter_init(&it, z, zn), SL_KE_UNSUPPORTED_COMPRESSION_TYPE);
    cr_assert_eq(codec_batch_decompress(z, zn, len, &back, &bn), SL_OK);
    cr_assert_eq(bn, len);
    cr_assert(memcmp(back, plain, len) == 0);
    cr_assert_eq(rec_iter_init(&it, back, bn), SL_OK);
    while (rec_iter_next(&it, &r))
        cr_assert_eq(r.timestamp, 1000 + n++);
    cr_assert_eq(it.err, SL_OK);
    cr_assert_eq(n, 300);
    free(back);
    /* The bound is on the records section: one byte short is SL_E_RANGE
     * (snappy knows its length up front and says so too). */
    cr_assert_eq(codec_batch_decompress(z, zn, len - REC_HEADER_SIZE - 1, &back, &bn),
                 SL_E_RANGE, "codec %d", codec);
    cr_assert_null(back);
    /* Neither way twice. */
    cr_assert_eq(codec_batch_compress(z, zn, codec, 0, &back, &bn), SL_E_INVAL);
    cr_assert_eq(codec_batch_decompress(plain, len, len, &back, &bn), SL_E_INVAL);
    cr_assert_eq(codec_batch_compress(plain, len, CODEC_NONE, 0, &back, &bn), SL_E_INVAL);
    /* A short buffer is rec_batch_peek's answer. */
    cr_assert_eq(codec_batch_decompress(z, zn - 1, len, &back, &bn), SL_E_SHORT);
    free(z);
    free(plain);
}

Test(codec, batches_round_trip)
{
    for (int c = CODEC_GZIP; c <= CODEC_ZSTD; c++)
        batch_round_trip(c);
}

Test(codec, corrupt_batch_fails_cleanly)
{
    rec_builder *b = rec_builder_new(5);
    uint8_t *plain, *z, *back;
    size_t len, zn, bn;

    for (int i = 0; i < 50; i++)
        cr_assert_eq(rec_builder_add(b, 5 + i, SL_BYTES_NULL, sl_bytes_str("abcabcabcabc"), NULL,
                                     0), SL_OK);
    plain = rec_builder_finish(b, &len);
    rec_builder_free(b);
    for (int c = CODEC_GZIP; c <= CODEC_ZSTD; c++) {
        cr_assert_eq(codec_batch_compress(plain, len, c, 0, &z, &zn), SL_OK);
        memset(z + REC_HEADER_SIZE, 0xA5, (zn - REC_HEADER_SIZE) / 2);
        rec_batch_seal(z, zn);
        cr_assert_neq(codec_batch_decompress(z, zn, 1 << 20, &back, &bn), SL_OK, "codec %d", c);
        cr_assert_null(back);
        free(z);
    }
    free(plain);
}
