/*
 * bytes.h - borrowed byte slices and big-endian helpers.
 *
 * An sl_bytes never owns its memory: it is valid as long as the buffer it
 * points into.  A null Kafka string/bytes has p == NULL and null == 1;
 * an empty one has n == 0 and null == 0.
 */
#ifndef SL_BYTES_H
#define SL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sl_bytes {
    const uint8_t *p;
    size_t n;
    bool null;
} sl_bytes;

#define SL_BYTES_NULL ((sl_bytes){ NULL, 0, true })

static inline sl_bytes sl_bytes_make(const void *p, size_t n)
{
    return (sl_bytes){ (const uint8_t *)p, n, false };
}

static inline sl_bytes sl_bytes_str(const char *s)
{
    return s ? sl_bytes_make(s, strlen(s)) : SL_BYTES_NULL;
}

static inline bool sl_bytes_eq(sl_bytes a, sl_bytes b)
{
    return a.null == b.null && a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline bool sl_bytes_eq_str(sl_bytes a, const char *s)
{
    return !a.null && a.n == strlen(s) && memcmp(a.p, s, a.n) == 0;
}

/* Big-endian load/store on unaligned memory. */
static inline uint16_t sl_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t sl_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t sl_be64(const uint8_t *p) { return ((uint64_t)sl_be32(p) << 32) | sl_be32(p + 4); }
static inline void sl_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void sl_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void sl_put_be64(uint8_t *p, uint64_t v) { sl_put_be32(p, (uint32_t)(v >> 32)); sl_put_be32(p + 4, (uint32_t)v); }

#endif
