# Helpers the test and boot scripts share (sourced): output, a millisecond clock, installing
# missing Debian packages (as root, or through sudo), finding our programs, checks, and watching
# a QEMU run's serial console.

say() { printf '%s\n' "$*"; }
milliseconds() { echo $(($(date +%s%N) / 1000000)); }
# seconds MILLISECONDS: as seconds with one decimal (12.3).
seconds() { printf '%d.%01d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

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

# use_work_folder NAME: a fresh scratch folder in $work, removed at exit unless KEEP_WORK is set;
# a QEMU still running then ($qemu_pid) is stopped.
use_work_folder() {
    work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
    trap '[[ -n "${qemu_pid:-}" ]] && kill "$qemu_pid" 2>/dev/null; [[ -n "${KEEP_WORK:-}" ]] && say "work folder: $work" || rm -rf "$work"' EXIT
}

# our_tool NAME [OPTION]: prints the path of our program NAME: the first of the build folders'
# (.build/debug, other .build* debug and release folders) and PATH's whose --help mentions OPTION
# (when given), else one built here with `swift build --product NAME` (log in $work). Needs `root`
# (the repository) and `work`; fails, printing nothing, when there is none.
our_tool() {
    local name="$1" option="${2:-}" candidate
    for candidate in "$root"/.build/debug/"$name" "$root"/.build*/debug/"$name" "$root"/.build*/release/"$name" \
        "$(command -v "$name" 2>/dev/null)"; do
        [[ -n "$candidate" && -x "$candidate" ]] || continue
        [[ -z "$option" ]] || "$candidate" --help 2>&1 | grep -q -- "$option" || continue
        printf '%s\n' "$candidate"
        return 0
    done
    say "building $name" >&2
    (cd "$root" && swift build --product "$name" >"$work/$name-build.log" 2>&1) ||
        { cat "$work/$name-build.log" >&2; return 1; }
    printf '%s\n' "$root/.build/debug/$name"
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

# ---------------------------------------------------------------------------------------------
# A QEMU run's serial console

# clean_log [FILE]: the serial log FILE (default: $log) as text lines: terminal escape sequences
# dropped, CR LF and lone CR turned into line ends.
clean_log() { sed -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\r$//' -e 's/\r/\n/g' "${1:-$log}" 2>/dev/null; }

# watch_qemu STOP [POLL]: waits for the QEMU started in the background as $qemu_pid, its serial
# console going to $log. Every 0.1 s it sets `now` (milliseconds) and `text` (the cleaned log),
# runs the command POLL when given, and stops QEMU shortly after a line of the text matches the
# basic regular expression STOP. Then sets `exit_status` (QEMU's, or timeout's) and clears qemu_pid.
watch_qemu() {
    local stop="$1" poll="${2:-}"
    while kill -0 "$qemu_pid" 2>/dev/null; do
        sleep 0.1
        now=$(milliseconds)
        text="$(clean_log)"
        [[ -n "$poll" ]] && "$poll"
        if grep -q -- "$stop" <<<"$text"; then
            sleep 0.3
            kill "$qemu_pid" 2>/dev/null
        fi
    done
    wait "$qemu_pid"
    exit_status=$?
    qemu_pid=""
}
