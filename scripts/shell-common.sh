# Helpers the test and boot scripts share (sourced): output, a millisecond clock, and installing
# missing Debian packages (as root, or through sudo).

say() { printf '%s\n' "$*"; }
milliseconds() { echo $(($(date +%s%N) / 1000000)); }

# ensure_packages PACKAGE...: installs those of the packages dpkg does not know yet.
ensure_packages() {
    local missing=() package
    for package in "$@"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
    ((${#missing[@]} == 0)) && return 0
    say "installing ${missing[*]}"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# use_work_folder NAME: a fresh scratch folder in $work, removed at exit unless KEEP_WORK is set.
use_work_folder() {
    work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
    trap '[[ -n "${KEEP_WORK:-}" ]] && say "work folder: $work" || rm -rf "$work"' EXIT
}

# check NAME COMMAND...: runs COMMAND, counts and prints PASS or FAIL for NAME.
passed=0 failed=0
check() {
    local name="$1"; shift
    if "$@"; then passed=$((passed + 1)); say "PASS $name"; else failed=$((failed + 1)); say "FAIL $name"; fi
}

# fail_step STEP LOG: a step the checks need failed: its log's tail, the count, exit 1.
fail_step() { say "$1 failed:"; tail -n 40 "$2" | sed 's/^/    | /'; say "$passed passed, $((failed + 1)) failed"; exit 1; }

# Checks on a boot's console log, the file named by $console (grep reads a file: no pipe cut
# short). has PATTERN: an extended regular expression matches a line; lacks PATTERN: none does;
# before A B: the first line matching A comes before the last line matching B.
has() { grep -qE -- "$1" "$console"; }
lacks() { ! grep -qE -- "$1" "$console"; }
before() {
    local a b
    a=$(grep -nE -- "$1" "$console" | head -n1 | cut -d: -f1)
    b=$(grep -nE -- "$2" "$console" | tail -n1 | cut -d: -f1)
    [[ -n "$a" && -n "$b" && "$a" -lt "$b" ]]
}
