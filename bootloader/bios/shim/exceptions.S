/* Processor exceptions in stage 3 (32-bit protected mode): an IDT whose 32 gates lead to
   bios_exception(vector), which prints `BOOTLOADER ERROR: internal error: …` and halts instead of
   letting the machine triple-fault and reset (a failed Swift runtime check is a UD2). The real-
   mode thunk in stage 2 saves and restores the IDT register around BIOS calls. */

    .text
    .macro stub vector
    .balign 16
exception_\vector:
    cli
    push $\vector
    call bios_exception
1:  hlt
    jmp 1b
    .endm

    .balign 16
exception_stubs:
    .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    stub \vector
    .endr

/* exceptions_install(): fills the IDT (interrupt gates, selector 0x08) and loads it. */
    .global exceptions_install
exceptions_install:
    push %ebx
    mov $idt, %edx
    mov $exception_stubs, %eax
    mov $32, %ecx
2:  mov %eax, %ebx
    and $0xFFFF, %ebx
    or $(0x08 << 16), %ebx
    mov %ebx, (%edx)
    mov %eax, %ebx
    and $0xFFFF0000, %ebx
    or $0x8E00, %ebx
    mov %ebx, 4(%edx)
    add $16, %eax
    add $8, %edx
    dec %ecx
    jnz 2b
    lidt idtr
    pop %ebx
    ret

    .data
    .balign 8
idt:
    .fill 32, 8, 0
idtr:
    .short 32 * 8 - 1
    .long idt
