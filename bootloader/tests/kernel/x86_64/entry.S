/* Entry of the probe kernel. The loader calls kstart with RDI = &KernelArgs (physical, identity
   mapped) on the boot stack it allocated. Like the Redox kernel, we check the .bss and .data
   sentinels, then move to our own stack and call the Swift code. The memory functions are the
   kernel's (bootloader/embedded-x86_64.S); the sentinels and stack are state.S. */

#include "embedded-x86_64.S"

    .section .text.kstart, "ax"
    .global kstart
kstart:
    cli
    mov %rsp, entry_sp(%rip)
    pushfq
    pop %rax
    mov %rax, entry_flags(%rip)
    cmpq $0, bss_sentinel(%rip)
    jne 1f
    cmpq $0, data_sentinel(%rip)
    je 1f
    lea kernel_stack_top(%rip), %rsp
    call kernel_main
1:  cli
    hlt
    jmp 1b

    .text
    .global kernel_in8, kernel_out8, kernel_cr0, kernel_cr3, kernel_cr4, kernel_efer
    .global kernel_entry_rsp, kernel_entry_rflags
kernel_entry_rsp:
    mov entry_sp(%rip), %rax
    ret
kernel_entry_rflags:
    mov entry_flags(%rip), %rax
    ret
kernel_in8:
    mov %edi, %edx
    in %dx, %al
    ret
kernel_out8:
    mov %edi, %edx
    mov %esi, %eax
    out %al, %dx
    ret
kernel_cr0:
    mov %cr0, %rax
    ret
kernel_cr3:
    mov %cr3, %rax
    ret
kernel_cr4:
    mov %cr4, %rax
    ret
kernel_efer:
    mov $0xC0000080, %ecx
    rdmsr
    shl $32, %rdx
    or %rdx, %rax
    ret

    /* The Embedded Swift runtime links against an allocator; the probe never allocates, so any
       request fails (ENOMEM) and nothing is ever freed. */
    .global posix_memalign, free
posix_memalign:
    mov $12, %eax
    ret
free:
    ret

    memory_functions

#include "state.S"
