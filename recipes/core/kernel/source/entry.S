/* The machine-level pieces of the kernel that Swift cannot express: the entry from the loader,
   descriptor tables, interrupt and system-call entry and exit, the stack switch between
   processes, and single instructions (port I/O, control registers, MSRs). Everything else is
   Swift (KernelMain.swift and the rest). The libc functions and RDRAND loop are the macros of
   bootloader/embedded-x86_64.S, shared with the runtime and the loader's probe kernel. */

#include "embedded-x86_64.S"

    .set KERNEL_CS, 0x08
    .set KERNEL_DS, 0x10
    .set USER_DS, 0x23
    .set USER_CS, 0x2B
    .set TSS_SEL, 0x30

    .section .text.kstart, "ax"
    .global kstart
/* Loader hand-off: RDI = &KernelArgs (identity mapped). Check the sentinels, take our own stack,
   call kernel_start(args, stack_end). */
kstart:
    cli
    cmpq $0, bss_sentinel(%rip)
    jne 1f
    cmpq $0, data_sentinel(%rip)
    je 1f
    lea kernel_boot_stack_top(%rip), %rsp
    mov %rsp, %rsi
    xor %ebp, %ebp
    call kernel_start
1:  xor %eax, %eax
    jmp *%rax

    .text
/* cpu_load_tables(): GDT with TSS, segment reload, TR, IDT filled from the stub table. */
    .global cpu_load_tables
cpu_load_tables:
    /* TSS descriptor (index 6 and 7). */
    lea tss(%rip), %rax
    lea gdt(%rip), %rdx
    movq $103, %rcx                 /* limit */
    mov %rax, %r8
    and $0xFFFF, %r8
    shl $16, %r8
    or %r8, %rcx                    /* base 15:0 */
    mov %rax, %r8
    shr $16, %r8
    and $0xFF, %r8
    shl $32, %r8
    or %r8, %rcx                    /* base 23:16 */
    movabs $0x0000890000000000, %r8 /* present, type 9 (available 64-bit TSS) */
    or %r8, %rcx
    mov %rax, %r8
    shr $24, %r8
    and $0xFF, %r8
    shl $56, %r8
    or %r8, %rcx                    /* base 31:24 */
    mov %rcx, 48(%rdx)
    mov %rax, %r8
    shr $32, %r8
    mov %r8, 56(%rdx)
    /* IST1 = the backup stack for NMI, #DF, #MC. */
    lea ist_stack_top(%rip), %r8
    mov %r8, 36(%rax)
    movw $104, 102(%rax)            /* no I/O bitmap */
    lgdt gdt_pointer(%rip)
    pushq $KERNEL_CS
    lea 2f(%rip), %rax
    push %rax
    lretq
2:  mov $KERNEL_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov $TSS_SEL, %ax
    ltr %ax
    /* IDT: 256 interrupt gates to the stubs. */
    lea idt(%rip), %rdi
    lea isr_stub_table(%rip), %rsi
    xor %ecx, %ecx
3:  mov (%rsi,%rcx,8), %rax
    mov %rax, %rdx
    and $0xFFFF, %rdx               /* offset 15:0 */
    mov $KERNEL_CS, %r8
    shl $16, %r8
    or %r8, %rdx
    movabs $0x00008E0000000000, %r8 /* present, DPL 0, interrupt gate */
    cmp $3, %ecx
    jne 4f
    movabs $0x0000EE0000000000, %r8 /* #BP callable from ring 3 */
4:  or %r8, %rdx
    cmp $2, %ecx
    je 5f
    cmp $8, %ecx
    je 5f
    cmp $18, %ecx
    jne 6f
5:  movabs $0x0000000100000000, %r8 /* IST1 */
    or %r8, %rdx
6:  mov %rax, %r8
    shr $16, %r8
    and $0xFFFF, %r8
    shl $48, %r8
    or %r8, %rdx                    /* offset 31:16 */
    mov %rdx, (%rdi)
    mov %rax, %r8
    shr $32, %r8
    mov %r8, 8(%rdi)                /* offset 63:32 */
    add $16, %rdi
    inc %ecx
    cmp $256, %ecx
    jne 3b
    lidt idt_pointer(%rip)
    ret

/* cpu_set_kernel_stack(top): where ring-3 interrupts and system calls land. */
    .global cpu_set_kernel_stack
cpu_set_kernel_stack:
    lea tss(%rip), %rax
    mov %rdi, 4(%rax)
    mov %rdi, syscall_kernel_rsp(%rip)
    ret

/* Interrupt stubs: push a zero error code where the CPU does not, then the vector. */
    .macro isr_stub number
    .balign 16
isr_\number:
    .if (\number == 8 || \number == 10 || \number == 11 || \number == 12 || \number == 13 || \number == 14 || \number == 17 || \number == 21 || \number == 29 || \number == 30)
    .else
    pushq $0
    .endif
    pushq $\number
    jmp isr_common
    .endm

    .altmacro
    .set vector, 0
    .rept 256
    isr_stub %vector
    .set vector, vector + 1
    .endr

    .macro push_registers
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    .endm

    .macro pop_registers
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    .endm

/* Common interrupt path: registers and the SSE state are saved on the current kernel stack,
   trap_dispatch(frame) runs (it may switch to another process and come back much later). */
isr_common:
    cld
    push_registers
    mov %rsp, %rdi
    sub $512, %rsp
    fxsave (%rsp)
    call trap_dispatch
    fxrstor (%rsp)
    add $512, %rsp
    .global isr_return
isr_return:
    pop_registers
    add $16, %rsp
    iretq

/* SYSCALL entry: RAX number, RDI RSI RDX R10 R8 R9 arguments, RCX = user RIP, R11 = user RFLAGS.
   Builds the same frame as an interrupt (vector 0x100) and calls syscall_dispatch(frame). */
    .global syscall_entry
syscall_entry:
    mov %rsp, syscall_user_rsp(%rip)
    mov syscall_kernel_rsp(%rip), %rsp
    pushq $USER_DS
    pushq syscall_user_rsp(%rip)
    push %r11
    pushq $USER_CS
    push %rcx
    pushq $0
    pushq $0x100
    cld
    push_registers
    mov %rsp, %rdi
    sub $512, %rsp
    fxsave (%rsp)
    call syscall_dispatch
    fxrstor (%rsp)
    add $512, %rsp
    pop_registers
    add $16, %rsp
    /* A frame the kernel rewrote for IRETQ (TF set) leaves that way. */
    testq $0x100, 16(%rsp)
    jnz 1f
    pop %rcx
    add $8, %rsp
    pop %r11
    pop %rsp
    sysretq
1:  iretq

/* switch_stacks(save: *u64, next: u64): callee-saved registers on the old stack, its RSP saved,
   then the next stack's registers popped. A new process's stack starts with six zeros and
   isr_return, followed by its user frame. */
    .global switch_stacks
switch_stacks:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

/* Single instructions. */
    .global port_in8, port_out8, port_in32, port_out32, cpu_cr2, cpu_cr3, cpu_set_cr3, cpu_cr0, cpu_cr4
    .global cpu_set_cr4, cpu_rdmsr, cpu_wrmsr, cpu_invlpg, cpu_halt_forever, cpu_wait_interrupt
    .global cpu_rdtsc, cpu_cpuid, cpu_syscall_entry_address, cpu_isr_return_address
port_in8:
    mov %edi, %edx
    in %dx, %al
    movzbl %al, %eax
    ret
port_out8:
    mov %edi, %edx
    mov %esi, %eax
    out %al, %dx
    ret
port_in32:
    mov %edi, %edx
    in %dx, %eax
    ret
port_out32:
    mov %edi, %edx
    mov %esi, %eax
    out %eax, %dx
    ret
cpu_cr0:
    mov %cr0, %rax
    ret
cpu_cr2:
    mov %cr2, %rax
    ret
cpu_cr3:
    mov %cr3, %rax
    ret
cpu_set_cr3:
    mov %rdi, %cr3
    ret
cpu_cr4:
    mov %cr4, %rax
    ret
cpu_set_cr4:
    mov %rdi, %cr4
    ret
cpu_rdmsr:
    mov %edi, %ecx
    rdmsr
    shl $32, %rdx
    or %rdx, %rax
    ret
cpu_wrmsr:
    mov %edi, %ecx
    mov %rsi, %rax
    mov %rsi, %rdx
    shr $32, %rdx
    wrmsr
    ret
cpu_invlpg:
    invlpg (%rdi)
    ret
cpu_halt_forever:
    cli
    hlt
    jmp cpu_halt_forever
/* Enable interrupts, wait for one, disable again (the idle wait). */
cpu_wait_interrupt:
    sti
    hlt
    cli
    ret
cpu_rdtsc:
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    ret
/* cpu_cpuid(leaf, out: *u32[4]) */
cpu_cpuid:
    push %rbx
    mov %rsi, %r8
    mov %edi, %eax
    xor %ecx, %ecx
    cpuid
    mov %eax, (%r8)
    mov %ebx, 4(%r8)
    mov %ecx, 8(%r8)
    mov %edx, 12(%r8)
    pop %rbx
    ret
/* cpu_rdrand() -> value, or 0 after ten failures */
    rdrand_retrying cpu_rdrand
    .global kernel_range_storage
kernel_range_storage:
    lea range_storage(%rip), %rax
    ret
cpu_syscall_entry_address:
    lea syscall_entry(%rip), %rax
    ret
cpu_isr_return_address:
    lea isr_return(%rip), %rax
    ret

/* What the Embedded Swift runtime needs from libc; the allocator is Swift (PageClassHeap), and
   hashing seeds come from the time stamp counter, which is enough inside the kernel. */
    .global posix_memalign, free
posix_memalign:
    jmp swift_heap_allocate
free:
    jmp swift_heap_free
    timestamp_random_bytes
    memory_functions

    .macro isr_address number
    .quad isr_\number
    .endm

    .section .rodata
    .balign 8
isr_stub_table:
    .set vector, 0
    .rept 256
    isr_address %vector
    .set vector, vector + 1
    .endr

    .data
    .balign 16
data_sentinel:
    .quad 0x5245444F584B524E
gdt:
    .quad 0                         /* 0 null */
    .quad 0x00209A0000000000        /* 1 kernel code 0x08 */
    .quad 0x0000920000000000        /* 2 kernel data 0x10 */
    .quad 0x00CFFA000000FFFF        /* 3 user code32 placeholder (SYSRET base 0x18) */
    .quad 0x0000F20000000000        /* 4 user data 0x23 */
    .quad 0x0020FA0000000000        /* 5 user code64 0x2B */
    .quad 0, 0                      /* 6-7 TSS 0x30 */
gdt_end:
gdt_pointer:
    .word gdt_end - gdt - 1
    .quad gdt
    .balign 16
idt_pointer:
    .word 256 * 16 - 1
    .quad idt
syscall_kernel_rsp:
    .quad 0
syscall_user_rsp:
    .quad 0

    .bss
    .balign 4096
bss_sentinel:
    .quad 0
    .balign 16
tss:
    .skip 104
    .balign 16
idt:
    .skip 256 * 16
    .balign 16
range_storage:
    .skip 8192
    .balign 16
ist_stack:
    .skip 16384
ist_stack_top:
    .balign 16
kernel_boot_stack:
    .skip 131072
kernel_boot_stack_top:
