#!/bin/bash
# Builds the portable engine (Sources/RedoxFSEngine) with the format core and the test program
# Tests/EmbeddedEngine as Embedded Swift for the host (x86_64-unknown-linux-gnu, linked with the
# C library), runs it, and checks the encrypted image it writes with the hosted redoxfs-fsck
# (-n -f) and redoxfs-dump (the files the program made, with their sizes). Exits non-zero at the
# first failure.
#
#   scripts/embedded-engine-test.sh [TOOLS_DIR]     (default .build/debug: redoxfs-fsck, redoxfs-dump)
# Costs about a minute of compiling.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${1:-$root/.build/debug}"
out="$(mktemp -d /tmp/embedded-engine-test.XXXXXX)"
trap 'rm -rf "$out"' EXIT

flags=(
    -target x86_64-unknown-linux-gnu -enable-experimental-feature Embedded
    -enable-experimental-feature Extern -swift-version 6 -wmo -parse-as-library -Osize
    -package-name RedoxFSKit -I "$out"
)
mapfile -t core < <(find "$root/Sources/RedoxFSFormat" -name '*.swift' | sort)
mapfile -t engine < <(find "$root/Sources/RedoxFSEngine" -name '*.swift' | sort)
swiftc "${flags[@]}" -module-name RedoxFSFormat -emit-module -emit-module-path "$out/RedoxFSFormat.swiftmodule" \
    -c -o "$out/RedoxFSFormat.o" "${core[@]}"
swiftc "${flags[@]}" -module-name RedoxFSEngine -emit-module -emit-module-path "$out/RedoxFSEngine.swiftmodule" \
    -c -o "$out/RedoxFSEngine.o" "${engine[@]}"
swiftc "${flags[@]}" -module-name EmbeddedEngineTest -c -o "$out/EmbeddedEngineTest.o" \
    "$root/Tests/EmbeddedEngine/EmbeddedEngineTest.swift"
# String hashing and comparison (names in the generation survey) need the Unicode tables.
tables="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/swift/embedded/x86_64-unknown-linux-gnu/libswiftUnicodeDataTables.a"
swiftc -target x86_64-unknown-linux-gnu -enable-experimental-feature Embedded \
    "$out/EmbeddedEngineTest.o" "$out/RedoxFSEngine.o" "$out/RedoxFSFormat.o" "$tables" -lm -o "$out/embedded-engine-test"

"$out/embedded-engine-test" "$out/image.bin"

if [ -x "$tools/redoxfs-fsck" ] && [ -x "$tools/redoxfs-dump" ]; then
    printf 'embedded\n' > "$out/password"
    "$tools/redoxfs-fsck" -n -f --password-file "$out/password" "$out/image.bin" > "$out/fsck.txt" 2>&1 || {
        cat "$out/fsck.txt"; echo "embedded-engine: redoxfs-fsck -n -f found problems"; exit 1; }
    "$tools/redoxfs-dump" --password-file "$out/password" "$out/image.bin" > "$out/dump.txt" 2>&1 || {
        cat "$out/dump.txt"; echo "embedded-engine: redoxfs-dump failed"; exit 1; }
    for expected in "/home/user/greeting.txt" "/large.bin" "/home/user/note-39" "/link"; do
        grep -q -- "$expected" "$out/dump.txt" || { cat "$out/dump.txt"; echo "embedded-engine: $expected missing from the dump"; exit 1; }
    done
    if grep -q -- "note-13\|hello.txt\|scratch" "$out/dump.txt"; then
        cat "$out/dump.txt"; echo "embedded-engine: a deleted or renamed name is still in the dump"; exit 1
    fi
    echo "embedded-engine: the image checks clean with redoxfs-fsck -n -f and dumps as expected"
else
    echo "embedded-engine: $tools has no redoxfs-fsck/redoxfs-dump: image not checked by the hosted tools"
    exit 1
fi
