#include "CXTS.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

#define XTS_VECTOR __attribute__((target("aes,sse4.1,avx2,avx512f,avx512bw,avx512vl,vaes")))

int redoxfs_xts_vector_available(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & (1u << 25)) || !(ecx & (1u << 27))) return 0;  // AES-NI, OSXSAVE
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 0xE6) != 0xE6) return 0;  // SSE, AVX, opmask and ZMM state enabled
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned wanted = (1u << 16) | (1u << 30) | (1u << 31);  // AVX-512 F, BW, VL
    return (ebx & wanted) == wanted && (ecx & (1u << 9)) != 0;  // VAES
}

/// One step of the AES-128 key expansion: `assist` is AESKEYGENASSIST of the previous round key.
XTS_VECTOR static inline __m128i expand_step(__m128i key, __m128i assist) {
    assist = _mm_shuffle_epi32(assist, 0xFF);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, assist);
}

/// The 11 encryption round keys of `key`.
XTS_VECTOR static void expand_key(const uint8_t *key, __m128i *round) {
    round[0] = _mm_loadu_si128((const __m128i *)key);
#define XTS_EXPAND(i, rcon) round[i] = expand_step(round[i - 1], _mm_aeskeygenassist_si128(round[i - 1], rcon))
    XTS_EXPAND(1, 0x01);
    XTS_EXPAND(2, 0x02);
    XTS_EXPAND(3, 0x04);
    XTS_EXPAND(4, 0x08);
    XTS_EXPAND(5, 0x10);
    XTS_EXPAND(6, 0x20);
    XTS_EXPAND(7, 0x40);
    XTS_EXPAND(8, 0x80);
    XTS_EXPAND(9, 0x1B);
    XTS_EXPAND(10, 0x36);
#undef XTS_EXPAND
}

XTS_VECTOR void redoxfs_xts_expand(const uint8_t *data_key, const uint8_t *tweak_key, void *schedule) {
    __m128i *keys = (__m128i *)schedule;
    __m128i encryption[11];
    expand_key(data_key, encryption);
    // The equivalent inverse cipher's keys, in the order AESDEC uses them.
    keys[0] = encryption[10];
    for (int i = 1; i < 10; i++) keys[i] = _mm_aesimc_si128(encryption[10 - i]);
    keys[10] = encryption[0];
    expand_key(tweak_key, keys + 11);
}

/// Each 128-bit lane (a little-endian tweak) times x^4 in GF(2^128) modulo x^128 + x^7 + x^2 + x + 1.
XTS_VECTOR static inline __m512i times_x4(__m512i tweaks) {
    __m512i carries = _mm512_srli_epi64(tweaks, 60);  // the top 4 bits of each 64-bit half
    __m512i shifted = _mm512_slli_epi64(tweaks, 4);
    // The low half's carries move into the high half; the high half's are reduced into the low
    // half: c * (x^7 + x^2 + x + 1) for c < 16, without carries.
    __m512i high = _mm512_bsrli_epi128(carries, 8);
    __m512i reduced = _mm512_xor_si512(
        _mm512_xor_si512(high, _mm512_slli_epi64(high, 1)), _mm512_xor_si512(_mm512_slli_epi64(high, 2), _mm512_slli_epi64(high, 7)));
    return _mm512_xor_si512(_mm512_xor_si512(shifted, _mm512_bslli_epi128(carries, 8)), reduced);
}

/// A little-endian 128-bit tweak (two 64-bit halves) times x.
static inline void times_x(uint64_t *low, uint64_t *high) {
    uint64_t carry = *high >> 63;
    *high = (*high << 1) | (*low >> 63);
    *low = (*low << 1) ^ (carry ? 0x87 : 0);
}

XTS_VECTOR static inline __m512i decrypt4(__m512i block, const __m512i *keys) {
    block = _mm512_xor_si512(block, keys[0]);
    for (int i = 1; i < 10; i++) block = _mm512_aesdec_epi128(block, keys[i]);
    return _mm512_aesdeclast_epi128(block, keys[10]);
}

XTS_VECTOR static inline __m128i decrypt1(__m128i block, const __m128i *keys) {
    block = _mm_xor_si128(block, keys[0]);
    for (int i = 1; i < 10; i++) block = _mm_aesdec_si128(block, keys[i]);
    return _mm_aesdeclast_si128(block, keys[10]);
}

/// Decrypts one data unit of `length` bytes (a multiple of 16) numbered `unit`.
XTS_VECTOR static void decrypt_unit(const __m128i *keys, const __m512i *wide, uint8_t *data, size_t length, uint64_t unit) {
    const __m128i *tweak_keys = keys + 11;
    __m128i tweak = _mm_xor_si128(_mm_set_epi64x(0, (long long)unit), tweak_keys[0]);
    for (int i = 1; i < 10; i++) tweak = _mm_aesenc_si128(tweak, tweak_keys[i]);
    tweak = _mm_aesenclast_si128(tweak, tweak_keys[10]);
    uint64_t lanes[8];
    _mm_storeu_si128((__m128i *)lanes, tweak);
    for (int lane = 1; lane < 4; lane++) {
        lanes[2 * lane] = lanes[2 * lane - 2];
        lanes[2 * lane + 1] = lanes[2 * lane - 1];
        times_x(&lanes[2 * lane], &lanes[2 * lane + 1]);
    }
    __m512i next = _mm512_loadu_si512(lanes);  // the tweaks of the next four blocks
    size_t blocks = length / 16;
    while (blocks >= 16) {
        __m512i t0 = next, t1 = times_x4(t0), t2 = times_x4(t1), t3 = times_x4(t2);
        next = times_x4(t3);
        __m512i *at = (__m512i *)data;
        __m512i b0 = _mm512_xor_si512(_mm512_loadu_si512(at), t0);
        __m512i b1 = _mm512_xor_si512(_mm512_loadu_si512(at + 1), t1);
        __m512i b2 = _mm512_xor_si512(_mm512_loadu_si512(at + 2), t2);
        __m512i b3 = _mm512_xor_si512(_mm512_loadu_si512(at + 3), t3);
        b0 = _mm512_xor_si512(b0, wide[0]);
        b1 = _mm512_xor_si512(b1, wide[0]);
        b2 = _mm512_xor_si512(b2, wide[0]);
        b3 = _mm512_xor_si512(b3, wide[0]);
        for (int i = 1; i < 10; i++) {
            b0 = _mm512_aesdec_epi128(b0, wide[i]);
            b1 = _mm512_aesdec_epi128(b1, wide[i]);
            b2 = _mm512_aesdec_epi128(b2, wide[i]);
            b3 = _mm512_aesdec_epi128(b3, wide[i]);
        }
        b0 = _mm512_aesdeclast_epi128(b0, wide[10]);
        b1 = _mm512_aesdeclast_epi128(b1, wide[10]);
        b2 = _mm512_aesdeclast_epi128(b2, wide[10]);
        b3 = _mm512_aesdeclast_epi128(b3, wide[10]);
        _mm512_storeu_si512(at, _mm512_xor_si512(b0, t0));
        _mm512_storeu_si512(at + 1, _mm512_xor_si512(b1, t1));
        _mm512_storeu_si512(at + 2, _mm512_xor_si512(b2, t2));
        _mm512_storeu_si512(at + 3, _mm512_xor_si512(b3, t3));
        data += 256;
        blocks -= 16;
    }
    while (blocks >= 4) {
        __m512i *at = (__m512i *)data;
        _mm512_storeu_si512(at, _mm512_xor_si512(decrypt4(_mm512_xor_si512(_mm512_loadu_si512(at), next), wide), next));
        next = times_x4(next);
        data += 64;
        blocks -= 4;
    }
    __m128i tweaks[4];
    _mm512_storeu_si512(tweaks, next);
    for (size_t i = 0; i < blocks; i++) {
        __m128i *at = (__m128i *)data + i;
        _mm_storeu_si128(at, _mm_xor_si128(decrypt1(_mm_xor_si128(_mm_loadu_si128(at), tweaks[i]), keys), tweaks[i]));
    }
}

XTS_VECTOR void redoxfs_xts_decrypt(const void *schedule, uint8_t *data, size_t length, uint64_t first_unit, size_t unit_size) {
    const __m128i *keys = (const __m128i *)schedule;
    __m512i wide[11];
    for (int i = 0; i < 11; i++) wide[i] = _mm512_broadcast_i32x4(keys[i]);
    uint64_t unit = first_unit;
    for (size_t offset = 0; offset < length; offset += unit_size) {
        size_t take = length - offset < unit_size ? length - offset : unit_size;
        decrypt_unit(keys, wide, data + offset, take, unit);
        unit++;
    }
}

#else

int redoxfs_xts_vector_available(void) { return 0; }
void redoxfs_xts_expand(const uint8_t *data_key, const uint8_t *tweak_key, void *schedule) {
    (void)data_key;
    (void)tweak_key;
    (void)schedule;
}
void redoxfs_xts_decrypt(const void *schedule, uint8_t *data, size_t length, uint64_t first_unit, size_t unit_size) {
    (void)schedule;
    (void)data;
    (void)length;
    (void)first_unit;
    (void)unit_size;
}

#endif
