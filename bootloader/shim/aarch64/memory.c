// Copying and filling as plain loops, eight bytes at a time where both sides are aligned; the
// rest of the memory functions is shim/libc.c (built with -fno-builtin, so the compiler does not
// turn the loops back into calls to themselves).

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

// Copies from the last byte down (memmove with dest above an overlapping src).
void memory_copy_backward(void *dest, const void *src, size_t count) {
    unsigned char *d = (unsigned char *)dest + count;
    const unsigned char *s = (const unsigned char *)src + count;
    while (count--) *--d = *--s;
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
