// Processor access for stage 3 (32-bit protected mode): port I/O, halting, a hash seed.

#include <stdint.h>

uint8_t cpu_in8(uint16_t port) {
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

void cpu_out8(uint16_t port, uint8_t value) {
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

void cpu_pause(void) {
    __asm__ volatile("pause");
}

void cpu_halt_forever(void) {
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

// Writes `message` on COM1 and halts: for the heap's fatal errors, which cannot allocate.
void cpu_fail(const char *message) {
    for (const char *c = message; *c; c++) {
        while (!(cpu_in8(0x3FD) & 0x20)) {}
        cpu_out8(0x3F8, (uint8_t)*c);
    }
    cpu_halt_forever();
}

// The time-stamp counter, for measuring (the loader prints how long unlocking took).
uint64_t cpu_timestamp(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

// Seed source for the Swift standard library's hashing (Set, Dictionary).
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
