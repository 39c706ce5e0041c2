/*
 * test_crc32c.c - protocol/crc32c.c: known CRC-32C vectors (RFC 3720
 * appendix B.4 and the classic check value), continuation, and agreement
 * of the dispatched path (SSE4.2 when present) with the table fallback.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "protocol/crc32c.h"

static void check_both(const void *buf, size_t len, uint32_t want)
{
    cr_expect_eq(crc32c(0, buf, len), want, "crc32c: got %08x want %08x",
                 crc32c(0, buf, len), want);
    cr_expect_eq(crc32c_sw(0, buf, len), want, "crc32c_sw: got %08x want %08x",
                 crc32c_sw(0, buf, len), want);
}

Test(crc32c, check_value)
{
    check_both("123456789", 9, 0xE3069283u);
}

Test(crc32c, empty_is_identity)
{
    check_both("", 0, 0);
    cr_expect_eq(crc32c(0x12345678u, "", 0), 0x12345678u);
    cr_expect_eq(crc32c_sw(0x12345678u, NULL, 0), 0x12345678u);
}

Test(crc32c, rfc3720_zeros)
{
    uint8_t b[32];

    memset(b, 0, sizeof(b));
    check_both(b, sizeof(b), 0x8A9136AAu);
}

Test(crc32c, rfc3720_ones)
{
    uint8_t b[32];

    memset(b, 0xff, sizeof(b));
    check_both(b, sizeof(b), 0x62A8AB43u);
}

Test(crc32c, rfc3720_ascending)
{
    uint8_t b[32];

    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    check_both(b, sizeof(b), 0x46DD794Eu);
}

Test(crc32c, rfc3720_descending)
{
    uint8_t b[32];

    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    check_both(b, sizeof(b), 0x113FDB5Cu);
}

/* Single bytes go through only the tail loops: the table/instruction for
 * each byte value must be right on its own. */
Test(crc32c, every_single_byte_agrees)
{
    for (int v = 0; v < 256; v++) {
        uint8_t b = (uint8_t)v;

        cr_assert_eq(crc32c(0, &b, 1), crc32c_sw(0, &b, 1), "byte %d", v);
    }
    cr_expect_eq(crc32c(0, "a", 1), 0xC1D04330u);
}

Test(crc32c, continuation_equals_one_shot)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = crc32c(0, s, n);

    cr_expect_eq(whole, 0x22620404u);
    for (size_t cut = 0; cut <= n; cut++) {
        cr_assert_eq(crc32c(crc32c(0, s, cut), s + cut, n - cut), whole, "cut %zu", cut);
        cr_assert_eq(crc32c_sw(crc32c_sw(0, s, cut), s + cut, n - cut), whole, "sw cut %zu",
                     cut);
    }
}

/* Every length 0..300 at every alignment 0..15, plus a few large ones: the
 * hardware path has a head, a word loop and a tail, and each seam is hit. */
Test(crc32c, sw_and_dispatch_agree_on_random_buffers)
{
    enum { MAXLEN = 70000 };
    uint8_t *buf = malloc(MAXLEN + 16);
    uint32_t seed = 0x9E3779B9u;
    static const size_t big[] = { 1023, 1024, 4096, 4097, 65535, 65536, 69999 };

    cr_assert_not_null(buf);
    for (size_t i = 0; i < MAXLEN + 16; i++) {
        seed = seed * 1664525u + 1013904223u; /* deterministic LCG */
        buf[i] = (uint8_t)(seed >> 24);
    }
    for (size_t align = 0; align < 16; align++)
        for (size_t len = 0; len <= 300; len++)
            cr_assert_eq(crc32c(0, buf + align, len), crc32c_sw(0, buf + align, len),
                         "align %zu len %zu", align, len);
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
        for (size_t align = 0; align < 8; align++)
            cr_assert_eq(crc32c(7, buf + align, big[i]), crc32c_sw(7, buf + align, big[i]),
                         "align %zu len %zu", align, big[i]);
    free(buf);
}

/* A flipped bit anywhere changes the CRC (the property the broker needs). */
Test(crc32c, detects_single_bit_flips)
{
    uint8_t b[64];
    uint32_t base;

    for (int i = 0; i < 64; i++)
        b[i] = (uint8_t)(i * 37 + 11);
    base = crc32c(0, b, sizeof(b));
    for (int bit = 0; bit < 64 * 8; bit++) {
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_neq(crc32c(0, b, sizeof(b)), base, "bit %d", bit);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}
