/* Entry of the probe kernel. The loader calls kstart with RDI = &KernelArgs (physical, identity
   mapped) on the boot stack it allocated. Like the Redox kernel, we check the .bss and .data
   sentinels, then move to our own stack and call the Swift code. */

    .section .text.kstart, "ax"
    .global kstart
kstart:
    cli
    mov %rsp, entry_rsp(%rip)
    pushfq
    pop %rax
    mov %rax, entry_rflags(%rip)
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
    mov entry_rsp(%rip), %rax
    ret
kernel_entry_rflags:
    mov entry_rflags(%rip), %rax
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

    .global memset, memcpy, memmove
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

    .data
    .balign 8
data_sentinel:
    .quad 0x5245444F58464C41
entry_rsp:
    .quad 1
entry_rflags:
    .quad 1

    .bss
    .balign 16
bss_sentinel:
    .quad 0
    .balign 16
kernel_stack:
    .skip 65536
kernel_stack_top:
