// Calls into firmware services, which use the Microsoft x64 calling convention. Unused trailing
// arguments are harmless under that convention (the caller owns the argument area), so one
// six-argument thunk serves every service the loader uses.

#include <stdint.h>

#include "efiapi.h"

typedef EFIAPI uint64_t (*uefi_service)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

uint64_t uefi_call(uint64_t service, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6) {
    return ((uefi_service)service)(a1, a2, a3, a4, a5, a6);
}
