#ifndef CSEAHASH_H
#define CSEAHASH_H

#include <stddef.h>
#include <stdint.h>

/// SeaHash (crate seahash 4.1.0, function `hash`, as `SeaHash.hash` in RedoxFSFormat) in vector
/// code for x86-64 processors with AVX-512 (F, DQ, VL): the four 64-bit lanes of a 32-byte row in
/// one 256-bit register, and two buffers hashed side by side so that their multiplications overlap.

/// 1 when this processor and system run the vector code (x86-64, AVX-512 F, DQ and VL, their
/// registers enabled by the system), else 0.
int redoxfs_seahash_vector_available(void);

/// The SeaHash of each of the `count` buffers `buffers[i]`, all `length` bytes long, into
/// `hashes[i]`. Call only when `redoxfs_seahash_vector_available()` returned 1.
void redoxfs_seahash_vector(const uint8_t *const *buffers, size_t count, size_t length, uint64_t *hashes);

/// Advances the SeaHash lanes `lanes` (a, b, c, d) over the whole 32-byte rows of the `length`
/// bytes at `bytes`. Call only when `redoxfs_seahash_vector_available()` returned 1.
void redoxfs_seahash_advance(uint64_t lanes[4], const uint8_t *bytes, size_t length);

#endif
