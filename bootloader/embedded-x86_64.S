/* Machine-level pieces that every Embedded Swift program on bare x86_64 in this tree needs, as
   assembler macros: the kernel (recipes/core/kernel/source/entry.S), the userspace runtime
   (recipes/core/runtime/source/start.S) and the loader's probe kernel
   (bootloader/tests/kernel/x86_64/entry.S) `#include "embedded-x86_64.S"` (clang -I bootloader)
   and expand the ones they need, as they share embedded-flags.sh. The kernel recipes see this
   file through recipes/core/system-source. Numeric labels only, so that every expansion stands
   on its own. */

/* The C library memory functions compiled Swift calls (System V arguments), with the string
   instructions: memset, memcpy, memmove (backwards, with DF set, when dest lies above an
   overlapping src) and memcmp (the difference of the first unequal bytes). */
    .macro memory_functions
    .global memset, memcpy, memmove, memcmp
memset:
    mov %rdi, %r8
    mov %esi, %eax
    mov %rdx, %rcx
    rep stosb
    mov %r8, %rax
    ret
memcpy:
    mov %rdi, %rax
    mov %rdx, %rcx
    rep movsb
    ret
memmove:
    mov %rdi, %rax
    cmp %rsi, %rdi
    jbe memcpy
    lea -1(%rsi,%rdx), %rsi
    lea -1(%rdi,%rdx), %rdi
    mov %rdx, %rcx
    std
    rep movsb
    cld
    ret
memcmp:
    xor %eax, %eax
    test %rdx, %rdx
    jz 2f
1:  movzbl (%rdi), %eax
    movzbl (%rsi), %ecx
    sub %ecx, %eax
    jnz 2f
    inc %rdi
    inc %rsi
    dec %rdx
    jnz 1b
2:  ret
    .endm

/* arc4random_buf(buffer, count): the Swift standard library's hashing seeds, one time-stamp
   counter reading a byte (seeds need not be secret here). */
    .macro timestamp_random_bytes
    .global arc4random_buf
arc4random_buf:
    test %rsi, %rsi
    jz 2f
1:  rdtsc
    mov %al, (%rdi)
    inc %rdi
    dec %rsi
    jnz 1b
2:  ret
    .endm

/* NAME() -> a RDRAND value, or 0 after ten failures. */
    .macro rdrand_retrying name
    .global \name
\name:
    mov $10, %ecx
1:  rdrand %rax
    jc 2f
    dec %ecx
    jnz 1b
    xor %eax, %eax
2:  ret
    .endm
