/*
 * codec.h - the RecordBatch compression codecs (gzip, snappy, lz4, zstd)
 * on bytes, and a whole batch's records section swapped for its compressed
 * or decompressed form.
 *
 * The client compresses what it produces and decompresses what it fetches.
 * The broker stores batches as they came and never decompresses on the
 * produce path; storage decompresses one batch only to answer ListOffsets
 * by time with the exact record (storage/read.c).
 */
#ifndef SL_CODEC_H
#define SL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

/* The codec ids of a batch's attributes (REC_ATTR_CODEC_MASK). */
enum {
    CODEC_NONE = 0,
    CODEC_GZIP = 1,
    CODEC_SNAPPY = 2,
    CODEC_LZ4 = 3,
    CODEC_ZSTD = 4
};

/* Compress in[0..n) with codec (level 0: the codec's default) into a
 * malloc'd *out (caller frees).  SL_KE_UNSUPPORTED_COMPRESSION_TYPE for an
 * unknown codec (or CODEC_NONE). */
sl_err codec_compress(int codec, int level, const uint8_t *in, size_t n, uint8_t **out,
                      size_t *outlen);
/* Decompress into a malloc'd *out (caller frees) of at most max_out bytes
 * (SL_E_RANGE beyond); SL_KE_CORRUPT_MESSAGE for bad or truncated input;
 * snappy accepts raw and xerial-framed (Java) input.  *out is NULL on
 * any error. */
sl_err codec_decompress(int codec, const uint8_t *in, size_t n, size_t max_out,
                        uint8_t **out, size_t *outlen);

/* A compressed copy of the uncompressed batch at batch (len bytes: at
 * least the whole batch): its header, the records compressed with codec,
 * the codec bits set, batchLength and the CRC-32C recomputed.  Owned
 * (free()).  SL_E_INVAL if the batch is compressed already or codec is
 * CODEC_NONE; rec_batch_peek's errors; codec_compress's errors. */
sl_err codec_batch_compress(const uint8_t *batch, size_t len, int codec, int level,
                            uint8_t **out, size_t *outlen);
/* An uncompressed copy of the compressed batch at batch, which rec_iter
 * reads: its header, the records decompressed (at most max_records bytes,
 * else SL_E_RANGE), the codec bits cleared, batchLength and the CRC-32C
 * recomputed.  Owned (free()).  The input's CRC is not checked (check it
 * first where the bytes are not trusted).  SL_E_INVAL if the batch is not
 * compressed; rec_batch_peek's errors; codec_decompress's errors. */
sl_err codec_batch_decompress(const uint8_t *batch, size_t len, size_t max_records,
                              uint8_t **out, size_t *outlen);
/* The largest record timestamp of the compressed batch at batch (-1 if
 * none), decompressing it (at most max_records bytes, else SL_E_RANGE):
 * what Kafka's LogValidator puts in maxTimestamp.  SL_KE_CORRUPT_MESSAGE if
 * the records do not decompress or parse. */
sl_err codec_batch_max_timestamp(const uint8_t *batch, size_t len, size_t max_records,
                                 int64_t *max_ts);

#endif
