/*
 * kbuf.h - bounds-checked reader and writer for the Kafka wire format.
 *
 * The only pointer arithmetic on wire bytes in sluice.  Both sides carry a
 * sticky error: once a read runs short or a value is out of range, every
 * later read returns zero/empty and r->err stays set, so a decoder reads all
 * fields in order and checks once, before it uses any of them.
 *
 * Strings and bytes come back as sl_bytes borrowed from the reader's buffer:
 * valid as long as that buffer.  Null is kept apart from empty.
 *
 * "flex" arguments select the flexible (KIP-482) encodings: compact strings,
 * bytes and arrays (unsigned varint length + 1, 0 = null).
 */
#ifndef KBUF_H
#define KBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/bytes.h"
#include "../base/err.h"

typedef struct kbuf_rd {
    const uint8_t *p, *end, *start;
    sl_err err;
    const char *field; /* last field named by the decoder, for error logs */
} kbuf_rd;

static inline void kbuf_rd_init(kbuf_rd *r, const void *p, size_t n)
{
    static const uint8_t empty[1];

    /* NULL + 0 is undefined behaviour: an empty reader points at a byte. */
    r->start = r->p = p ? (const uint8_t *)p : empty;
    n = p ? n : 0;
    r->end = r->p + n;
    r->err = SL_OK;
    r->field = NULL;
}

static inline size_t kbuf_remaining(const kbuf_rd *r) { return (size_t)(r->end - r->p); }
static inline size_t kbuf_offset(const kbuf_rd *r) { return (size_t)(r->p - r->start); }
static inline bool kbuf_ok(const kbuf_rd *r) { return r->err == SL_OK; }

/* True if n more bytes can be read; sets SL_E_MALFORMED otherwise.  n is a
 * length, never a position. */
static inline bool kbuf_need(kbuf_rd *r, size_t n)
{
    if (r->err)
        return false;
    if (kbuf_remaining(r) < n) {
        r->err = SL_E_MALFORMED;
        return false;
    }
    return true;
}

static inline void kbuf_fail(kbuf_rd *r, sl_err e)
{
    if (!r->err)
        r->err = e;
}

int8_t kbuf_get_i8(kbuf_rd *r);
int16_t kbuf_get_i16(kbuf_rd *r);
int32_t kbuf_get_i32(kbuf_rd *r);
int64_t kbuf_get_i64(kbuf_rd *r);
uint32_t kbuf_get_u32(kbuf_rd *r);
bool kbuf_get_bool(kbuf_rd *r);
/* Protocol varints (flexible versions): unsigned, at most 5 bytes. */
uint32_t kbuf_get_uvarint(kbuf_rd *r);
/* Record varints (RecordBatch v2): zigzag-signed, 5 / 10 bytes at most. */
int32_t kbuf_get_varint(kbuf_rd *r);
int64_t kbuf_get_varlong(kbuf_rd *r);
void kbuf_get_uuid(kbuf_rd *r, uint8_t out[16]);
/* Raw n bytes, borrowed. */
sl_bytes kbuf_get_raw(kbuf_rd *r, size_t n);
void kbuf_skip(kbuf_rd *r, size_t n);

/* STRING / NULLABLE_STRING (int16 length) or COMPACT_(NULLABLE_)STRING. */
sl_bytes kbuf_get_str(kbuf_rd *r, bool flex);
/* BYTES / NULLABLE_BYTES (int32 length) or COMPACT_(NULLABLE_)BYTES;
 * also the records field. */
sl_bytes kbuf_get_bytes(kbuf_rd *r, bool flex);
/* Array length: -1 for null, else 0..hard_max, and only if n *
 * min_elem_bytes fits in what remains, so a count can size an allocation. */
int32_t kbuf_get_array_len(kbuf_rd *r, bool flex, size_t min_elem_bytes, int32_t hard_max);
/* Skip a tagged-field section (flexible versions): count, then (tag, size,
 * bytes); unknown tags are ignored after their size is checked. */
void kbuf_skip_tags(kbuf_rd *r);

/* A reader narrowed to the next n bytes (which the parent skips), so an
 * inner parser cannot run past a length-prefixed field. */
kbuf_rd kbuf_sub(kbuf_rd *r, size_t n);

/* --- writer ------------------------------------------------------------ */

typedef struct kbuf_wr {
    uint8_t *p;
    size_t len, cap;
    sl_err err; /* sticky: SL_E_NOMEM */
} kbuf_wr;

void kbuf_wr_init(kbuf_wr *w, size_t initial_cap);
void kbuf_wr_free(kbuf_wr *w);
/* Hand the buffer to the caller (owned: free() it); the writer is reset. */
uint8_t *kbuf_wr_take(kbuf_wr *w, size_t *len);

void kbuf_put_raw(kbuf_wr *w, const void *p, size_t n);
void kbuf_put_i8(kbuf_wr *w, int8_t v);
void kbuf_put_i16(kbuf_wr *w, int16_t v);
void kbuf_put_i32(kbuf_wr *w, int32_t v);
void kbuf_put_i64(kbuf_wr *w, int64_t v);
void kbuf_put_u32(kbuf_wr *w, uint32_t v);
void kbuf_put_bool(kbuf_wr *w, bool v);
void kbuf_put_uvarint(kbuf_wr *w, uint32_t v);
void kbuf_put_varint(kbuf_wr *w, int32_t v);
void kbuf_put_varlong(kbuf_wr *w, int64_t v);
void kbuf_put_uuid(kbuf_wr *w, const uint8_t u[16]);
/* Null when s.null. */
void kbuf_put_str(kbuf_wr *w, bool flex, sl_bytes s);
void kbuf_put_cstr(kbuf_wr *w, bool flex, const char *s);
void kbuf_put_bytes(kbuf_wr *w, bool flex, sl_bytes b);
/* n = -1 writes a null array. */
void kbuf_put_array_len(kbuf_wr *w, bool flex, int32_t n);
/* An empty tagged-field section, only when flex (we never send tags:
 * librdkafka 2.0.2 misparses non-empty ones). */
void kbuf_put_tags(kbuf_wr *w, bool flex);
/* Reserve n bytes to patch later (sizes, CRCs); returns their offset. */
size_t kbuf_reserve(kbuf_wr *w, size_t n);
void kbuf_patch_i32(kbuf_wr *w, size_t off, int32_t v);
void kbuf_patch_u32(kbuf_wr *w, size_t off, uint32_t v);

/* Encoded size of a zigzag varint / protocol uvarint. */
size_t kbuf_varint_size(int64_t v);
size_t kbuf_uvarint_size(uint64_t v);

#endif
