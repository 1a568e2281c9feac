#!/bin/bash
# Cost of unlocking an encrypted RedoxFS volume in the loaders: Argon2id (4 MiB, 3 passes) and the
# key-slot check, in 64-bit code (x86_64 UEFI, aarch64 UEFI) and in 32-bit code (BIOS stage 3,
# i686), every one under QEMU's software emulation (TCG) on this host.
#
#   scripts/bench-loader-unlock.sh [ATTEMPTS]      (default 5 wrong passwords per loader)
#
# First, natively (no emulation): the format core's Argon2id built with the loaders' Embedded
# Swift flags as static Linux programs for x86_64 and i686 (bootloader/tests/argon2-native),
# 5 rounds each; both must give the same tag. Then boots each loader once with an encrypted volume, answers ATTEMPTS wrong passwords then the right
# one, and prints the time of each wrong attempt (host clock, from sending the password to the
# next prompt: one key derivation each), the median per loader and the ratios to x86_64. Figures
# include emulation overhead and the machine's load; compare them with each other, not with
# native speed.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/bootloader"
attempts=${1:-5}
password="correct horse"
say() { printf '%s\n' "$*"; }
work="$(mktemp -d /tmp/bench-loader-unlock.XXXXXX)"
cleanup() {
    [[ -n "$qemu_pid" ]] && kill "$qemu_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
source "$here/tests/boot-lib.sh"

ensure_packages qemu-system-arm qemu-efi-aarch64 qemu-system-x86 ovmf mtools dosfstools || exit 1
find_redoxfs_ar
[[ -n "$redoxfs_ar" ]] || { say "no redoxfs-ar: build it with 'swift build --product redoxfs-ar'"; exit 1; }
tools="$here/build/bootloader-tools"
"$here/build.sh" --kernel >/dev/null && "$here/build.sh" --arch aarch64 --kernel >/dev/null &&
    "$here/bios/build.sh" >/dev/null || { say "build failed"; exit 1; }

say "== native (Embedded Swift, static Linux programs)"
"$here/tests/argon2-native/build.sh" "$work/native" >/dev/null || { say "native build failed"; exit 1; }
native64=$("$work/native/argon2-native-x86_64") && native32=$("$work/native/argon2-native-i686") ||
    { say "the native programs did not run (a kernel without 32-bit support?)"; exit 1; }
say "x86_64: $native64"
say "i686:   $native32"
us64=$(sed -E 's/.*per_round_us=([0-9]+).*/\1/' <<<"$native64")
us32=$(sed -E 's/.*per_round_us=([0-9]+).*/\1/' <<<"$native32")
[[ "${native64##*tag=}" == "${native32##*tag=}" ]] && say "tags equal: yes" || { say "tags equal: NO (32-bit core differs)"; exit 1; }
say "i686 / x86_64: $(awk -v a="$us32" -v b="$us64" 'BEGIN { printf "%.2f", a / b }')"
say "== in the loaders under QEMU (TCG)"

PASSWORDS=()
for ((i = 1; i <= attempts; i++)); do PASSWORDS+=("wrong $i"); done
PASSWORDS+=("$password")

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A medians
measure() {
    local name="$1"
    boot "$name" "${qemu_command[@]}"
    local text
    text="$(clean_log)"
    if ! grep -q "^RedoxFS [0-9a-f-]*: 16 MiB" <<<"$text"; then
        say "$name: the volume did not unlock"; clean_log | tail -n 10; return 1
    fi
    local wrong=("${unlock_times[@]:0:attempts}")
    medians[$name]=$(median "${wrong[@]}")
    say "$(printf '%-22s' "$name") attempts: ${wrong[*]} s; median ${medians[$name]} s"
}

mkdir -p "$work/tree/usr/lib/boot"
cp "$here/build/test-kernel.elf" "$work/tree/usr/lib/boot/kernel"
make_initfs "$work/tree/usr/lib/boot/initfs"
make_volume "$work/secret.img" "$work/tree" "$password" || exit 1
make_esp "$work/esp-x64.img" "$here/build/BOOTX64.EFI" BOOTX64.EFI
make_esp "$work/esp-aa64.img" "$here/build/aarch64/BOOTAA64.EFI" BOOTAA64.EFI
make_disk "$work/x64.img" "$work/esp-x64.img" "$work/secret.img" "$here/build/bios/bootloader.bios"
make_disk "$work/aa64.img" "$work/esp-aa64.img" "$work/secret.img"

ovmf_qemu "$work/x64.img"
measure "x86_64 UEFI (64-bit)" || exit 1
bios_qemu disk "$work/x64.img"
measure "x86 BIOS (32-bit)" || exit 1
aarch64_qemu "$work/aa64.img"
measure "aarch64 UEFI (64-bit)" || exit 1

base=${medians["x86_64 UEFI (64-bit)"]}
for name in "x86 BIOS (32-bit)" "aarch64 UEFI (64-bit)"; do
    say "$name / x86_64 UEFI: $(awk -v a="${medians[$name]}" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
done
