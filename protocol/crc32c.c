/*
 * crc32c.c - CRC-32C (Castagnoli), the checksum of RecordBatch v2.
 *
 * Owns the two implementations behind crc32c() and the choice between them:
 *   - crc32c_sw: slice-by-8 over eight 256-entry tables, portable, any CPU;
 *   - crc32c_hw: the SSE4.2 crc32 instruction (x86-64 only), compiled with a
 *     per-function target attribute so the file builds without -msse4.2.
 * The choice is made once, under pthread_once, with __builtin_cpu_supports.
 *
 * Both use the reflected polynomial 0x82F63B78 with the conventional
 * pre- and post-inversion inside the call, so a CRC can be continued:
 * crc32c(crc32c(0, a, n), b, m) == crc32c(0, a||b, n + m).
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC32C_HAVE_HW 1
#include <nmmintrin.h>
#endif

#define CRC32C_POLY 0x82F63B78u

/* tab[0] is the classic byte-at-a-time table; tab[k][b] is the CRC of byte
 * b followed by k zero bytes, which lets one step fold eight bytes. */
static uint32_t tab[8][256];
static uint32_t (*crc32c_impl)(uint32_t, const uint8_t *, size_t);
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void tables_init(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;

        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        tab[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            tab[k][b] = (tab[k - 1][b] >> 8) ^ tab[0][tab[k - 1][b] & 0xff];
}

/* Raw (no inversion) update, table driven.  Words are assembled from bytes
 * so the code is endian- and alignment-neutral. */
static uint32_t sw_update(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                             (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
                      (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;

        crc = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^
              tab[5][(lo >> 16) & 0xff] ^ tab[4][lo >> 24] ^
              tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
              tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xff];
    return crc;
}

#ifdef CRC32C_HAVE_HW
/* One crc32 instruction per 8 bytes.  A single dependency chain: enough for
 * batch-sized inputs (3 interleaved streams would need a combine step). */
__attribute__((target("sse4.2")))
static uint32_t hw_update(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc;

    /* Align so the 8-byte loads do not straddle cache lines. */
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        n--;
    }
    while (n >= 8) {
        uint64_t w;

        memcpy(&w, p, 8); /* no aliasing or alignment assumptions */
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    while (n--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return (uint32_t)c;
}
#endif

static void crc32c_init(void)
{
    tables_init();
    crc32c_impl = sw_update;
#ifdef CRC32C_HAVE_HW
    __builtin_cpu_init(); /* we may run before the libgcc constructor */
    if (__builtin_cpu_supports("sse4.2"))
        crc32c_impl = hw_update;
#endif
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&crc32c_once, crc32c_init);
    return ~sw_update(~crc, buf, len);
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&crc32c_once, crc32c_init);
    return ~crc32c_impl(~crc, buf, len);
}
