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

source "$root/scripts/lib/example.sh"
[[ "${HTTP1_FRAMING_BUILD:-1}" == 0 ]] || example_build echo

scratch="$(mktemp -d "${TMPDIR:-/tmp}/atode-http1.XXXXXX")"
example_start echo "$scratch"
status=0
"$venv/bin/python" "$root/scripts/http1/framing.py" "$example_addr" "$@" || status=$?
# Nothing panicked on the way (a panic in a connection task does not end
# the process), and the example stops cleanly.
example_alive echo "$scratch"
example_stop echo "$scratch"
exit "$status"
