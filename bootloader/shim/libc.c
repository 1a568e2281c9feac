// The C library memory functions that compiled Swift and clang expect to exist, where they are
// the same on every loader: memmove's choice of direction, memcmp and strlen. The copying and
// filling themselves are per architecture (shim/<arch>/memory.c: memcpy, memset,
// memory_copy_backward). Built with -fno-builtin, so the compiler does not turn the loops back
// into calls to themselves.

#include <stddef.h>
#include <stdint.h>

// shim/<arch>/memory.c
extern void *memcpy(void *dest, const void *src, size_t count);
extern void memory_copy_backward(void *dest, const void *src, size_t count);

void *memmove(void *dest, const void *src, size_t count) {
    if ((uintptr_t)dest <= (uintptr_t)src || (uintptr_t)dest >= (uintptr_t)src + count) {
        return memcpy(dest, src, count);
    }
    memory_copy_backward(dest, src, count);
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
