#!/bin/sh
# Builds and runs a libFuzzer target of Fuzz/ for a while.
#
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer arguments]
#
# TARGET is a folder of Fuzz/ (LZ4Decode, LZ4RoundTrip, ...). The target is compiled together
# with the format core's sources it needs, with -sanitize=fuzzer,address. The corpus lives in
# /tmp/redoxfs-fuzz/TARGET/corpus (kept between runs), crash files in /tmp/redoxfs-fuzz/TARGET/.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET SECONDS [libFuzzer arguments]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2

root=$(cd "$(dirname "$0")/.." && pwd)
source_dir="$root/Fuzz/$target"
if [ ! -d "$source_dir" ] || ! ls "$source_dir"/*.swift >/dev/null 2>&1; then
    echo "no fuzz target $target (folders of $root/Fuzz: $(ls "$root/Fuzz" | grep -v TOMLSeeds | tr '\n' ' '))" >&2
    exit 2
fi

# The core sources each target is built with.
case $target in
    LZ4*) core="$root/Sources/RedoxFSFormat/LZ4" ;;
    Pkgar*) core="$root/Sources/Pkgar/Format" ;;
    Initfs*) core="$root/Sources/RedoxInitfs" ;;
    *) core="$root/Sources/RedoxFSFormat" ;;
esac

work=/tmp/redoxfs-fuzz/$target
mkdir -p "$work/corpus"
binary="$work/$target"

# Targets over SwiftPM libraries that use TOMLKit (C++): the library target and the modules whose
# objects are linked, and the system libraries they need.
case $target in
    InstallerConfig)
        spm_target=Installer
        modules="Installer RedoxFS RedoxFSEngine RedoxFSFormat RedoxFSTools Pkgar TOMLKit CTOML"
        libraries="-lsodium -lcrypto -llz4 -lblkid -llzma" ;;
    RecipeParser)
        spm_target=Cookbook
        modules="Cookbook Pkgar TOMLKit CTOML"
        libraries="-lsodium -llzma" ;;
    *) spm_target= ;;
esac

echo "building $binary" >&2
if [ -n "$spm_target" ]; then
    # Built by SwiftPM with fuzzer instrumentation in a scratch folder, then linked with the
    # target's main.swift. -UNDEBUG keeps toml++'s assertions on in this release build, so an
    # input that reaches one of them is a crash here too.
    spm="$work/spm"
    (cd "$root" && swift build --scratch-path "$spm" -c release --target "$spm_target" \
        -Xswiftc -sanitize=fuzzer -Xswiftc -sanitize=address -Xcc -fsanitize=fuzzer-no-link -Xcxx -UNDEBUG >/dev/null)
    objects=$(for t in $modules; do find "$spm/release/$t.build" -name '*.o'; done)
    maps=$(for m in CSodium CCrypto CLZ4 CBlkid CLZMA; do echo "-Xcc -fmodule-map-file=$root/Sources/$m/module.modulemap"; done)
    # shellcheck disable=SC2086
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name "Fuzz$target" \
        "$source_dir"/*.swift -I "$spm/release/Modules" -I "$spm/checkouts/TOMLKit/Sources/CTOML/include" $maps $objects \
        $libraries -lstdc++ -o "$binary"
    # TOMLKit 0.6.0 leaks in its TOML writer (strdup'd text, inserted tables): not ours to fix.
    set -- -detect_leaks=0 "$@"
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
else
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
        -module-name "Fuzz$target" \
        "$source_dir"/*.swift $(find "$core" -name '*.swift' | sort) \
        -o "$binary"
fi
# Seeds for an empty corpus: the real documents, and one file per class of input that crashed
# toml++ or TOMLKit before the pre-check (Fuzz/TOMLSeeds).
if [ -z "$(ls -A "$work/corpus")" ]; then
    case $target in
        InstallerConfig) cp "$root"/installer/config/*.toml "$root"/Fuzz/TOMLSeeds/*.toml "$work/corpus/" ;;
        RecipeParser|PkgarTOMLPrecheck)
            for recipe in "$root"/recipes/*/*/recipe.toml; do
                cp "$recipe" "$work/corpus/$(basename "$(dirname "$recipe")").toml"
            done
            cp "$root"/Fuzz/TOMLSeeds/*.toml "$work/corpus/" ;;
    esac
fi

if [ "$target" = ImageWalk ] && [ -z "${REDOXFS_FUZZ_IMAGE:-}" ]; then
    # A small image with a varied tree, made by the engine (plain; set REDOXFS_FUZZ_ENCRYPTED=1 for encrypted).
    (cd "$root" && swift build --product redoxfs-crashtest >/dev/null)
    base="$work/base.img"
    if [ "${REDOXFS_FUZZ_ENCRYPTED:-0}" = 1 ]; then
        "$root/.build/debug/redoxfs-crashtest" --write-sample "$base" --seed 3 --operations 40 --encrypted
        export REDOXFS_FUZZ_PASSWORD=crash
    else
        "$root/.build/debug/redoxfs-crashtest" --write-sample "$base" --seed 2 --operations 40
    fi
    export REDOXFS_FUZZ_IMAGE="$base"
fi

echo "fuzzing $target for $seconds s (corpus $work/corpus)" >&2
cd "$work"
exec "$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" "$@" "$work/corpus"
