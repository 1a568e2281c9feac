# Helpers of the loader's boot tests (bootloader/boot-test.sh, boot-test-platforms.sh) and of
# scripts/bench-loader-unlock.sh (sourced): images, QEMU runs with passwords fed on the serial
# port, and assertions on the serial log. Expects `work` (a scratch folder) and `root` (the
# repository) to be defined by the caller.

source "$root/scripts/shell-common.sh"

boot_timeout=${BOOT_TIMEOUT:-120}
KEY_TRIGGER=""
SERIAL_KEYS=""
MONITOR=""
MONITOR_KEYS=()
passed=0
failed=0
skipped=()

# le VALUE BYTES: VALUE as BYTES little-endian bytes.
le() {
    local value=$1 bytes=$2 i
    for ((i = 0; i < bytes; i++)); do
        printf "\\x$(printf %02x $(((value >> (8 * i)) & 255)))"
    done
}

# make_initfs OUT [MAGIC]: a small initfs image: a 4096-byte header page (magic, inode table
# offset, size 12300, page size, root inode, inode count, bootstrap entry 0x2040), one empty root
# directory inode, and a fake bootstrap page. Only the header matters to the loader and the probe.
make_initfs() {
    local out="$1" magic="${2:-RedoxFtw}"
    local size=$((3 * 4096 + 12))
    {
        printf '%s' "$magic"
        le 12288 4      # inode_table_offset
        le "$size" 8    # initfs_size
        le 4096 2       # page_size
        le 0 2          # root_inode
        le 1 2          # inode_count
        le $((0x2000 + 0x40)) 8  # bootstrap_entry
    } >"$out"
    truncate -s 4096 "$out"
    printf '\x7fELF' >>"$out"
    truncate -s 12288 "$out"
    { le 2 4; le 0 4; le 12288 4; } >>"$out"   # root: a directory with no entries
}

# find_redoxfs_ar: sets `redoxfs_ar` (REDOXFS_AR if set, else ours: see our_tool) and `ar_help`.
find_redoxfs_ar() {
    redoxfs_ar="${REDOXFS_AR-$(our_tool redoxfs-ar)}"
    ar_help="$([[ -n "$redoxfs_ar" ]] && "$redoxfs_ar" --help 2>&1)"
}

# make_volume OUT FOLDER [PASSWORD]: a 16 MiB RedoxFS image of FOLDER made by redoxfs-ar.
make_volume() {
    local out="$1" folder="$2" secret="${3:-}"
    rm -f "$out"
    truncate -s 16M "$out"
    if [[ -n "$secret" ]] && grep -q -- "--password-file" <<<"$ar_help"; then
        printf '%s' "$secret" >"$out.password"
        "$redoxfs_ar" --password-file "$out.password" "$out" "$folder" </dev/null >"$out.log" 2>&1
    elif [[ -n "$secret" ]]; then
        printf '%s\n' "$secret" | "$redoxfs_ar" --encrypt "$out" "$folder" >"$out.log" 2>&1
    else
        "$redoxfs_ar" "$out" "$folder" </dev/null >"$out.log" 2>&1
    fi || { say "redoxfs-ar failed:"; cat "$out.log"; return 1; }
}

# make_esp OUT LOADER NAME: a 1 MiB FAT file system holding EFI/BOOT/NAME.
make_esp() {
    rm -f "$1"
    mkfs.fat -C -n ESP "$1" 1024 >/dev/null && mmd -i "$1" ::/EFI ::/EFI/BOOT && mcopy -i "$1" "$2" "::/EFI/BOOT/$3"
}

# volume_uuid IMAGE [OFFSET]: the uuid of the RedoxFS header at byte OFFSET (default 0) of IMAGE.
volume_uuid() {
    od -An -tx1 -j$((${2:-0} + 16)) -N16 "$1" | tr -d ' \n' | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/'
}

log=""

# boot NAME QEMU-COMMAND...: runs QEMU with the serial port on a pipe (the command must say
# `-serial stdio`), answers password prompts from the PASSWORDS array, and stops QEMU once the
# loader reports a fatal error. Keys: once a line matches KEY_TRIGGER (if set), SERIAL_KEYS is
# written to the serial port (printf format) and the MONITOR_KEYS commands (e.g. `sendkey up`)
# to QEMU's monitor, whose pipes are MONITOR.in/.out (MONITOR set, and the command says
# `-monitor pipe:$MONITOR`). Sets `log`, `exit_status`, `kernel_time` and `unlock_times`.
qemu_pid=""
boot() {
    local name="$1"; shift
    log="$work/$name.log"
    local input="$work/$name.in"
    rm -f "$input" "$log"
    mkfifo "$input"
    if [[ -n "${MONITOR:-}" ]]; then
        rm -f "$MONITOR.in" "$MONITOR.out"
        mkfifo "$MONITOR.in" "$MONITOR.out"
        exec 4<>"$MONITOR.in" 5<>"$MONITOR.out"
    fi
    local start
    start=$(milliseconds)
    timeout "$boot_timeout" "$@" <"$input" >"$log" 2>&1 &
    qemu_pid=$!
    exec 3>"$input"

    local answered=0 sent_at="" text now keys_sent=false
    kernel_time=""
    unlock_times=()
    watch_qemu "Press any key to restart\|The system is halted\|Exception Type\|Synchronous Exception" answer_console
    exec 3>&-
    [[ -n "${MONITOR:-}" ]] && exec 4>&- 5<&-
    return 0
}

# answer_console: boot's look at the console (through watch_qemu, which sets `now` and `text`):
# notes when the kernel started and how long each unlock took, answers password prompts, sends
# the keys once.
answer_console() {
    local prompts command
    if [[ -z "$kernel_time" ]] && grep -q "^kernel: started" <<<"$text"; then
        kernel_time=$(seconds $((now - start)))
    fi
    prompts=$(grep -o "RedoxFS password ([0-9]*/10)" <<<"$text" | wc -l)
    if [[ -n "$sent_at" ]] && { ((prompts > answered)) || grep -q "^RedoxFS [0-9a-f-]*: " <<<"$text"; }; then
        unlock_times+=("$(seconds $((now - sent_at)))")
        sent_at=""
    fi
    if ((prompts > answered && answered < ${#PASSWORDS[@]})); then
        printf '%s\r' "${PASSWORDS[$answered]}" >&3
        answered=$((answered + 1))
        sent_at=$now
    fi
    if [[ -n "${KEY_TRIGGER:-}" ]] && ! $keys_sent && grep -q -E -- "$KEY_TRIGGER" <<<"$text"; then
        keys_sent=true
        sleep 0.3
        [[ -n "${SERIAL_KEYS:-}" ]] && printf "$SERIAL_KEYS" >&3
        for command in "${MONITOR_KEYS[@]}"; do
            printf '%s\n' "$command" >&4
            sleep 0.3
        done
    fi
}

# expect_lines PATTERN...: each extended regular expression matches a line of the log, in order.
expect_lines() {
    local text line=0 pattern found
    text="$(clean_log)"
    for pattern in "$@"; do
        found=$(tail -n "+$((line + 1))" <<<"$text" | grep -n -m1 -E -- "$pattern" | cut -d: -f1)
        if [[ -z "$found" ]]; then
            say "    missing (in order): $pattern"
            return 1
        fi
        line=$((line + found))
    done
}

# result NAME STATUS [NOTE]: records and prints a case's outcome; on failure shows the log's tail.
result() {
    if [[ "$2" -eq 0 ]]; then
        passed=$((passed + 1))
        say "PASS $1${3:+ ($3)}"
    else
        failed=$((failed + 1))
        say "FAIL $1"
        clean_log | grep -v '^\s*$' | tail -n 25 | sed 's/^/    | /'
    fi
}

# expect_handoff BANNER UUID BLOCK KERNEL [MIB]: the lines of a successful boot of the loader on
# BANNER (x86_64/UEFI, aarch64/UEFI, x86/BIOS) from a volume of MIB MiB (default 16), up to the
# probe kernel KERNEL's verdict. The UEFI loaders exit boot services before the kernel starts;
# x86 hands an RSDP over, aarch64 a device tree or an RSDP.
expect_handoff() {
    local banner="$1" uuid="$2" block="$3" kernel="$4" size="${5:-16}" exiting=() descriptor="(RSDP|DTB)"
    [[ "$banner" == */UEFI ]] && exiting=("^Exiting boot services")
    [[ "$banner" == x86* ]] && descriptor=RSDP
    expect_lines "^Redox OS Bootloader .* on $banner" "^RedoxFS $uuid: $size MiB" \
        "usr/lib/boot/kernel: 1/1 MiB" "usr/lib/boot/initfs: 1/1 MiB" "${exiting[@]}" \
        "^kernel: started" "^kernel: kernel_size=0*$(printf %x "$(stat -c %s "$kernel")")$" \
        "^kernel: stack_size=0000000000020000$" "^kernel: areas_size=0000000000006000$" \
        "^kernel: bootstrap_size=0000000000004000$" \
        "^kernel: environment begin" "^${descriptor}_ADDR=[0-9a-f]{16}$" "^${descriptor}_SIZE=[0-9a-f]{16}$" \
        "^REDOXFS_BLOCK=$block$" "^REDOXFS_UUID=$uuid$" "^kernel: environment end" \
        "^kernel: initfs magic=RedoxFtw .*initfs_size=12300 page_size=4096 .*bootstrap_entry=0000000000002040" \
        "^kernel: [0-9]+ checks passed, 0 failed"
}

# ---------------------------------------------------------------------------------------------
# Disks and machines (need `tools`, the bootloader-tools binary)

# find_redox_installer: sets redox_installer (REDOX_INSTALLER, else ours that has the
# --esp-image mode: see our_tool); empty when none.
find_redox_installer() {
    redox_installer="${REDOX_INSTALLER:-$(our_tool redox-installer --esp-image)}"
}

# make_disk OUT ESP VOLUME [BIOS-BLOB]: the installer's layout (GPT, ESP at 1 MiB, RedoxFS at
# 2 MiB), assembled by `redox-installer --esp-image ESP --redoxfs-image VOLUME OUT`; with a BIOS
# blob, its stage 1 code replaces the MBR's boot code (the protective partition entry stays) and
# the rest of the blob, from LBA 34 on, fills the space the GPT leaves before 1 MiB (the
# installer's mode writes nothing else there).
make_disk() {
    "$redox_installer" --esp-image "$2" --redoxfs-image "$3" "$1" || return 1
    if [[ -n "${4:-}" ]]; then
        dd if="$4" of="$1" bs=446 count=1 conv=notrunc status=none &&
            dd if="$4" of="$1" bs=512 skip=34 seek=34 count=$(((0x60000 - 0x4400) / 512)) conv=notrunc status=none
    fi
}

# make_trees KERNEL: $work/tree (kernel + initfs), no-kernel, bad-initfs and empty folders for KERNEL.
make_trees() {
    rm -rf "$work/tree" "$work/no-kernel" "$work/bad-initfs" "$work/empty"
    mkdir -p "$work/tree/usr/lib/boot" "$work/no-kernel/usr/lib/boot" "$work/bad-initfs/usr/lib/boot" "$work/empty/usr/lib/boot"
    cp "$1" "$work/tree/usr/lib/boot/kernel"
    make_initfs "$work/tree/usr/lib/boot/initfs"
    cp "$work/tree/usr/lib/boot/initfs" "$work/no-kernel/usr/lib/boot/initfs"
    cp "$1" "$work/bad-initfs/usr/lib/boot/kernel"
    make_initfs "$work/bad-initfs/usr/lib/boot/initfs" "RedoxFtX"
}

# virtio_drives DISK...: sets `drives`, the QEMU options of the raw images DISK... on virtio
# (boot order: as given).
virtio_drives() {
    local image index=0
    drives=()
    for image in "$@"; do
        drives+=(-drive "file=$image,format=raw,if=none,id=disk$index" -device "virtio-blk-pci,drive=disk$index,bootindex=$index")
        index=$((index + 1))
    done
}

# ovmf_qemu DISK... | ovmf_qemu IMAGE cdrom: x86_64 UEFI (q35, OVMF) with the disks on virtio, or
# IMAGE as a CD; sets `qemu_command`.
ovmf_qemu() {
    local code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd drives
    [[ -f "$code" ]] || { code=/usr/share/OVMF/OVMF_CODE.fd; vars=/usr/share/OVMF/OVMF_VARS.fd; }
    cp "$vars" "$work/ovmf-vars.fd"
    if [[ "${2:-}" == cdrom ]]; then drives=(-cdrom "$1"); else virtio_drives "$@"; fi
    qemu_command=(qemu-system-x86_64 -machine q35 -accel tcg -m 512 -display none -no-reboot -serial stdio
        -monitor none -net none -device isa-debug-exit,iobase=0xf4,iosize=0x04
        -drive "if=pflash,format=raw,readonly=on,file=$code"
        -drive "if=pflash,format=raw,file=$work/ovmf-vars.fd" "${drives[@]}")
}

# aarch64_qemu DISK...: aarch64 UEFI (virt, cortex-a57, AAVMF); sets `qemu_command`.
aarch64_qemu() {
    cp /usr/share/AAVMF/AAVMF_VARS.fd "$work/aavmf-vars.fd"
    local drives
    virtio_drives "$@"
    qemu_command=(qemu-system-aarch64 -machine virt -cpu cortex-a57 -accel tcg -m 512 -display none -no-reboot
        -serial stdio -monitor none -net none
        -drive "if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd"
        -drive "if=pflash,format=raw,file=$work/aavmf-vars.fd" "${drives[@]}")
}

# bios_qemu disk|cdrom IMAGE: SeaBIOS with the standard VGA (VBE); the monitor on MONITOR's pipes if set.
bios_qemu() {
    local media=(-drive "file=$2,format=raw,if=ide,index=0,media=disk")
    [[ "$1" == cdrom ]] && media=(-drive "file=$2,format=raw,if=ide,index=2,media=cdrom")
    local monitor=none
    [[ -n "$MONITOR" ]] && monitor="pipe:$MONITOR"
    qemu_command=(qemu-system-x86_64 -machine pc -accel tcg -m 512 -display none -no-reboot
        -serial stdio -monitor "$monitor" -net none -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${media[@]}")
}

