#!/usr/bin/env bash
# Boot test of the whole pipeline: `repo cook` of the recipes named by
# installer/config/redox-swift-encrypted.toml (which includes redox-swift.toml), `redox-installer`
# of a plain and of an encrypted image from those packages, then each image booted in QEMU (TCG,
# OVMF) through scripts/qemu.sh, asserting on the serial console: our loader, the kernel's banner,
# bootstrap, init, the daemons registering their schemes, virtio-blkd serving the image's own disk,
# no panic, the power-off. The encrypted
# image gets a wrong password first, then the right one, typed on the serial port.
# The root (issue 17 items 2-3): the redoxfs daemon mounts the volume the loader booted from (by
# its UUID, from the virtio disk; the encrypted one with the loader's password), init continues
# with the root's /usr/lib/init.d, whose rootcheck program (its own package) lists /, reads
# /etc/hostname, writes /home/user/rootcheck.txt and powers off. On the host the encrypted image
# then checks clean (redoxfs-fsck -n -f) and redoxfs-dump lists the file with its content's
# digest; a second boot reads it back. A damaged root (the root's unit file's block overwritten
# in a copy of the plain image) and a root without init configuration (an image without the
# rootcheck package) each end in one clear line, no fault (those boots are stopped at the line).
# Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
# The cookbook's cache (build/cache) makes a second run cook nothing; KEEP_WORK=1 keeps the logs.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/shell-common.sh"
cd "$root"

ensure_packages qemu-system-x86 ovmf bubblewrap || { say "cannot install the test's packages"; exit 1; }

use_work_folder boot-image-test

config=installer/config/redox-swift.toml
# The daemon serves read-write when the portable engine (Sources/RedoxFSEngine) is in the tree,
# else read-only: the checks of the write follow the tree.
read_write=""
[[ -d Sources/RedoxFSEngine ]] && read_write=yes
encrypted_config=installer/config/redox-swift-encrypted.toml
password="$(sed -n 's/^encrypt_disk *= *"\(.*\)"$/\1/p' "$encrypted_config")"
target=x86_64-unknown-redox

# The tools (debug builds; test.sh has built them already, so this only links what is missing).
for product in repo redox-installer redoxfs-fsck redoxfs-dump; do
    swift build --product "$product" >"$work/build-$product.log" 2>&1 || fail_step "swift build --product $product" "$work/build-$product.log"
done
bin="$root/.build/debug"

start=$(milliseconds)
"$bin/repo" cook --filesystem="$encrypted_config" >"$work/cook.log" 2>&1 || fail_step "repo cook" "$work/cook.log"
cook_time=$(($(milliseconds) - start))
say "repo cook: $(grep -c ' - successful' "$work/cook.log") built, $(grep -c ' - cached' "$work/cook.log") cached in $(seconds "$cook_time") s"
for package in bootloader kernel initfs base-files rootcheck; do
    check "repo cook publishes $package" test -f "repo/$target/$package.pkgar"
done

start=$(milliseconds)
"$bin/redox-installer" --cookbook . -c "$config" --no-progress "$work/plain.img" >"$work/install-plain.log" 2>&1
check "redox-installer makes the plain image from the packages" test $? -eq 0
"$bin/redox-installer" --cookbook . -c "$encrypted_config" --no-progress "$work/encrypted.img" >"$work/install-encrypted.log" 2>&1
check "redox-installer makes the encrypted image" test $? -eq 0
install_time=$(($(milliseconds) - start))
[[ -f "$work/plain.img" && -f "$work/encrypted.img" ]] || { cat "$work"/install-*.log; say "$passed passed, $((failed + 1)) failed"; exit 1; }

console=""

# boot NAME IMAGE PASSWORD...: boots through scripts/qemu.sh answering the prompts in order.
boot() {
    local name="$1" image="$2"; shift 2
    printf '%s\n' "$@" >"$work/$name.passwords"
    local start status=0
    start=$(milliseconds)
    : >"$work/$name.log"
    # The time from QEMU start to the root program's hostname line (typing included).
    (while sleep 0.2; do
        if grep -q "rootcheck: /etc/hostname" "$work/$name.log" 2>/dev/null; then echo $(($(milliseconds) - start)) >"$work/$name.root-ms"; break; fi
        [[ -f "$work/$name.done" ]] && break
     done) &
    local watcher=$!
    scripts/qemu.sh --password-file "$work/$name.passwords" --log "$work/$name.log" "$image" >"$work/$name.out" 2>&1 || status=$?
    boot_time=$(($(milliseconds) - start))
    touch "$work/$name.done"
    wait "$watcher" 2>/dev/null
    root_time=$(cat "$work/$name.root-ms" 2>/dev/null || echo 0)
    console="$work/$name.txt"
    clean_log "$work/$name.log" >"$console"
    boot_status=$status
}

# checks_after_loader NAME: what every good boot shows once the loader has the root.
checks_after_loader() {
    check "$1: loader reads kernel and initfs from the packages" \
        before "usr/lib/boot/kernel: " "usr/lib/boot/initfs: "
    check "$1: kernel banner with memory totals" has "^kernel: memory: [0-9]+ MiB usable, [0-9]+ MiB free"
    check "$1: bootstrap serves initfs and starts init" has "^bootstrap: serving initfs, started init \(pid [0-9]+\)"
    check "$1: init starts" has "^init: started \(pid [0-9]+\)"
    local scheme
    for scheme in log null zero rand; do
        check "$1: daemon registers $scheme before init sees it ready" \
            before "^kernel: scheme $scheme registered by [a-z]+d \(pid [0-9]+\)" "^init: scheme $scheme ready"
    done
    check "$1: virtio-blkd serves the image's disk with its GPT partitions (BIOS boot, EFI, REDOX)" \
        eval 'has "^virtio-blkd: [0-9a-f]{2}:[0-9a-f]{2}\.[0-7]: 64 MiB \([0-9]+ sectors\).*, 3 GPT partitions" &&
              has "^kernel: scheme disk\.pci-[0-9a-f-]+\.[0-7]_virtio_blk registered by virtio-blkd"'
    check "$1: no kernel panic" lacks "kernel panic|kernel: halted"
    check "$1: power-off (QEMU status 33)" eval 'has "^kernel: power off" && [[ $boot_status -eq 0 ]]'
}

# boot_until NAME IMAGE REGEX: boots the plain image unattended and stops QEMU (through qemu.sh's
# own clean-up) two seconds after a console line matches REGEX, or when it ends by itself.
boot_until() {
    local name="$1" image="$2" pattern="$3" pid waited=0
    : >"$work/$name.passwords"
    scripts/qemu.sh --password-file "$work/$name.passwords" --log "$work/$name.log" --timeout 300 "$image" >"$work/$name.out" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.5
        if sed 's/\r/\n/g' "$work/$name.log" 2>/dev/null | grep -qE -- "$pattern"; then
            sleep 2
            kill "$pid" 2>/dev/null
            break
        fi
    done
    wait "$pid" 2>/dev/null
    console="$work/$name.txt"
    clean_log "$work/$name.log" >"$console"
}

# checks_root NAME BOOT: the root mounted by the daemon and its startup's program (boot 1 or 2).
checks_root() {
    local uuid
    uuid=$(grep -oE "^RedoxFS [0-9a-f-]{36}" "$console" | head -n1 | cut -d' ' -f2)
    check "$1: redoxfs mounts the volume the loader booted from (UUID $uuid) from the virtio disk as file" \
        before "^redoxfs: mounted volume ${uuid:-none} .* from /scheme/disk\.pci-[0-9a-f.-]+_virtio_blk/0p2 as file" "^init: scheme file ready"
    check "$1: init continues from the root's /usr/lib/init.d" \
        before "^init: scheme file ready" "^init: continuing from the root file system \([0-9]+ units\)"
    check "$1: rootcheck runs from the root" has "^rootcheck: running as /usr/bin/rootcheck$"
    check "$1: rootcheck lists /" has "^rootcheck: / holds: .*etc.*home.*usr"
    check "$1: rootcheck reads /etc/hostname" has "^rootcheck: /etc/hostname: redox-swift$"
    if [[ -z "$read_write" ]]; then
        check "$1: read-only root (no portable engine in the tree): the write is refused with EROFS" \
            eval 'has "^redoxfs: mounted volume .*: \(read-only\)$" && has "^rootcheck: /home/user/rootcheck.txt is not there yet$" &&
                  has "^rootcheck: cannot write /home/user/rootcheck.txt: EROFS$"'
    elif [[ "$2" == 1 ]]; then
        check "$1: rootcheck writes and syncs /home/user/rootcheck.txt" \
            eval 'has "^redoxfs: mounted volume .*: \(read-write\)$" &&
                  has "^rootcheck: wrote and synced /home/user/rootcheck.txt: rootcheck boot 1$"'
    else
        check "$1: a second boot sees the file the first one wrote" \
            eval 'has "^rootcheck: /home/user/rootcheck.txt from an earlier boot: rootcheck boot 1$" &&
                  has "^rootcheck: wrote and synced /home/user/rootcheck.txt: rootcheck boot 2$"'
    fi
    check "$1: no process killed by a fault" lacks "^kernel: process [0-9]+ \(.*\) killed"
}

# The RedoxFS partition's byte offset (GPT entry 2 of the installer's layout).
redoxfs_offset() { echo $(($(od -An -t u8 -j $((1024 + 2 * 128 + 32)) -N 8 "$1" | tr -d ' ') * 512)); }

# Keep copies of the fresh plain image for the damaged-root boot.
cp "$work/plain.img" "$work/damaged.img"

boot plain "$work/plain.img"
plain_time=$boot_time plain_root_time=$root_time
check "plain: our loader starts from the ESP" has "^Redox OS Bootloader .* on x86_64/UEFI"
check "plain: no password asked" lacks "RedoxFS password"
checks_after_loader plain
checks_root plain 1
plain_console=$console

boot encrypted "$work/encrypted.img" "wrong horse" "$password"
encrypted_time=$boot_time encrypted_root_time=$root_time
check "encrypted: a wrong password is asked again, the right one unlocks the root" \
    eval 'before "^RedoxFS password \(1/10\)" "^RedoxFS password \(2/10\)" && before "^RedoxFS password \(2/10\)" "^RedoxFS [0-9a-f-]{36}: [0-9]+ MiB"'
checks_after_loader encrypted
checks_root encrypted 1
check "encrypted: the daemon unlocks the root with the loader's password (no prompt of its own)" \
    eval 'has "^redoxfs: mounted volume [0-9a-f-]{36} .*, encrypted\)" && [[ $(grep -c "RedoxFS password (" "$console") -eq 2 ]]'

# On the host: the image the system wrote to checks clean and holds the file.
printf '%s' "$password" >"$work/password"
offset=$(redoxfs_offset "$work/encrypted.img")
"$bin/redoxfs-fsck" -n -f --password-file "$work/password" --offset "$offset" "$work/encrypted.img" >"$work/fsck.log" 2>&1
fsck_status=$?
check "host: redoxfs-fsck -n -f finds the encrypted root clean after the boot" test "$fsck_status" -eq 0
"$bin/redoxfs-dump" --password-file "$work/password" --offset "$offset" "$work/encrypted.img" >"$work/dump.txt" 2>"$work/dump.err"
digest=$(printf 'rootcheck boot 1\n' | sha256sum | cut -d' ' -f1)
if [[ -n "$read_write" ]]; then
    check "host: redoxfs-dump shows /home/user/rootcheck.txt with the content rootcheck wrote" \
        eval 'grep -E "^/?home/user/rootcheck\.txt" "$work/dump.txt" | grep -q "$digest"'
    check "host: the file written without fsync is there too (the daemon's idle commit)" \
        eval 'grep -qE "^/?home/user/rootcheck-timer\.txt" "$work/dump.txt"'
else
    check "host: redoxfs-dump lists the root, and no rootcheck.txt (read-only root)" \
        eval 'grep -qE "^/?etc/hostname" "$work/dump.txt" && ! grep -q "rootcheck\.txt" "$work/dump.txt"'
fi

boot encrypted-again "$work/encrypted.img" "$password"
checks_root "encrypted, second boot" 2
check "encrypted, second boot: power-off" eval 'has "^kernel: power off" && [[ $boot_status -eq 0 ]]'

# A damaged root: the block holding the root's unit file (plain, so its text is findable) is
# overwritten; the loader never reads it, the daemon's read of it fails its hash.
unit_offset=$(grep -obaF "echo init: running the root file system check" "$work/damaged.img" | head -n1 | cut -d: -f1)
if [[ -n "$unit_offset" ]]; then
    head -c 4096 /dev/urandom | dd of="$work/damaged.img" bs=4096 seek=$((unit_offset / 4096)) conv=notrunc status=none
fi
boot_until damaged "$work/damaged.img" "^init: cannot read unit|^init: cannot list|^init: no root file system|^kernel: power off|kernel panic"
# Either the daemon meets the damage when init reads the unit (EIO), or (the engine's check at
# open) it refuses to mount and init stays on the initfs.
check "damaged root: the daemon names the corrupt block, init says what it cannot do; no fault" \
    eval '[[ -n "$unit_offset" ]] && lacks "kernel panic|killed|^rootcheck: running" &&
          { { has "^redoxfs: /usr/lib/init\.d/90_rootcheck: node at block [0-9]+ is corrupt \(hash mismatch\)" &&
              has "^init: cannot read unit /usr/lib/init\.d/90_rootcheck: EIO"; } ||
            { has "^redoxfs: volume [0-9a-f-]{36}: the newest generation [0-9]+ cannot be read .*corrupt.*not mounting" &&
              has "^init: no root file system \(scheme file: ENODEV\); staying on the initfs$"; }; }'

# A root without init configuration: the same system without the rootcheck package.
grep -v "^rootcheck = {}" "$config" >"$work/no-init.toml"
"$bin/redox-installer" --cookbook . -c "$work/no-init.toml" --no-progress "$work/no-init.img" >"$work/install-no-init.log" 2>&1
check "redox-installer makes an image without the rootcheck package" test $? -eq 0
boot_until no-init "$work/no-init.img" "^init: the root file system has no|^kernel: power off|kernel panic"
check "root without /usr/lib/init.d or /etc/init.d: init says so in one line; no fault" \
    eval 'has "^redoxfs: mounted volume" && has "^init: the root file system has no /usr/lib/init\.d or /etc/init\.d: nothing to start from the root$" &&
          lacks "kernel panic|killed"'

say ""
say "cook $(seconds "$cook_time") s, two images $(seconds "$install_time") s, boots (QEMU start to power-off): plain $(seconds "$plain_time") s, encrypted $(seconds "$encrypted_time") s (typing included)"
say "QEMU start to the root program's output (rootcheck's hostname line): plain $(seconds "$plain_root_time") s, encrypted $(seconds "$encrypted_root_time") s"
if ((failed > 0)); then
    for file in "$plain_console" "$console"; do
        say "console $(basename "$file") (last 40 lines):"
        grep -v '^\s*$' "$file" | tail -n 40 | sed 's/^/    | /'
    done
fi
say "$passed passed, $failed failed"
((failed == 0))
