/* The ISO 9660 and El Torito records of the blob (spec §2.1), at blob offset 0x8000 = CD
   sector 0x10, so that an image starting with the blob also boots as a CD:
     0x10 primary volume descriptor (volume id "Redox OS", root directory at sector 0x14)
     0x11 El Torito boot record (boot catalog at sector 0x13)
     0x12 volume descriptor set terminator
     0x13 boot catalog: default entry bootable, hard-disk emulation (partition type 0xEE) of one
          sector at CD sector 0 (the MBR); a final EFI section with a no-emulation entry of 512
          sectors at CD sector 512 (the ESP at 1 MiB)
     0x14 root directory: ".", "..", BOOT.CAT;1 */

    .macro both16 value
    .short \value
    .byte ((\value) >> 8) & 0xFF, (\value) & 0xFF
    .endm
    .macro both32 value
    .long \value
    .byte ((\value) >> 24) & 0xFF, ((\value) >> 16) & 0xFF, ((\value) >> 8) & 0xFF, (\value) & 0xFF
    .endm
    .macro date
    .byte 126, 1, 1, 0, 0, 0, 0     /* 2026-01-01 00:00:00 UTC */
    .endm
    .macro directory_record extent, size, flags, name_length
    .byte 33 + \name_length + ((\name_length + 1) & 1), 0
    both32 \extent
    both32 \size
    date
    .byte \flags, 0, 0
    both16 1
    .byte \name_length
    .endm

    .set blob_cd_sectors, 0x60000 / 2048

    .section .iso, "a"
primary_volume_descriptor:                  /* CD sector 0x10 */
    .byte 1
    .ascii "CD001"
    .byte 1, 0
    .fill 32, 1, ' '                        /* system identifier */
    .ascii "Redox OS"                       /* volume identifier */
    .fill 24, 1, ' '
    .fill 8, 1, 0
    both32 blob_cd_sectors                  /* volume space size */
    .fill 32, 1, 0
    both16 1                                /* volume set size */
    both16 1                                /* volume sequence number */
    both16 2048                             /* logical block size */
    both32 0                                /* path table size: no path tables */
    .long 0, 0
    .long 0, 0
    directory_record 0x14, 2048, 2, 1       /* root directory */
    .byte 0
    .fill 128 * 4 + 37 * 3, 1, ' '          /* volume set, publisher, preparer, application; files */
    .rept 4
    .ascii "0000000000000000"
    .byte 0
    .endr
    .byte 1, 0                              /* file structure version */
    .balign 2048, 0

boot_record:                                /* CD sector 0x11 */
    .byte 0
    .ascii "CD001"
    .byte 1
    .ascii "EL TORITO SPECIFICATION"
    .fill 9, 1, 0
    .fill 32, 1, 0
    .long 0x13                              /* boot catalog sector */
    .balign 2048, 0

terminator:                                 /* CD sector 0x12 */
    .byte 255
    .ascii "CD001"
    .byte 1
    .balign 2048, 0

boot_catalog:                               /* CD sector 0x13 */
    /* Validation entry: x86 platform, no id; the 16-bit words sum to zero. */
    .byte 1, 0
    .short 0
    .fill 24, 1, 0
    .short 0x55AA
    .byte 0x55, 0xAA
    /* Default entry: bootable, hard-disk emulation of the MBR. */
    .byte 0x88, 4
    .short 0
    .byte 0xEE, 0
    .short 1
    .long 0
    .fill 20, 1, 0
    /* Final section header for EFI (platform 0xEF), one entry. */
    .byte 0x91, 0xEF
    .short 1
    .fill 28, 1, 0
    /* The ESP, no emulation. */
    .byte 0x88, 0
    .short 0
    .byte 0, 0
    .short 512
    .long 512
    .fill 20, 1, 0
    .balign 2048, 0

root_directory:                             /* CD sector 0x14 */
    directory_record 0x14, 2048, 2, 1
    .byte 0
    directory_record 0x14, 2048, 2, 1
    .byte 1
    directory_record 0x13, 2048, 0, 10
    .ascii "BOOT.CAT;1"
    .byte 0
    .balign 2048, 0
