/* Stage 3 (a 32-bit ELF file linked at 0x13000 with its headers in the first segment), included
   verbatim at blob offset 0xB400. STAGE3_ELF is the path given by the build. */
    .section .stage3, "a"
    .incbin STAGE3_ELF
