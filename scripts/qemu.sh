#!/usr/bin/env bash
# Boots a disk image made by redox-installer in QEMU (TCG, q35, OVMF), serial console on the terminal.
#
#   scripts/qemu.sh [--password-file FILE] [--log FILE] [--timeout SECONDS] [--memory MIB]
#                   [--mode-keys KEYS] IMAGE
#
# Without --password-file the console is interactive (type the RedoxFS password at the loader's
# prompt; Ctrl-A X quits QEMU). With --password-file, line N of FILE is typed at the loader's Nth
# "RedoxFS password" prompt (an empty answer once the lines run out); the console is shown and
# also written to --log FILE.
# The machine powers off through isa-debug-exit: QEMU's status 33 is a clean power-off, and this
# script then exits 0. A kernel panic or a loader error stops QEMU and exits 1; --timeout
# (default 600 s) is a hang guard for the unattended mode. --memory sets the machine's RAM
# (default 512 MiB). --mode-keys (unattended mode) types KEYS once the loader's mode screen shows,
# then Enter (e.g. `l` toggles live mode).
set -uo pipefail

password_file="" log="" timeout_seconds=600 memory=512 mode_keys="" image=""
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
    case "$1" in
        --password-file) password_file="${2:?--password-file needs a file}"; shift 2 ;;
        --log) log="${2:?--log needs a file}"; shift 2 ;;
        --timeout) timeout_seconds="${2:?--timeout needs seconds}"; shift 2 ;;
        --memory) memory="${2:?--memory needs MiB}"; shift 2 ;;
        --mode-keys) mode_keys="${2:?--mode-keys needs keys}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "qemu.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) [[ -z "$image" ]] || { echo "qemu.sh: one image only" >&2; exit 2; }; image="$1"; shift ;;
    esac
done
[[ -n "$image" ]] || { usage >&2; exit 2; }
[[ -f "$image" ]] || { echo "qemu.sh: no image at $image" >&2; exit 1; }
[[ -z "$password_file" || -r "$password_file" ]] || { echo "qemu.sh: cannot read $password_file" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "qemu.sh: qemu-system-x86_64 is missing (scripts/install-deps.sh)" >&2; exit 1; }

ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
[[ -f "$ovmf_code" ]] || { ovmf_code=/usr/share/OVMF/OVMF_CODE.fd; ovmf_vars=/usr/share/OVMF/OVMF_VARS.fd; }
[[ -f "$ovmf_code" ]] || { echo "qemu.sh: OVMF is missing (scripts/install-deps.sh)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/redox-qemu.XXXXXX")"
qemu_pid="" tail_pid=""
cleanup() {
    [[ -n "$qemu_pid" ]] && kill "$qemu_pid" 2>/dev/null
    [[ -n "$tail_pid" ]] && kill "$tail_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cp "$ovmf_vars" "$work/vars.fd"

machine=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m "$memory" -display none -no-reboot -net none
    -drive "if=pflash,format=raw,readonly=on,file=$ovmf_code" -drive "if=pflash,format=raw,file=$work/vars.fd"
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
    -drive "file=$image,format=raw,if=none,id=disk0" -device "virtio-blk-pci,drive=disk0,bootindex=0")

finish() {
    case "$1" in
        33) echo "qemu.sh: the system powered off"; exit 0 ;;
        0) exit 0 ;;
        *) echo "qemu.sh: QEMU ended with status $1" >&2; exit 1 ;;
    esac
}

if [[ -z "$password_file" ]]; then
    # Interactive: the serial port (and QEMU's monitor, Ctrl-A C) on this terminal.
    status=0
    "${machine[@]}" -serial mon:stdio || status=$?
    finish "$status"
fi

# Unattended: the console goes to the log (shown as it comes), answers go in through a pipe.
mapfile -t passwords <"$password_file"
[[ -n "$log" ]] || log="$work/console.log"
: >"$log"
mkfifo "$work/input"
timeout "$timeout_seconds" "${machine[@]}" -serial stdio -monitor none <"$work/input" >"$log" 2>&1 &
qemu_pid=$!
exec 3>"$work/input"
tail -n +1 -f --pid="$qemu_pid" "$log" &
tail_pid=$!

answered=0 failure="" mode_keys_sent=""
while kill -0 "$qemu_pid" 2>/dev/null; do
    sleep 0.2
    prompts=$(sed 's/\r/\n/g' "$log" | grep -c "RedoxFS password (")
    if ((prompts > answered)); then
        if ((answered < ${#passwords[@]})); then
            printf '%s\r' "${passwords[$answered]}" >&3
        else
            printf '\r' >&3
        fi
        answered=$((answered + 1))
    fi
    if [[ -n "$mode_keys" && -z "$mode_keys_sent" ]] && grep -q "Video modes" "$log"; then
        printf '%s\r' "$mode_keys" >&3
        mode_keys_sent=yes
    fi
    if grep -qE "kernel panic|kernel: halted|BOOTLOADER ERROR|Press any key to restart" "$log"; then
        failure=yes
        sleep 0.5
        kill "$qemu_pid" 2>/dev/null
    fi
done
status=0
wait "$qemu_pid" || status=$?
qemu_pid=""
exec 3>&-
sleep 0.3
[[ -n "$failure" ]] && { echo "qemu.sh: the boot failed (see the console above)" >&2; exit 1; }
((status == 124)) && { echo "qemu.sh: no power-off within $timeout_seconds s" >&2; exit 1; }
finish "$status"
