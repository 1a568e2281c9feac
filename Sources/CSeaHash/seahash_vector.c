#include "CSeaHash.h"

#define SEAHASH_K 0x6EED0E9DA4D94A4FULL

static const uint64_t seahash_seeds[4] = {
    0x16F11FE89B0D677CULL, 0xB480A793D8E6C86CULL, 0x6FE2E5AAF078EBC9ULL, 0x14F994A4C5259381ULL,
};

static inline uint64_t seahash_diffuse(uint64_t x) {
    x *= SEAHASH_K;
    x ^= (x >> 32) >> (x >> 60);
    return x * SEAHASH_K;
}

/// The bytes after the whole 32-byte rows (up to 8 a lane, lane after lane, little-endian), then
/// the final mix of the lanes and the length.
static uint64_t seahash_finish(uint64_t lanes[4], const uint8_t *bytes, size_t length) {
    size_t offset = length & ~(size_t)31;
    int lane = 0;
    while (offset < length) {
        size_t take = length - offset < 8 ? length - offset : 8;
        uint64_t piece = 0;
        for (size_t i = 0; i < take; i++) piece |= (uint64_t)bytes[offset + i] << (8 * i);
        lanes[lane] = seahash_diffuse(lanes[lane] ^ piece);
        lane++;
        offset += take;
    }
    return seahash_diffuse(lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3] ^ (uint64_t)length);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SEAHASH_VECTOR __attribute__((target("avx2,avx512f,avx512dq,avx512vl")))

int redoxfs_seahash_vector_available(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;  // OSXSAVE
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 0xE6) != 0xE6) return 0;  // SSE, AVX, opmask and ZMM state enabled
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned wanted = (1u << 5) | (1u << 16) | (1u << 17) | (1u << 31);  // AVX2, F, DQ, VL
    return (ebx & wanted) == wanted;
}

SEAHASH_VECTOR static inline __m256i seahash_diffuse4(__m256i x, __m256i k) {
    x = _mm256_mullo_epi64(x, k);
    x = _mm256_xor_si256(x, _mm256_srlv_epi64(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(x, 60)));
    return _mm256_mullo_epi64(x, k);
}

SEAHASH_VECTOR static uint64_t seahash_one(const uint8_t *bytes, size_t length) {
    const __m256i k = _mm256_set1_epi64x((long long)SEAHASH_K);
    __m256i state = _mm256_loadu_si256((const void *)seahash_seeds);
    for (size_t row = 0; row + 32 <= length; row += 32) {
        state = seahash_diffuse4(_mm256_xor_si256(state, _mm256_loadu_si256((const void *)(bytes + row))), k);
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((void *)lanes, state);
    return seahash_finish(lanes, bytes, length);
}

SEAHASH_VECTOR static void seahash_two(const uint8_t *first, const uint8_t *second, size_t length, uint64_t *hashes) {
    const __m256i k = _mm256_set1_epi64x((long long)SEAHASH_K);
    __m256i a = _mm256_loadu_si256((const void *)seahash_seeds);
    __m256i b = a;
    for (size_t row = 0; row + 32 <= length; row += 32) {
        a = seahash_diffuse4(_mm256_xor_si256(a, _mm256_loadu_si256((const void *)(first + row))), k);
        b = seahash_diffuse4(_mm256_xor_si256(b, _mm256_loadu_si256((const void *)(second + row))), k);
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((void *)lanes, a);
    hashes[0] = seahash_finish(lanes, first, length);
    _mm256_storeu_si256((void *)lanes, b);
    hashes[1] = seahash_finish(lanes, second, length);
}

SEAHASH_VECTOR void redoxfs_seahash_advance(uint64_t lanes[4], const uint8_t *bytes, size_t length) {
    const __m256i k = _mm256_set1_epi64x((long long)SEAHASH_K);
    __m256i state = _mm256_loadu_si256((const void *)lanes);
    for (size_t row = 0; row + 32 <= length; row += 32) {
        state = seahash_diffuse4(_mm256_xor_si256(state, _mm256_loadu_si256((const void *)(bytes + row))), k);
    }
    _mm256_storeu_si256((void *)lanes, state);
}

void redoxfs_seahash_vector(const uint8_t *const *buffers, size_t count, size_t length, uint64_t *hashes) {
    size_t i = 0;
    for (; i + 2 <= count; i += 2) seahash_two(buffers[i], buffers[i + 1], length, hashes + i);
    if (i < count) hashes[i] = seahash_one(buffers[i], length);
}

#else

int redoxfs_seahash_vector_available(void) { return 0; }

/// Elsewhere the scalar rule (never called: the vector code is not available).
void redoxfs_seahash_advance(uint64_t lanes[4], const uint8_t *bytes, size_t length) {
    for (size_t row = 0; row + 32 <= length; row += 32) {
        for (int lane = 0; lane < 4; lane++) {
            uint64_t word = 0;
            for (int byte = 0; byte < 8; byte++) word |= (uint64_t)bytes[row + 8 * lane + byte] << (8 * byte);
            lanes[lane] = seahash_diffuse(lanes[lane] ^ word);
        }
    }
}

/// Elsewhere the scalar rule (never called: the vector code is not available).
void redoxfs_seahash_vector(const uint8_t *const *buffers, size_t count, size_t length, uint64_t *hashes) {
    for (size_t i = 0; i < count; i++) {
        uint64_t lanes[4] = {seahash_seeds[0], seahash_seeds[1], seahash_seeds[2], seahash_seeds[3]};
        for (size_t row = 0; row + 32 <= length; row += 32) {
            for (int lane = 0; lane < 4; lane++) {
                uint64_t word = 0;
                for (int byte = 0; byte < 8; byte++) word |= (uint64_t)buffers[i][row + 8 * lane + byte] << (8 * byte);
                lanes[lane] = seahash_diffuse(lanes[lane] ^ word);
            }
        }
        hashes[i] = seahash_finish(lanes, buffers[i], length);
    }
}

#endif
