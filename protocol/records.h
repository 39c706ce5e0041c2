/*
 * records.h - RecordBatch v2 (magic 2): validate, rewrite, iterate, build.
 *
 * Layout (offsets into the batch):
 *   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 |
 *   16 magic i8 | 17 crc u32 (CRC-32C of bytes 21..end) | 21 attributes i16 |
 *   23 lastOffsetDelta i32 | 27 baseTimestamp i64 | 35 maxTimestamp i64 |
 *   43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 |
 *   57 recordCount i32 | 61 records...
 * The produce path never decompresses: everything it needs is in the
 * header.  codec.h swaps a batch's records for their (de)compressed form.
 */
#ifndef SL_RECORDS_H
#define SL_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/bytes.h"
#include "../base/err.h"

#define REC_LOG_OVERHEAD 12   /* baseOffset + batchLength */
#define REC_HEADER_SIZE 61
#define REC_ATTR_CODEC_MASK 0x07
#define REC_ATTR_LOG_APPEND_TIME 0x08
#define REC_ATTR_TRANSACTIONAL 0x10
#define REC_ATTR_CONTROL 0x20

typedef struct rec_batch {
    int64_t base_offset;
    int32_t batch_length;      /* bytes after the batchLength field */
    int32_t leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
} rec_batch;

static inline size_t rec_batch_size(const rec_batch *b)
{
    return REC_LOG_OVERHEAD + (size_t)b->batch_length;
}

/*
 * Read the header of the batch at p (n bytes available), no CRC check.
 * Returns SL_OK, SL_E_SHORT if the header or the whole batch is not within
 * n bytes (storage recovery: a torn tail), or SL_E_MALFORMED if the
 * length field is impossible (< 49) or magic is not 2.
 */
sl_err rec_batch_peek(const uint8_t *p, size_t n, rec_batch *out);

/*
 * Full validation of one batch as a client sent it: peek, then the CRC-32C,
 * lastOffsetDelta == recordCount - 1, recordCount > 0.
 * SL_KE_CORRUPT_MESSAGE for a bad CRC or framing, SL_KE_INVALID_RECORD for
 * rule violations (Kafka's LogValidator), SL_E_SHORT if truncated.
 */
sl_err rec_batch_validate(const uint8_t *p, size_t n, rec_batch *out);

/* Walk a records blob (a Produce partition's records) of whole batches:
 * returns the number of batches, or a negative sl_err as above (a partial
 * trailing batch is SL_KE_CORRUPT_MESSAGE here: a producer sends whole
 * batches).  Validates every batch, and the records of an uncompressed
 * one: they must parse, fill the batch exactly, number recordCount and
 * carry offset deltas 0, 1, ... (CORRUPT_MESSAGE, or INVALID_RECORD for a
 * wrong delta).
 * The errors are positive Kafka codes, so the negative return is the code
 * negated (-SL_KE_CORRUPT_MESSAGE, -SL_KE_INVALID_RECORD): else
 * CORRUPT_MESSAGE (2) would read as two batches.  rec_set_check says the
 * same without the sign trick. */
int rec_set_validate(const uint8_t *p, size_t n);
/* As rec_set_validate: SL_OK and *nbatches > 0, or SL_KE_CORRUPT_MESSAGE
 * (no batch, a partial one, bad CRC or framing) or SL_KE_INVALID_RECORD
 * (*nbatches = 0). */
sl_err rec_set_check(const uint8_t *p, size_t n, int32_t *nbatches);

/* As rec_set_check, and where an uncompressed batch's maxTimestamp is not
 * its largest record timestamp (-1 if none has one), set it to that and
 * recompute the CRC, as Kafka's LogValidator does (Sarama 1.22 sends -1).
 * Compressed batches are not opened: codec_batch_max_timestamp() is there
 * for the caller that decides to.  A batch before a bad one may have been
 * corrected already when the error comes back. */
sl_err rec_set_check_fix(uint8_t *p, size_t n, int32_t *nbatches);
/* Set maxTimestamp and recompute the CRC (over the batch's own length;
 * len only bounds it).  No-op unless rec_batch_peek(p, len) is SL_OK. */
void rec_batch_set_max_timestamp(uint8_t *p, size_t len, int64_t ts);

/* In-place rewrites; neither changes the CRC. */
void rec_batch_set_base_offset(uint8_t *p, int64_t base_offset);
void rec_batch_set_leader_epoch(uint8_t *p, int32_t epoch);
/* LogAppendTime: set the attribute bit and maxTimestamp, recompute the CRC
 * (over the batch's own length; len only bounds it).  No-op unless
 * rec_batch_peek(p, len) is SL_OK. */
void rec_batch_set_log_append_time(uint8_t *p, size_t len, int64_t ts);
/* After a rewrite of a batch of exactly len bytes (header fields, or its
 * records swapped): set batchLength to len - 12 and recompute the CRC. */
void rec_batch_seal(uint8_t *p, size_t len);

/* --- records inside an uncompressed batch (client, ListOffsets, tests) - */

typedef struct rec_header {
    sl_bytes key, value;
} rec_header;

typedef struct rec_record {
    int8_t attributes;
    int64_t timestamp;     /* absolute */
    int64_t offset;        /* absolute */
    sl_bytes key, value;   /* borrowed from the batch; null kept */
    int32_t header_count;
    sl_bytes headers;      /* the raw header region; rec_header_next() */
} rec_record;

typedef struct rec_iter {
    const uint8_t *p, *end;
    rec_batch batch;
    int32_t index;
    sl_err err;
} rec_iter;

/* Iterate the records of one uncompressed batch (SL_KE_UNSUPPORTED_COMPRESSION_TYPE
 * if compressed: codec_batch_decompress() first).  Also checks the CRC
 * (SL_KE_CORRUPT_MESSAGE); rec_batch_peek's errors come back unchanged. */
sl_err rec_iter_init(rec_iter *it, const uint8_t *batch, size_t len);
/* true and *out filled, or false at the end or on error (it->err:
 * SL_E_MALFORMED when a record's length prefix does not match its fields or
 * the batch holds more or fewer than recordCount records). */
bool rec_iter_next(rec_iter *it, rec_record *out);
/* Iterate the headers region of a record. */
bool rec_header_next(sl_bytes *region, rec_header *out, sl_err *err);

/* --- building a batch (client, tests, benchmarks) --------------------- */

typedef struct rec_builder rec_builder;
rec_builder *rec_builder_new(int64_t base_timestamp);
/* headers may be NULL with nheaders 0. */
sl_err rec_builder_add(rec_builder *b, int64_t timestamp, sl_bytes key, sl_bytes value,
                       const rec_header *headers, int32_t nheaders);
int32_t rec_builder_count(const rec_builder *b);
/* Finish: a complete uncompressed batch with base offset 0 and a valid CRC;
 * owned by the caller (free()).  Producer id -1. */
uint8_t *rec_builder_finish(rec_builder *b, size_t *len);
void rec_builder_free(rec_builder *b);

#endif
