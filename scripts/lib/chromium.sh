# Debian's chromium, installed when missing: for the scripts that drive a
# headless browser. Source it; it defines one function.
#
#   source scripts/lib/chromium.sh
#   chromium_installed "docs"    # the prefix of its one log line

chromium_installed() {
    command -v chromium >/dev/null 2>&1 && return 0
    echo "$1: installing Debian's chromium package" >&2
    local sudo=
    if [[ "$(id -u)" != 0 ]]; then sudo=sudo; fi
    if ! $sudo apt-get install -y -qq chromium >/dev/null; then
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq chromium >/dev/null
    fi
}
