// UEFI entry point: the firmware calls efi_main with the Microsoft x64 calling convention; the
// loader proper (Swift, System V convention) is reached through loader_main.

#include <stdint.h>

#include "efiapi.h"

// Defined in Swift (Loader/Main.swift); never returns.
extern void loader_main(void *image_handle, void *system_table);
// shim/<arch>/cpu.c
extern void cpu_halt_forever(void);

EFIAPI uint64_t efi_main(void *image_handle, void *system_table) {
    loader_main(image_handle, system_table);
    cpu_halt_forever();
    return 0;
}
