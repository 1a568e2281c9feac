/* The probe kernel's memory, the same on both architectures (#include "state.S" at the end of
   <arch>/entry.S): the .data and .bss sentinels kstart checks (a loader that does not load .data
   or does not zero .bss is caught), what kstart saw at entry (stack pointer and interrupt flags:
   RFLAGS or DAIF) and the probe's own 64 KiB stack. */

    .data
    .balign 8
data_sentinel:
    .quad 0x5245444F58464C41
entry_sp:
    .quad 1
entry_flags:
    .quad 1

    .bss
    .balign 16
bss_sentinel:
    .quad 0
    .balign 16
kernel_stack:
    .skip 65536
kernel_stack_top:
