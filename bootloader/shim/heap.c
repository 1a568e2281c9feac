// The heap of the Embedded Swift runtime (posix_memalign/free) on UEFI pool memory. The loader
// hands over the pool services at start and withdraws them at ExitBootServices; an allocation
// after that is a loader bug and stops the machine with a message on COM1.

#include <stddef.h>
#include <stdint.h>

#include "efiapi.h"

typedef EFIAPI uint64_t (*allocate_pool_fn)(uint32_t type, uint64_t size, void **buffer);
typedef EFIAPI uint64_t (*free_pool_fn)(void *buffer);

static allocate_pool_fn allocate_pool;
static free_pool_fn free_pool;

enum { loader_data = 2, out_of_memory = 12, header = 16 };

// Prints `message` on the serial port and stops (shim/<arch>/cpu.c).
extern void cpu_fail(const char *message);

void heap_set_pool_services(uint64_t allocate, uint64_t release) {
    allocate_pool = (allocate_pool_fn)allocate;
    free_pool = (free_pool_fn)release;
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (!allocate_pool) cpu_fail("\r\nBOOTLOADER ERROR: memory allocation after ExitBootServices\r\n");
    if (alignment < header) alignment = header;
    void *raw = 0;
    if (allocate_pool(loader_data, size + alignment + header, &raw) >> 63) return out_of_memory;
    uintptr_t aligned = ((uintptr_t)raw + header + alignment - 1) & ~(uintptr_t)(alignment - 1);
    ((void **)aligned)[-1] = raw;
    *result = (void *)aligned;
    return 0;
}

void free(void *pointer) {
    // After ExitBootServices nothing is given back: the kernel owns all memory by then.
    if (pointer && free_pool) free_pool(((void **)pointer)[-1]);
}
