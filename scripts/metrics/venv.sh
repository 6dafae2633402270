#!/usr/bin/env bash
# Makes (once) the Python virtual environment scripts/metrics/check.py runs
# in: the Prometheus project's Python client, pinned, for its OpenMetrics
# parser. Prints the venv's path.
#
#   scripts/metrics/venv.sh            # -> /abs/path/to/target/metrics-venv
#   METRICS_VENV=/some/dir scripts/metrics/venv.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

PROMETHEUS_CLIENT_VERSION=0.26.0

venv="$(VENV_DIR="${METRICS_VENV:-}" scripts/lib/venv.sh metrics "prometheus_client==$PROMETHEUS_CLIENT_VERSION")"
"$venv/bin/python" -c 'import prometheus_client.openmetrics.parser'
echo "$venv"
