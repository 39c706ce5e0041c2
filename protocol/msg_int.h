/*
 * msg_int.h - helpers shared by the msg_*.c codecs (private to them).
 *
 * Decoders keep every failure in the reader's sticky error, arena
 * exhaustion included (SL_E_NOMEM), so each one reads its fields in order,
 * stops looping once the reader has failed, and returns r->err.
 *
 * The *_MIN sizes are the fewest bytes an encoding of that type can take;
 * an array's minimum element size is their sum over the element's fields,
 * which lets kbuf_get_array_len() refuse a count the remaining bytes
 * cannot hold before the count sizes an allocation.
 */
#ifndef SL_MSG_INT_H
#define SL_MSG_INT_H

#include "msg.h"

/* A backstop only: counts are first bounded by the bytes that remain. */
#define MSG_ARRAY_MAX (1 << 20)

static inline size_t msg_str_min(bool flex) { return flex ? 1 : 2; }   /* "" */
static inline size_t msg_bytes_min(bool flex) { return flex ? 1 : 4; } /* "" */
static inline size_t msg_array_min(bool flex) { return flex ? 1 : 4; } /* [] */
static inline size_t msg_tags_min(bool flex) { return flex ? 1 : 0; }  /* {} */

static inline bool msg_version_ok(int16_t v, int16_t lo, int16_t hi)
{
    return v >= lo && v <= hi;
}

static inline void msg_skip_tags(kbuf_rd *r, bool flex)
{
    if (flex)
        kbuf_skip_tags(r);
}

/* Encoders refuse a version they do not implement, visibly. */
static inline bool msg_enc_version_ok(kbuf_wr *w, int16_t v, int16_t lo, int16_t hi)
{
    if (msg_version_ok(v, lo, hi))
        return true;
    if (!w->err)
        w->err = SL_E_INVAL;
    return false;
}

/* Count of an array that may be null (-1). */
static inline int32_t msg_get_count_nullable(kbuf_rd *r, bool flex, size_t min_elem)
{
    return kbuf_get_array_len(r, flex, min_elem, MSG_ARRAY_MAX);
}

/* Count of a non-nullable array: a null is malformed, as in Kafka. */
static inline int32_t msg_get_count(kbuf_rd *r, bool flex, size_t min_elem)
{
    int32_t n = kbuf_get_array_len(r, flex, min_elem, MSG_ARRAY_MAX);

    if (n < 0) {
        kbuf_fail(r, SL_E_MALFORMED);
        return 0;
    }
    return n;
}

/* n zeroed elements from the arena; NULL (and no allocation) when n <= 0
 * or the reader has already failed; SL_E_NOMEM into the reader when the
 * arena refuses. */
static inline void *msg_alloc(kbuf_rd *r, sl_arena *a, int32_t n, size_t size)
{
    void *p;

    if (n <= 0 || !kbuf_ok(r))
        return NULL;
    p = sl_arena_calloc(a, (size_t)n, size);
    if (!p)
        kbuf_fail(r, SL_E_NOMEM);
    return p;
}

/* A string the schema says is never null. */
static inline sl_bytes msg_get_str_nn(kbuf_rd *r, bool flex)
{
    sl_bytes s = kbuf_get_str(r, flex);

    if (kbuf_ok(r) && s.null)
        kbuf_fail(r, SL_E_MALFORMED);
    return s;
}

static inline sl_bytes msg_empty(void) { return sl_bytes_make("", 0); }

static inline void msg_put_str_nn(kbuf_wr *w, bool flex, sl_bytes s)
{
    kbuf_put_str(w, flex, s.null ? msg_empty() : s);
}

/* Write an array count, mapping "null" to empty where null is not allowed;
 * returns the number of elements to write after it. */
static inline int32_t msg_put_count(kbuf_wr *w, bool flex, int32_t n, bool nullable)
{
    if (n < 0) {
        kbuf_put_array_len(w, flex, nullable ? -1 : 0);
        return 0;
    }
    kbuf_put_array_len(w, flex, n);
    return n;
}

/* []int32, not nullable. */
static inline int32_t *msg_get_i32_array(kbuf_rd *r, bool flex, sl_arena *a, int32_t *count)
{
    int32_t n = msg_get_count(r, flex, 4);
    int32_t *v = msg_alloc(r, a, n, sizeof *v);

    *count = kbuf_ok(r) ? n : 0;
    for (int32_t i = 0; v && i < n; i++)
        v[i] = kbuf_get_i32(r);
    return v;
}

static inline void msg_put_i32_array(kbuf_wr *w, bool flex, const int32_t *v, int32_t count)
{
    int32_t n = msg_put_count(w, flex, count, false);

    for (int32_t i = 0; i < n; i++)
        kbuf_put_i32(w, v[i]);
}

#endif
