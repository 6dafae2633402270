#!/usr/bin/env bash
# HTTP/1.1 framing: request-smuggling vectors (Content-Length with
# Transfer-Encoding, obfuscated Transfer-Encoding, bad and duplicate
# Content-Length, bare LF, obs-fold, bad chunk sizes and trailers, odd
# request lines, bad header fields, Host, bodies no handler reads) written
# over raw sockets to examples/echo.rs, each followed by a pipelined
# innocent request, and read against h11, the reference parser
# (scripts/http1/framing.py says how a vector is judged).
#
#   scripts/http1_framing.sh                  # all the vectors
#   scripts/http1_framing.sh -v               # with each vector's bytes
#   scripts/http1_framing.sh --only cl-te     # just these
#   scripts/http1_framing.sh --strict         # known findings count as failures
#
# Prints a table (vector, h11's reading, atode's answer, closed?, verdict)
# and "http1_framing: N passed, N failed"; exits non-zero on a failure, or
# if the example panicked or did not exit cleanly on SIGTERM. Builds the
# example (debug, as `cargo test --workspace` does, so after it nothing is
# compiled), makes (once) a Python venv with h11 under target/, and sends
# traffic to 127.0.0.1 only; about 10 s once built.
# HTTP1_VENV puts the venv elsewhere; HTTP1_FRAMING_BUILD=0 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

H11_VERSION=0.16.0

fail() {
    echo "http1_framing: FAILED: $*" >&2
    exit 1
}

# The venv: made once, rebuilt when the pin changes.
venv="$(VENV_DIR="${HTTP1_VENV:-}" "$root/scripts/lib/venv.sh" http1 "h11==$H11_VERSION")"
"$venv/bin/python" -c 'import h11' || fail "h11 does not import in $venv"

# --workspace: the features `cargo test --workspace` builds the examples
# with, so after it this compiles nothing.
if [[ "${HTTP1_FRAMING_BUILD:-1}" != 0 ]]; then
    cargo build --quiet --workspace --example echo || fail "the build failed"
fi
binary="${CARGO_TARGET_DIR:-$root/target}/debug/examples/echo"
[[ -x "$binary" ]] || fail "$binary is missing"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/atode-http1.XXXXXX")"
pid=
cleanup() {
    if [[ -n "$pid" ]]; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Whether the process is running: not gone, and not a zombie (which kill -0
# would count as running).
running() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
}

show_logs() {
    echo "--- echo stderr (last 40 lines):" >&2
    tail -n 40 "$scratch/stderr" >&2 || true
}

(cd "$scratch" && ATODE_ADDR=127.0.0.1:0 exec "$binary" >"$scratch/stdout" 2>"$scratch/stderr") &
pid=$!
addr=
for _ in $(seq 300); do
    addr="$(sed -n 's|^atode listening on http://\(127\.0\.0\.1:[0-9]*\)$|\1|p' "$scratch/stdout" | head -n 1)"
    [[ -n "$addr" ]] && break
    running "$pid" || { show_logs; fail "the example exited at start-up"; }
    sleep 0.1
done
[[ -n "$addr" ]] || { show_logs; fail "the example printed no address within 30 s"; }

status=0
"$venv/bin/python" "$root/scripts/http1/framing.py" "$addr" "$@" || status=$?

# A graceful stop: SIGTERM, then it must exit 0 by itself, without a panic
# on the way (a panic in a connection task does not end the process).
kill -TERM "$pid"
exit_status=
for _ in $(seq 300); do
    if ! running "$pid"; then
        exit_status=0
        wait "$pid" || exit_status=$?
        pid=
        break
    fi
    sleep 0.1
done
[[ -n "$exit_status" ]] || { show_logs; fail "the example did not exit within 30 s of SIGTERM"; }
[[ "$exit_status" == 0 ]] || { show_logs; fail "the example exited with status $exit_status"; }
if grep -q "panicked" "$scratch/stderr"; then
    show_logs
    fail "the example panicked"
fi
exit "$status"
