// The heap of stage 3 (posix_memalign/free for the Embedded Swift runtime, and page allocations
// for everything handed to the kernel): one region of free memory (from 1 MiB to the end of the
// E820 area that contains it), managed as an address-ordered free list with coalescing. Nothing
// moves; `heap_high_water` tells the hand-off how much of the region was ever used.

#include <stddef.h>
#include <stdint.h>

typedef struct block {
    uint32_t size;          // bytes, header included, multiple of 16
    struct block *next;     // free blocks only
} block;

enum { header_size = 16, out_of_memory = 12 };

static block *free_list;
static uintptr_t region_end, high_water;

extern void cpu_fail(const char *message);

void heap_initialize(uint32_t start, uint32_t end) {
    start = (start + 15) & ~15u;
    end &= ~15u;
    region_end = end;
    high_water = start;
    free_list = (block *)(uintptr_t)start;
    free_list->size = end - start;
    free_list->next = 0;
}

uint32_t heap_high_water(void) {
    return (uint32_t)high_water;
}

// Header of an allocation: the raw block start and its size, just below the aligned pointer.
typedef struct {
    uint32_t raw;
    uint32_t size;
    uint32_t magic;
    uint32_t unused;
} allocation;

enum { allocation_magic = 0xA110CA7E };

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (!region_end) cpu_fail("\r\nBOOTLOADER ERROR: memory allocation before the heap exists\r\n");
    if (alignment < 16) alignment = 16;
    if (size > 0x7FFFFFFF - alignment - 2 * header_size) return out_of_memory;
    uint32_t need = (uint32_t)((size + header_size + 15) & ~(size_t)15);
    block **link = &free_list;
    for (block *b = free_list; b; link = &b->next, b = b->next) {
        uintptr_t start = (uintptr_t)b;
        uintptr_t user = (start + header_size + alignment - 1) & ~(uintptr_t)(alignment - 1);
        uintptr_t end = user - header_size + need;
        if (end > start + b->size) continue;
        uintptr_t block_end = start + b->size;
        // Give back the space before the allocation (if big enough to hold a block).
        uintptr_t raw = user - header_size;
        block *next = b->next;
        if (raw - start >= 32) {
            b->size = (uint32_t)(raw - start);
            link = &b->next;
        } else {
            raw = start;
        }
        // And the space after it.
        if (block_end - end >= 32) {
            block *rest = (block *)end;
            rest->size = (uint32_t)(block_end - end);
            rest->next = next;
            *link = rest;
        } else {
            end = block_end;
            *link = next;
        }
        allocation *header = (allocation *)(user - header_size);
        header->raw = (uint32_t)raw;
        header->size = (uint32_t)(end - raw);
        header->magic = allocation_magic;
        if (end > high_water) high_water = end;
        *result = (void *)user;
        return 0;
    }
    return out_of_memory;
}

void free(void *pointer) {
    if (!pointer) return;
    allocation *header = (allocation *)((uintptr_t)pointer - header_size);
    if (header->magic != allocation_magic) cpu_fail("\r\nBOOTLOADER ERROR: heap corrupted (bad free)\r\n");
    header->magic = 0;
    block *b = (block *)(uintptr_t)header->raw;
    b->size = header->size;
    // Insert in address order and merge with the neighbours.
    block **link = &free_list;
    while (*link && *link < b) link = &(*link)->next;
    b->next = *link;
    *link = b;
    if (b->next && (uintptr_t)b + b->size == (uintptr_t)b->next) {
        b->size += b->next->size;
        b->next = b->next->next;
    }
    if (link != &free_list) {
        block *previous = (block *)((uintptr_t)link - offsetof(block, next));
        if ((uintptr_t)previous + previous->size == (uintptr_t)b) {
            previous->size += b->size;
            previous->next = b->next;
        }
    }
}
