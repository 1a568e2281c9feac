/* The runtime's machine-level pieces: program entry, the system-call instruction, the libc
   functions Embedded Swift needs, and a raw `div` for tests. The libc functions and RDRAND loop
   are the macros of bootloader/embedded-x86_64.S, shared with the kernel. */

#include "embedded-x86_64.S"

    .text
    .global _start
/* Entry of a spawned program: RSP points at argc (System V start stack). */
_start:
    mov %rsp, %rdi
    and $-16, %rsp
    xor %ebp, %ebp
    call runtime_start
    ud2

/* bootstrap's entry: the kernel gives no stack (RSP = 0). */
    .global bootstrap_start
bootstrap_start:
    lea bootstrap_stack_top(%rip), %rsp
    xor %edi, %edi
    xor %ebp, %ebp
    call runtime_start
    ud2

/* redox_syscall(number, a, b, c, d, e, f): RAX number, RDI RSI RDX R10 R8 R9 (kernel.md §2.1). */
    .global redox_syscall
redox_syscall:
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    mov 8(%rsp), %r9
    syscall
    ret

/* runtime_divide(a, b): an unchecked 64-bit division (b = 0 raises #DE). */
    .global runtime_divide
runtime_divide:
    mov %rdi, %rax
    xor %edx, %edx
    divq %rsi
    ret

/* runtime_store(address, value): a plain store, for tests that must fault. */
    .global runtime_store
runtime_store:
    mov %rsi, (%rdi)
    ret

    .global runtime_timestamp
runtime_timestamp:
    lfence
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    ret

/* A function that does nothing, never inlined: the baseline for the benchmark. */
    .global runtime_empty_function
runtime_empty_function:
    mov %rdi, %rax
    ret

    rdrand_retrying runtime_rdrand

    .global runtime_cpuid_ecx
runtime_cpuid_ecx:
    push %rbx
    mov %edi, %eax
    xor %ecx, %ecx
    cpuid
    mov %ecx, %eax
    pop %rbx
    ret

    .global posix_memalign, free, putchar
posix_memalign:
    jmp swift_heap_allocate
free:
    jmp swift_heap_free
putchar:
    jmp runtime_putchar
    timestamp_random_bytes
    memory_functions

    .bss
    .balign 16
bootstrap_stack:
    .skip 65536
bootstrap_stack_top:

    .text
/* Port I/O for driver daemons (after IOPL 3): runtime_in{b,w,l}(port), runtime_out{b,w,l}(port, value). */
    .global runtime_inb, runtime_inw, runtime_inl, runtime_outb, runtime_outw, runtime_outl, runtime_load16
runtime_inb:
    mov %edi, %edx
    xor %eax, %eax
    inb %dx, %al
    ret
runtime_inw:
    mov %edi, %edx
    xor %eax, %eax
    inw %dx, %ax
    ret
runtime_inl:
    mov %edi, %edx
    inl %dx, %eax
    ret
runtime_outb:
    mov %edi, %edx
    mov %esi, %eax
    outb %al, %dx
    ret
runtime_outw:
    mov %edi, %edx
    mov %esi, %eax
    outw %ax, %dx
    ret
runtime_outl:
    mov %edi, %edx
    mov %esi, %eax
    outl %eax, %dx
    ret
/* runtime_load16(address): a 16-bit load the compiler cannot cache (memory a device writes). */
runtime_load16:
    movzwl (%rdi), %eax
    ret
