/*
 * recset.c - record batches on the client side: finishing a batch with the
 * idempotent-producer fields and compression, and reading a fetched
 * records blob with CRC checks and decompression (client_int.h); the
 * codec names of sluice.h.
 *
 * protocol/records.c builds and iterates uncompressed batches and
 * protocol/codec.c swaps a batch's records for their compressed (or
 * decompressed) form; this file only rewrites the producer fields at the
 * offsets records.h documents.  A decompressed batch is an uncompressed
 * one, so rec_iter reads it like any other.
 */
#include <stdlib.h>
#include <string.h>

#include "../protocol/crc32c.h"
#include "client_int.h"

/* Offsets in a RecordBatch v2 (records.h). */
#define OFF_ATTRIBUTES 21
#define OFF_PRODUCER_ID 43
#define OFF_PRODUCER_EPOCH 51
#define OFF_BASE_SEQUENCE 53

/* Largest decompressed batch accepted (Kafka bounds it by fetch sizes). */
#define MAX_PLAIN (256u << 20)

/* sluice.h's ids are the wire's, as protocol/codec.h has them. */
_Static_assert((int)SLC_CODEC_GZIP == CODEC_GZIP && (int)SLC_CODEC_SNAPPY == CODEC_SNAPPY &&
                   (int)SLC_CODEC_LZ4 == CODEC_LZ4 && (int)SLC_CODEC_ZSTD == CODEC_ZSTD,
               "codec ids");

static const char *const codec_names[] = { "none", "gzip", "snappy", "lz4", "zstd" };

int slc_codec_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, codec_names[i]))
            return i;
    return -1;
}

const char *slc_codec_name(int codec)
{
    return codec >= 0 && codec < 5 ? codec_names[codec] : "?";
}

sl_err recset_finish(rec_builder *b, int codec, int level, int64_t pid, int16_t epoch,
                     int32_t base_seq, uint8_t **out, size_t *len)
{
    size_t n;
    uint8_t *raw = rec_builder_finish(b, &n);
    sl_err e;

    *out = NULL;
    *len = 0;
    if (!raw)
        return SL_E_NOMEM;
    sl_put_be64(raw + OFF_PRODUCER_ID, (uint64_t)pid);
    sl_put_be16(raw + OFF_PRODUCER_EPOCH, (uint16_t)epoch);
    sl_put_be32(raw + OFF_BASE_SEQUENCE, (uint32_t)base_seq);
    if (codec == SLC_CODEC_NONE) {
        rec_batch_seal(raw, n);
        *out = raw;
        *len = n;
        return SL_OK;
    }
    e = codec_batch_compress(raw, n, codec, level, out, len); /* sealed */
    free(raw);
    return e;
}

void recset_rd_init(recset_rd *r, const uint8_t *p, size_t n, bool check_crc)
{
    uint8_t *plain = r->plain;
    rec_header *h = r->hdrs;
    int32_t hcap = r->hdrs_cap;

    memset(r, 0, sizeof(*r));
    r->p = p;
    r->end = p + n;
    r->check_crc = check_crc;
    r->plain = plain;
    r->hdrs = h;
    r->hdrs_cap = hcap;
    r->next_offset = -1;
}

void recset_rd_free(recset_rd *r)
{
    free(r->plain);
    free(r->hdrs);
    r->plain = NULL;
    r->hdrs = NULL;
    r->hdrs_cap = 0;
}

static sl_err decode_headers(recset_rd *r, rec_record *rec)
{
    sl_bytes region = rec->headers;
    sl_err e = SL_OK;

    if (rec->header_count > r->hdrs_cap) {
        rec_header *h = realloc(r->hdrs, sizeof(*h) * (size_t)rec->header_count);

        if (!h)
            return SL_E_NOMEM;
        r->hdrs = h;
        r->hdrs_cap = rec->header_count;
    }
    for (int32_t i = 0; i < rec->header_count; i++)
        if (!rec_header_next(&region, &r->hdrs[i], &e))
            return e ? e : SL_E_MALFORMED;
    return SL_OK;
}

/* Start iterating the batch at p (size bytes, header in b). */
static sl_err open_batch(recset_rd *r, const uint8_t *p, size_t size, const rec_batch *b)
{
    uint8_t *z;
    size_t zn;
    sl_err e;

    if (r->check_crc && crc32c(0, p + OFF_ATTRIBUTES, size - OFF_ATTRIBUTES) != b->crc)
        return SL_KE_CORRUPT_MESSAGE;
    if ((b->attributes & REC_ATTR_CODEC_MASK) == SLC_CODEC_NONE)
        return rec_iter_init(&r->it, p, size);
    e = codec_batch_decompress(p, size, MAX_PLAIN, &z, &zn);
    if (e)
        return e == SL_E_RANGE || e == SL_E_NOMEM ? e : SL_KE_CORRUPT_MESSAGE;
    free(r->plain);
    r->plain = z;
    return rec_iter_init(&r->it, r->plain, zn);
}

sl_err recset_next(recset_rd *r, int64_t min_offset, rec_record *out)
{
    for (;;) {
        rec_batch b;
        size_t size;
        const uint8_t *p;
        sl_err e;

        if (r->in_batch) {
            if (rec_iter_next(&r->it, out)) {
                if (out->offset < min_offset)
                    continue;
                return decode_headers(r, out);
            }
            r->in_batch = false;
            if (r->it.err)
                return r->it.err;
        }
        if (r->p >= r->end)
            return SL_E_NOTFOUND;
        e = rec_batch_peek(r->p, (size_t)(r->end - r->p), &b);
        if (e == SL_E_SHORT)
            return SL_E_NOTFOUND; /* a partial batch ends every full fetch */
        if (e) {
            /* Magic 0/1 (message sets before Kafka 0.11) are not read. */
            bool old = r->end - r->p >= 17 && r->p[16] != 2;

            r->p = r->end;
            return old ? SL_KE_UNSUPPORTED_FOR_MESSAGE_FORMAT : SL_KE_CORRUPT_MESSAGE;
        }
        p = r->p;
        size = rec_batch_size(&b);
        r->p += size;
        r->next_offset = b.base_offset + b.last_offset_delta + 1;
        if (b.attributes & REC_ATTR_CONTROL)
            continue; /* transaction markers carry no records */
        if (r->next_offset <= min_offset)
            continue;
        e = open_batch(r, p, size, &b);
        if (e)
            return e;
        r->batch = b;
        r->in_batch = true;
    }
}
