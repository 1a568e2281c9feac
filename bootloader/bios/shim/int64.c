// The 64-bit integer helpers that 32-bit x86 code generation calls (compiled code optimised for
// size calls them for shifts, and always for division): shifts, unsigned and signed division and
// remainder. Written with 32-bit halves and built with -O2 so that nothing here calls itself.

#include <stdint.h>

typedef union {
    uint64_t all;
    struct { uint32_t low, high; } s;
} halves;

uint64_t __ashldi3(uint64_t a, int b) {
    halves x = {.all = a}, r;
    b &= 63;
    if (b == 0) return a;
    if (b >= 32) {
        r.s.low = 0;
        r.s.high = x.s.low << (b - 32);
    } else {
        r.s.low = x.s.low << b;
        r.s.high = (x.s.high << b) | (x.s.low >> (32 - b));
    }
    return r.all;
}

uint64_t __lshrdi3(uint64_t a, int b) {
    halves x = {.all = a}, r;
    b &= 63;
    if (b == 0) return a;
    if (b >= 32) {
        r.s.high = 0;
        r.s.low = x.s.high >> (b - 32);
    } else {
        r.s.high = x.s.high >> b;
        r.s.low = (x.s.low >> b) | (x.s.high << (32 - b));
    }
    return r.all;
}

int64_t __ashrdi3(int64_t a, int b) {
    halves x = {.all = (uint64_t)a}, r;
    b &= 63;
    if (b == 0) return a;
    if (b >= 32) {
        r.s.high = (uint32_t)((int32_t)x.s.high >> 31);
        r.s.low = (uint32_t)((int32_t)x.s.high >> (b - 32));
    } else {
        r.s.high = (uint32_t)((int32_t)x.s.high >> b);
        r.s.low = (x.s.low >> b) | (x.s.high << (32 - b));
    }
    return (int64_t)r.all;
}

uint64_t __udivmoddi4(uint64_t a, uint64_t b, uint64_t *remainder) {
    halves n = {.all = a}, d = {.all = b};
    uint64_t quotient;
    if (d.s.high == 0) {
        // Two 32-bit divisions: high / d, then (remainder:low) / d, which cannot overflow.
        uint32_t divisor = d.s.low;
        uint32_t high_quotient = n.s.high / divisor;
        uint32_t rest = n.s.high % divisor;
        uint32_t low_quotient;
        __asm__("divl %4" : "=a"(low_quotient), "=d"(rest) : "a"(n.s.low), "d"(rest), "rm"(divisor));
        quotient = (uint64_t)high_quotient << 32 | low_quotient;
        if (remainder) *remainder = rest;
        return quotient;
    }
    // Divisor of 33 bits or more: shift and subtract.
    uint64_t rest = 0;
    quotient = 0;
    for (int bit = 63; bit >= 0; bit--) {
        rest = rest << 1 | ((a >> bit) & 1);
        quotient <<= 1;
        if (rest >= b) {
            rest -= b;
            quotient |= 1;
        }
    }
    if (remainder) *remainder = rest;
    return quotient;
}

uint64_t __udivdi3(uint64_t a, uint64_t b) {
    return __udivmoddi4(a, b, 0);
}

uint64_t __umoddi3(uint64_t a, uint64_t b) {
    uint64_t remainder;
    __udivmoddi4(a, b, &remainder);
    return remainder;
}

int64_t __divdi3(int64_t a, int64_t b) {
    uint64_t ua = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
    uint64_t ub = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
    uint64_t q = __udivmoddi4(ua, ub, 0);
    return (a < 0) != (b < 0) ? (int64_t)(0 - q) : (int64_t)q;
}

int64_t __moddi3(int64_t a, int64_t b) {
    uint64_t ua = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
    uint64_t ub = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
    uint64_t r;
    __udivmoddi4(ua, ub, &r);
    return a < 0 ? (int64_t)(0 - r) : (int64_t)r;
}
