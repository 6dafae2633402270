#!/usr/bin/env bash
# Checks the metrics page against Prometheus' own parser: starts the
# compiled ops_service example (durable queue on SQLite, /metrics behind
# an operator's token) on a port the OS picks, in a scratch directory,
# sends it sign-ups and requests it refuses, reads /metrics with
# prometheus_client's OpenMetrics parser (scripts/metrics/check.py), then
# stops it with SIGTERM, which must end it with status 0.
#
#   scripts/metrics_check.sh
#
# METRICS_CHECK_BUILD=0 skips the `cargo build`.
# Needs: cargo, python3; makes a venv under target/ (scripts/metrics/venv.sh).
# Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "metrics check: $*" >&2
    exit 1
}
source scripts/lib/example.sh

venv="$(scripts/metrics/venv.sh)"
if [[ "${METRICS_CHECK_BUILD:-1}" != 0 ]]; then
    example_build ops_service
fi
scratch="$(mktemp -d)"
token="ops-$RANDOM$RANDOM"
example_start ops_service "$scratch" "OPS_TOKEN=$token" ATODE_DATABASE_URL=
status=0
"$venv/bin/python" scripts/metrics/check.py "http://$example_addr" "$token" || status=$?
if [[ "$status" != 0 ]]; then
    example_logs ops_service "$scratch"
    exit "$status"
fi
example_alive ops_service "$scratch"
example_stop ops_service "$scratch"
