#!/usr/bin/env bash
# HTTP/2 conformance and abuse cases, h2spec-style, against a real server:
# builds an example, starts it on a port the OS picks (in a scratch
# directory), runs scripts/http2/cases.py against it over cleartext HTTP/2
# with prior knowledge (h2c) on raw sockets, and checks that the server then
# exits 0 (the last case stops it with SIGTERM mid-stream).
#
#   scripts/http2_conformance.sh                        # every case
#   scripts/http2_conformance.sh rapid-reset hpack-bomb # just these
#   scripts/http2_conformance.sh --list                 # the cases
#   scripts/http2_conformance.sh --memory-bound-mib 16  # other arguments go to cases.py
#
# The cases: SETTINGS (ACK; INITIAL_WINDOW_SIZE > 2^31-1; on a stream; bad
# length), flow-control windows (overflow, zero increment), the stream limit,
# floods (rapid reset CVE-2023-44487, server-made resets CVE-2025-8671,
# CONTINUATION, HPACK bomb, PING) with the server's RSS sampled before and
# after, and GOAWAY on graceful shutdown. It prints a table (case, expected,
# got, verdict: PASS, SAFE for a recorded deviation from h2spec that is still
# safe, or FAIL) and exits 1 on any FAIL.
#
# HTTP2_EXAMPLE (default send_notification) names the example served;
# HTTP2_PATH (default /openapi.json) a GET route of it answering 200 with a
# body. HTTP2_CHECK_BUILD=0 skips the `cargo build`.
# Needs: cargo, python3 (3.11); makes a venv under target/ (scripts/http2/venv.sh).
# Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

example="${HTTP2_EXAMPLE:-send_notification}"
path="${HTTP2_PATH:-/openapi.json}"
STOP_TIMEOUT=20

case "${1:-}" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac

fail() {
    echo "http2_conformance: FAILED: $*" >&2
    exit 1
}

source "$root/scripts/lib/example.sh"
venv="$("$root/scripts/http2/venv.sh")"
cases=("$venv/bin/python" "$root/scripts/http2/cases.py")

if [[ "${1:-}" == --list ]]; then
    "${cases[@]}" --addr 127.0.0.1:0 --pid 0 --list
    exit 0
fi

started=$SECONDS
if [[ "${HTTP2_CHECK_BUILD:-1}" != 0 ]]; then
    echo "http2_conformance: cargo build --workspace --example $example"
    example_build "$example"
fi
scratch="$(mktemp -d "${TMPDIR:-/tmp}/atode-http2-$example.XXXXXX")"
# The pid is the server itself, whose memory is sampled and which the
# shutdown case signals. The deadline bounds a shutdown that would hang.
example_start "$example" "$scratch" ATODE_SHUTDOWN_DEADLINE=10
echo "http2_conformance: $example listens on $example_addr (pid $example_pid)"

cases_status=0
"${cases[@]}" --addr "$example_addr" --pid "$example_pid" --path "$path" "$@" || cases_status=$?

# The shutdown case has sent SIGTERM already (example_stop sees it in the log).
example_stop "$example" "$scratch"
echo "http2_conformance: $example exited 0 after SIGTERM; $((SECONDS - started))s in all"
if [[ "$cases_status" != 0 ]]; then
    example_logs "$example" "$scratch"
    fail "see the table above"
fi
