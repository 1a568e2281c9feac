// The UEFI loader's jump into the kernel on x86_64 (64-bit code only; BIOS stage 3 goes through
// stage 2's trampoline instead, bios/shim/start.c).

#include <stdint.h>

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
