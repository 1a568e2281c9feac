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
