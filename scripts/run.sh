#!/usr/bin/env bash
# The main job: builds the system from source offline and boots it.
#
#   scripts/run.sh [--password-file FILE] [--config FILE] [--live] [--no-boot]
#
# 1. installs the Debian packages (scripts/install-deps.sh) and builds `repo` and `redox-installer`;
# 2. `repo cook --filesystem=CONFIG`: every recipe the configuration names (loader, kernel, initfs,
#    base files), signed into repo/x86_64-unknown-redox/ (cached in build/cache: a second run
#    cooks nothing);
# 3. `redox-installer --cookbook . -c CONFIG build/redox-swift.img`: the encrypted disk image;
# 4. boots it in QEMU (TCG, OVMF) with the serial console here and the RedoxFS password answered:
#    typed by you on a terminal, taken from --password-file, or, without a terminal (CI), the
#    configuration's own `encrypt_disk` password. The system powers itself off.
# CONFIG defaults to installer/config/redox-swift-encrypted.toml. Boot it again: scripts/qemu.sh IMAGE.
# --live makes the live variant instead (`redox-installer --live`: the ESP gets the loader's -live
# build, which copies the whole RedoxFS volume into memory before starting the kernel, and
# lived serves it as disk.live): build/redox-swift-live.img.
set -euo pipefail
cd "$(dirname "$0")/.."

config=installer/config/redox-swift-encrypted.toml password_file="" boot=yes live=""
while (($#)); do
    case "$1" in
        --password-file) password_file="${2:?--password-file needs a file}"; shift 2 ;;
        --config) config="${2:?--config needs a file}"; shift 2 ;;
        --no-boot) boot=""; shift ;;
        --live) live=yes; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
image=build/redox-swift.img
installer_options=()
if [[ -n "$live" ]]; then
    image=build/redox-swift-live.img
    installer_options=(--live)
fi
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

echo "== dependencies"
scripts/install-deps.sh

echo "== build repo and redox-installer (release)"
start=$(date +%s)
mkdir -p build
for product in repo redox-installer; do
    if ! swift build -c release --product "$product" >"build/swift-build-$product.log" 2>&1; then
        tail -n 30 "build/swift-build-$product.log"
        echo "run.sh: swift build --product $product failed (build/swift-build-$product.log)" >&2
        exit 1
    fi
    tail -n 1 "build/swift-build-$product.log"
done
bin=.build/release
echo "tools built in $(elapsed "$start")"

echo "== repo cook --filesystem=$config"
start=$(date +%s)
"$bin/repo" cook --filesystem="$config"
echo "cooked in $(elapsed "$start")"

echo "== redox-installer ${installer_options[*]} -> $image"
start=$(date +%s)
rm -f "$image"
"$bin/redox-installer" --cookbook . -c "$config" "${installer_options[@]}" --no-progress "$image"
echo "image built in $(elapsed "$start"): $PWD/$image"

if [[ -z "$boot" ]]; then
    echo "image: $PWD/$image (boot it: scripts/qemu.sh $image)"
    exit 0
fi

echo "== boot in QEMU (TCG, OVMF)"
password="$(sed -n 's/^encrypt_disk *= *"\(.*\)"$/\1/p' "$config" | tail -n 1)"
status=0
if [[ -n "$password_file" ]]; then
    scripts/qemu.sh --password-file "$password_file" "$image" || status=$?
elif [[ -t 0 && -t 1 ]]; then
    hint=""
    [[ -n "$password" ]] && hint=" (the configuration sets \"$password\")"
    echo "type the RedoxFS password at the prompt of the loader$hint; Ctrl-A X quits QEMU"
    scripts/qemu.sh "$image" || status=$?
else
    answers="$(mktemp)"
    printf '%s\n' "$password" >"$answers"
    scripts/qemu.sh --password-file "$answers" "$image" || status=$?
    rm -f "$answers"
fi
echo "image: $PWD/$image (boot it again: scripts/qemu.sh $image)"
exit "$status"
