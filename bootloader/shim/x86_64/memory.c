// Copying and filling with the x86 string instructions (no loops the compiler could turn back
// into calls to themselves); the rest of the memory functions is shim/libc.c. Also built for the
// 32-bit BIOS stage 3 and the Argon2 timing program.

#include <stddef.h>

void *memcpy(void *dest, const void *src, size_t count) {
    void *d = dest;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(count) : : "memory");
    return dest;
}

// Copies from the last byte down (memmove with dest above an overlapping src).
void memory_copy_backward(void *dest, const void *src, size_t count) {
    if (count == 0) return;
    unsigned char *d = (unsigned char *)dest + count - 1;
    const unsigned char *s = (const unsigned char *)src + count - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(count) : : "memory");
}

void *memset(void *dest, int value, size_t count) {
    void *d = dest;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(count) : "a"(value) : "memory");
    return dest;
}
