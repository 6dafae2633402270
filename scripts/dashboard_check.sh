#!/usr/bin/env bash
# Drives the task dashboard in headless Chromium (scripts/dashboard/check.py
# says what is checked): starts the compiled ops_service example (durable
# queue on SQLite, the dashboard behind an operator's token) in a scratch
# directory whose `outbox.txt` is a directory, so that each welcome mail's
# attempt fails and waits for a retry; signs up two users; loads the
# overview, sees its live count move when a request queues a call, filters
# the calls, opens one, presses Retry and Cancel; then stops the example
# with SIGTERM, which must end it with status 0.
#
#   scripts/dashboard_check.sh
#   scripts/dashboard_check.sh --screenshot docs   # writes docs/dashboard-{overview,call}.png
#
# DASHBOARD_CHECK_BUILD=0 skips the `cargo build`.
# Needs: cargo, python3, curl; installs Debian's chromium package when there
# is no chromium. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

shots=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --screenshot) shots="$2"; shift 2 ;;
        --screenshot=*) shots="${1#*=}"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "dashboard_check.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

fail() {
    echo "dashboard check: $*" >&2
    exit 1
}
source scripts/lib/example.sh

source scripts/lib/chromium.sh

chromium_installed "dashboard check"
if [[ "${DASHBOARD_CHECK_BUILD:-1}" != 0 ]]; then
    example_build ops_service
fi
scratch="$(mktemp -d)"
# Each mail's attempt fails ("Is a directory") and is retried later.
mkdir "$scratch/outbox.txt"
token="ops-$RANDOM$RANDOM"
example_start ops_service "$scratch" "OPS_TOKEN=$token" ATODE_DATABASE_URL=
for email in ada@example.com alan@example.com; do
    curl --silent --show-error --fail --max-time 10 --noproxy '*' -o /dev/null \
        -X POST "http://$example_addr/signup/$email" || fail "POST /signup/$email"
done
status=0
if [[ -n "$shots" ]]; then
    mkdir -p "$shots"
    python3 scripts/dashboard/check.py --base "http://$example_addr" --token "$token" --screenshots "$shots" || status=$?
else
    python3 scripts/dashboard/check.py --base "http://$example_addr" --token "$token" || status=$?
fi
if [[ "$status" != 0 ]]; then
    example_logs ops_service "$scratch"
    exit "$status"
fi
example_alive ops_service "$scratch"
example_stop ops_service "$scratch"
