#!/usr/bin/env bash
# Cached-cook benchmark: a clean clone of the committed tree cooks the given recipes twice and the
# script prints both times and their ratio (the second run must report every recipe cached).
#
#   scripts/bench-cook.sh                                   recipes under recipes/core
#   scripts/bench-cook.sh --filesystem=installer/config/minimal.toml
#   scripts/bench-cook.sh base-files bootloader
#
# Arguments are passed to `repo cook` inside the clone (relative paths are the clone's).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -gt 0 ] || set -- --category core

echo "== release build of repo"
swift build -c release --product repo --scratch-path "$root/.build-release" 2>&1 | grep -E "error|warning: " || true
repo="$root/.build-release/release/repo"

work="$(mktemp -d /tmp/bench-cook.XXXXXX)"
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/clone"
cd "$work/clone"

# Prints the cook's output, then its wall time in milliseconds on the last line.
run() {
    local start end
    start=$(date +%s%N)
    "$repo" cook --offline "$@" | tee "$work/run.log" >&2
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
}

echo "== first cook (clean clone, empty cache)"
first=$(run "$@" | tail -n 1)
echo "== second cook (nothing changed)"
second=$(run "$@" | tail -n 1)
if grep -E "^cook .* - (successful|failed)$" "$work/run.log"; then
    echo "the second cook rebuilt something"; exit 1
fi
recipes=$(grep -c "^cook .* - cached$" "$work/run.log" || true)
echo "recipes: $recipes"
echo "first cook: $first ms"
echo "second cook: $second ms (all cached)"
basis=$(( 10000 * second / first ))
printf 'ratio: %d.%02d%% of the first cook\n' $(( basis / 100 )) $(( basis % 100 ))
