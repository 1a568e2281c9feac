#!/bin/bash
# Boot test of the kernel and its first userspace under QEMU (TCG) with OVMF.
#
#   recipes/core/kernel/boot-test.sh
#
# Builds the UEFI loader (bootloader/build.sh), the kernel, the userspace programs and the initfs
# (recipes/core/kernel/build-system.sh; scripts/boot-image-test.sh boots what `repo cook` builds), puts kernel and
# initfs on a RedoxFS volume (our redoxfs-ar) in a GPT disk next to the ESP, boots it and asserts
# on the serial console. Prints one line per check and `N passed, N failed`; exits non-zero on any
# failure. Each boot is bounded by a 180 s hang guard. KEEP_WORK=1 keeps the work folder.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
source "$root/scripts/shell-common.sh"
boot_timeout=${BOOT_TIMEOUT:-180}  # a hang guard, not a speed check (boots take 15-20 s under TCG)

ensure_packages qemu-system-x86 ovmf mtools dosfstools || { say "cannot install the test's packages"; exit 1; }

use_work_folder kernel-boot-test
qemu_pid=""

fail_build() { say "build failed: $1"; say "0 passed, 1 failed"; exit 1; }

"$root/bootloader/build.sh" >"$work/loader-build.log" 2>&1 || { cat "$work/loader-build.log"; fail_build loader; }
loader="$root/bootloader/build/BOOTX64.EFI"
INITFS_EXTRA_UNITS="$root/recipes/tests/init.d" "$here/build-system.sh" "$work/system" >"$work/system-build.log" 2>&1 || { cat "$work/system-build.log"; fail_build system; }
tail -n 3 "$work/system-build.log"

# The RedoxFS volume: our redoxfs-ar (REDOXFS_AR, else a build folder's, else `swift build`).
redoxfs_ar="${REDOXFS_AR:-$(our_tool redoxfs-ar)}" || fail_build redoxfs-ar

# A second kernel that faults on purpose (for the kernel panic report).
KERNEL_SWIFT_FLAGS="-D KERNEL_PANIC_TEST" "$here/source/build.sh" "$work/panic-kernel" >"$work/panic-build.log" 2>&1 ||
    { cat "$work/panic-build.log"; fail_build "panic test kernel"; }

# make_volume OUT KERNEL: a 16 MiB RedoxFS volume with usr/lib/boot/{kernel,initfs}.
make_volume() {
    rm -rf "$work/tree"
    mkdir -p "$work/tree/usr/lib/boot"
    cp "$2" "$work/tree/usr/lib/boot/kernel"
    cp "$work/system/initfs" "$work/tree/usr/lib/boot/initfs"
    rm -f "$1"
    truncate -s 16M "$1"
    "$redoxfs_ar" "$1" "$work/tree" </dev/null >"$work/ar.log" 2>&1 || { cat "$work/ar.log"; return 1; }
}
make_volume "$work/volume.img" "$work/system/kernel" || fail_build "redoxfs-ar"
make_volume "$work/panic-volume.img" "$work/panic-kernel/kernel" || fail_build "redoxfs-ar"

# The disk assembler: redox-installer's --esp-image/--redoxfs-image mode (REDOX_INSTALLER, else
# a build folder's binary that has the mode, else `swift build`).
redox_installer="${REDOX_INSTALLER:-$(our_tool redox-installer --esp-image)}" || fail_build redox-installer

# The disk: the installer's layout (2 MiB ESP at 1 MiB, RedoxFS right after it at 3 MiB), the GPT
# written by the installer library.
make_disk() {
    rm -f "$work/esp.img"
    mkfs.fat -C -n ESP "$work/esp.img" 2048 >/dev/null &&
        mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT &&
        mcopy -i "$work/esp.img" "$loader" ::/EFI/BOOT/BOOTX64.EFI &&
        "$redox_installer" --esp-image "$work/esp.img" --redoxfs-image "$2" "$1"
}
make_disk "$work/disk.img" "$work/volume.img" || fail_build "disk image"
make_disk "$work/panic-disk.img" "$work/panic-volume.img" || fail_build "disk image"

# The second disk, for virtio-blkd, in the installer's layout (partition 0 the BIOS boot area):
# partition 1 holds one line repeated (1 MiB), partition 2 is blank (1 MiB, written by disktest).
make_test_disk() {
    yes "virtio-blkd test partition data 0123456789abcdef" 2>/dev/null | head -c 1048576 >"$work/pattern.img"
    truncate -s 1M "$work/blank.img"
    [[ $(stat -c %s "$work/pattern.img") -eq 1048576 ]] &&
        "$redox_installer" --esp-image "$work/pattern.img" --redoxfs-image "$work/blank.img" "$1"
}
make_test_disk "$work/test-disk.img" || fail_build "test disk image"

ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
[[ -f "$ovmf_code" ]] || { ovmf_code=/usr/share/OVMF/OVMF_CODE.fd; ovmf_vars=/usr/share/OVMF/OVMF_VARS.fd; }

log=""

# boot NAME DISK [SECOND_DISK]: runs QEMU until the kernel powers off, panics, or the timeout; sets log,
# console (the cleaned log), exit_status, init_time (QEMU start to "init: started") and total_time.
boot() {
    log="$work/$1.log"
    console="$work/$1.txt"
    local disk="$2" extra=()
    [[ -n "${3:-}" ]] && extra=(-drive "file=$3,format=raw,if=none,id=disk1" -device "virtio-blk-pci,drive=disk1")
    cp "$ovmf_vars" "$work/vars.fd"
    local start text now
    start=$(milliseconds)
    timeout "$boot_timeout" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 512 -display none -no-reboot \
        -serial "file:$log" -monitor none -net none \
        -drive "if=pflash,format=raw,readonly=on,file=$ovmf_code" -drive "if=pflash,format=raw,file=$work/vars.fd" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -drive "file=$disk,format=raw,if=none,id=disk0" -device "virtio-blk-pci,drive=disk0,bootindex=0" "${extra[@]}" \
        </dev/null >"$work/qemu.out" 2>&1 &
    qemu_pid=$!
    init_time=""
    kernel_time=""
    watch_qemu "kernel panic\|kernel: halted\|BOOTLOADER ERROR" note_milestones
    total_time=$(($(milliseconds) - start))
    clean_log >"$console"
}

# note_milestones: boot's look at the console (through watch_qemu, which sets `now` and `text`):
# when the kernel and init started.
note_milestones() {
    if [[ -z "$kernel_time" ]] && grep -q "^kernel: Redox-compatible" <<<"$text"; then
        kernel_time=$((now - start))
    fi
    if [[ -z "$init_time" ]] && grep -q "^init: started" <<<"$text"; then
        init_time=$((now - start))
    fi
}

boot system "$work/disk.img" "$work/test-disk.img"
source "$here/boot-checks.sh"
first_init_time=$init_time
first_kernel_time=$kernel_time
first_total_time=$total_time
first_console=$console

# disktest's write reached the second disk: 700 bytes (i*13+5) at byte 4196 of partition 2 (GPT entry 2).
written_on_disk() {
    local first
    first=$(od -An -t u8 -j $((1024 + 2 * 128 + 32)) -N 8 "$work/test-disk.img" | tr -d ' ')
    [[ -n "$first" ]] || return 1
    cmp -s <(dd if="$work/test-disk.img" bs=1 skip=$((first * 512 + 4196)) count=700 status=none) \
        <(LC_ALL=C awk 'BEGIN { for (i = 0; i < 700; i++) printf "%c", (i * 13 + 5) % 256 }')
}
check "virtio-blkd's write is on the disk image afterwards (host side)" written_on_disk

boot panic "$work/panic-disk.img"
check "a kernel fault prints the registers and the faulting address, then halts" \
    eval 'has "^kernel panic: page fault in the kernel, vector 14, error [0-9a-f]+, faulting address \(CR2\) ffff9000dead0000" &&
          has "^rip=ffffffff8[0-9a-f]+ cs=0000000000000008 " && has "^rax=[0-9a-f]{16} rbx=" && has "^kernel: halted" &&
          lacks "^bootstrap: started"'
init_time=$first_init_time
kernel_time=$first_kernel_time
total_time=$first_total_time
console=$first_console

say ""
say "kernel size: $(stat -c %s "$work/system/kernel") bytes, initfs: $(stat -c %s "$work/system/initfs") bytes"
[[ -n "$init_time" && -n "$kernel_time" ]] &&
    say "time from QEMU start to the kernel: $(seconds "$kernel_time") s, to init: $(seconds "$init_time") s; whole boot $(seconds "$total_time") s"
grep -E "^bench:" "$console" || true
if ((failed > 0)); then
    say "console (last 60 lines):"
    grep -v '^\s*$' "$console" | tail -n 60 | sed 's/^/    | /'
fi
say "$passed passed, $failed failed"
((failed == 0))
