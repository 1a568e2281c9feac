/* Stage 1 of the BIOS loader: the master boot record (spec §2.2). Loaded by the BIOS at 0x7C00
   with DL = boot drive. Reads the rest of the blob (LBA 34 up to the end of the 384 KiB blob:
   stage 2, the ISO 9660 records and stage 3) to 0000:C000 and jumps to stage 2 with DL = drive.
   Uses the extended read (INT 13h AH=42h) when the BIOS offers it, else CHS (AH=02h) with the
   geometry of AH=08h, a track at a time. Messages go to the screen (INT 10h) and COM1. The
   partition table area (0x1BE) is left zero: the installer writes its protective MBR entry. */

    .code16
    .section .stage1, "ax"
    .global stage1
stage1:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7C00, %sp
    ljmp $0, $1f
1:  sti
    cld
    mov %dl, drive
    mov $message_stage1, %si
    call print

    /* Extensions present? */
    mov $0x41, %ah
    mov $0x55AA, %bx
    int $0x13
    jc 2f
    cmp $0xAA55, %bx
    jne 2f
    movb $1, use_lba
    jmp read_loop
    /* CHS geometry. */
2:  mov $0x08, %ah
    mov drive, %dl
    xor %di, %di
    int $0x13
    jc disk_error
    and $0x3F, %cx
    jz disk_error
    mov %cx, sectors_per_track
    movzbw %dh, %ax
    inc %ax
    mov %ax, heads

read_loop:
    mov remaining, %cx
    test %cx, %cx
    jz done
    cmp $127, %cx
    jbe 3f
    mov $127, %cx
3:  cmpb $0, use_lba
    je read_chs
    mov %cx, dap_count
    mov segment, %ax
    mov %ax, dap_segment
    mov lba, %ax
    mov %ax, dap_lba
    mov $0x42, %ah
    mov drive, %dl
    mov $dap, %si
    int $0x13
    jc disk_error
    mov dap_count, %cx
    jmp advance

read_chs:
    /* sector = lba % spt + 1, head = (lba / spt) % heads, cylinder = lba / spt / heads; read
       at most to the end of the track. */
    mov %cx, %di
    mov lba, %ax
    xor %dx, %dx
    divw sectors_per_track
    mov sectors_per_track, %cx
    sub %dx, %cx
    cmp %di, %cx
    jbe 4f
    mov %di, %cx
4:  push %cx
    inc %dx
    mov %dx, %bx                /* sector */
    xor %dx, %dx
    divw heads                  /* ax = cylinder, dx = head */
    cmp $1023, %ax
    ja disk_error
    mov %dl, %dh
    mov %al, %ch
    mov %bl, %cl
    shl $6, %ah
    or %ah, %cl
    pop %ax                     /* count */
    push %ax
    mov $0x02, %ah
    mov drive, %dl
    mov segment, %bx
    mov %bx, %es
    xor %bx, %bx
    int $0x13
    pop %cx
    jc disk_error
    xor %ax, %ax
    mov %ax, %es

advance:
    add %cx, lba
    sub %cx, remaining
    shl $5, %cx                 /* 512 / 16 paragraphs per sector */
    add %cx, segment
    jmp read_loop

done:
    mov $message_stage2, %si
    call print
    mov drive, %dl
    ljmp $0, $0xC000

disk_error:
    mov %ah, %al
    shr $4, %al
    call print_digit
    mov %ah, %al
    call print_digit
    mov $message_error, %si
    call print
halt:
    cli
    hlt
    jmp halt

/* print_digit: the low nibble of AL as a hex digit. */
print_digit:
    push %ax
    and $0x0F, %al
    add $'0', %al
    cmp $'9', %al
    jbe 5f
    add $7, %al
5:  call put
    pop %ax
    ret

/* print: the zero-terminated string at DS:SI. */
print:
    lodsb
    test %al, %al
    jz 6f
    call put
    jmp print
6:  ret

/* put: AL on the screen and on COM1. */
put:
    pusha
    mov $0x3F8, %dx
    out %al, %dx
    mov $0x0E, %ah
    mov $0x0007, %bx
    int $0x10
    popa
    ret

message_stage1: .asciz "Stage 1\r\n"
message_stage2: .asciz "Stage 2\r\n"
message_error: .asciz " disk ERROR\r\n"

drive: .byte 0
use_lba: .byte 0
sectors_per_track: .word 0
heads: .word 0
lba: .word 34
/* Sectors from LBA 34 to the end of the 384 KiB blob. */
remaining: .word (0x60000 - 0x4400) / 512
segment: .word 0x0C00
    .balign 4
dap:
    .byte 16, 0
dap_count: .word 0
    .word 0
dap_segment: .word 0
dap_lba: .quad 0

    .org 0x1BE
    .fill 64, 1, 0
    .byte 0x55, 0xAA
