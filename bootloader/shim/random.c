// Seed source for the Swift standard library's hashing (Set, Dictionary). Hash seeds need not be
// secret in a boot loader; the processor's counter (shim/<arch>/cpu.c) gives per-boot variation,
// spread over the buffer by xorshift.

#include <stdint.h>

extern uint64_t cpu_timestamp(void);

void arc4random_buf(void *buffer, unsigned long count) {
    uint64_t state = cpu_timestamp() ^ 0x9E3779B97F4A7C15ull;
    unsigned char *bytes = buffer;
    for (unsigned long i = 0; i < count; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes[i] = (unsigned char)state;
    }
}
