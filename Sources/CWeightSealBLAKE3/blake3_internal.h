// Shared by the portable and the x86 SIMD code; not exported.
#ifndef CWEIGHTSEAL_BLAKE3_INTERNAL_H
#define CWEIGHTSEAL_BLAKE3_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// The IV: the first 32 bits of the fractional parts of the square roots of the first 8 primes (as SHA-256).
extern const uint32_t ws_b3_iv[8];
/// Message word order of each of the 7 rounds: the permutation of spec §2.2 applied r times.
extern const uint8_t ws_b3_schedule[7][16];

/// Compresses `count` inputs at `input + j * stride`, each `blocks` 64-byte blocks long, all chaining from `key`.
/// Input j has counter `counter + j` (or `counter` when !increment); every block gets `flags`, the first also
/// `flags_start`, the last also `flags_end`. Writes chaining value j (32 bytes, little-endian words) at
/// `out + 32 * j`. `out` may be `input` itself when stride is 64 and blocks is 1 (parents, level by level).
void ws_b3_hash_many(const uint8_t *input, size_t stride, size_t count, size_t blocks, const uint32_t key[8],
                     uint64_t counter, bool increment, uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                     uint8_t *out);

#if defined(__x86_64__) || defined(_M_X64)
#define WS_B3_X86 1
// Each hashes exactly 4, 8 or 16 inputs (arguments as ws_b3_hash_many).
void ws_b3_hash4_sse41(const uint8_t *input, size_t stride, size_t blocks, const uint32_t key[8], uint64_t counter,
                       bool increment, uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void ws_b3_hash8_avx2(const uint8_t *input, size_t stride, size_t blocks, const uint32_t key[8], uint64_t counter,
                      bool increment, uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void ws_b3_hash16_avx512(const uint8_t *input, size_t stride, size_t blocks, const uint32_t key[8], uint64_t counter,
                         bool increment, uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
#endif

static inline uint32_t ws_b3_load32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void ws_b3_store32(uint8_t *p, uint32_t w) {
    p[0] = (uint8_t)w;
    p[1] = (uint8_t)(w >> 8);
    p[2] = (uint8_t)(w >> 16);
    p[3] = (uint8_t)(w >> 24);
}

#endif
