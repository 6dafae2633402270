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
# body. HTTP2_CHECK_BUILD=0 skips the `cargo build`; HTTP2_BIN_DIR runs the
# binary of another directory than target/debug/examples.
# Needs: cargo, python3 (3.11); makes a venv under target/ (scripts/http2/venv.sh).
# Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

example="${HTTP2_EXAMPLE:-send_notification}"
path="${HTTP2_PATH:-/openapi.json}"
START_TIMEOUT=60
STOP_TIMEOUT=20

case "${1:-}" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac

fail() {
    echo "http2_conformance: FAILED: $*" >&2
    exit 1
}

scratch=
pid=
cleanup() {
    if [[ -n "$pid" ]]; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    if [[ -n "$scratch" ]]; then rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

venv="$("$root/scripts/http2/venv.sh")"
cases=("$venv/bin/python" "$root/scripts/http2/cases.py")

if [[ "${1:-}" == --list ]]; then
    "${cases[@]}" --addr 127.0.0.1:0 --pid 0 --list
    exit 0
fi

started=$SECONDS
if [[ "${HTTP2_CHECK_BUILD:-1}" != 0 ]]; then
    # --workspace: the features of `cargo test --workspace`, so that after it
    # nothing is compiled again (and the binary another script runs is not
    # replaced by a build with other features).
    echo "http2_conformance: cargo build --workspace --example $example"
    cargo build --quiet --workspace --example "$example"
fi
bin_dir="${HTTP2_BIN_DIR:-}"
if [[ -z "$bin_dir" ]]; then
    target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
    bin_dir="$target_dir/debug/examples"
fi
binary="$bin_dir/$example"
[[ -x "$binary" ]] || fail "$binary is missing: is there an example named $example?"

show_logs() {
    echo "--- $example stdout:" >&2
    tail -n 20 "$scratch/stdout" >&2 || true
    echo "--- $example stderr:" >&2
    tail -n 40 "$scratch/stderr" >&2 || true
}

# Whether the process is running: not gone, and not a zombie.
running() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
}

scratch="$(mktemp -d "${TMPDIR:-/tmp}/atode-http2-$example.XXXXXX")"
# `exec`, so that $! is the server itself, whose memory is sampled and which
# the shutdown case signals. The deadline bounds a shutdown that would hang.
(cd "$scratch" && exec env ATODE_ADDR=127.0.0.1:0 ATODE_SHUTDOWN_DEADLINE=10 "$binary" >"$scratch/stdout" 2>"$scratch/stderr") &
pid=$!

addr=
for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    # (The files may not exist yet: the example has only just started.)
    addr="$(sed -n 's|.*atode listening on http://\([^ ]*\).*|\1|p' "$scratch/stdout" "$scratch/stderr" 2>/dev/null | head -n 1 || true)"
    [[ -n "$addr" ]] && break
    if ! running "$pid"; then
        status=0
        wait "$pid" || status=$?
        pid=
        show_logs
        fail "$example exited ($status) before it said where it listens"
    fi
    sleep 0.1
done
[[ -n "$addr" ]] || { show_logs; fail "$example did not say where it listens within ${START_TIMEOUT}s"; }
echo "http2_conformance: $example listens on $addr (pid $pid)"

cases_status=0
"${cases[@]}" --addr "$addr" --pid "$pid" --path "$path" "$@" || cases_status=$?

# The shutdown case has sent SIGTERM already; otherwise it is sent now.
if running "$pid" && ! grep -q "shutdown signal received" "$scratch/stdout" "$scratch/stderr"; then
    kill -TERM "$pid"
fi
status=
for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    if ! running "$pid"; then
        status=0
        wait "$pid" || status=$?
        break
    fi
    sleep 0.1
done
if [[ -z "$status" ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    show_logs
    fail "$example did not exit within ${STOP_TIMEOUT}s of SIGTERM; killed it"
fi
pid=
if [[ "$status" != 0 ]]; then
    show_logs
    fail "$example exited with status $status after SIGTERM"
fi
echo "http2_conformance: $example exited 0 after SIGTERM; $((SECONDS - started))s in all"
if [[ "$cases_status" != 0 ]]; then
    show_logs
    fail "see the table above"
fi
