// Many-input compression with x86 SIMD: lane j of every vector belongs to input j, so 4, 8 or 16 chunks (or
// parents) go through the 7 rounds together. Each function carries its own target attribute; ws_b3_hash_many calls
// one only after checking the CPU.
#include "blake3_internal.h"

#if WS_B3_X86
#include <immintrin.h>
#include <string.h>

/// Per-lane counters, low and high words.
static void lane_counters(uint64_t counter, bool increment, size_t lanes, uint32_t lo[16], uint32_t hi[16]) {
    for (size_t j = 0; j < lanes; j++) {
        uint64_t c = counter + (increment ? j : 0);
        lo[j] = (uint32_t)c;
        hi[j] = (uint32_t)(c >> 32);
    }
}

/// Writes lane j's 8 chaining-value words (h[i] word of lane j, from `words[i * lanes + j]`) as 32 bytes.
static void store_cvs(const uint32_t *words, size_t lanes, uint8_t *out) {
    for (size_t j = 0; j < lanes; j++) {
        for (size_t i = 0; i < 8; i++) ws_b3_store32(out + 32 * j + 4 * i, words[i * lanes + j]);
    }
}

// One round over vectors v[16] with message vectors m[16], the word order spelled out (spec §2.2's permutation
// applied r times, as ws_b3_schedule) so that everything stays in registers; ADD/XOR/ROT* are per ISA.
#define ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) \
    do {                                                                           \
        GV(0, 4, 8, 12, m[s0], m[s1]);                                             \
        GV(1, 5, 9, 13, m[s2], m[s3]);                                             \
        GV(2, 6, 10, 14, m[s4], m[s5]);                                            \
        GV(3, 7, 11, 15, m[s6], m[s7]);                                            \
        GV(0, 5, 10, 15, m[s8], m[s9]);                                            \
        GV(1, 6, 11, 12, m[s10], m[s11]);                                          \
        GV(2, 7, 8, 13, m[s12], m[s13]);                                           \
        GV(3, 4, 9, 14, m[s14], m[s15]);                                           \
    } while (0)

#define ROUNDS()                                                  \
    do {                                                          \
        ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);\
        ROUND(2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8);\
        ROUND(3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1);\
        ROUND(10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6);\
        ROUND(12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4);\
        ROUND(9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7);\
        ROUND(11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13);\
    } while (0)

#define GV(a, b, c, d, x, y)                     \
    do {                                         \
        v[a] = ADD(ADD(v[a], v[b]), x);          \
        v[d] = ROT16(XOR(v[d], v[a]));           \
        v[c] = ADD(v[c], v[d]);                  \
        v[b] = ROT12(XOR(v[b], v[c]));           \
        v[a] = ADD(ADD(v[a], v[b]), y);          \
        v[d] = ROT8(XOR(v[d], v[a]));            \
        v[c] = ADD(v[c], v[d]);                  \
        v[b] = ROT7(XOR(v[b], v[c]));            \
    } while (0)

// MARK: - SSE4.1, 4 lanes

#define ADD(a, b) _mm_add_epi32(a, b)
#define XOR(a, b) _mm_xor_si128(a, b)
#define ROT16(x) _mm_shuffle_epi8(x, r16)
#define ROT8(x) _mm_shuffle_epi8(x, r8)
#define ROT12(x) _mm_or_si128(_mm_srli_epi32(x, 12), _mm_slli_epi32(x, 20))
#define ROT7(x) _mm_or_si128(_mm_srli_epi32(x, 7), _mm_slli_epi32(x, 25))

__attribute__((target("sse4.1")))
void ws_b3_hash4_sse41(const uint8_t *input, size_t stride, size_t blocks, const uint32_t key[8], uint64_t counter,
                       bool increment, uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
    const __m128i r16 = _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    const __m128i r8 = _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
    uint32_t lo[16], hi[16];
    lane_counters(counter, increment, 4, lo, hi);
    __m128i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm_set1_epi32((int)key[i]);
    const __m128i clo = _mm_loadu_si128((const __m128i *)lo), chi = _mm_loadu_si128((const __m128i *)hi);
    for (size_t b = 0; b < blocks; b++) {
        __m128i m[16];
        for (int q = 0; q < 4; q++) {
            // Rows are lanes: a 4x4 transpose of words 4q...4q+3.
            __m128i r0 = _mm_loadu_si128((const __m128i *)(input + 0 * stride + 64 * b + 16 * q));
            __m128i r1 = _mm_loadu_si128((const __m128i *)(input + 1 * stride + 64 * b + 16 * q));
            __m128i r2 = _mm_loadu_si128((const __m128i *)(input + 2 * stride + 64 * b + 16 * q));
            __m128i r3 = _mm_loadu_si128((const __m128i *)(input + 3 * stride + 64 * b + 16 * q));
            __m128i t0 = _mm_unpacklo_epi32(r0, r1), t1 = _mm_unpackhi_epi32(r0, r1);
            __m128i t2 = _mm_unpacklo_epi32(r2, r3), t3 = _mm_unpackhi_epi32(r2, r3);
            m[4 * q + 0] = _mm_unpacklo_epi64(t0, t2);
            m[4 * q + 1] = _mm_unpackhi_epi64(t0, t2);
            m[4 * q + 2] = _mm_unpacklo_epi64(t1, t3);
            m[4 * q + 3] = _mm_unpackhi_epi64(t1, t3);
        }
        uint8_t f = flags | (b == 0 ? flags_start : 0) | (b + 1 == blocks ? flags_end : 0);
        __m128i v[16] = {
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
            _mm_set1_epi32((int)ws_b3_iv[0]), _mm_set1_epi32((int)ws_b3_iv[1]),
            _mm_set1_epi32((int)ws_b3_iv[2]), _mm_set1_epi32((int)ws_b3_iv[3]),
            clo, chi, _mm_set1_epi32(64), _mm_set1_epi32(f),
        };
        ROUNDS();
        for (int i = 0; i < 8; i++) h[i] = XOR(v[i], v[i + 8]);
    }
    uint32_t words[8 * 4];
    for (int i = 0; i < 8; i++) _mm_storeu_si128((__m128i *)(words + 4 * i), h[i]);
    store_cvs(words, 4, out);
}

#undef ADD
#undef XOR
#undef ROT16
#undef ROT8
#undef ROT12
#undef ROT7

// MARK: - AVX2, 8 lanes

#define ADD(a, b) _mm256_add_epi32(a, b)
#define XOR(a, b) _mm256_xor_si256(a, b)
#define ROT16(x) _mm256_shuffle_epi8(x, r16)
#define ROT8(x) _mm256_shuffle_epi8(x, r8)
#define ROT12(x) _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20))
#define ROT7(x) _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25))

__attribute__((target("avx2")))
void ws_b3_hash8_avx2(const uint8_t *input, size_t stride, size_t blocks, const uint32_t key[8], uint64_t counter,
                      bool increment, uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
    const __m256i r16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                                         2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    const __m256i r8 = _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12,
                                        1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
    uint32_t lo[16], hi[16];
    lane_counters(counter, increment, 8, lo, hi);
    __m256i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi32((int)key[i]);
    const __m256i clo = _mm256_loadu_si256((const __m256i *)lo), chi = _mm256_loadu_si256((const __m256i *)hi);
    for (size_t b = 0; b < blocks; b++) {
        __m256i m[16];
        for (int half = 0; half < 2; half++) {
            // An 8x8 transpose of words 8*half...8*half+7.
            __m256i r[8];
            for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_si256((const __m256i *)(input + j * stride + 64 * b + 32 * half));
            __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
            __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
            __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
            __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
            __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
            __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
            __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
            __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
            __m256i *w = m + 8 * half;
            w[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
            w[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
            w[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
            w[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
            w[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
            w[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
            w[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
            w[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
        }
        uint8_t f = flags | (b == 0 ? flags_start : 0) | (b + 1 == blocks ? flags_end : 0);
        __m256i v[16] = {
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
            _mm256_set1_epi32((int)ws_b3_iv[0]), _mm256_set1_epi32((int)ws_b3_iv[1]),
            _mm256_set1_epi32((int)ws_b3_iv[2]), _mm256_set1_epi32((int)ws_b3_iv[3]),
            clo, chi, _mm256_set1_epi32(64), _mm256_set1_epi32(f),
        };
        ROUNDS();
        for (int i = 0; i < 8; i++) h[i] = XOR(v[i], v[i + 8]);
    }
    uint32_t words[8 * 8];
    for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)(words + 8 * i), h[i]);
    store_cvs(words, 8, out);
}

#undef ADD
#undef XOR
#undef ROT16
#undef ROT8
#undef ROT12
#undef ROT7

// MARK: - AVX-512, 16 lanes

#define ADD(a, b) _mm512_add_epi32(a, b)
#define XOR(a, b) _mm512_xor_si512(a, b)
#define ROT16(x) _mm512_ror_epi32(x, 16)
#define ROT8(x) _mm512_ror_epi32(x, 8)
#define ROT12(x) _mm512_ror_epi32(x, 12)
#define ROT7(x) _mm512_ror_epi32(x, 7)

/// Message vectors of block `b` of 16 inputs: a 16x16 transpose (32-bit and 64-bit interleaves within 128-bit lanes,
/// then two 128-bit shuffles), so that m[w] holds word w of every input.
static inline __attribute__((always_inline, target("avx512f")))
void transpose16(const uint8_t *input, size_t stride, size_t b, __m512i m[16]) {
    __m512i r[16], t[16], u[16];
    for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_si512(input + j * stride + 64 * b);
    for (int j = 0; j < 16; j += 2) {
        t[j] = _mm512_unpacklo_epi32(r[j], r[j + 1]);
        t[j + 1] = _mm512_unpackhi_epi32(r[j], r[j + 1]);
    }
    for (int g = 0; g < 4; g++) {
        u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
        u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    for (int k = 0; k < 4; k++) {
        __m512i x0 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0x88);
        __m512i x1 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0xDD);
        __m512i y0 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0x88);
        __m512i y1 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0xDD);
        m[k] = _mm512_shuffle_i32x4(x0, y0, 0x88);
        m[8 + k] = _mm512_shuffle_i32x4(x0, y0, 0xDD);
        m[4 + k] = _mm512_shuffle_i32x4(x1, y1, 0x88);
        m[12 + k] = _mm512_shuffle_i32x4(x1, y1, 0xDD);
    }
}

__attribute__((target("avx512f")))
void ws_b3_hash16_avx512(const uint8_t *input, size_t stride, size_t blocks, const uint32_t key[8], uint64_t counter,
                         bool increment, uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
    uint32_t lo[16], hi[16];
    lane_counters(counter, increment, 16, lo, hi);
    __m512i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi32((int)key[i]);
    const __m512i clo = _mm512_loadu_si512(lo), chi = _mm512_loadu_si512(hi);
    // The next block's transpose (shuffles only) runs between rounds (adds, xors, rotates), so both kinds of port
    // stay busy.
    __m512i m[16], mn[16];
    transpose16(input, stride, 0, m);
    for (size_t b = 0; b < blocks; b++) {
        uint8_t f = flags | (b == 0 ? flags_start : 0) | (b + 1 == blocks ? flags_end : 0);
        __m512i v[16] = {
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
            _mm512_set1_epi32((int)ws_b3_iv[0]), _mm512_set1_epi32((int)ws_b3_iv[1]),
            _mm512_set1_epi32((int)ws_b3_iv[2]), _mm512_set1_epi32((int)ws_b3_iv[3]),
            clo, chi, _mm512_set1_epi32(64), _mm512_set1_epi32(f),
        };
        ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        ROUND(2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8);
        ROUND(3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1);
        if (b + 1 < blocks) transpose16(input, stride, b + 1, mn);
        ROUND(10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6);
        ROUND(12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4);
        ROUND(9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7);
        ROUND(11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13);
        for (int i = 0; i < 8; i++) h[i] = XOR(v[i], v[i + 8]);
        for (int i = 0; i < 16; i++) m[i] = mn[i];
    }
    uint32_t words[8 * 16];
    for (int i = 0; i < 8; i++) _mm512_storeu_si512(words + 16 * i, h[i]);
    store_cvs(words, 16, out);
}

#endif
