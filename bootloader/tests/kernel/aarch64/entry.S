/* Entry of the aarch64 probe kernel. The loader branches to kstart with X0 = &KernelArgs
   (physical, identity mapped) and SP = the top of the boot stack (through PHYS_OFFSET). Like the
   Redox kernel, we check the .bss and .data sentinels, then move to our own stack and call the
   Swift code (the sentinels and stack are state.S, shared with x86_64).

   The shared Swift code talks to "COM1" and "isa-debug-exit" through kernel_in8/kernel_out8;
   here those two ports are mapped onto QEMU virt's PL011 (0x09000000, identity mapped) and onto
   PSCI SYSTEM_OFF (HVC conduit), which ends QEMU. */

    .section .text.kstart, "ax"
    .global kstart
kstart:
    msr daifset, #0xf
    mov x19, x0
    adrp x9, entry_sp
    mov x10, sp
    str x10, [x9, :lo12:entry_sp]
    mrs x10, daif
    adrp x9, entry_flags
    str x10, [x9, :lo12:entry_flags]
    adrp x9, bss_sentinel
    ldr x10, [x9, :lo12:bss_sentinel]
    cbnz x10, 1f
    adrp x9, data_sentinel
    ldr x10, [x9, :lo12:data_sentinel]
    cbz x10, 1f
    adrp x9, kernel_stack_top
    add x9, x9, :lo12:kernel_stack_top
    mov sp, x9
    mov x0, x19
    bl kernel_main
1:  wfi
    b 1b

    .text
    .global kernel_in8, kernel_out8, kernel_entry_rsp, kernel_entry_daif
    .global kernel_current_el, kernel_sctlr, kernel_ttbr0, kernel_ttbr1, kernel_mair, kernel_tcr
kernel_entry_rsp:
    adrp x9, entry_sp
    ldr x0, [x9, :lo12:entry_sp]
    ret
kernel_entry_daif:
    adrp x9, entry_flags
    ldr x0, [x9, :lo12:entry_flags]
    ret
kernel_current_el:
    mrs x0, CurrentEL
    lsr x0, x0, #2
    ret
kernel_sctlr:
    mrs x0, sctlr_el1
    ret
kernel_ttbr0:
    mrs x0, ttbr0_el1
    ret
kernel_ttbr1:
    mrs x0, ttbr1_el1
    ret
kernel_mair:
    mrs x0, mair_el1
    ret
kernel_tcr:
    mrs x0, tcr_el1
    ret

/* kernel_in8(port): 0x3FD (line status) reports "transmitter empty" (0x20) unless the PL011
   transmit FIFO is full; any other port reads 0. */
kernel_in8:
    and w9, w0, #0xffff
    mov x0, #0
    cmp w9, #0x3fd
    b.ne 2f
    mov x10, #0x09000000
    ldr w11, [x10, #0x18]
    tst w11, #(1 << 5)
    b.ne 2f
    mov x0, #0x20
2:  ret

/* kernel_out8(port, value): 0x3F8 writes the PL011 data register; 0xF4 powers off (PSCI). */
kernel_out8:
    and w9, w0, #0xffff
    cmp w9, #0x3f8
    b.ne 3f
    mov x10, #0x09000000
    and w1, w1, #0xff
    str w1, [x10]
    ret
3:  cmp w9, #0xf4
    b.ne 4f
    movz x0, #0x0008
    movk x0, #0x8400, lsl #16
    hvc #0
4:  ret

    /* The Embedded Swift runtime links against an allocator; the probe never allocates. */
    .global posix_memalign, free, memset, memcpy, memmove
posix_memalign:
    mov x0, #12
    ret
free:
    ret
memset:
    mov x9, x0
5:  cbz x2, 6f
    strb w1, [x9], #1
    sub x2, x2, #1
    b 5b
6:  ret
memcpy:
    mov x9, x0
7:  cbz x2, 8f
    ldrb w10, [x1], #1
    strb w10, [x9], #1
    sub x2, x2, #1
    b 7b
8:  ret
memmove:
    cmp x0, x1
    b.ls memcpy
    add x9, x0, x2
    add x1, x1, x2
10: cbz x2, 11f
    ldrb w10, [x1, #-1]!
    strb w10, [x9, #-1]!
    sub x2, x2, #1
    b 10b
11: ret

#include "state.S"
