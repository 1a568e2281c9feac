// Processor exceptions in the loader (a failed Swift runtime check is a UD2 instruction): the
// firmware's CPU protocol calls this handler with the Microsoft convention; it passes the
// exception number to the Swift side, which prints a message and halts.

#include <stdint.h>

#include "efiapi.h"

// Defined in Swift (Loader/ExceptionHandlers.swift); never returns.
extern void loader_exception(uint64_t type);

static EFIAPI void on_exception(int64_t type, void *context) {
    (void)context;
    loader_exception((uint64_t)type);
}

uint64_t trap_handler_address(void) {
    return (uint64_t)(uintptr_t)&on_exception;
}
