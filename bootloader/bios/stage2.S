/* Stage 2 of the BIOS loader (spec §2.3), loaded at 0xC000 by stage 1 (DL = boot drive).
   Checks the processor (CPUID leaf 1: FPU, PSE, PGE, FXSR; leaf 0x80000001: long mode), enables
   A20 through port 0x92, enters 32-bit protected mode with SSE usable, and calls stage 3
   (`e_entry` of the ELF image at 0x13000) as
       stage3_start(boot_drive, bios_call, kernel_trampoline)         (cdecl, ESP below 0x70000)
   It also holds the two services stage 3 calls back:
       bios_call(vector, registers*)   runs INT vector in real mode with a register block
       kernel_trampoline(block*)       long-mode hand-off of spec §9.1
   The GDT: 0x08 code32, 0x10 data32, 0x18 code16, 0x20 data16, 0x28 code64, 0x30 data64. */

    .set stage3, 0x13000
    .set real_mode_stack, 0x7C00
    .set protected_mode_stack, 0x70000

    .code16
    .section .stage2, "ax"
    .global stage2
stage2:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $real_mode_stack, %sp
    sti
    mov %dl, boot_drive

    /* CPUID present (EFLAGS.ID can be toggled)? */
    pushfl
    pop %eax
    mov %eax, %ecx
    xor $(1 << 21), %eax
    push %eax
    popfl
    pushfl
    pop %eax
    cmp %eax, %ecx
    je no_cpuid
    mov $1, %eax
    cpuid
    and $((1 << 0) | (1 << 3) | (1 << 13) | (1 << 24)), %edx
    cmp $((1 << 0) | (1 << 3) | (1 << 13) | (1 << 24)), %edx
    jne cpu_features
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz no_long_mode

    /* A20 through the fast gate. */
    in $0x92, %al
    or $2, %al
    and $0xFE, %al
    out %al, $0x92

    cli
    lgdtl gdtr
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $protected_mode

no_cpuid:
    mov $message_no_cpuid, %si
    jmp fail
cpu_features:
    mov $message_features, %si
    jmp fail
no_long_mode:
    mov $message_long_mode, %si
fail:
    lodsb
    test %al, %al
    jz 2f
    mov $0x3F8, %dx
    out %al, %dx
    mov $0x0E, %ah
    mov $0x0007, %bx
    int $0x10
    jmp fail
2:  cli
    hlt
    jmp 2b

    .code32
protected_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $protected_mode_stack, %esp
    /* SSE: CR0.EM off, MP and NE on; CR4.OSFXSR and OSXMMEXCPT on. */
    mov %cr0, %eax
    and $~(1 << 2), %eax
    or $((1 << 1) | (1 << 5)), %eax
    mov %eax, %cr0
    mov %cr4, %eax
    or $((1 << 9) | (1 << 10)), %eax
    mov %eax, %cr4
    fninit
    sub $4, %esp                /* 16-byte alignment at the call */
    push $kernel_trampoline
    push $bios_call
    movzbl boot_drive, %eax
    push %eax
    call *(stage3 + 0x18)
3:  cli
    hlt
    jmp 3b

/* bios_call(vector, registers): registers is { eax, ebx, ecx, edx, esi, edi, ebp, ds, es,
   eflags } as 32-bit words; in = what the interrupt gets, out = what it returned. Interrupts
   are enabled only in real mode, during the call. */
    .global bios_call
bios_call:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %eax
    mov %al, interrupt_instruction + 1
    mov 24(%esp), %esi
    mov $registers, %edi
    mov $10, %ecx
    cld
    rep movsl
    mov %esp, saved_esp
    sidt saved_idtr
    ljmp $0x18, $1f
    .code16
1:  mov $0x20, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov %cr0, %eax
    and $~1, %eax
    mov %eax, %cr0
    ljmp $0, $2f
2:  xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $real_mode_stack, %esp
    lidt real_mode_idtr
    pushw registers + 32        /* es */
    pushw registers + 28        /* ds */
    mov registers + 0, %eax
    mov registers + 4, %ebx
    mov registers + 8, %ecx
    mov registers + 12, %edx
    mov registers + 16, %esi
    mov registers + 20, %edi
    mov registers + 24, %ebp
    pop %ds
    pop %es
    sti
interrupt_instruction:
    int $0
    cli
    mov %eax, %cs:registers + 0
    mov %ebx, %cs:registers + 4
    mov %ecx, %cs:registers + 8
    mov %edx, %cs:registers + 12
    mov %esi, %cs:registers + 16
    mov %edi, %cs:registers + 20
    mov %ebp, %cs:registers + 24
    movw %ds, %cs:registers + 28
    movw %es, %cs:registers + 32
    pushfl
    popl %cs:registers + 36
    xor %ax, %ax
    mov %ax, %ds
    lgdtl gdtr
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $3f
    .code32
3:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov saved_esp, %esp
    lidt saved_idtr
    mov 24(%esp), %edi
    mov $registers, %esi
    mov $10, %ecx
    cld
    rep movsl
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

/* kernel_trampoline(block): block is { page_table, stack (u64), entry (u64), arguments } with
   the 64-bit values as two words each. Spec §9.1: paging off, CR4 |= OSFXSR|PGE|PAE|PSE, the
   64-bit GDT, EFER |= LME|NXE, CR3 = page table, CR0 |= PG|WP|PE, far jump to 64-bit code,
   data selectors, RSP = stack, RDI = arguments, call entry. */
    .global kernel_trampoline
kernel_trampoline:
    cli
    mov 4(%esp), %esi
    mov $handoff, %edi
    mov $6, %ecx
    cld
    rep movsl
    mov %cr0, %eax
    and $~(1 << 31), %eax
    mov %eax, %cr0
    mov %cr4, %eax
    or $((1 << 9) | (1 << 7) | (1 << 5) | (1 << 4)), %eax
    mov %eax, %cr4
    lgdtl gdtr
    mov $0xC0000080, %ecx
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax
    wrmsr
    mov handoff, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax
    mov %eax, %cr0
    ljmp $0x28, $long_mode
    .code64
long_mode:
    mov $0x30, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov handoff + 4(%rip), %rsp
    mov handoff + 12(%rip), %rax
    movl handoff + 20(%rip), %edi
    xor %ebp, %ebp
    call *%rax
4:  cli
    hlt
    jmp 4b

    .balign 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF    /* 0x08 code32 */
    .quad 0x00CF92000000FFFF    /* 0x10 data32 */
    .quad 0x00009A000000FFFF    /* 0x18 code16 */
    .quad 0x000092000000FFFF    /* 0x20 data16 */
    .quad 0x00AF9A000000FFFF    /* 0x28 code64 */
    .quad 0x00CF92000000FFFF    /* 0x30 data64 */
gdt_end:
gdtr:
    .word gdt_end - gdt - 1
    .long gdt
real_mode_idtr:
    .word 0x3FF
    .long 0
saved_idtr:
    .word 0
    .long 0
    .balign 4
saved_esp: .long 0
registers: .fill 10, 4, 0
handoff: .fill 6, 4, 0
boot_drive: .byte 0

message_no_cpuid: .asciz "Stage 2: no CPUID\r\n"
message_features: .asciz "Stage 2: the CPU lacks FPU, PSE, PGE or FXSR\r\n"
message_long_mode: .asciz "Stage 2: the CPU has no long mode\r\n"
