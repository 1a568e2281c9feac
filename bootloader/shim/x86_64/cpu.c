// x86 processor access the Swift code cannot express: port I/O, halting, the time-stamp counter.
// Built for the UEFI loader (x86_64) and for BIOS stage 3 (32-bit protected mode); the UEFI
// loader's jump into the kernel is shim/x86_64/enter.c.

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

// The time-stamp counter: the hash seed (shim/random.c); BIOS stage 3 also measures with it.
uint64_t cpu_timestamp(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
