// Processor access the Swift code cannot express: port I/O, control registers and the final jump
// into the kernel.

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

// Switches to the kernel's page tables and calls its entry with the System V convention
// (RDI = KernelArgs) on the given stack. Interrupts stay disabled; the firmware's GDT is kept.
__attribute__((noreturn)) void cpu_enter_kernel(uint64_t page_table, uint64_t stack_top, uint64_t entry, uint64_t args) {
    uint64_t cr0, cr4;
    uint32_t lo, hi;
    __asm__ volatile("cli");
    // CR4: OSFXSR (9), PGE (7), PAE (5), PSE (4).
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= (1u << 9) | (1u << 7) | (1u << 5) | (1u << 4);
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    // EFER (MSR 0xC0000080): LME (8), NXE (11).
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xC0000080u));
    lo |= (1u << 8) | (1u << 11);
    __asm__ volatile("wrmsr" : : "a"(lo), "d"(hi), "c"(0xC0000080u));
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_table) : "memory");
    // CR0: PG (31), WP (16), PE (0).
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 |= (1ull << 31) | (1ull << 16) | 1ull;
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
    __asm__ volatile(
        "mov %0, %%rsp\n\t"
        "xor %%ebp, %%ebp\n\t"
        "call *%1\n\t"
        "1: cli; hlt; jmp 1b"
        :
        : "r"(stack_top), "r"(entry), "D"(args)
        : "memory");
    __builtin_unreachable();
}

// Seed source for the Swift standard library's hashing (Set, Dictionary). Hash seeds need not be
// secret in a boot loader; the time-stamp counter gives per-boot variation.
void arc4random_buf(void *buffer, unsigned long count) {
    uint64_t state;
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    state = ((uint64_t)hi << 32 | lo) ^ 0x9E3779B97F4A7C15ull;
    unsigned char *bytes = buffer;
    for (unsigned long i = 0; i < count; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes[i] = (unsigned char)state;
    }
}
