// The C library memory functions that compiled Swift and clang expect to exist, as plain loops
// (built with -fno-builtin, so the compiler does not turn them back into calls to themselves).

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dest, const void *src, size_t count) {
    unsigned char *d = dest;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; count >= 8; count -= 8, d += 8, s += 8) *(uint64_t *)d = *(const uint64_t *)s;
    }
    while (count--) *d++ = *s++;
    return dest;
}

void *memmove(void *dest, const void *src, size_t count) {
    if ((uintptr_t)dest <= (uintptr_t)src || (uintptr_t)dest >= (uintptr_t)src + count) {
        return memcpy(dest, src, count);
    }
    unsigned char *d = (unsigned char *)dest + count;
    const unsigned char *s = (const unsigned char *)src + count;
    while (count--) *--d = *--s;
    return dest;
}

void *memset(void *dest, int value, size_t count) {
    unsigned char *d = dest;
    if (((uintptr_t)d & 7) == 0) {
        uint64_t pattern = (uint8_t)value * 0x0101010101010101ull;
        for (; count >= 8; count -= 8, d += 8) *(uint64_t *)d = pattern;
    }
    while (count--) *d++ = (unsigned char)value;
    return dest;
}

int memcmp(const void *a, const void *b, size_t count) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < count; i++) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}
