// BLAKE3 from the specification (blake3.pdf, "BLAKE3: one function, fast everywhere", 2020): the compression
// function (§2.2), chunks (§2.3), the binary tree with its left-subtree rule (§2.4, §5.1.2's CV stack), modes (§2.5)
// and extendable output (§2.6).
#include "CWeightSealBLAKE3.h"
#include "blake3_internal.h"

#include <string.h>

const uint32_t ws_b3_iv[8] = {
    0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au, 0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
};

const uint8_t ws_b3_schedule[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

// MARK: - Compression function (portable)

static inline uint32_t rotr(uint32_t w, unsigned c) { return (w >> c) | (w << (32 - c)); }

#define G(a, b, c, d, x, y)                 \
    do {                                    \
        s[a] = s[a] + s[b] + (x);           \
        s[d] = rotr(s[d] ^ s[a], 16);       \
        s[c] = s[c] + s[d];                 \
        s[b] = rotr(s[b] ^ s[c], 12);       \
        s[a] = s[a] + s[b] + (y);           \
        s[d] = rotr(s[d] ^ s[a], 8);        \
        s[c] = s[c] + s[d];                 \
        s[b] = rotr(s[b] ^ s[c], 7);        \
    } while (0)

/// The 16-word state after the 7 rounds, before the feed-forward.
static void rounds(uint32_t s[16], const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                   uint64_t counter, uint8_t flags) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++) m[i] = ws_b3_load32(block + 4 * i);
    for (int i = 0; i < 8; i++) s[i] = cv[i];
    s[8] = ws_b3_iv[0];
    s[9] = ws_b3_iv[1];
    s[10] = ws_b3_iv[2];
    s[11] = ws_b3_iv[3];
    s[12] = (uint32_t)counter;
    s[13] = (uint32_t)(counter >> 32);
    s[14] = block_len;
    s[15] = flags;
    for (int r = 0; r < 7; r++) {
        const uint8_t *o = ws_b3_schedule[r];
        G(0, 4, 8, 12, m[o[0]], m[o[1]]);
        G(1, 5, 9, 13, m[o[2]], m[o[3]]);
        G(2, 6, 10, 14, m[o[4]], m[o[5]]);
        G(3, 7, 11, 15, m[o[6]], m[o[7]]);
        G(0, 5, 10, 15, m[o[8]], m[o[9]]);
        G(1, 6, 11, 12, m[o[10]], m[o[11]]);
        G(2, 7, 8, 13, m[o[12]], m[o[13]]);
        G(3, 4, 9, 14, m[o[14]], m[o[15]]);
    }
}

/// The new chaining value: the first 8 words of the output.
static void compress_cv(uint32_t cv[8], const uint8_t block[64], uint8_t block_len, uint64_t counter, uint8_t flags) {
    uint32_t s[16];
    rounds(s, cv, block, block_len, counter, flags);
    for (int i = 0; i < 8; i++) cv[i] = s[i] ^ s[i + 8];
}

/// All 64 bytes of output (the extended output of a root node).
static void compress_full(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len, uint64_t counter,
                          uint8_t flags, uint8_t out[64]) {
    uint32_t s[16];
    rounds(s, cv, block, block_len, counter, flags);
    for (int i = 0; i < 8; i++) {
        ws_b3_store32(out + 4 * i, s[i] ^ s[i + 8]);
        ws_b3_store32(out + 32 + 4 * i, s[i + 8] ^ cv[i]);
    }
}

static void hash_one(const uint8_t *input, size_t blocks, const uint32_t key[8], uint64_t counter, uint8_t flags,
                     uint8_t flags_start, uint8_t flags_end, uint8_t out[32]) {
    uint32_t cv[8];
    memcpy(cv, key, sizeof cv);
    for (size_t b = 0; b < blocks; b++) {
        uint8_t f = flags | (b == 0 ? flags_start : 0) | (b + 1 == blocks ? flags_end : 0);
        compress_cv(cv, input + 64 * b, 64, counter, f);
    }
    for (int i = 0; i < 8; i++) ws_b3_store32(out + 4 * i, cv[i]);
}

// MARK: - Dispatch

static int max_level = 3;
static int detected = -1;

static int detect(void) {
#if WS_B3_X86 && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 3;
    if (__builtin_cpu_supports("avx2")) return 2;
    if (__builtin_cpu_supports("sse4.1")) return 1;
#endif
    return 0;
}

int ws_b3_simd_level(void) {
    int d = __atomic_load_n(&detected, __ATOMIC_RELAXED);
    if (d < 0) {
        d = detect();
        __atomic_store_n(&detected, d, __ATOMIC_RELAXED);
    }
    int cap = __atomic_load_n(&max_level, __ATOMIC_RELAXED);
    return d < cap ? d : cap;
}

void ws_b3_set_max_level(int level) { __atomic_store_n(&max_level, level < 0 ? 0 : level, __ATOMIC_RELAXED); }

void ws_b3_hash_many(const uint8_t *input, size_t stride, size_t count, size_t blocks, const uint32_t key[8],
                     uint64_t counter, bool increment, uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                     uint8_t *out) {
    size_t j = 0;
#if WS_B3_X86
    int level = ws_b3_simd_level();
    if (level >= 3) {
        for (; count - j >= 16; j += 16) {
            ws_b3_hash16_avx512(input + j * stride, stride, blocks, key, counter + (increment ? j : 0), increment,
                                flags, flags_start, flags_end, out + 32 * j);
        }
    }
    if (level >= 2) {
        for (; count - j >= 8; j += 8) {
            ws_b3_hash8_avx2(input + j * stride, stride, blocks, key, counter + (increment ? j : 0), increment,
                             flags, flags_start, flags_end, out + 32 * j);
        }
    }
    if (level >= 1) {
        for (; count - j >= 4; j += 4) {
            ws_b3_hash4_sse41(input + j * stride, stride, blocks, key, counter + (increment ? j : 0), increment,
                              flags, flags_start, flags_end, out + 32 * j);
        }
    }
#endif
    for (; j < count; j++) {
        hash_one(input + j * stride, blocks, key, counter + (increment ? j : 0), flags, flags_start, flags_end,
                 out + 32 * j);
    }
}

// MARK: - Chunks and nodes

/// What a node needs to give either its chaining value or, as the root, any number of output bytes.
typedef struct {
    uint32_t cv[8];
    uint8_t block[64];
    uint64_t counter;
    uint8_t block_len;
    uint8_t flags;
} node_t;

static void node_cv(const node_t *n, uint8_t out[32]) {
    uint32_t cv[8];
    memcpy(cv, n->cv, sizeof cv);
    compress_cv(cv, n->block, n->block_len, n->counter, n->flags);
    for (int i = 0; i < 8; i++) ws_b3_store32(out + 4 * i, cv[i]);
}

static void node_root(const node_t *n, uint64_t seek, uint8_t *out, size_t out_len) {
    uint64_t block = seek / 64;
    size_t skip = (size_t)(seek % 64);
    uint8_t buf[64];
    while (out_len > 0) {
        compress_full(n->cv, n->block, n->block_len, block, n->flags | WS_B3_ROOT, buf);
        size_t take = 64 - skip < out_len ? 64 - skip : out_len;
        memcpy(out, buf + skip, take);
        out += take;
        out_len -= take;
        skip = 0;
        block++;
    }
}

static node_t parent_node(const uint32_t key[8], uint8_t flags, const uint8_t left[32], const uint8_t right[32]) {
    node_t n;
    memcpy(n.cv, key, sizeof n.cv);
    memcpy(n.block, left, 32);
    memcpy(n.block + 32, right, 32);
    n.counter = 0;
    n.block_len = 64;
    n.flags = flags | WS_B3_PARENT;
    return n;
}

static void chunk_reset(ws_b3_chunk_state *c, const uint32_t key[8], uint64_t counter, uint8_t flags) {
    memcpy(c->cv, key, sizeof c->cv);
    c->counter = counter;
    memset(c->block, 0, sizeof c->block);
    c->block_len = 0;
    c->blocks_compressed = 0;
    c->flags = flags;
}

static size_t chunk_len(const ws_b3_chunk_state *c) { return 64 * (size_t)c->blocks_compressed + c->block_len; }

static uint8_t chunk_start_flag(const ws_b3_chunk_state *c) { return c->blocks_compressed == 0 ? WS_B3_CHUNK_START : 0; }

/// Appends bytes (at most what the chunk has room for). The last block stays uncompressed: it gets CHUNK_END.
static void chunk_update(ws_b3_chunk_state *c, const uint8_t *in, size_t len) {
    while (len > 0) {
        if (c->block_len == 64) {
            compress_cv(c->cv, c->block, 64, c->counter, c->flags | chunk_start_flag(c));
            c->blocks_compressed++;
            c->block_len = 0;
            memset(c->block, 0, sizeof c->block);
        }
        size_t room = (size_t)(64 - c->block_len);
        size_t take = room < len ? room : len;
        memcpy(c->block + c->block_len, in, take);
        c->block_len += (uint8_t)take;
        in += take;
        len -= take;
    }
}

static node_t chunk_node(const ws_b3_chunk_state *c) {
    node_t n;
    memcpy(n.cv, c->cv, sizeof n.cv);
    memcpy(n.block, c->block, 64);
    n.counter = c->counter;
    n.block_len = c->block_len;
    n.flags = c->flags | chunk_start_flag(c) | WS_B3_CHUNK_END;
    return n;
}

// MARK: - Hasher

static void hasher_init(ws_b3_hasher *h, const uint32_t key[8], uint8_t flags) {
    memcpy(h->key, key, sizeof h->key);
    h->flags = flags;
    h->base = 0;
    h->stack_len = 0;
    chunk_reset(&h->chunk, key, 0, flags);
}

void ws_b3_init(ws_b3_hasher *self) { hasher_init(self, ws_b3_iv, 0); }

void ws_b3_init_keyed(ws_b3_hasher *self, const uint8_t key[WS_B3_KEY_LEN]) {
    uint32_t words[8];
    for (int i = 0; i < 8; i++) words[i] = ws_b3_load32(key + 4 * i);
    hasher_init(self, words, WS_B3_KEYED_HASH);
}

void ws_b3_init_derive_key(ws_b3_hasher *self, const void *context, size_t context_len) {
    ws_b3_hasher ctx;
    hasher_init(&ctx, ws_b3_iv, WS_B3_DERIVE_KEY_CONTEXT);
    ws_b3_update(&ctx, context, context_len);
    uint8_t key[32];
    ws_b3_finalize_seek(&ctx, 0, key, 32);
    uint32_t words[8];
    for (int i = 0; i < 8; i++) words[i] = ws_b3_load32(key + 4 * i);
    hasher_init(self, words, WS_B3_DERIVE_KEY_MATERIAL);
}

void ws_b3_init_subtree(ws_b3_hasher *self, const ws_b3_hasher *mode, uint64_t first_chunk) {
    hasher_init(self, mode->key, mode->flags);
    self->base = first_chunk;
    self->chunk.counter = first_chunk;
}

/// Merges the top two entries until the stack holds one entry per 1 bit of `chunks` (chunks hashed so far,
/// counted from `base`): then every entry is a complete subtree not yet joined to its right neighbour.
static void merge_stack(uint8_t *stack, uint8_t *stack_len, const uint32_t key[8], uint8_t flags, uint64_t chunks) {
    size_t keep = (size_t)__builtin_popcountll(chunks);
    while (*stack_len > keep) {
        uint8_t *left = stack + 32 * (*stack_len - 2);
        node_t p = parent_node(key, flags, left, left + 32);
        node_cv(&p, left);
        (*stack_len)--;
    }
}

/// Pushes the chaining value of the subtree that starts at chunk `at` (absolute), merging what it completes first.
/// Merging is lazy (only when more input follows) so that the root is never compressed as an inner node.
static void push_cv(ws_b3_hasher *h, const uint8_t cv[32], uint64_t at) {
    merge_stack(h->stack, &h->stack_len, h->key, h->flags, at - h->base);
    memcpy(h->stack + 32 * h->stack_len, cv, 32);
    h->stack_len++;
}

/// Chunks hashed in one go, leaves then parents with SIMD (a power of two; 16 KiB of chaining values).
#define BATCH_CHUNKS 512

/// The two children of the subtree of `chunks` (a power of two, 2...BATCH_CHUNKS) full chunks at `in`.
static void subtree_children(const ws_b3_hasher *h, const uint8_t *in, size_t chunks, uint64_t counter, uint8_t out[64]) {
    uint8_t cvs[BATCH_CHUNKS * 32];
    ws_b3_hash_many(in, WS_B3_CHUNK_LEN, chunks, WS_B3_CHUNK_LEN / 64, h->key, counter, true, h->flags,
                    WS_B3_CHUNK_START, WS_B3_CHUNK_END, cvs);
    for (size_t n = chunks; n > 2; n /= 2) {
        ws_b3_hash_many(cvs, 64, n / 2, 1, h->key, 0, false, h->flags | WS_B3_PARENT, 0, 0, cvs);
    }
    memcpy(out, cvs, 64);
}

void ws_b3_update(ws_b3_hasher *self, const void *input, size_t input_len) {
    const uint8_t *in = input;
    size_t len = input_len;
    // Finish a chunk already started; push it only once input follows (it may be the last).
    if (chunk_len(&self->chunk) > 0) {
        size_t room = WS_B3_CHUNK_LEN - chunk_len(&self->chunk);
        size_t take = room < len ? room : len;
        chunk_update(&self->chunk, in, take);
        in += take;
        len -= take;
        if (len == 0) return;
        node_t n = chunk_node(&self->chunk);
        uint8_t cv[32];
        node_cv(&n, cv);
        push_cv(self, cv, self->chunk.counter);
        chunk_reset(&self->chunk, self->key, self->chunk.counter + 1, self->flags);
    }
    // Whole aligned subtrees while more than a chunk remains. A subtree pushes its two children, never its own
    // chaining value, so the last subtree of the input can still become the root.
    while (len > WS_B3_CHUNK_LEN) {
        uint64_t at = self->chunk.counter;
        uint64_t full = len / WS_B3_CHUNK_LEN;
        uint64_t size = BATCH_CHUNKS;
        while (size > full) size /= 2;
        while (((at - self->base) & (size - 1)) != 0) size /= 2;
        if (size == 1) {
            uint8_t cv[32];
            ws_b3_hash_many(in, WS_B3_CHUNK_LEN, 1, WS_B3_CHUNK_LEN / 64, self->key, at, true, self->flags,
                            WS_B3_CHUNK_START, WS_B3_CHUNK_END, cv);
            push_cv(self, cv, at);
        } else {
            uint8_t children[64];
            subtree_children(self, in, (size_t)size, at, children);
            push_cv(self, children, at);
            push_cv(self, children + 32, at + size / 2);
        }
        in += size * WS_B3_CHUNK_LEN;
        len -= size * WS_B3_CHUNK_LEN;
        self->chunk.counter = at + size;
    }
    if (len > 0) chunk_update(&self->chunk, in, len);
}

/// The node at the top of the tree (the root in the plain modes, the subtree's top in subtree mode).
static node_t top_node(const ws_b3_hasher *h) {
    uint8_t stack[WS_B3_MAX_DEPTH * 32];
    uint8_t n = h->stack_len;
    memcpy(stack, h->stack, 32 * (size_t)n);
    node_t node;
    if (chunk_len(&h->chunk) > 0 || n == 0) {
        // The last chunk is the rightmost leaf: join everything before it, then fold right to left.
        merge_stack(stack, &n, h->key, h->flags, h->chunk.counter - h->base);
        node = chunk_node(&h->chunk);
    } else {
        // The input ended with a subtree: its two children are on top.
        node = parent_node(h->key, h->flags, stack + 32 * (n - 2), stack + 32 * (n - 1));
        n -= 2;
    }
    while (n > 0) {
        uint8_t cv[32];
        node_cv(&node, cv);
        n--;
        node = parent_node(h->key, h->flags, stack + 32 * n, cv);
    }
    return node;
}

void ws_b3_finalize_seek(const ws_b3_hasher *self, uint64_t seek, uint8_t *out, size_t out_len) {
    node_t root = top_node(self);
    node_root(&root, seek, out, out_len);
}

void ws_b3_finalize_cv(const ws_b3_hasher *self, uint8_t out[WS_B3_OUT_LEN]) {
    node_t top = top_node(self);
    node_cv(&top, out);
}

/// The chaining value of the left-balanced tree over `count` subtree chaining values.
static void combine_cv(const ws_b3_hasher *mode, const uint8_t *cvs, size_t count, uint8_t out[32]) {
    if (count == 1) {
        memcpy(out, cvs, 32);
        return;
    }
    size_t left = 1;
    while (left * 2 < count) left *= 2;
    uint8_t l[32], r[32];
    combine_cv(mode, cvs, left, l);
    combine_cv(mode, cvs + 32 * left, count - left, r);
    node_t p = parent_node(mode->key, mode->flags, l, r);
    node_cv(&p, out);
}

void ws_b3_combine(const ws_b3_hasher *mode, const uint8_t *cvs, size_t count, uint8_t *out, size_t out_len) {
    // The left subtree holds the largest power of two of subtrees that leaves at least one for the right (§2.4),
    // as it does in chunks when all but the last subtree have the same power-of-two size.
    size_t left = 1;
    while (left * 2 < count) left *= 2;
    uint8_t l[32], r[32];
    combine_cv(mode, cvs, left, l);
    combine_cv(mode, cvs + 32 * left, count - left, r);
    node_t root = parent_node(mode->key, mode->flags, l, r);
    node_root(&root, 0, out, out_len);
}
