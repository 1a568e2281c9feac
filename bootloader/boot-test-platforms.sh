#!/bin/bash
# Boot tests of the loader's other platforms under QEMU (TCG):
#   aarch64  BOOTAA64.EFI under qemu-system-aarch64 with Debian's AAVMF (virt machine); its -live
#            build once (volume copied into memory, DISK_LIVE_* in the environment)
#   bios     bootloader.bios under SeaBIOS (QEMU's default firmware), from disk and as a CD;
#            the same hybrid image as a CD under OVMF
#   video    the mode-selection screen on x86_64 UEFI (GOP; keys on the serial port) and on BIOS
#            (VBE; keys through QEMU's monitor, `sendkey`), the chosen mode in the kernel's
#            environment
#
#   bootloader/boot-test-platforms.sh [aarch64|bios|video]...     (default: every platform)
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

platforms=("$@")
((${#platforms[@]})) || platforms=(aarch64 bios video)
wants() { [[ " ${platforms[*]} " == *" $1 "* ]]; }

source "$here/tests/boot-lib.sh"
use_work_folder boot-test-platforms

ensure_packages qemu-system-arm qemu-efi-aarch64 qemu-system-x86 ovmf mtools dosfstools zstd || { say "cannot install the test's packages"; exit 1; }
find_redoxfs_ar
[[ -n "$redoxfs_ar" ]] || { say "no redoxfs-ar: build it with 'swift build --product redoxfs-ar' (or set REDOXFS_AR)"; say "0 passed, 1 failed"; exit 1; }
say "using $redoxfs_ar"
tools="$here/build/bootloader-tools"
find_redox_installer
[[ -n "$redox_installer" ]] || { say "no redox-installer: build it with 'swift build --product redox-installer' (or set REDOX_INSTALLER)"; say "0 passed, 1 failed"; exit 1; }
say "using $redox_installer"
summary=()

# ---------------------------------------------------------------------------------------------
# aarch64 UEFI

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

    # The -live build (spec §7): the volume copied into memory, DISK_LIVE_* handed over.
    make_esp "$work/esp-aa64-live.img" "$build/live/BOOTAA64.EFI" BOOTAA64.EFI &&
        make_disk "$work/a64-live-disk.img" "$work/esp-aa64-live.img" "$work/a64-plain.img"
    aarch64_qemu "$work/a64-live-disk.img"
    boot a64-live "${qemu_command[@]}"
    expect_lines "live: 16/16 MiB" "^live: RedoxFS volume in memory at 0x[0-9a-f]+, 16 MiB" "usr/lib/boot/kernel: 1/1 MiB" &&
        expect_handoff aarch64/UEFI "$uuid" 0000000000000000 "$build/test-kernel.elf" &&
        expect_lines "^kernel: environment begin" "^DISK_LIVE_ADDR=[0-9a-f]{16}$" "^DISK_LIVE_SIZE=0000000001000000$" \
            "^REDOXFS_BLOCK=0000000000000000$" && [[ $exit_status -eq 0 ]]
    result "aarch64: live mode (-live build), the volume in memory, DISK_LIVE_ADDR/SIZE" $? "kernel after ${kernel_time:-?} s"

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

# ---------------------------------------------------------------------------------------------
# BIOS (SeaBIOS)

test_bios() {
    say "== x86 BIOS"
    "$here/bios/build.sh" >"$work/build-bios.log" 2>&1 && "$here/build.sh" --kernel >>"$work/build-bios.log" 2>&1 ||
        { cat "$work/build-bios.log"; result "BIOS build" 1; return; }
    local blob="$here/build/bios/bootloader.bios" kernel="$here/build/test-kernel.elf" uuid
    make_trees "$kernel"
    rm -f "$work/esp-empty.img"
    mkfs.fat -C -n ESP "$work/esp-empty.img" 1024 >/dev/null
    make_esp "$work/esp-x64.img" "$here/build/BOOTX64.EFI" BOOTX64.EFI

    # One hybrid image, as the installer makes it: BIOS blob, GPT, ESP with BOOTX64.EFI, RedoxFS.
    make_volume "$work/bios-plain.img" "$work/tree" &&
        make_disk "$work/bios-plain-disk.img" "$work/esp-x64.img" "$work/bios-plain.img" "$blob"
    uuid=$(volume_uuid "$work/bios-plain.img")
    PASSWORDS=()
    bios_qemu disk "$work/bios-plain-disk.img"
    boot bios-plain "${qemu_command[@]}"
    expect_lines "^Stage 1" "^Stage 2" && expect_handoff x86/BIOS "$uuid" 0000000000000200 "$kernel" &&
        [[ $exit_status -eq 33 ]]
    result "BIOS: plain volume, from disk" $? "kernel after ${kernel_time:-?} s (3 s of it the mode screen's timeout)"
    local plain_time=$kernel_time

    bios_qemu cdrom "$work/bios-plain-disk.img"
    boot bios-plain-cd "${qemu_command[@]}"
    expect_handoff x86/BIOS "$uuid" 0000000000000200 "$kernel" && [[ $exit_status -eq 33 ]]
    result "BIOS: plain volume, as a CD (El Torito hard-disk emulation)" $? "kernel after ${kernel_time:-?} s"
    local cd_time=$kernel_time

    # The same image as a CD under UEFI: OVMF starts the ESP of the El Torito EFI section.
    ovmf_qemu "$work/bios-plain-disk.img" cdrom
    boot uefi-cd "${qemu_command[@]}"
    expect_handoff x86_64/UEFI "$uuid" 0000000000000200 "$kernel" && [[ $exit_status -eq 33 ]]
    result "the same image as a CD under OVMF (El Torito EFI entry: ESP at 1 MiB)" $? "kernel after ${kernel_time:-?} s"

    make_volume "$work/bios-secret.img" "$work/tree" "$password" &&
        make_disk "$work/bios-secret-disk.img" "$work/esp-empty.img" "$work/bios-secret.img" "$blob"
    uuid=$(volume_uuid "$work/bios-secret.img")
    PASSWORDS=("wrong horse" "$password")
    bios_qemu disk "$work/bios-secret-disk.img"
    boot bios-encrypted "${qemu_command[@]}"
    expect_lines "^RedoxFS password \(1/10\): " "^RedoxFS password \(2/10\): " &&
        expect_handoff x86/BIOS "$uuid" 0000000000000200 "$kernel" &&
        expect_lines "^REDOXFS_PASSWORD_ADDR=[0-9a-f]{16}$" "^REDOXFS_PASSWORD_SIZE=000000000000000d$" \
            "^kernel: password bytes=$password$" && [[ $exit_status -eq 33 ]]
    result "BIOS: encrypted volume, wrong then right password, from disk" $? \
        "kernel after ${kernel_time:-?} s, Argon2id ${unlock_times[0]:-?} s wrong, ${unlock_times[1]:-?} s right"
    local unlock=${unlock_times[1]:-?}

    PASSWORDS=("$password")
    bios_qemu cdrom "$work/bios-secret-disk.img"
    boot bios-encrypted-cd "${qemu_command[@]}"
    expect_lines "^RedoxFS password \(1/10\): " && expect_handoff x86/BIOS "$uuid" 0000000000000200 "$kernel" &&
        [[ $exit_status -eq 33 ]]
    result "BIOS: encrypted volume, as a CD" $?

    # Failure paths: the UEFI loader's messages.
    make_volume "$work/bios-no-kernel.img" "$work/no-kernel" &&
        make_disk "$work/bios-no-kernel-disk.img" "$work/esp-empty.img" "$work/bios-no-kernel.img" "$blob"
    PASSWORDS=()
    bios_qemu disk "$work/bios-no-kernel-disk.img"
    boot bios-no-kernel "${qemu_command[@]}"
    expect_lines "^RedoxFS [0-9a-f-]+: 16 MiB" "BOOTLOADER ERROR: Failed to find usr/lib/boot/kernel: not found" \
        "Press any key to restart"
    result "BIOS: missing kernel gives the loader's message" $?

    make_volume "$work/bios-bad-initfs.img" "$work/bad-initfs" &&
        make_disk "$work/bios-bad-initfs-disk.img" "$work/esp-empty.img" "$work/bios-bad-initfs.img" "$blob"
    bios_qemu disk "$work/bios-bad-initfs-disk.img"
    boot bios-bad-initfs "${qemu_command[@]}"
    expect_lines "usr/lib/boot/kernel: 1/1 MiB" "BOOTLOADER ERROR: usr/lib/boot/initfs has invalid magic number" \
        "Press any key to restart"
    result "BIOS: damaged initfs gives the loader's message" $?

    PASSWORDS=()
    for attempt in 1 2 3 4 5 6 7 8 9 10; do PASSWORDS+=("wrong $attempt"); done
    bios_qemu disk "$work/bios-secret-disk.img"
    boot bios-ten-wrong "${qemu_command[@]}"
    expect_lines "^RedoxFS password \(1/10\): " "^RedoxFS password \(10/10\): " \
        "BOOTLOADER ERROR: RedoxFS out of unlock attempts" "Press any key to restart"
    result "BIOS: ten wrong passwords give the loader's message" $?

    truncate -s 0 "$work/bios-empty-disk.img"
    truncate -s 4M "$work/bios-empty-disk.img"
    dd if="$blob" of="$work/bios-empty-disk.img" conv=notrunc status=none
    PASSWORDS=()
    bios_qemu disk "$work/bios-empty-disk.img"
    boot bios-no-volume "${qemu_command[@]}"
    expect_lines "^Redox OS Bootloader .* on x86/BIOS" \
        "BOOTLOADER ERROR: Failed to open RedoxFS: no RedoxFS volume found on any disk" "Press any key to restart"
    result "BIOS: no RedoxFS at 2 MiB gives the loader's message" $?

    # An upstream-made encrypted volume (redoxfs 0.9.1 fixture; no kernel): the 32-bit core unlocks it.
    local fixture="$root/../shared/fixtures/redoxfs-0.9.1/mkfs-empty-encrypted.img.zst"
    if [[ -f "$fixture" ]]; then
        zstd -q -d -f "$fixture" -o "$work/fixture-encrypted.img" &&
            make_disk "$work/fixture-encrypted-disk.img" "$work/esp-empty.img" "$work/fixture-encrypted.img" "$blob"
        PASSWORDS=("$password")
        bios_qemu disk "$work/fixture-encrypted-disk.img"
        boot bios-fixture "${qemu_command[@]}"
        expect_lines "^RedoxFS password \(1/10\): " "^RedoxFS 135e82be-aaf9-486b-97b9-a07bca0179af: 16 MiB" \
            "BOOTLOADER ERROR: Failed to find usr/lib/boot/kernel: not found"
        result "BIOS: upstream fixture mkfs-empty-encrypted unlocks (kernel not found)" $?
    else
        skipped+=("BIOS fixture case: $fixture not found")
    fi
    summary+=("x86/BIOS: bootloader.bios 393216 bytes (stage 3 $(stat -c %s "$here/build/bios/stage3.elf") bytes of 348160); QEMU start to kernel ${plain_time:-?} s from disk, ${cd_time:-?} s as CD; Argon2id unlock (32-bit code) ${unlock} s")
}

# ---------------------------------------------------------------------------------------------
# Video modes

# chosen_mode: the WxH the loader announced ("Video mode: WxH"), empty when none.
chosen_mode() {
    clean_log | grep -o -E "Video mode: [0-9]+x[0-9]+" | head -1 | sed "s/^Video mode: //"
}

# expect_framebuffer WxH: the kernel's environment describes a WxH frame buffer.
expect_framebuffer() {
    local width=${1%x*} height=${1#*x}
    expect_lines "^FRAMEBUFFER_ADDR=[0-9a-f]{16}$" "^FRAMEBUFFER_VIRT=[0-9a-f]{16}$" \
        "^FRAMEBUFFER_WIDTH=$(printf %016x "$width")$" "^FRAMEBUFFER_HEIGHT=$(printf %016x "$height")$" \
        "^FRAMEBUFFER_STRIDE=[0-9a-f]{16}$" "^kernel: check frame buffer writable through FRAMEBUFFER_VIRT .*: ok"
}

test_video() {
    say "== video modes"
    local uuid default chosen
    # x86_64 UEFI (OVMF, GOP): keys as VT100 sequences on the serial console.
    "$here/build.sh" --kernel >"$work/build-video.log" 2>&1 || { cat "$work/build-video.log"; result "x86_64 build" 1; return; }
    make_trees "$here/build/test-kernel.elf"
    make_esp "$work/esp-x64.img" "$here/build/BOOTX64.EFI" BOOTX64.EFI
    make_volume "$work/x64-plain.img" "$work/tree" &&
        make_disk "$work/x64-plain-disk.img" "$work/esp-x64.img" "$work/x64-plain.img"
    ovmf_qemu "$work/x64-plain-disk.img"
    PASSWORDS=()
    boot uefi-modes-timeout "${qemu_command[@]}"
    default=$(chosen_mode)
    expect_lines "^Video modes \\(arrow keys" "Video mode: [0-9]+x[0-9]+ \\(timeout\\)" &&
        [[ -n "$default" ]] && expect_framebuffer "$default" && [[ $exit_status -eq 33 ]]
    result "x86_64 UEFI (GOP): without a key the preferred mode reaches the kernel" $? "${default:-no mode}"

    KEY_TRIGGER="^Video modes" SERIAL_KEYS='\033[A\r'
    boot uefi-modes-keys "${qemu_command[@]}"
    KEY_TRIGGER="" SERIAL_KEYS=""
    chosen=$(chosen_mode)
    expect_lines "Video mode: [0-9]+x[0-9]+$" && [[ -n "$chosen" && "$chosen" != "$default" ]] &&
        expect_framebuffer "$chosen" && [[ $exit_status -eq 33 ]]
    result "x86_64 UEFI (GOP): Up and Enter on the serial port choose another mode" $? "${chosen:-none} instead of ${default:-?}"

    # BIOS (SeaBIOS, VBE of the standard VGA): keys through the monitor (PS/2 keyboard).
    "$here/bios/build.sh" >>"$work/build-video.log" 2>&1 || { cat "$work/build-video.log"; result "BIOS build" 1; return; }
    rm -f "$work/esp-empty.img"
    mkfs.fat -C -n ESP "$work/esp-empty.img" 1024 >/dev/null
    make_disk "$work/bios-video-disk.img" "$work/esp-empty.img" "$work/x64-plain.img" "$here/build/bios/bootloader.bios"
    bios_qemu disk "$work/bios-video-disk.img"
    boot bios-modes-timeout "${qemu_command[@]}"
    default=$(chosen_mode)
    expect_lines "^Video modes \\(arrow keys" "Video mode: [0-9]+x[0-9]+ \\(timeout\\)" &&
        [[ -n "$default" ]] && expect_framebuffer "$default" && [[ $exit_status -eq 33 ]]
    result "BIOS (VBE): without a key the preferred mode reaches the kernel" $? "${default:-no mode}"

    MONITOR="$work/monitor" KEY_TRIGGER="^Video modes" MONITOR_KEYS=("sendkey up" "sendkey ret")
    bios_qemu disk "$work/bios-video-disk.img"
    boot bios-modes-keys "${qemu_command[@]}"
    MONITOR="" KEY_TRIGGER="" MONITOR_KEYS=()
    chosen=$(chosen_mode)
    expect_lines "Video mode: [0-9]+x[0-9]+$" && [[ -n "$chosen" && "$chosen" != "$default" ]] &&
        expect_framebuffer "$chosen" && [[ $exit_status -eq 33 ]]
    result "BIOS (VBE): Up and Enter through QEMU's sendkey choose another mode" $? "${chosen:-none} instead of ${default:-?}"
}

wants aarch64 && test_aarch64
wants bios && test_bios
wants video && test_video

say ""
for line in "${summary[@]}"; do say "$line"; done
for reason in "${skipped[@]}"; do say "skipped: $reason"; done
say "$passed passed, $failed failed"
((failed == 0))
