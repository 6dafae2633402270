#!/usr/bin/env bash
# Runs Schemathesis (in the venv of scripts/openapi/venv.sh) against a running
# server on a loopback address, with every check, a fixed seed and a bounded
# number of examples and wall time. Exits non-zero on any failure.
#
#   scripts/openapi/fuzz.sh http://127.0.0.1:PORT [SCHEMATHESIS_ARG...]
#
# Extra arguments go to `schemathesis run` as they are, e.g. credentials:
# --header='x-api-key: secret' (then ignored_auth also checks that a request
# without them, or with wrong ones, is refused).
# The schema is the server's own /openapi.json; requests go to the same
# origin only. Knobs (environment): OPENAPI_FUZZ_SEED (default 1),
# OPENAPI_FUZZ_MAX_EXAMPLES (50 per operation), OPENAPI_FUZZ_TIMEOUT (300 s
# for the whole run, after which it is stopped and counts as a failure).
# The full output is printed on failure; on success, its summary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [[ $# -lt 1 ]]; then
    echo "usage: fuzz.sh http://127.0.0.1:PORT [SCHEMATHESIS_ARG...]" >&2
    exit 2
fi
base="${1%/}"
shift
if ! [[ "$base" =~ ^http://(127\.[0-9]+\.[0-9]+\.[0-9]+|\[::1\]):[0-9]+$ ]]; then
    echo "fuzz: $base is not http://<loopback IP>:PORT; Schemathesis is only run against this machine" >&2
    exit 2
fi
seed="${OPENAPI_FUZZ_SEED:-1}"
max_examples="${OPENAPI_FUZZ_MAX_EXAMPLES:-50}"
wall="${OPENAPI_FUZZ_TIMEOUT:-300}"
venv="$("$here/venv.sh")"

# Schemathesis writes .hypothesis/ and .schemathesis/ where it runs.
work="$(mktemp -d "${TMPDIR:-/tmp}/atode-openapi-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

args=(
    run "$base/openapi.json"
    --url "$base"
    --checks all
    --seed "$seed"
    --max-examples "$max_examples"
    --workers 1
    --generation-database none
    --request-timeout 10
    --no-color
    "$@"
)
echo "fuzz: schemathesis ${args[*]}"
status=0
(
    cd "$work"
    # No proxy: every request goes straight to the loopback server.
    exec env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u all_proxy \
        NO_PROXY='*' no_proxy='*' COLUMNS=100 \
        timeout --kill-after=10 "$wall" "$venv/bin/schemathesis" "${args[@]}"
) >"$work/output.txt" 2>&1 || status=$?

if [[ $status -ne 0 ]]; then
    cat "$work/output.txt"
    if [[ $status -eq 124 || $status -eq 137 ]]; then
        echo "fuzz: FAILED: schemathesis did not finish within ${wall}s" >&2
    else
        echo "fuzz: FAILED: schemathesis exited $status (seed $seed)" >&2
    fi
    exit 1
fi
# The summary: from the SUMMARY rule to the end.
sed -n '/= SUMMARY =/,$p' "$work/output.txt"
