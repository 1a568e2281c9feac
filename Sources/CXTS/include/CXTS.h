#ifndef CXTS_H
#define CXTS_H

#include <stddef.h>
#include <stdint.h>

/// XTS-AES-128 decryption (IEEE 1619, as RedoxFS encrypts its blocks: the data unit number as a
/// 128-bit little-endian tweak) in vector code for x86-64 processors with VAES and AVX-512 (F, BW,
/// VL): four blocks per 512-bit register, sixteen blocks in flight. A read decrypts a 128 KiB
/// record in one call, with no per-unit set-up beyond the tweak's own encryption.

/// The size in bytes of an expanded key pair (`redoxfs_xts_expand`).
#define REDOXFS_XTS_SCHEDULE_BYTES 352  // 2 keys x 11 round keys x 16 bytes

/// 1 when this processor and system run the vector code (x86-64 with AES-NI, VAES, AVX-512 F,
/// BW and VL, their registers enabled by the system), else 0.
int redoxfs_xts_vector_available(void);

/// Expands k1 (`data_key`, 16 bytes) and k2 (`tweak_key`, 16 bytes) into `schedule`
/// (REDOXFS_XTS_SCHEDULE_BYTES, 16-byte aligned): k1's decryption round keys and k2's encryption
/// round keys. Call only when `redoxfs_xts_vector_available()` returned 1.
void redoxfs_xts_expand(const uint8_t *data_key, const uint8_t *tweak_key, void *schedule);

/// Decrypts `length` bytes of `data` in place (a multiple of 16), data unit after data unit of
/// `unit_size` bytes (a multiple of 16; the last unit may be shorter), the first unit numbered
/// `first_unit`. Call only when `redoxfs_xts_vector_available()` returned 1.
void redoxfs_xts_decrypt(const void *schedule, uint8_t *data, size_t length, uint64_t first_unit, size_t unit_size);

#endif
