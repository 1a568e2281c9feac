#!/bin/bash
# Boot test of the UEFI loader under QEMU (TCG) with OVMF.
#
#   bootloader/boot-test.sh
#
# Builds the loader and the hand-off probe kernel, makes RedoxFS images, boots each case with
# QEMU, feeds passwords on the serial port and asserts on what the serial console shows. Prints
# one line per case and a closing `N passed, N failed` (plus the skipped cases); exits non-zero on
# any failure. Every QEMU run is bounded by a timeout.
#
# Every disk is made by `redox-installer` (REDOX_INSTALLER, else ours from .build*/ or PATH, else
# built here) from a configuration that installs the loader, the probe kernel and an initfs as
# files: GPT, our FAT ESP (checked with fsck.fat, mdir and sgdisk -v), RedoxFS written by the
# engine, plain or encrypted. The fixture images of ../shared are put into an installer disk's
# REDOX partition (they hold no kernel, so the loader must say so). KEEP_WORK=1 keeps the work
# folder with the serial logs.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
fixtures="$root/../shared/fixtures/redoxfs-0.9.1"
password="correct horse"

source "$here/tests/boot-lib.sh"
boot_timeout=${BOOT_TIMEOUT:-180}  # a hang guard, not a speed check
use_work_folder bootloader-test

ensure_packages qemu-system-x86 ovmf mtools dosfstools gdisk zstd || { say "cannot install the test's packages"; exit 1; }

"$here/build.sh" --kernel || { say "build failed"; say "0 passed, 1 failed"; exit 1; }
build="$here/build"
tools="$build/bootloader-tools"

# ---------------------------------------------------------------------------------------------
# Images

# The image builder: redox-installer (REDOX_INSTALLER if set, else ours from a build folder or
# PATH, else built here). Every disk is made by it: GPT, our FAT ESP, RedoxFS written by the engine.
find_redox_installer
[[ -n "$redox_installer" ]] || { say "cannot build redox-installer"; say "0 passed, 1 failed"; exit 1; }

# install_disk OUT FOLDER [PASSWORD] [--skip-partition]: a 32 MiB disk made by redox-installer from a
# configuration that installs the loader (usr/lib/boot/bootloader.efi, which the installer puts on
# the ESP as EFI/BOOT/BOOTX64.EFI) and every file of FOLDER/usr/lib/boot as files; encrypted
# with PASSWORD when it is not empty.
install_disk() {
    local out="$1" folder="$2" secret="${3:-}" extra="${4:-}" config="$1.toml"
    rm -f "$out"
    {
        printf '[general]\nprompt = false\nfilesystem_size = 32\n'
        [[ -n "$secret" ]] && printf 'encrypt_disk = "%s"\n' "$secret"
        printf '\n[[files]]\npath = "/usr/lib/boot/bootloader.efi"\ndata = ""\nsource = "%s"\n' "$build/BOOTX64.EFI"
        for file in "$folder"/usr/lib/boot/*; do
            [[ -f "$file" ]] && printf '\n[[files]]\npath = "/usr/lib/boot/%s"\ndata = ""\nsource = "%s"\n' "$(basename "$file")" "$file"
        done
    } >"$config"
    SOURCE_DATE_EPOCH=1700000000 "$redox_installer" --no-progress -c "$config" $extra "$out" >"$out.log" 2>&1 ||
        { say "redox-installer failed:"; cat "$out.log"; return 1; }
}

# fixture NAME OUT: a decompressed fixture image.
fixture() {
    zstd -q -d -f "$fixtures/$1.img.zst" -o "$2"
}

# esp_of DISK OUT: the ESP (1 MiB at 1 MiB) of an installer disk as a drive of its own.
esp_of() {
    dd if="$1" of="$2" bs=1M skip=1 count=1 status=none
}

# whole_disk OUT VOLUME: a disk without partition table, RedoxFS at byte 2 MiB.
whole_disk() {
    rm -f "$1"
    truncate -s 2M "$1" && cat "$2" >>"$1"
}

# check_disk NAME DISK: our ESP passes fsck.fat and mtools, sgdisk finds the GPT clean.
check_disk() {
    local name="$1" disk="$2" problems=""
    esp_of "$disk" "$work/$name-esp.img"
    fsck.fat -n "$work/$name-esp.img" >"$work/$name-fsck.log" 2>&1 || problems+=" fsck.fat($(tail -n 3 "$work/$name-fsck.log" | tr '\n' ' '))"
    mdir -i "$disk@@1M" ::/EFI/BOOT >"$work/$name-mdir.log" 2>&1 && grep -q "BOOTX64 *EFI" "$work/$name-mdir.log" ||
        problems+=" mdir($(tr '\n' ' ' <"$work/$name-mdir.log"))"
    mtype -i "$disk@@1M" ::/EFI/BOOT/BOOTX64.EFI 2>/dev/null | cmp -s - "$build/BOOTX64.EFI" || problems+=" mtype(loader differs)"
    sgdisk -v "$disk" >"$work/$name-sgdisk.log" 2>&1 && grep -q "No problems found" "$work/$name-sgdisk.log" ||
        problems+=" sgdisk($(tr '\n' ' ' <"$work/$name-sgdisk.log"))"
    [[ -z "$problems" ]] || { say "    $problems"; return 1; }
}

# Lines every successful boot shows, up to the probe's verdict, and the probe's exit status.
expect_probe_passed() {
    expect_handoff x86_64/UEFI "$1" "$2" "$build/test-kernel.elf" "${3:-29}" &&
        [[ $exit_status -eq 33 ]] || { say "    QEMU exit status $exit_status (33 = probe passed)"; return 1; }
}

# boot_disks NAME DISK...: boots the loader (q35, OVMF) from the first of the disks on virtio.
boot_disks() {
    local name="$1"; shift
    ovmf_qemu "$@"
    boot "$name" "${qemu_command[@]}"
}

# ---------------------------------------------------------------------------------------------
# Cases

make_trees "$build/test-kernel.elf"
say "using $redox_installer"

# Plain volume in the installer's GPT partition: found as the boot disk's partition.
if install_disk "$work/plain-disk.img" "$work/tree"; then
    uuid=$(volume_uuid "$work/plain-disk.img" $((2 << 20)))
    check_disk plain "$work/plain-disk.img"
    result "installer disk: fsck.fat, mdir and sgdisk -v accept it" $?
    PASSWORDS=()
    boot_disks plain "$work/plain-disk.img"
    expect_probe_passed "$uuid" 0000000000000000
    result "plain volume, GPT partition" $? "kernel after ${kernel_time:-?} s"
    plain_time=$kernel_time
else
    result "plain volume (image)" 1
fi
esp_of "$work/plain-disk.img" "$work/esp-only.img"

# An installer volume without partitions (--skip-partition) on a whole disk: found at 2 MiB.
install_disk "$work/plain.img" "$work/tree" "" --skip-partition && whole_disk "$work/plain-whole.img" "$work/plain.img"
uuid=$(volume_uuid "$work/plain.img" 0)
PASSWORDS=()
boot_disks plain-whole "$work/esp-only.img" "$work/plain-whole.img"
expect_probe_passed "$uuid" 0000000000000200 32
result "plain volume, whole disk at 2 MiB" $?

# A volume without usr/lib/boot/kernel.
install_disk "$work/no-kernel-disk.img" "$work/no-kernel"
PASSWORDS=()
boot_disks no-kernel "$work/no-kernel-disk.img"
expect_lines "^RedoxFS [0-9a-f-]+: 29 MiB" "BOOTLOADER ERROR: Failed to find usr/lib/boot/kernel: not found" \
    "Press any key to restart"
result "missing kernel gives the loader's message" $?

# A volume whose initfs has a damaged magic.
install_disk "$work/bad-initfs-disk.img" "$work/bad-initfs"
PASSWORDS=()
boot_disks bad-initfs "$work/bad-initfs-disk.img"
expect_lines "usr/lib/boot/kernel: 1/1 MiB" "BOOTLOADER ERROR: usr/lib/boot/initfs has invalid magic number" \
    "Press any key to restart"
result "damaged initfs gives the loader's message" $?

# Encrypted (encrypt_disk in the configuration).
if install_disk "$work/secret-disk.img" "$work/tree" "$password"; then
    uuid=$(volume_uuid "$work/secret-disk.img" $((2 << 20)))
    check_disk secret "$work/secret-disk.img"
    result "encrypted installer disk: fsck.fat, mdir and sgdisk -v accept it" $?
    PASSWORDS=("$password")
    boot_disks encrypted "$work/secret-disk.img"
    expect_probe_passed "$uuid" 0000000000000000 && expect_lines "^RedoxFS password \(1/10\): " \
        "^REDOXFS_PASSWORD_ADDR=[0-9a-f]{16}$" "^REDOXFS_PASSWORD_SIZE=000000000000000d$" \
        "^kernel: password bytes=$password$"
    result "encrypted volume" $? "kernel after ${kernel_time:-?} s, unlock ${unlock_times[0]:-?} s"
    encrypted_time=$kernel_time

    PASSWORDS=("wrong horse" "$password")
    boot_disks wrong-then-right "$work/secret-disk.img"
    expect_lines "^RedoxFS password \(1/10\): " "^RedoxFS password \(2/10\): " && expect_probe_passed "$uuid" 0000000000000000
    result "wrong password, then the right one" $?
else
    result "encrypted volume (image)" 1
fi

# Fixture volumes (made by upstream redoxfs 0.9.1; they hold no kernel).
# The fixture volume goes into the REDOX partition (at 2 MiB) of an installer disk holding only the loader.
fixture mkfs-empty "$work/empty.img" && install_disk "$work/empty-disk.img" "$work/empty" &&
    dd if="$work/empty.img" of="$work/empty-disk.img" bs=1M seek=2 conv=notrunc status=none
PASSWORDS=()
boot_disks fixture-plain "$work/empty-disk.img"
expect_lines "^Redox OS Bootloader .* on x86_64/UEFI" "^RedoxFS a32ba6db-c688-432f-8f40-bd7297b39990: 16 MiB" \
    "BOOTLOADER ERROR: Failed to find usr/lib/boot/kernel: not found" "Press any key to restart"
result "fixture mkfs-empty: kernel not found" $?

fixture mkfs-empty-encrypted "$work/empty-encrypted.img" && whole_disk "$work/empty-encrypted-disk.img" "$work/empty-encrypted.img"
PASSWORDS=("wrong horse" "$password")
boot_disks fixture-encrypted "$work/esp-only.img" "$work/empty-encrypted-disk.img"
expect_lines "^RedoxFS password \(1/10\): " "^RedoxFS password \(2/10\): " \
    "^RedoxFS 135e82be-aaf9-486b-97b9-a07bca0179af: 16 MiB" \
    "BOOTLOADER ERROR: Failed to find usr/lib/boot/kernel: not found"
result "fixture mkfs-empty-encrypted: wrong then right password" $? \
    "Argon2id attempt ${unlock_times[0]:-?} s wrong, ${unlock_times[1]:-?} s right"

say ""
[[ -n "${plain_time:-}" ]] && say "time from QEMU start to the kernel's first line: plain ${plain_time} s${encrypted_time:+, encrypted ${encrypted_time} s}"
say "loader size: $(stat -c %s "$build/BOOTX64.EFI") bytes"
for reason in "${skipped[@]}"; do say "skipped: $reason"; done
say "$passed passed, $failed failed"
((failed == 0))
