// UEFI entry point: the firmware calls efi_main with the Microsoft x64 calling convention; the
// loader proper (Swift, System V convention) is reached through loader_main.

#include <stdint.h>

// Defined in Swift (Loader/Main.swift); never returns.
extern void loader_main(void *image_handle, void *system_table);

__attribute__((ms_abi)) uint64_t efi_main(void *image_handle, void *system_table) {
    loader_main(image_handle, system_table);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}
