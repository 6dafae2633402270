#!/usr/bin/env bash
# Checks the OpenAPI side of the examples: for each one, starts the compiled
# example on a port the OS picks, in a scratch directory, and against it
#   1. validates its /openapi.json as OpenAPI 3.1 (openapi-spec-validator),
#   2. runs Schemathesis with every check (fixed seed, bounded examples),
#   3. renders /docs in headless Chromium: every path shown, and the page
#      asks for nothing but /docs, its assets and /openapi.json,
# then stops it with SIGTERM, which must end it with status 0.
#
#   scripts/openapi_check.sh                      # the examples listed below
#   scripts/openapi_check.sh send_notification    # just these
#   scripts/openapi_check.sh --screenshot docs/openapi-docs.png send_notification
#
# --screenshot PATH (with one example) also writes a screenshot of its /docs.
# OPENAPI_CHECK_BUILD=0 skips the `cargo build` (the binaries must exist);
# OPENAPI_CHECK_BIN_DIR runs the binaries of another directory than
# target/debug/examples (another profile, or a stand-in).
# Needs: cargo, python3 (3.11), curl; installs Debian's chromium if missing
# and a Python venv under target/ (scripts/openapi/venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# The examples checked by default: every one but ws_echo, whose one route,
# a WebSocket, is left out of its document: a document with no paths is
# something both Schemathesis ("The schema defines no API operations",
# exit 2) and the /docs check ("the document has no paths, so the page shows
# nothing to check") refuse, and there is nothing in it to fuzz or render.
EXAMPLES=(send_notification dependency_tasks graceful_shutdown tracing_compression durable_notification durable_signup openapi users_api sse_clock chat_ws upload static_site echo)

# What Schemathesis needs to know of an example to get past its door: one
# argument of `schemathesis run` per example (examples/openapi.rs takes
# the API key "secret"; with it, ignored_auth checks that a request without
# the key, or with a wrong one, is refused). A multipart form carries every
# value as text, so a number where upload's schema says string cannot be told
# from a string: negative_data_rejection would flag a form no server could
# refuse (the negative bodies are still sent, and must not get a 5xx).
# echo's POST /echo takes any bytes, none included (an empty body is bytes
# too, and the HTTP/1.1 framing tests send one), while the document, from
# its `Bytes` body, says a body is required: Schemathesis would take the
# 200 for a request without one as a schema-violating request accepted.
declare -A FUZZ_ARGS=(
    [openapi]='--header=x-api-key: secret'
    [users_api]='--header=Authorization: Bearer admin-token'
    [upload]='--exclude-checks=negative_data_rejection'
    [echo]='--exclude-checks=negative_data_rejection'
)

# Environment an example runs with, beyond ATODE_ADDR (sse_clock ticks every
# 10 ms instead of every second, so each of its streams, at most 60 ticks,
# ends well within Schemathesis's request timeout).
declare -A EXAMPLE_ENV=(
    [sse_clock]='SSE_CLOCK_TICK_MS=10'
)

# How long an example may take to print its address, and to exit on SIGTERM.
START_TIMEOUT=60
STOP_TIMEOUT=30

screenshot=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --screenshot) screenshot="$2"; shift 2 ;;
        --screenshot=*) screenshot="${1#*=}"; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        --) shift; break ;;
        -*) echo "openapi_check: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [[ $# -gt 0 ]]; then
    EXAMPLES=("$@")
fi
if [[ -n "$screenshot" && ${#EXAMPLES[@]} -ne 1 ]]; then
    echo "openapi_check: --screenshot takes exactly one example" >&2
    exit 2
fi
if [[ -n "$screenshot" && "$screenshot" != /* ]]; then
    screenshot="$root/$screenshot"
fi

fail() {
    echo "openapi_check: FAILED: $*" >&2
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

# The tools first, so that their installs are not taken for an example's.
"$root/scripts/openapi/venv.sh" >/dev/null

if [[ "${OPENAPI_CHECK_BUILD:-1}" != 0 ]]; then
    # --workspace: the same features as `cargo test --workspace`, so after it
    # this reuses its build instead of compiling again.
    echo "openapi_check: cargo build --workspace --examples"
    cargo build --quiet --workspace --examples
fi
bin_dir="${OPENAPI_CHECK_BIN_DIR:-}"
if [[ -z "$bin_dir" ]]; then
    target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
    bin_dir="$target_dir/debug/examples"
fi

show_logs() { # the example's output, for a failure
    echo "--- $1 stdout:" >&2
    tail -n 40 "$scratch/stdout" >&2 || true
    echo "--- $1 stderr:" >&2
    tail -n 80 "$scratch/stderr" >&2 || true
}

# Whether the process is running: not gone, and not a zombie (which kill -0
# would count as running).
running() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
}

step() { # NAME COMMAND... : one check of the running example
    local name="$1"
    shift
    echo "--- openapi_check: $example: $name"
    if ! "$@"; then
        show_logs "$example"
        fail "$example: $name"
    fi
}

for example in "${EXAMPLES[@]}"; do
    binary="$bin_dir/$example"
    [[ -x "$binary" ]] || fail "$binary is missing: is there an example named $example?"
    echo
    echo "=== openapi_check: $example"

    scratch="$(mktemp -d "${TMPDIR:-/tmp}/atode-openapi-$example.XXXXXX")"
    # A deadline on the shutdown drain: fuzzing asks graceful_shutdown for
    # reports of up to u64::MAX seconds, which the drain would wait out.
    example_env=()
    if [[ -n "${EXAMPLE_ENV[$example]:-}" ]]; then example_env=("${EXAMPLE_ENV[$example]}"); fi
    (cd "$scratch" && exec env ATODE_ADDR=127.0.0.1:0 ATODE_SHUTDOWN_DEADLINE=5 "${example_env[@]}" "$binary" >"$scratch/stdout" 2>"$scratch/stderr") &
    pid=$!

    # The example prints "atode listening on http://ADDR" once it listens
    # (on stdout; stderr is searched too). The files may not exist yet (the
    # example has only just started): sed then fails, which pipefail and
    # `set -e` would turn into a silent exit of this script, so its failure
    # counts as "not yet".
    addr=
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
        addr="$(sed -n 's|.*atode listening on http://\([^ ]*\).*|\1|p' "$scratch/stdout" "$scratch/stderr" 2>/dev/null | head -n 1 || true)"
        [[ -n "$addr" ]] && break
        if ! running "$pid"; then
            status=0
            wait "$pid" || status=$?
            pid=
            show_logs "$example"
            fail "$example exited ($status) before it said where it listens"
        fi
        sleep 0.1
    done
    if [[ -z "$addr" ]]; then
        show_logs "$example"
        fail "$example did not say where it listens within ${START_TIMEOUT}s"
    fi
    base="http://$addr"
    echo "openapi_check: $example listens on $base (pid $pid, in $scratch)"

    step "OpenAPI 3.1 validity" "$root/scripts/openapi/validate.sh" "$base/openapi.json"
    fuzz_args=()
    if [[ -n "${FUZZ_ARGS[$example]:-}" ]]; then fuzz_args=("${FUZZ_ARGS[$example]}"); fi
    step "Schemathesis" "$root/scripts/openapi/fuzz.sh" "$base" "${fuzz_args[@]}"
    if [[ -n "$screenshot" ]]; then
        step "Swagger UI page" "$root/scripts/openapi/docs_render.sh" --screenshot "$screenshot" "$base"
    else
        step "Swagger UI page" "$root/scripts/openapi/docs_render.sh" "$base"
    fi

    # A graceful stop: SIGTERM, then it must exit 0 by itself.
    kill -TERM "$pid"
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
        show_logs "$example"
        fail "$example did not exit within ${STOP_TIMEOUT}s of SIGTERM; killed it"
    fi
    pid=
    if [[ "$status" != 0 ]]; then
        show_logs "$example"
        fail "$example exited with status $status after SIGTERM"
    fi
    rm -rf "$scratch"
    scratch=
    echo "openapi_check: $example: OK"
done
echo
echo "openapi_check: checked ${EXAMPLES[*]}"
echo "openapi_check: ${#EXAMPLES[@]} passed, 0 failed"
