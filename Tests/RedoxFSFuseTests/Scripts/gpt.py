#!/usr/bin/env python3
"""Writes a GPT partition table (protective MBR, primary and backup headers and entry arrays)
into an existing disk image, with 512-byte sectors. Original test code for RedoxFSKit.

    gpt.py IMAGE START_MIB:SIZE_MIB:NAME:PARTUUID [...]

Prints nothing; the partitions are numbered 1, 2, ... in the order given.
"""
import struct
import sys
import uuid
import zlib

SECTOR = 512
ENTRIES = 128
ENTRY_SIZE = 128
LINUX_DATA = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")
DISK_GUID = uuid.UUID("6b1ac1c4-7a3e-4bb7-9a3f-2f0e0d6c8a11")


def header(current, backup, first_usable, last_usable, entries_lba, entries_crc):
    fields = struct.pack(
        "<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0, current, backup, first_usable, last_usable,
        DISK_GUID.bytes_le, entries_lba, ENTRIES, ENTRY_SIZE, entries_crc)
    crc = zlib.crc32(fields) & 0xFFFFFFFF
    fields = fields[:16] + struct.pack("<I", crc) + fields[20:]
    return fields + bytes(SECTOR - len(fields))


def main():
    image = sys.argv[1]
    with open(image, "r+b") as disk:
        disk.seek(0, 2)
        sectors = disk.tell() // SECTOR
        array = bytearray(ENTRIES * ENTRY_SIZE)
        for index, spec in enumerate(sys.argv[2:]):
            start_mib, size_mib, name, partuuid = spec.split(":")
            first = int(start_mib) * 1024 * 1024 // SECTOR
            last = first + int(size_mib) * 1024 * 1024 // SECTOR - 1
            entry = struct.pack("<16s16sQQQ", LINUX_DATA.bytes_le, uuid.UUID(partuuid).bytes_le, first, last, 0)
            entry += name.encode("utf-16-le").ljust(72, b"\0")
            array[index * ENTRY_SIZE:(index + 1) * ENTRY_SIZE] = entry
        entries_crc = zlib.crc32(bytes(array)) & 0xFFFFFFFF
        array_sectors = ENTRIES * ENTRY_SIZE // SECTOR
        last_lba = sectors - 1
        first_usable = 2 + array_sectors
        last_usable = last_lba - 1 - array_sectors

        mbr = bytearray(SECTOR)
        mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, min(sectors - 1, 0xFFFFFFFF))
        mbr[510:512] = b"\x55\xaa"
        disk.seek(0)
        disk.write(mbr)
        disk.write(header(1, last_lba, first_usable, last_usable, 2, entries_crc))
        disk.write(array)
        disk.seek((last_lba - array_sectors) * SECTOR)
        disk.write(array)
        disk.write(header(last_lba, 1, first_usable, last_usable, last_lba - array_sectors, entries_crc))


if __name__ == "__main__":
    main()
