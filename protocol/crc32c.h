/* crc32c.h - CRC-32C (Castagnoli), as RecordBatch v2 uses. */
#ifndef SL_CRC32C_H
#define SL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: crc32c(0, ...) starts one.  SSE4.2 when the CPU has it,
 * else a slice-by-8 table. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* The portable path alone, for tests that compare the two. */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif
