#!/bin/bash
# Boot tests of the loader's other platforms under QEMU (TCG):
#   aarch64  BOOTAA64.EFI under qemu-system-aarch64 with Debian's AAVMF (virt machine)
#
#   bootloader/boot-test-platforms.sh [aarch64]...     (default: every platform)
#
# Builds the loaders and the probe kernels, makes RedoxFS images with `redoxfs-ar` (ours, or
# REDOXFS_AR), boots each case, feeds passwords on the serial port and asserts on the serial log.
# Prints one line per case, the loader sizes and times, then `N passed, N failed`; exits non-zero
# on any failure. Every QEMU run is bounded by a generous timeout (BOOT_TIMEOUT, 120 s).
# KEEP_WORK=1 keeps the work folder with the serial logs.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
password="correct horse"
say() { printf '%s\n' "$*"; }

platforms=("$@")
((${#platforms[@]})) || platforms=(aarch64)
wants() { [[ " ${platforms[*]} " == *" $1 "* ]]; }

work="$(mktemp -d /tmp/boot-test-platforms.XXXXXX)"
cleanup() {
    [[ -n "$qemu_pid" ]] && kill "$qemu_pid" 2>/dev/null
    [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
source "$here/tests/boot-lib.sh"

ensure_packages qemu-system-arm qemu-efi-aarch64 mtools dosfstools || { say "cannot install the test's packages"; exit 1; }
find_redoxfs_ar
[[ -n "$redoxfs_ar" ]] || { say "no redoxfs-ar: build it with 'swift build --product redoxfs-ar' (or set REDOXFS_AR)"; say "0 passed, 1 failed"; exit 1; }
say "using $redoxfs_ar"
tools="$here/build/bootloader-tools"
summary=()

# make_disk OUT ESP VOLUME: the installer's layout (GPT, ESP at 1 MiB, RedoxFS at 2 MiB). The one
# place where this test makes disks, so that it can move to redox-installer.
make_disk() {
    "$tools" gpt-disk "$1" "$2" "$3"
}

# make_trees KERNEL: $work/tree (kernel + initfs), no-kernel, bad-initfs folders for KERNEL.
make_trees() {
    rm -rf "$work/tree" "$work/no-kernel" "$work/bad-initfs"
    mkdir -p "$work/tree/usr/lib/boot" "$work/no-kernel/usr/lib/boot" "$work/bad-initfs/usr/lib/boot"
    cp "$1" "$work/tree/usr/lib/boot/kernel"
    make_initfs "$work/tree/usr/lib/boot/initfs"
    cp "$work/tree/usr/lib/boot/initfs" "$work/no-kernel/usr/lib/boot/initfs"
    cp "$1" "$work/bad-initfs/usr/lib/boot/kernel"
    make_initfs "$work/bad-initfs/usr/lib/boot/initfs" "RedoxFtX"
}

# expect_handoff BANNER UUID BLOCK KERNEL: the lines of a successful boot, up to the probe's verdict.
expect_handoff() {
    local banner="$1" uuid="$2" block="$3" kernel="$4"
    expect_lines "^Redox OS Bootloader .* on $banner" "^RedoxFS $uuid: 16 MiB" \
        "usr/lib/boot/kernel: 1/1 MiB" "usr/lib/boot/initfs: 1/1 MiB" \
        "^kernel: started" "^kernel: kernel_size=0*$(printf %x "$(stat -c %s "$kernel")")$" \
        "^kernel: stack_size=0000000000020000$" "^kernel: areas_size=0000000000006000$" \
        "^kernel: bootstrap_size=0000000000004000$" \
        "^kernel: environment begin" "^(RSDP|DTB)_ADDR=[0-9a-f]{16}$" "^(RSDP|DTB)_SIZE=[0-9a-f]{16}$" \
        "^REDOXFS_BLOCK=$block$" "^REDOXFS_UUID=$uuid$" "^kernel: environment end" \
        "^kernel: initfs magic=RedoxFtw .*initfs_size=12300 page_size=4096 .*bootstrap_entry=0000000000002040" \
        "^kernel: [0-9]+ checks passed, 0 failed"
}

# ---------------------------------------------------------------------------------------------
# aarch64 UEFI

aarch64_qemu() {
    cp /usr/share/AAVMF/AAVMF_VARS.fd "$work/aavmf-vars.fd"
    local drives=() index=0
    for image in "$@"; do
        drives+=(-drive "file=$image,format=raw,if=none,id=disk$index" -device "virtio-blk-pci,drive=disk$index")
        index=$((index + 1))
    done
    qemu_command=(qemu-system-aarch64 -machine virt -cpu cortex-a57 -accel tcg -m 512 -display none -no-reboot
        -serial stdio -monitor none -net none
        -drive "if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd"
        -drive "if=pflash,format=raw,file=$work/aavmf-vars.fd" "${drives[@]}")
}

test_aarch64() {
    say "== aarch64 UEFI"
    "$here/build.sh" --arch aarch64 --kernel >"$work/build-aarch64.log" 2>&1 ||
        { cat "$work/build-aarch64.log"; result "aarch64 build" 1; return; }
    local build="$here/build/aarch64" uuid
    make_trees "$build/test-kernel.elf"
    make_esp "$work/esp-aa64.img" "$build/BOOTAA64.EFI" BOOTAA64.EFI

    make_volume "$work/a64-plain.img" "$work/tree" && make_disk "$work/a64-plain-disk.img" "$work/esp-aa64.img" "$work/a64-plain.img"
    uuid=$(volume_uuid "$work/a64-plain.img")
    PASSWORDS=()
    aarch64_qemu "$work/a64-plain-disk.img"
    boot a64-plain "${qemu_command[@]}"
    expect_handoff aarch64/UEFI "$uuid" 0000000000000000 "$build/test-kernel.elf" &&
        expect_lines "^Current exception level: EL[12]" && [[ $exit_status -eq 0 ]]
    result "aarch64: plain volume, GPT partition" $? "kernel after ${kernel_time:-?} s"
    local plain_time=$kernel_time

    make_volume "$work/a64-secret.img" "$work/tree" "$password" &&
        make_disk "$work/a64-secret-disk.img" "$work/esp-aa64.img" "$work/a64-secret.img"
    uuid=$(volume_uuid "$work/a64-secret.img")
    PASSWORDS=("wrong horse" "$password")
    aarch64_qemu "$work/a64-secret-disk.img"
    boot a64-encrypted "${qemu_command[@]}"
    expect_lines "^RedoxFS password \(1/10\): " "^RedoxFS password \(2/10\): " &&
        expect_handoff aarch64/UEFI "$uuid" 0000000000000000 "$build/test-kernel.elf" &&
        expect_lines "^REDOXFS_PASSWORD_ADDR=[0-9a-f]{16}$" "^REDOXFS_PASSWORD_SIZE=000000000000000d$" \
            "^kernel: password bytes=$password$"
    result "aarch64: encrypted volume, wrong then right password" $? \
        "kernel after ${kernel_time:-?} s, Argon2id ${unlock_times[0]:-?} s wrong, ${unlock_times[1]:-?} s right"
    summary+=("aarch64/UEFI: BOOTAA64.EFI $(stat -c %s "$build/BOOTAA64.EFI") bytes; QEMU start to kernel ${plain_time:-?} s plain, ${kernel_time:-?} s encrypted (two password attempts); Argon2id unlock ${unlock_times[1]:-?} s")
}

wants aarch64 && test_aarch64

say ""
for line in "${summary[@]}"; do say "$line"; done
for reason in "${skipped[@]}"; do say "skipped: $reason"; done
say "$passed passed, $failed failed"
((failed == 0))
