// Entry of stage 3: stage 2 calls stage3_start (the ELF entry) in 32-bit protected mode with the
// boot drive and the addresses of its two services. .bss is already zero (it is part of the file).

#include <stdint.h>

typedef void (*bios_call_fn)(uint32_t vector, void *registers);
typedef void (*trampoline_fn)(const uint32_t *block);

static bios_call_fn bios_call;
static trampoline_fn kernel_trampoline;

// Defined in Swift (Sources/BIOS/Main.swift); never returns.
extern void bios_main(uint32_t drive);
extern void cpu_halt_forever(void);

__attribute__((section(".text.stage3_start"), used))
void stage3_start(uint32_t drive, uint32_t bios_call_address, uint32_t trampoline_address) {
    bios_call = (bios_call_fn)(uintptr_t)bios_call_address;
    kernel_trampoline = (trampoline_fn)(uintptr_t)trampoline_address;
    bios_main(drive);
    cpu_halt_forever();
}

// Runs INT `vector` in real mode; `registers` is { eax, ebx, ecx, edx, esi, edi, ebp, ds, es,
// eflags } in and out.
void bios_interrupt(uint32_t vector, uint32_t *registers) {
    bios_call(vector, registers);
}

// Spec §9.1 through stage 2 (Loader/CPU.swift calls it as on UEFI): never returns.
__attribute__((noreturn)) void cpu_enter_kernel(uint64_t page_table, uint64_t stack_top, uint64_t entry, uint64_t args) {
    uint32_t block[6] = {
        (uint32_t)page_table, (uint32_t)stack_top, (uint32_t)(stack_top >> 32),
        (uint32_t)entry, (uint32_t)(entry >> 32), (uint32_t)args,
    };
    kernel_trampoline(block);
    cpu_halt_forever();
    __builtin_unreachable();
}
