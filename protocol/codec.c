/*
 * codec.c - the record-batch compression codecs, over Debian's libraries:
 * gzip (zlib), snappy (libsnappy), lz4 (liblz4 frames) and zstd (libzstd),
 * and the swap of a batch's records section for its compressed or
 * decompressed form (codec.h).  Pure code on bytes: the client compresses
 * what it produces and decompresses what it fetches; the broker
 * decompresses only to answer ListOffsets by time inside a compressed
 * batch (storage/read.c), never on the produce path.
 *
 * Wire formats, as Kafka's clients write them:
 *  - gzip: an RFC 1952 stream (zlib windowBits 15 + 16); read with
 *    automatic header detection, concatenated members accepted.
 *  - snappy: the Java client writes snappy-java's "xerial" framing
 *    (magic 82 'SNAPPY' 00, version, compatible version, then blocks of
 *    int32 length + raw snappy); librdkafka may write raw snappy.  Both are
 *    read; xerial is written, which every client reads.
 *  - lz4: the LZ4 frame format with independent 64 KiB blocks and no
 *    content size, the subset Kafka's KafkaLZ4BlockInputStream reads.
 *  - zstd: one zstd frame; read with the streaming API since Java's
 *    writer omits the content size.
 * Decompression never produces more than max_out bytes (SL_E_RANGE), so a
 * hostile batch cannot make its reader allocate without bound.
 *
 * Every codec appends to its output buffer (obuf) after the bytes already
 * in it, so a batch's 61-byte header goes in first and the records follow
 * without another copy.
 */
#include "codec.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "records.h"

#define OFF_ATTRIBUTES 21 /* records.h */

/* A growable output buffer bounded by max. */
typedef struct obuf {
    uint8_t *p;
    size_t len, cap, max;
} obuf;

static bool obuf_reserve(obuf *o, size_t extra)
{
    size_t cap;
    uint8_t *p;

    if (o->cap - o->len >= extra)
        return true;
    if (extra > o->max - o->len)
        return false;
    cap = o->cap ? o->cap : 4096;
    if (cap > o->max) /* a first chunk past max would let a codec write past it */
        cap = o->max;
    while (cap - o->len < extra)
        cap = cap > o->max / 2 ? o->max : cap * 2;
    p = realloc(o->p, cap);
    if (!p)
        return false;
    o->p = p;
    o->cap = cap;
    return true;
}

/* Room to write at least some bytes: grows or fails at max. */
static sl_err obuf_more(obuf *o)
{
    size_t want = o->cap ? o->cap : 4096;

    if (o->len >= o->max)
        return SL_E_RANGE;
    if (want > o->max - o->len)
        want = o->max - o->len;
    return obuf_reserve(o, want) ? SL_OK : SL_E_NOMEM;
}

/* --- gzip ------------------------------------------------------------------ */

static sl_err gzip_compress(int level, const uint8_t *in, size_t n, obuf *o)
{
    z_stream z = { 0 };
    int rc;

    if (deflateInit2(&z, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return SL_E_NOMEM;
    if (!obuf_reserve(o, deflateBound(&z, n) + 32)) {
        deflateEnd(&z);
        return SL_E_NOMEM;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = o->p + o->len;
    z.avail_out = (uInt)(o->cap - o->len);
    rc = deflate(&z, Z_FINISH);
    o->len += z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? SL_OK : SL_E_IO;
}

static sl_err gzip_decompress(const uint8_t *in, size_t n, obuf *o)
{
    z_stream z = { 0 };
    sl_err e = SL_OK;
    int rc;

    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return SL_E_NOMEM;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    for (;;) {
        if (o->cap == o->len && (e = obuf_more(o)))
            break;
        z.next_out = o->p + o->len;
        z.avail_out = (uInt)(o->cap - o->len);
        rc = inflate(&z, Z_NO_FLUSH);
        o->len = (size_t)(z.next_out - o->p);
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            if (inflateReset(&z) != Z_OK) { /* another gzip member follows */
                e = SL_KE_CORRUPT_MESSAGE;
                break;
            }
            continue;
        }
        if (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0))
            continue;
        e = SL_KE_CORRUPT_MESSAGE; /* bad data, or truncated */
        break;
    }
    inflateEnd(&z);
    return e;
}

/* --- snappy ---------------------------------------------------------------- */

static const uint8_t xerial_magic[8] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0 };
#define XERIAL_BLOCK 32768

static sl_err snappy_compress_xerial(const uint8_t *in, size_t n, obuf *o)
{
    size_t nblocks = n / XERIAL_BLOCK + 1;

    if (!obuf_reserve(o, 16 + nblocks * (4 + snappy_max_compressed_length(XERIAL_BLOCK))))
        return SL_E_NOMEM;
    memcpy(o->p + o->len, xerial_magic, 8);
    sl_put_be32(o->p + o->len + 8, 1);  /* version */
    sl_put_be32(o->p + o->len + 12, 1); /* compatible version */
    o->len += 16;
    for (size_t off = 0; off < n; off += XERIAL_BLOCK) {
        size_t len = n - off < XERIAL_BLOCK ? n - off : XERIAL_BLOCK;
        size_t out = o->cap - o->len - 4;

        if (snappy_compress((const char *)in + off, len, (char *)o->p + o->len + 4, &out) !=
            SNAPPY_OK)
            return SL_E_IO;
        sl_put_be32(o->p + o->len, (uint32_t)out);
        o->len += 4 + out;
    }
    return SL_OK;
}

static sl_err snappy_raw(const uint8_t *in, size_t n, obuf *o)
{
    size_t len;

    if (snappy_uncompressed_length((const char *)in, n, &len) != SNAPPY_OK)
        return SL_KE_CORRUPT_MESSAGE;
    if (len > o->max - o->len)
        return SL_E_RANGE;
    if (!obuf_reserve(o, len ? len : 1))
        return SL_E_NOMEM;
    if (snappy_uncompress((const char *)in, n, (char *)o->p + o->len, &len) != SNAPPY_OK)
        return SL_KE_CORRUPT_MESSAGE;
    o->len += len;
    return SL_OK;
}

static sl_err snappy_decompress(const uint8_t *in, size_t n, obuf *o)
{
    size_t off = 16;

    if (n < 16 || memcmp(in, xerial_magic, 8) != 0)
        return snappy_raw(in, n, o);
    while (off < n) {
        uint32_t len;
        sl_err e;

        if (n - off < 4)
            return SL_KE_CORRUPT_MESSAGE;
        len = sl_be32(in + off);
        off += 4;
        if (len > n - off)
            return SL_KE_CORRUPT_MESSAGE;
        e = snappy_raw(in + off, len, o);
        if (e)
            return e;
        off += len;
    }
    return SL_OK;
}

/* --- lz4 -------------------------------------------------------------------- */

static sl_err lz4_compress(int level, const uint8_t *in, size_t n, obuf *o)
{
    LZ4F_preferences_t prefs;
    size_t bound, rc;

    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.compressionLevel = level;
    bound = LZ4F_compressFrameBound(n, &prefs);
    if (!obuf_reserve(o, bound))
        return SL_E_NOMEM;
    rc = LZ4F_compressFrame(o->p + o->len, o->cap - o->len, in, n, &prefs);
    if (LZ4F_isError(rc))
        return SL_E_IO;
    o->len += rc;
    return SL_OK;
}

static sl_err lz4_decompress(const uint8_t *in, size_t n, obuf *o)
{
    LZ4F_dctx *d;
    sl_err e = SL_OK;
    size_t rc = 1;

    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
        return SL_E_NOMEM;
    while (n > 0 && rc != 0) {
        size_t src = n, dst;

        if (o->cap == o->len && (e = obuf_more(o)))
            break;
        dst = o->cap - o->len;
        rc = LZ4F_decompress(d, o->p + o->len, &dst, in, &src, NULL);
        if (LZ4F_isError(rc)) {
            e = SL_KE_CORRUPT_MESSAGE;
            break;
        }
        o->len += dst;
        in += src;
        n -= src;
        if (src == 0 && dst == 0 && o->cap != o->len) {
            e = SL_KE_CORRUPT_MESSAGE;
            break;
        }
    }
    LZ4F_freeDecompressionContext(d);
    if (!e && rc != 0)
        e = SL_KE_CORRUPT_MESSAGE; /* truncated frame */
    return e;
}

/* --- zstd -------------------------------------------------------------------- */

static sl_err zstd_compress(int level, const uint8_t *in, size_t n, obuf *o)
{
    size_t rc;

    if (!obuf_reserve(o, ZSTD_compressBound(n)))
        return SL_E_NOMEM;
    rc = ZSTD_compress(o->p + o->len, o->cap - o->len, in, n, level ? level : 3);
    if (ZSTD_isError(rc))
        return SL_E_IO;
    o->len += rc;
    return SL_OK;
}

static sl_err zstd_decompress(const uint8_t *in, size_t n, obuf *o)
{
    ZSTD_DStream *d = ZSTD_createDStream();
    ZSTD_inBuffer ib = { in, n, 0 };
    sl_err e = SL_OK;
    size_t rc = 1;

    if (!d)
        return SL_E_NOMEM;
    ZSTD_initDStream(d);
    while (ib.pos < ib.size || rc != 0) {
        ZSTD_outBuffer ob;

        if (o->cap == o->len && (e = obuf_more(o)))
            break;
        ob.dst = o->p;
        ob.size = o->cap;
        ob.pos = o->len;
        rc = ZSTD_decompressStream(d, &ob, &ib);
        o->len = ob.pos;
        if (ZSTD_isError(rc)) {
            e = SL_KE_CORRUPT_MESSAGE;
            break;
        }
        if (rc != 0 && ib.pos == ib.size && ob.pos < ob.size) {
            e = SL_KE_CORRUPT_MESSAGE; /* truncated */
            break;
        }
    }
    ZSTD_freeDStream(d);
    return e;
}

/* Compress or decompress in[0..n) onto the end of o; on failure o->p is
 * freed and o is empty. */
static sl_err run(bool compress, int codec, int level, const uint8_t *in, size_t n, obuf *o)
{
    sl_err e;

    switch (codec) {
    case CODEC_GZIP:
        e = compress ? gzip_compress(level, in, n, o) : gzip_decompress(in, n, o);
        break;
    case CODEC_SNAPPY:
        e = compress ? snappy_compress_xerial(in, n, o) : snappy_decompress(in, n, o);
        break;
    case CODEC_LZ4:
        e = compress ? lz4_compress(level, in, n, o) : lz4_decompress(in, n, o);
        break;
    case CODEC_ZSTD:
        e = compress ? zstd_compress(level, in, n, o) : zstd_decompress(in, n, o);
        break;
    default:
        e = SL_KE_UNSUPPORTED_COMPRESSION_TYPE;
    }
    if (e) {
        free(o->p);
        o->p = NULL;
        o->len = o->cap = 0;
    }
    return e;
}

sl_err codec_compress(int codec, int level, const uint8_t *in, size_t n, uint8_t **out,
                      size_t *outlen)
{
    obuf o = { NULL, 0, 0, SIZE_MAX };
    sl_err e = run(true, codec, level, in, n, &o);

    *out = o.p;
    *outlen = o.len;
    return e;
}

sl_err codec_decompress(int codec, const uint8_t *in, size_t n, size_t max_out,
                        uint8_t **out, size_t *outlen)
{
    obuf o = { NULL, 0, 0, max_out };
    sl_err e = run(false, codec, 0, in, n, &o);

    *out = o.p;
    *outlen = o.len;
    return e;
}

/* --- whole batches ------------------------------------------------------------ */

/* The header of the batch h (at batch), then its records section
 * compressed (compress: with codec) or decompressed (with the batch's
 * codec), with the codec bits set to codec or none and batchLength and the
 * CRC made to match. */
static sl_err swap_records(const uint8_t *batch, const rec_batch *h, bool compress, int codec,
                           int level, size_t max_out, uint8_t **out, size_t *outlen)
{
    int from = h->attributes & REC_ATTR_CODEC_MASK;
    obuf o = { NULL, 0, 0, max_out };
    sl_err e;

    if (compress ? from != CODEC_NONE || codec == CODEC_NONE : from == CODEC_NONE)
        return SL_E_INVAL;
    if (!obuf_reserve(&o, REC_HEADER_SIZE))
        return SL_E_NOMEM;
    memcpy(o.p, batch, REC_HEADER_SIZE);
    o.len = REC_HEADER_SIZE;
    e = run(compress, compress ? codec : from, level, batch + REC_HEADER_SIZE,
            rec_batch_size(h) - REC_HEADER_SIZE, &o);
    if (e)
        return e;
    if (o.len - REC_LOG_OVERHEAD > INT32_MAX) {
        free(o.p);
        return SL_E_RANGE; /* batchLength is an int32 */
    }
    sl_put_be16(o.p + OFF_ATTRIBUTES, (uint16_t)((h->attributes & ~REC_ATTR_CODEC_MASK) |
                                                 (compress ? codec : CODEC_NONE)));
    rec_batch_seal(o.p, o.len);
    *out = o.p;
    *outlen = o.len;
    return SL_OK;
}

sl_err codec_batch_compress(const uint8_t *batch, size_t len, int codec, int level,
                            uint8_t **out, size_t *outlen)
{
    rec_batch h;
    sl_err e = rec_batch_peek(batch, len, &h);

    *out = NULL;
    *outlen = 0;
    return e ? e : swap_records(batch, &h, true, codec, level, SIZE_MAX, out, outlen);
}

sl_err codec_batch_decompress(const uint8_t *batch, size_t len, size_t max_records,
                              uint8_t **out, size_t *outlen)
{
    rec_batch h;
    sl_err e = rec_batch_peek(batch, len, &h);
    size_t max_out = max_records > SIZE_MAX - REC_HEADER_SIZE ? SIZE_MAX
                                                              : REC_HEADER_SIZE + max_records;

    *out = NULL;
    *outlen = 0;
    return e ? e : swap_records(batch, &h, false, 0, 0, max_out, out, outlen);
}

sl_err codec_batch_max_timestamp(const uint8_t *batch, size_t len, size_t max_records,
                                 int64_t *max_ts)
{
    uint8_t *plain;
    size_t n;
    rec_iter it;
    rec_record r;
    sl_err e = codec_batch_decompress(batch, len, max_records, &plain, &n);

    if (e)
        return e;
    *max_ts = -1;
    if (rec_iter_init(&it, plain, n) == SL_OK)
        while (rec_iter_next(&it, &r))
            if (r.timestamp > *max_ts)
                *max_ts = r.timestamp;
    e = it.err ? SL_KE_CORRUPT_MESSAGE : SL_OK;
    free(plain);
    return e;
}
