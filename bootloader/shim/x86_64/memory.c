// The C library memory functions that compiled Swift and clang expect to exist, written with the
// x86 string instructions (no loops the compiler could turn back into calls to themselves).

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dest, const void *src, size_t count) {
    void *d = dest;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(count) : : "memory");
    return dest;
}

void *memmove(void *dest, const void *src, size_t count) {
    if ((uintptr_t)dest <= (uintptr_t)src || (uintptr_t)dest >= (uintptr_t)src + count) {
        return memcpy(dest, src, count);
    }
    // Overlapping with dest above src: copy backwards.
    unsigned char *d = (unsigned char *)dest + count - 1;
    const unsigned char *s = (const unsigned char *)src + count - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(count) : : "memory");
    return dest;
}

void *memset(void *dest, int value, size_t count) {
    void *d = dest;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(count) : "a"(value) : "memory");
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
