// Processor access the Swift code cannot express on aarch64: memory-mapped I/O, the exception
// level, and the hand-off of spec §9.3 (drop from EL2 to EL1 when needed, MMU set up with the
// kernel's tables, branch to the entry with X0 = &KernelArgs).

#include <stdint.h>

uint32_t cpu_mmio_read32(uint64_t address) {
    return *(volatile uint32_t *)(uintptr_t)address;
}

void cpu_mmio_write32(uint64_t address, uint32_t value) {
    *(volatile uint32_t *)(uintptr_t)address = value;
}

void cpu_pause(void) {
    __asm__ volatile("yield");
}

void cpu_halt_forever(void) {
    __asm__ volatile("msr daifset, #0xf");
    for (;;) {
        __asm__ volatile("wfi");
    }
}

// The current exception level (CurrentEL bits 3:2).
uint64_t cpu_exception_level(void) {
    uint64_t el;
    __asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
    return (el >> 2) & 3;
}

// QEMU virt's PL011 (the only serial port this loader knows on aarch64).
enum { pl011_data = 0x09000000, pl011_flags = 0x09000018, pl011_tx_full = 1 << 5 };

void cpu_fail(const char *message) {
    for (const char *c = message; *c; c++) {
        while (cpu_mmio_read32(pl011_flags) & pl011_tx_full) {}
        cpu_mmio_write32(pl011_data, (uint8_t)*c);
    }
    cpu_halt_forever();
}

// Spec §9.3. Runs with interrupts masked; from EL2 it first drops to EL1 (timer access for EL1,
// identity IDs, FP on, EL1 MMU off, the same stack and vectors), then turns the MMU off, programs
// MAIR/TCR/TTBR0/TTBR1 and SCTLR_EL1 and branches to the kernel. Everything after the first
// instruction stays in registers: with the MMU off, memory is device memory.
__attribute__((noreturn)) void cpu_enter_kernel(uint64_t page_table, uint64_t stack_top, uint64_t entry, uint64_t args) {
    register uint64_t x19 __asm__("x19") = page_table;
    register uint64_t x20 __asm__("x20") = stack_top;
    register uint64_t x21 __asm__("x21") = entry;
    register uint64_t x22 __asm__("x22") = args;
    __asm__ volatile(
        "msr daifset, #0xf\n\t"
        "mrs x9, CurrentEL\n\t"
        "ubfx x9, x9, #2, #2\n\t"
        "cmp x9, #1\n\t"
        "b.eq 2f\n\t"
        "cmp x9, #2\n\t"
        "b.ne 9f\n\t"
        // EL2 -> EL1
        "mrs x9, cnthctl_el2\n\t"
        "orr x9, x9, #3\n\t"
        "msr cnthctl_el2, x9\n\t"
        "msr cntvoff_el2, xzr\n\t"
        "mrs x9, midr_el1\n\t"
        "msr vpidr_el2, x9\n\t"
        "mrs x9, mpidr_el1\n\t"
        "msr vmpidr_el2, x9\n\t"
        "mov x9, #0x33ff\n\t"
        "msr cptr_el2, x9\n\t"
        "msr hstr_el2, xzr\n\t"
        "mov x9, #(3 << 20)\n\t"
        "msr cpacr_el1, x9\n\t"
        "ldr x9, =0x30d00800\n\t"
        "msr sctlr_el1, x9\n\t"
        "mov x9, sp\n\t"
        "msr sp_el1, x9\n\t"
        "mrs x9, vbar_el2\n\t"
        "msr vbar_el1, x9\n\t"
        "mov x9, #(1 << 31)\n\t"
        "orr x9, x9, #(1 << 29)\n\t"
        "msr hcr_el2, x9\n\t"
        "mov x9, #0x3c5\n\t"
        "msr spsr_el2, x9\n\t"
        "adr x9, 2f\n\t"
        "msr elr_el2, x9\n\t"
        "eret\n"
        // EL1: MMU off, then the kernel's translation regime.
        "2:\n\t"
        "mrs x9, sctlr_el1\n\t"
        "bic x9, x9, #1\n\t"
        "msr sctlr_el1, x9\n\t"
        "isb\n\t"
        "mov x9, #0x44ff\n\t"
        "msr mair_el1, x9\n\t"
        "ldr x9, =0x1085100510\n\t"
        "mrs x10, id_aa64mmfr0_el1\n\t"
        "and x10, x10, #7\n\t"
        "orr x9, x9, x10, lsl #32\n\t"
        "msr tcr_el1, x9\n\t"
        "msr ttbr0_el1, x19\n\t"
        "msr ttbr1_el1, x19\n\t"
        "isb\n\t"
        "dsb ishst\n\t"
        "tlbi vmalle1is\n\t"
        "dsb ish\n\t"
        "isb\n\t"
        "mrs x9, sctlr_el1\n\t"
        "ldr x10, =0x32802c2\n\t"
        "bic x9, x9, x10\n\t"
        "ldr x10, =0x3485d13d\n\t"
        "orr x9, x9, x10\n\t"
        "msr sctlr_el1, x9\n\t"
        "isb\n\t"
        "mov sp, x20\n\t"
        "mov x0, x22\n\t"
        "mov x29, xzr\n\t"
        "mov x30, xzr\n\t"
        "br x21\n"
        "9:\n\t"
        "wfi\n\t"
        "b 9b\n\t"
        ".ltorg\n"
        :
        : "r"(x19), "r"(x20), "r"(x21), "r"(x22)
        : "x0", "x9", "x10", "memory");
    __builtin_unreachable();
}

// The virtual counter: the hash seed (shim/random.c).
uint64_t cpu_timestamp(void) {
    uint64_t count;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(count));
    return count;
}
