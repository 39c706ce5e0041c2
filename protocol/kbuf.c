/* kbuf.c - the bounds-checked reader and growable writer (see kbuf.h). */
#include "kbuf.h"

#include <stdlib.h>
#include <string.h>

int8_t kbuf_get_i8(kbuf_rd *r)
{
    if (!kbuf_need(r, 1))
        return 0;
    return (int8_t)*r->p++;
}

int16_t kbuf_get_i16(kbuf_rd *r)
{
    int16_t v;

    if (!kbuf_need(r, 2))
        return 0;
    v = (int16_t)sl_be16(r->p);
    r->p += 2;
    return v;
}

int32_t kbuf_get_i32(kbuf_rd *r)
{
    return (int32_t)kbuf_get_u32(r);
}

uint32_t kbuf_get_u32(kbuf_rd *r)
{
    uint32_t v;

    if (!kbuf_need(r, 4))
        return 0;
    v = sl_be32(r->p);
    r->p += 4;
    return v;
}

int64_t kbuf_get_i64(kbuf_rd *r)
{
    int64_t v;

    if (!kbuf_need(r, 8))
        return 0;
    v = (int64_t)sl_be64(r->p);
    r->p += 8;
    return v;
}

bool kbuf_get_bool(kbuf_rd *r)
{
    return kbuf_get_i8(r) != 0;
}

/* Unsigned LEB128 of at most max_bytes; overlong and too-wide encodings are
 * malformed, and the range is checked before any narrowing. */
static uint64_t get_uleb(kbuf_rd *r, unsigned max_bytes, unsigned bits)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < max_bytes; i++) {
        uint8_t b;

        if (!kbuf_need(r, 1))
            return 0;
        b = *r->p++;
        if (i == max_bytes - 1) {
            /* The last byte may carry only the bits that are left. */
            unsigned left = bits - 7 * i;

            if ((b & 0x80) || (left < 7 && (b >> left) != 0)) {
                r->err = SL_E_MALFORMED;
                return 0;
            }
        }
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            return v;
    }
    return v;
}

uint32_t kbuf_get_uvarint(kbuf_rd *r)
{
    return (uint32_t)get_uleb(r, 5, 32);
}

int32_t kbuf_get_varint(kbuf_rd *r)
{
    uint32_t u = (uint32_t)get_uleb(r, 5, 32);

    return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

int64_t kbuf_get_varlong(kbuf_rd *r)
{
    uint64_t u = get_uleb(r, 10, 64);

    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

void kbuf_get_uuid(kbuf_rd *r, uint8_t out[16])
{
    if (!kbuf_need(r, 16)) {
        memset(out, 0, 16);
        return;
    }
    memcpy(out, r->p, 16);
    r->p += 16;
}

sl_bytes kbuf_get_raw(kbuf_rd *r, size_t n)
{
    sl_bytes b;

    if (!kbuf_need(r, n))
        return SL_BYTES_NULL;
    b = sl_bytes_make(r->p, n);
    r->p += n;
    return b;
}

void kbuf_skip(kbuf_rd *r, size_t n)
{
    if (kbuf_need(r, n))
        r->p += n;
}

sl_bytes kbuf_get_str(kbuf_rd *r, bool flex)
{
    if (flex) {
        uint32_t n = kbuf_get_uvarint(r);

        if (!kbuf_ok(r) || n == 0)
            return SL_BYTES_NULL;
        if (n - 1 > 0x7fff) {
            kbuf_fail(r, SL_E_MALFORMED);
            return SL_BYTES_NULL;
        }
        return kbuf_get_raw(r, n - 1);
    } else {
        int16_t n = kbuf_get_i16(r);

        if (!kbuf_ok(r) || n == -1)
            return SL_BYTES_NULL;
        if (n < 0) {
            kbuf_fail(r, SL_E_MALFORMED);
            return SL_BYTES_NULL;
        }
        return kbuf_get_raw(r, (size_t)n);
    }
}

sl_bytes kbuf_get_bytes(kbuf_rd *r, bool flex)
{
    if (flex) {
        uint32_t n = kbuf_get_uvarint(r);

        if (!kbuf_ok(r) || n == 0)
            return SL_BYTES_NULL;
        return kbuf_get_raw(r, n - 1);
    } else {
        int32_t n = kbuf_get_i32(r);

        if (!kbuf_ok(r) || n == -1)
            return SL_BYTES_NULL;
        if (n < 0) {
            kbuf_fail(r, SL_E_MALFORMED);
            return SL_BYTES_NULL;
        }
        return kbuf_get_raw(r, (size_t)n);
    }
}

int32_t kbuf_get_array_len(kbuf_rd *r, bool flex, size_t min_elem_bytes, int32_t hard_max)
{
    int64_t n;

    if (flex) {
        uint32_t u = kbuf_get_uvarint(r);

        n = (int64_t)u - 1;
    } else {
        n = kbuf_get_i32(r);
    }
    if (!kbuf_ok(r))
        return 0;
    if (n == -1)
        return -1;
    if (n < 0 || n > hard_max ||
        (min_elem_bytes && (uint64_t)n > kbuf_remaining(r) / min_elem_bytes)) {
        r->err = SL_E_MALFORMED;
        return 0;
    }
    return (int32_t)n;
}

void kbuf_skip_tags(kbuf_rd *r)
{
    uint32_t count = kbuf_get_uvarint(r);

    /* Each tag takes at least two bytes (tag, size). */
    if (kbuf_ok(r) && count > kbuf_remaining(r) / 2) {
        r->err = SL_E_MALFORMED;
        return;
    }
    for (uint32_t i = 0; i < count && kbuf_ok(r); i++) {
        uint32_t size;

        (void)kbuf_get_uvarint(r); /* tag: none are known to us yet */
        size = kbuf_get_uvarint(r);
        kbuf_skip(r, size);
    }
}

kbuf_rd kbuf_sub(kbuf_rd *r, size_t n)
{
    kbuf_rd s;

    if (!kbuf_need(r, n)) {
        kbuf_rd_init(&s, r->p, 0);
        s.err = r->err;
        return s;
    }
    kbuf_rd_init(&s, r->p, n);
    r->p += n;
    return s;
}

/* --- writer ------------------------------------------------------------ */

void kbuf_wr_init(kbuf_wr *w, size_t initial_cap)
{
    w->len = 0;
    w->err = SL_OK;
    w->cap = initial_cap ? initial_cap : 256;
    w->p = malloc(w->cap);
    if (!w->p) {
        w->cap = 0;
        w->err = SL_E_NOMEM;
    }
}

void kbuf_wr_free(kbuf_wr *w)
{
    free(w->p);
    w->p = NULL;
    w->len = w->cap = 0;
}

uint8_t *kbuf_wr_take(kbuf_wr *w, size_t *len)
{
    uint8_t *p = w->p;

    *len = w->len;
    w->p = NULL;
    w->len = w->cap = 0;
    return p;
}

static bool grow(kbuf_wr *w, size_t n)
{
    size_t cap;
    uint8_t *p;

    if (w->err)
        return false;
    if (w->cap - w->len >= n)
        return true;
    cap = w->cap ? w->cap : 256;
    while (cap - w->len < n) {
        if (cap > SIZE_MAX / 2) {
            w->err = SL_E_NOMEM;
            return false;
        }
        cap *= 2;
    }
    p = realloc(w->p, cap);
    if (!p) {
        w->err = SL_E_NOMEM;
        return false;
    }
    w->p = p;
    w->cap = cap;
    return true;
}

void kbuf_put_raw(kbuf_wr *w, const void *p, size_t n)
{
    if (!n || !grow(w, n))
        return;
    memcpy(w->p + w->len, p, n);
    w->len += n;
}

void kbuf_put_i8(kbuf_wr *w, int8_t v)
{
    uint8_t b = (uint8_t)v;

    kbuf_put_raw(w, &b, 1);
}

void kbuf_put_i16(kbuf_wr *w, int16_t v)
{
    uint8_t b[2];

    sl_put_be16(b, (uint16_t)v);
    kbuf_put_raw(w, b, 2);
}

void kbuf_put_i32(kbuf_wr *w, int32_t v) { kbuf_put_u32(w, (uint32_t)v); }

void kbuf_put_u32(kbuf_wr *w, uint32_t v)
{
    uint8_t b[4];

    sl_put_be32(b, v);
    kbuf_put_raw(w, b, 4);
}

void kbuf_put_i64(kbuf_wr *w, int64_t v)
{
    uint8_t b[8];

    sl_put_be64(b, (uint64_t)v);
    kbuf_put_raw(w, b, 8);
}

void kbuf_put_bool(kbuf_wr *w, bool v) { kbuf_put_i8(w, v ? 1 : 0); }

static void put_uleb(kbuf_wr *w, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;

    do {
        uint8_t c = v & 0x7f;

        v >>= 7;
        b[n++] = c | (v ? 0x80 : 0);
    } while (v);
    kbuf_put_raw(w, b, n);
}

void kbuf_put_uvarint(kbuf_wr *w, uint32_t v) { put_uleb(w, v); }

void kbuf_put_varint(kbuf_wr *w, int32_t v)
{
    put_uleb(w, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

void kbuf_put_varlong(kbuf_wr *w, int64_t v)
{
    put_uleb(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void kbuf_put_uuid(kbuf_wr *w, const uint8_t u[16]) { kbuf_put_raw(w, u, 16); }

void kbuf_put_str(kbuf_wr *w, bool flex, sl_bytes s)
{
    if (flex) {
        kbuf_put_uvarint(w, s.null ? 0 : (uint32_t)s.n + 1);
    } else {
        kbuf_put_i16(w, s.null ? -1 : (int16_t)s.n);
    }
    if (!s.null)
        kbuf_put_raw(w, s.p, s.n);
}

void kbuf_put_cstr(kbuf_wr *w, bool flex, const char *s)
{
    kbuf_put_str(w, flex, sl_bytes_str(s));
}

void kbuf_put_bytes(kbuf_wr *w, bool flex, sl_bytes b)
{
    if (flex)
        kbuf_put_uvarint(w, b.null ? 0 : (uint32_t)b.n + 1);
    else
        kbuf_put_i32(w, b.null ? -1 : (int32_t)b.n);
    if (!b.null)
        kbuf_put_raw(w, b.p, b.n);
}

void kbuf_put_array_len(kbuf_wr *w, bool flex, int32_t n)
{
    if (flex)
        kbuf_put_uvarint(w, n < 0 ? 0 : (uint32_t)n + 1);
    else
        kbuf_put_i32(w, n);
}

void kbuf_put_tags(kbuf_wr *w, bool flex)
{
    if (flex)
        kbuf_put_uvarint(w, 0);
}

size_t kbuf_reserve(kbuf_wr *w, size_t n)
{
    size_t off = w->len;

    if (grow(w, n)) {
        memset(w->p + w->len, 0, n);
        w->len += n;
    }
    return off;
}

void kbuf_patch_i32(kbuf_wr *w, size_t off, int32_t v) { kbuf_patch_u32(w, off, (uint32_t)v); }

void kbuf_patch_u32(kbuf_wr *w, size_t off, uint32_t v)
{
    if (!w->err && off + 4 <= w->len)
        sl_put_be32(w->p + off, v);
}

size_t kbuf_uvarint_size(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t kbuf_varint_size(int64_t v)
{
    return kbuf_uvarint_size(((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
