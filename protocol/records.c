/*
 * records.c - RecordBatch v2 (magic 2): header validation, in-place
 * rewrites, the record iterator and the batch builder (see records.h).
 *
 * The broker side (peek, validate, set_validate, the setters) reads only the
 * 61-byte batch header and the CRC: it never looks inside the records, which
 * may be compressed.  The iterator and the builder handle the uncompressed
 * record format of PROTOCOL.md section 8, and are strict: every record's
 * length prefix must match the bytes its fields take, and the batch must
 * hold exactly recordCount records with nothing after them.
 *
 * All wire reads go through kbuf_rd; the only raw pointer writes are the
 * fixed-offset header rewrites, each done after a length check.
 */
#include "records.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "kbuf.h"

/* Fixed offsets into a batch (records.h has the full layout). */
#define OFF_BATCH_LENGTH 8
#define OFF_LEADER_EPOCH 12
#define OFF_MAGIC 16
#define OFF_CRC 17
#define OFF_ATTRIBUTES 21 /* the CRC covers from here to the end */
#define OFF_MAX_TIMESTAMP 35
#define MIN_BATCH_LENGTH (REC_HEADER_SIZE - REC_LOG_OVERHEAD)

sl_err rec_batch_peek(const uint8_t *p, size_t n, rec_batch *out)
{
    kbuf_rd r;
    rec_batch b;

    /* The length comes first: an impossible one is malformed however few
     * bytes follow, and storage recovery must tell that from a torn tail. */
    if (n < REC_LOG_OVERHEAD)
        return SL_E_SHORT;
    kbuf_rd_init(&r, p, n < REC_HEADER_SIZE ? n : REC_HEADER_SIZE);
    b.base_offset = kbuf_get_i64(&r);
    b.batch_length = kbuf_get_i32(&r);
    if (b.batch_length < MIN_BATCH_LENGTH)
        return SL_E_MALFORMED;
    if (n < REC_HEADER_SIZE)
        return SL_E_SHORT;
    b.leader_epoch = kbuf_get_i32(&r);
    b.magic = kbuf_get_i8(&r);
    b.crc = kbuf_get_u32(&r);
    b.attributes = kbuf_get_i16(&r);
    b.last_offset_delta = kbuf_get_i32(&r);
    b.base_timestamp = kbuf_get_i64(&r);
    b.max_timestamp = kbuf_get_i64(&r);
    b.producer_id = kbuf_get_i64(&r);
    b.producer_epoch = kbuf_get_i16(&r);
    b.base_sequence = kbuf_get_i32(&r);
    b.record_count = kbuf_get_i32(&r);
    /* No kbuf_ok() check: n >= REC_HEADER_SIZE, so none of these can fail. */
    if (out)
        *out = b;
    if (b.magic != 2)
        return SL_E_MALFORMED;
    if (n < rec_batch_size(&b))
        return SL_E_SHORT;
    return SL_OK;
}

sl_err rec_batch_validate(const uint8_t *p, size_t n, rec_batch *out)
{
    rec_batch b;
    sl_err e = rec_batch_peek(p, n, &b);
    size_t size;

    if (e == SL_E_MALFORMED)
        return SL_KE_CORRUPT_MESSAGE;
    if (e != SL_OK)
        return e;
    if (out)
        *out = b;
    size = rec_batch_size(&b);
    if (crc32c(0, p + OFF_ATTRIBUTES, size - OFF_ATTRIBUTES) != b.crc)
        return SL_KE_CORRUPT_MESSAGE;
    /* Kafka's LogValidator.validateBatch, for batches from clients. */
    if (b.record_count <= 0 || b.last_offset_delta != b.record_count - 1)
        return SL_KE_INVALID_RECORD;
    if (b.attributes & REC_ATTR_CONTROL)
        return SL_KE_INVALID_RECORD;
    if (b.producer_id >= 0 && b.base_sequence < 0)
        return SL_KE_INVALID_RECORD;
    return SL_OK;
}

/* Kafka's LogValidator on an uncompressed batch from a client: every
 * record parses inside its length, the records fill the batch exactly,
 * their number is the batch's count and record i has offset delta i.  A
 * compressed batch is not opened (the broker never decompresses on the
 * produce path): its consumers find out. */
static int64_t add_wrap(int64_t a, int64_t b);

static sl_err check_records(const uint8_t *p, const rec_batch *b, int64_t *max_ts)
{
    rec_iter it;
    rec_record r;

    *max_ts = b->max_timestamp;
    if (b->attributes & REC_ATTR_CODEC_MASK)
        return SL_OK;
    memset(&it, 0, sizeof it);
    it.batch = *b;
    it.p = p + REC_HEADER_SIZE;
    it.end = p + rec_batch_size(b);
    *max_ts = -1; /* Kafka's NO_TIMESTAMP, then the largest record's */
    while (rec_iter_next(&it, &r)) {
        if (r.offset != add_wrap(b->base_offset, it.index - 1))
            return SL_KE_INVALID_RECORD;
        if (r.timestamp > *max_ts)
            *max_ts = r.timestamp;
    }
    if (it.err != SL_OK || it.index != b->record_count)
        return SL_KE_CORRUPT_MESSAGE;
    return SL_OK;
}

static sl_err set_check(const uint8_t *p, size_t n, int32_t *nbatches, uint8_t *fix);

sl_err rec_set_check(const uint8_t *p, size_t n, int32_t *nbatches)
{
    return set_check(p, n, nbatches, NULL);
}

sl_err rec_set_check_fix(uint8_t *p, size_t n, int32_t *nbatches)
{
    return set_check(p, n, nbatches, p);
}

/* fix: the same bytes, writable, to correct maxTimestamp in; or NULL. */
static sl_err set_check(const uint8_t *p, size_t n, int32_t *nbatches, uint8_t *fix)
{
    size_t off = 0;
    int32_t count = 0;

    *nbatches = 0;
    while (off < n) {
        rec_batch b;
        sl_err e = rec_batch_validate(p + off, n - off, &b);

        /* A producer sends whole batches: a partial one is corruption,
         * not a reason to wait for more bytes. */
        if (e == SL_E_SHORT)
            return SL_KE_CORRUPT_MESSAGE;
        int64_t max_ts = 0;

        if (e == SL_OK)
            e = check_records(p + off, &b, &max_ts);
        if (e != SL_OK)
            return e;
        /* Only when it differs: resealing costs a CRC over the batch. */
        if (fix && max_ts != b.max_timestamp)
            rec_batch_set_max_timestamp(fix + off, n - off, max_ts);
        if (count == INT32_MAX)
            return SL_KE_CORRUPT_MESSAGE;
        count++;
        off += rec_batch_size(&b);
    }
    if (count == 0)
        return SL_KE_CORRUPT_MESSAGE;
    *nbatches = count;
    return SL_OK;
}

int rec_set_validate(const uint8_t *p, size_t n)
{
    int32_t count;
    sl_err e = rec_set_check(p, n, &count);

    /* rec_set_check returns only SL_OK or positive Kafka codes; negate them
     * so they cannot be mistaken for a batch count. */
    return e == SL_OK ? (int)count : -(int)e;
}

void rec_batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
    sl_put_be64(p, (uint64_t)base_offset);
}

void rec_batch_set_leader_epoch(uint8_t *p, int32_t epoch)
{
    sl_put_be32(p + OFF_LEADER_EPOCH, (uint32_t)epoch);
}

void rec_batch_set_log_append_time(uint8_t *p, size_t len, int64_t ts)
{
    if (rec_batch_peek(p, len, NULL) != SL_OK)
        return;
    sl_put_be16(p + OFF_ATTRIBUTES,
                (uint16_t)(sl_be16(p + OFF_ATTRIBUTES) | REC_ATTR_LOG_APPEND_TIME));
    rec_batch_set_max_timestamp(p, len, ts);
}

void rec_batch_set_max_timestamp(uint8_t *p, size_t len, int64_t ts)
{
    rec_batch b;

    /* The CRC runs to the batch's own end, not to len: a caller may pass the
     * rest of a multi-batch buffer.  A bad header is left alone: the caller
     * validated first. */
    if (rec_batch_peek(p, len, &b) != SL_OK)
        return;
    sl_put_be64(p + OFF_MAX_TIMESTAMP, (uint64_t)ts);
    /* The field sits inside the CRC (Apache's setMaxTimestamp does this). */
    sl_put_be32(p + OFF_CRC, crc32c(0, p + OFF_ATTRIBUTES, rec_batch_size(&b) - OFF_ATTRIBUTES));
}

void rec_batch_seal(uint8_t *p, size_t len)
{
    sl_put_be32(p + OFF_BATCH_LENGTH, (uint32_t)(len - REC_LOG_OVERHEAD));
    sl_put_be32(p + OFF_CRC, crc32c(0, p + OFF_ATTRIBUTES, len - OFF_ATTRIBUTES));
}

/* --- iterator ----------------------------------------------------------- */

/* Wrapping add: deltas come off the wire, and signed overflow is UB. */
static int64_t add_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

sl_err rec_iter_init(rec_iter *it, const uint8_t *batch, size_t len)
{
    sl_err e;
    size_t size = 0;

    memset(it, 0, sizeof(*it));
    e = rec_batch_peek(batch, len, &it->batch);
    if (e == SL_OK) {
        size = rec_batch_size(&it->batch);
        if (crc32c(0, batch + OFF_ATTRIBUTES, size - OFF_ATTRIBUTES) != it->batch.crc)
            e = SL_KE_CORRUPT_MESSAGE;
        else if (it->batch.attributes & REC_ATTR_CODEC_MASK)
            e = SL_KE_UNSUPPORTED_COMPRESSION_TYPE;
        else if (it->batch.record_count < 0)
            e = SL_E_MALFORMED;
    }
    if (e != SL_OK) {
        it->err = e;
        return e;
    }
    it->p = batch + REC_HEADER_SIZE;
    it->end = batch + size;
    return SL_OK;
}

/* varint length (-1 = null) then that many bytes. */
static sl_bytes get_nullable(kbuf_rd *r)
{
    int32_t n = kbuf_get_varint(r);

    if (!kbuf_ok(r) || n == -1)
        return SL_BYTES_NULL;
    if (n < 0) {
        kbuf_fail(r, SL_E_MALFORMED);
        return SL_BYTES_NULL;
    }
    return kbuf_get_raw(r, (size_t)n);
}

/* One header from r: a non-null key (Kafka rejects a negative key size) and
 * a nullable value. */
static void get_header(kbuf_rd *r, rec_header *h)
{
    h->key = get_nullable(r);
    if (kbuf_ok(r) && h->key.null)
        kbuf_fail(r, SL_E_MALFORMED);
    h->value = get_nullable(r);
}

bool rec_iter_next(rec_iter *it, rec_record *out)
{
    kbuf_rd r, rec;
    int32_t len, offset_delta;
    int64_t ts_delta;
    const uint8_t *hstart;

    if (it->err)
        return false;
    if (it->index >= it->batch.record_count) {
        /* Bytes after the last counted record: the count is wrong. */
        if (it->p != it->end)
            it->err = SL_E_MALFORMED;
        return false;
    }
    kbuf_rd_init(&r, it->p, (size_t)(it->end - it->p));
    len = kbuf_get_varint(&r);
    if (kbuf_ok(&r) && len < 0)
        kbuf_fail(&r, SL_E_MALFORMED);
    rec = kbuf_sub(&r, kbuf_ok(&r) ? (size_t)len : 0);
    if (!kbuf_ok(&r)) {
        it->err = r.err;
        return false;
    }

    out->attributes = kbuf_get_i8(&rec);
    ts_delta = kbuf_get_varlong(&rec);
    offset_delta = kbuf_get_varint(&rec);
    out->key = get_nullable(&rec);
    out->value = get_nullable(&rec);
    out->header_count = kbuf_get_varint(&rec);
    if (kbuf_ok(&rec) && out->header_count < 0)
        kbuf_fail(&rec, SL_E_MALFORMED);
    hstart = rec.p;
    for (int32_t i = 0; i < out->header_count && kbuf_ok(&rec); i++) {
        rec_header h;

        get_header(&rec, &h);
    }
    /* The length prefix must cover exactly the fields. */
    if (kbuf_ok(&rec) && kbuf_remaining(&rec) != 0)
        kbuf_fail(&rec, SL_E_MALFORMED);
    if (!kbuf_ok(&rec)) {
        it->err = rec.err;
        return false;
    }
    out->headers = sl_bytes_make(hstart, (size_t)(rec.p - hstart));

    /* Under LogAppendTime every record carries the batch's maxTimestamp
     * (Kafka's DefaultRecordBatch; kafka-python default_records.py). */
    if (it->batch.attributes & REC_ATTR_LOG_APPEND_TIME)
        out->timestamp = it->batch.max_timestamp;
    else
        out->timestamp = add_wrap(it->batch.base_timestamp, ts_delta);
    out->offset = add_wrap(it->batch.base_offset, offset_delta);
    it->p = r.p;
    it->index++;
    return true;
}

bool rec_header_next(sl_bytes *region, rec_header *out, sl_err *err)
{
    kbuf_rd r;

    if (err)
        *err = SL_OK;
    if (region->null || region->n == 0)
        return false;
    kbuf_rd_init(&r, region->p, region->n);
    get_header(&r, out);
    if (!kbuf_ok(&r)) {
        if (err)
            *err = r.err;
        return false;
    }
    region->p = r.p;
    region->n = kbuf_remaining(&r);
    return true;
}

/* --- builder ------------------------------------------------------------ */

struct rec_builder {
    kbuf_wr body;          /* the records region, after the 61-byte header */
    int64_t base_timestamp;
    int64_t max_timestamp;
    int32_t count;
};

rec_builder *rec_builder_new(int64_t base_timestamp)
{
    rec_builder *b = malloc(sizeof(*b));

    if (!b)
        return NULL;
    kbuf_wr_init(&b->body, 0);
    if (b->body.err) {
        free(b);
        return NULL;
    }
    b->base_timestamp = base_timestamp;
    b->max_timestamp = base_timestamp;
    b->count = 0;
    return b;
}

void rec_builder_free(rec_builder *b)
{
    if (!b)
        return;
    kbuf_wr_free(&b->body);
    free(b);
}

int32_t rec_builder_count(const rec_builder *b)
{
    return b->count;
}

/* Encoded size of a nullable varint-prefixed field, or SIZE_MAX when its
 * length cannot be written as an int32. */
static size_t nullable_size(sl_bytes s)
{
    if (s.null)
        return kbuf_varint_size(-1);
    if (s.n > INT32_MAX)
        return SIZE_MAX;
    return kbuf_varint_size((int64_t)s.n) + s.n;
}

static void put_nullable(kbuf_wr *w, sl_bytes s)
{
    kbuf_put_varint(w, s.null ? -1 : (int32_t)s.n);
    if (!s.null)
        kbuf_put_raw(w, s.p, s.n);
}

sl_err rec_builder_add(rec_builder *b, int64_t timestamp, sl_bytes key, sl_bytes value,
                       const rec_header *headers, int32_t nheaders)
{
    int64_t ts_delta = (int64_t)((uint64_t)timestamp - (uint64_t)b->base_timestamp);
    size_t parts[3], size, len;

    if (b->body.err)
        return b->body.err;
    if (nheaders < 0 || (nheaders > 0 && !headers))
        return SL_E_INVAL;
    if (b->count == INT32_MAX)
        return SL_E_RANGE;

    /* Size the record first: its varint length prefix comes before it. */
    parts[0] = nullable_size(key);
    parts[1] = nullable_size(value);
    parts[2] = kbuf_varint_size(nheaders);
    size = 1 + kbuf_varint_size(ts_delta) + kbuf_varint_size(b->count);
    for (int i = 0; i < 3; i++) {
        if (parts[i] > INT32_MAX - size)
            return SL_E_RANGE;
        size += parts[i];
    }
    for (int32_t i = 0; i < nheaders; i++) {
        size_t k, v;

        if (headers[i].key.null)
            return SL_E_INVAL; /* header keys are non-null strings */
        k = nullable_size(headers[i].key);
        v = nullable_size(headers[i].value);
        if (k > INT32_MAX - size || v > INT32_MAX - size - k)
            return SL_E_RANGE;
        size += k + v;
    }
    /* The whole batch must still fit batchLength, an int32. */
    len = kbuf_varint_size((int64_t)size) + size;
    if (len > (size_t)INT32_MAX - MIN_BATCH_LENGTH - b->body.len)
        return SL_E_RANGE;

    kbuf_put_varint(&b->body, (int32_t)size);
    kbuf_put_i8(&b->body, 0);
    kbuf_put_varlong(&b->body, ts_delta);
    kbuf_put_varint(&b->body, b->count);
    put_nullable(&b->body, key);
    put_nullable(&b->body, value);
    kbuf_put_varint(&b->body, nheaders);
    for (int32_t i = 0; i < nheaders; i++) {
        put_nullable(&b->body, headers[i].key);
        put_nullable(&b->body, headers[i].value);
    }
    if (b->body.err)
        return b->body.err;
    if (b->count == 0 || timestamp > b->max_timestamp)
        b->max_timestamp = timestamp;
    b->count++;
    return SL_OK;
}

uint8_t *rec_builder_finish(rec_builder *b, size_t *len)
{
    kbuf_wr w;
    size_t crc_off;
    uint8_t *out;

    *len = 0;
    if (b->body.err)
        return NULL;
    kbuf_wr_init(&w, REC_HEADER_SIZE + b->body.len);
    kbuf_put_i64(&w, 0);                                   /* baseOffset */
    kbuf_put_i32(&w, (int32_t)(MIN_BATCH_LENGTH + b->body.len));
    kbuf_put_i32(&w, 0);                                   /* partitionLeaderEpoch */
    kbuf_put_i8(&w, 2);                                    /* magic */
    crc_off = kbuf_reserve(&w, 4);
    kbuf_put_i16(&w, 0);                                   /* attributes */
    kbuf_put_i32(&w, b->count - 1);                        /* lastOffsetDelta */
    kbuf_put_i64(&w, b->base_timestamp);
    kbuf_put_i64(&w, b->max_timestamp);
    kbuf_put_i64(&w, -1);                                  /* producerId */
    kbuf_put_i16(&w, -1);                                  /* producerEpoch */
    kbuf_put_i32(&w, -1);                                  /* baseSequence */
    kbuf_put_i32(&w, b->count);
    kbuf_put_raw(&w, b->body.p, b->body.len);
    if (w.err) {
        kbuf_wr_free(&w);
        return NULL;
    }
    kbuf_patch_u32(&w, crc_off, crc32c(0, w.p + OFF_ATTRIBUTES, w.len - OFF_ATTRIBUTES));
    out = kbuf_wr_take(&w, len);
    return out;
}
