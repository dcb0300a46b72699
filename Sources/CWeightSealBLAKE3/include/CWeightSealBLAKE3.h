// BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs, blake3.pdf) for weightseal: written for this project from the
// specification. The hash of many chunks at once uses SSE4.1 (4 lanes), AVX2 (8) or AVX-512 (16), chosen at run
// time; elsewhere a portable compression function. Not API: the Swift type `BLAKE3` in the WeightSeal target wraps it.
#ifndef CWEIGHTSEAL_BLAKE3_H
#define CWEIGHTSEAL_BLAKE3_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WS_B3_OUT_LEN 32
#define WS_B3_KEY_LEN 32
#define WS_B3_BLOCK_LEN 64
#define WS_B3_CHUNK_LEN 1024
/// Deepest CV stack: 2^64 bytes are 2^54 chunks; one more for the two children a subtree pushes.
#define WS_B3_MAX_DEPTH 55

/// Domain flags of the compression function (spec §2.1, Table 3).
enum {
    WS_B3_CHUNK_START = 1 << 0,
    WS_B3_CHUNK_END = 1 << 1,
    WS_B3_PARENT = 1 << 2,
    WS_B3_ROOT = 1 << 3,
    WS_B3_KEYED_HASH = 1 << 4,
    WS_B3_DERIVE_KEY_CONTEXT = 1 << 5,
    WS_B3_DERIVE_KEY_MATERIAL = 1 << 6,
};

/// The chunk being hashed: its chaining value, the last (not yet compressed) block and how many came before.
typedef struct {
    uint32_t cv[8];
    uint64_t counter;
    uint8_t block[WS_B3_BLOCK_LEN];
    uint8_t block_len;
    uint8_t blocks_compressed;
    uint8_t flags;
} ws_b3_chunk_state;

/// An incremental hasher. It hashes a whole input (counter 0, root output) or, in subtree mode, one aligned subtree
/// of a larger input (chunk counters from `base`, non-root chaining value), so that threads can hash the subtrees of
/// one file and ws_b3_combine() joins them.
typedef struct {
    uint32_t key[8];
    ws_b3_chunk_state chunk;
    /// Chunk counter of the first chunk (0 unless subtree mode).
    uint64_t base;
    uint8_t flags;
    uint8_t stack_len;
    uint8_t stack[WS_B3_MAX_DEPTH * WS_B3_OUT_LEN];
} ws_b3_hasher;

/// The default hash mode.
void ws_b3_init(ws_b3_hasher *self);
/// Keyed hash mode with a 32-byte key.
void ws_b3_init_keyed(ws_b3_hasher *self, const uint8_t key[WS_B3_KEY_LEN]);
/// Key derivation mode: the context string is hashed first (DERIVE_KEY_CONTEXT), its hash keys the material.
void ws_b3_init_derive_key(ws_b3_hasher *self, const void *context, size_t context_len);
/// Subtree mode: like `mode` (a hasher just initialised, never updated), but the input starts at chunk
/// `first_chunk` of a larger input. `first_chunk` must be a multiple of the subtree's size in chunks rounded up to a
/// power of two, and the subtree must not be the whole input (then use the plain mode).
void ws_b3_init_subtree(ws_b3_hasher *self, const ws_b3_hasher *mode, uint64_t first_chunk);

void ws_b3_update(ws_b3_hasher *self, const void *input, size_t input_len);
/// Writes `out_len` bytes of root output starting at byte `seek` (extendable output). The hasher is unchanged.
void ws_b3_finalize_seek(const ws_b3_hasher *self, uint64_t seek, uint8_t *out, size_t out_len);
/// Subtree mode: the subtree's chaining value (32 bytes, not a root). The hasher is unchanged.
void ws_b3_finalize_cv(const ws_b3_hasher *self, uint8_t out[WS_B3_OUT_LEN]);

/// Root output of an input made of `count` >= 2 consecutive subtrees whose chaining values are `cvs` (32 bytes
/// each, in order): every subtree but the last holds the same power-of-two number of chunks, the last at most as
/// many. `mode` gives the key and flags (a hasher just initialised). Writes `out_len` bytes from byte 0.
void ws_b3_combine(const ws_b3_hasher *mode, const uint8_t *cvs, size_t count, uint8_t *out, size_t out_len);

/// Results of ws_b3_update_mapped besides 0 (done).
enum {
    /// The file changed under the mapping (a page past its new end: SIGBUS); the hashers hold a partial state.
    WS_B3_MAP_FAULT = -1,
    /// Not hashed (no mapping, or a page not resident when residency was required): read the bytes instead.
    WS_B3_MAP_UNAVAILABLE = -2,
    /// A mapped page could not be read, the file still as long as the range (an I/O error).
    WS_B3_MAP_IO_ERROR = -3,
};

/// Bytes mapped at a time by ws_b3_update_mapped (a multiple of any page size).
#define WS_B3_MAP_WINDOW ((size_t)8 << 20)

/// Feeds `length` bytes of the regular file `fd` from `offset` to `first` and, when not NULL, `second` (`step` bytes
/// to one, then to the other, so that each block is hashed twice while in the cache; 0 for all at once), read
/// through a read-only mapping, one window of WS_B3_MAP_WINDOW bytes at a time, instead of copied. A SIGBUS raised by
/// the mapping (the file truncated meanwhile) is caught and returned as WS_B3_MAP_FAULT, never fatal; so is a file
/// found shorter than the window once it is hashed (past the end of a file, inside its last page, a mapping reads
/// zeros without a fault), and a fault with the file still as long is WS_B3_MAP_IO_ERROR. With
/// `require_resident`, a window not wholly in the page cache ends the call (WS_B3_MAP_UNAVAILABLE) before any of
/// its bytes is hashed. `*hashed` is set to the bytes fed: the caller reads the rest.
int ws_b3_update_mapped(int fd, uint64_t offset, size_t length, int require_resident,
                        ws_b3_hasher *first, ws_b3_hasher *second, size_t step, size_t *hashed);

/// The SIMD level in use: 0 portable, 1 SSE4.1, 2 AVX2, 3 AVX-512. `ws_b3_set_max_level` caps it (tests, benches).
int ws_b3_simd_level(void);
void ws_b3_set_max_level(int level);

#ifdef __cplusplus
}
#endif

#endif
