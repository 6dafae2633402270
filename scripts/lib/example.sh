# Starting and stopping a compiled example for the suites under scripts/:
# the one recipe they share. Source it; it defines functions only.
#
#   source scripts/lib/example.sh
#   example_build echo                     # cargo build --workspace --example echo
#   example_start echo "$scratch" VAR=1    # sets example_pid and example_addr
#   example_stop echo "$scratch"           # SIGTERM; must exit 0, no panic
#
# The caller defines `fail MESSAGE` (print and exit non-zero). Sourcing
# this sets the EXIT trap: a started example still running is killed, and
# the caller's `$scratch` directory, if set, removed. START_TIMEOUT and
# STOP_TIMEOUT (seconds) bound the waits; the example runs in the scratch
# directory given, with its stdout and stderr in files there.

START_TIMEOUT="${START_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
example_pid=
example_addr=
scratch="${scratch:-}"

# What is left when the suite ends, however it ends.
example_cleanup() {
    if [[ -n "$example_pid" ]]; then
        kill -KILL "$example_pid" 2>/dev/null || true
        wait "$example_pid" 2>/dev/null || true
    fi
    if [[ -n "$scratch" ]]; then rm -rf "$scratch"; fi
}
trap example_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The path of a compiled example.
example_binary() {
    local target_dir="${CARGO_TARGET_DIR:-}"
    if [[ -z "$target_dir" ]]; then
        target_dir="$(cargo metadata --format-version 1 --no-deps |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
    fi
    echo "$target_dir/debug/examples/$1"
}

# Builds the example with the features `cargo test --workspace` uses, so
# that after it nothing is compiled again (and the binary another script
# runs is not replaced by a build with other features).
example_build() {
    cargo build --quiet --workspace --example "$1" || fail "cargo build --example $1 failed"
}

# Whether process $1 is running: not gone, and not a zombie (which kill -0
# would count as running).
example_running() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
}

# The example's output, for a failure.
example_logs() {
    local name="$1" dir="$2"
    echo "--- $name stdout (last 20 lines):" >&2
    tail -n 20 "$dir/stdout" >&2 || true
    echo "--- $name stderr (last 60 lines):" >&2
    tail -n 60 "$dir/stderr" >&2 || true
}

# Starts example $1 in directory $2 on a port the OS picks, with the
# environment assignments that follow, and waits for the line that says
# where it listens (which must be loopback).
example_start() {
    local name="$1" dir="$2"
    shift 2
    local binary
    binary="$(example_binary "$name")"
    [[ -x "$binary" ]] || fail "$binary is missing: build it with cargo build --example $name"
    # `exec`, so that the pid is the example's own.
    (cd "$dir" && exec env ATODE_ADDR=127.0.0.1:0 "$@" "$binary" >"$dir/stdout" 2>"$dir/stderr") &
    example_pid=$!
    example_addr=
    local i status
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
        # The file may not exist yet: not a failure of the pipeline.
        example_addr="$(sed -n 's|.*atode listening on http://\([^ ]*\).*|\1|p' "$dir/stdout" 2>/dev/null | head -n 1 || true)"
        [[ -n "$example_addr" ]] && break
        if ! example_running "$example_pid"; then
            status=0
            wait "$example_pid" || status=$?
            example_pid=
            example_logs "$name" "$dir"
            fail "$name exited ($status) before it said where it listens"
        fi
        sleep 0.1
    done
    if [[ -z "$example_addr" ]]; then
        example_logs "$name" "$dir"
        fail "$name did not say where it listens within ${START_TIMEOUT}s"
    fi
    [[ "$example_addr" == 127.0.0.1:* ]] || fail "$name listens on $example_addr, not on loopback"
}

# Fails unless the example is still running and has not panicked (a panic in
# a connection task or a socket does not end the process, but its hook
# prints it).
example_alive() {
    local name="$1" dir="$2"
    if ! example_running "$example_pid"; then
        example_logs "$name" "$dir"
        fail "$name exited during the run"
    fi
    if grep -q 'panicked' "$dir/stderr"; then
        example_logs "$name" "$dir"
        fail "$name panicked during the run"
    fi
}

# A graceful stop: SIGTERM (unless the example already logged that it got
# one: a second would abandon its shutdown), then the example must exit 0
# by itself within STOP_TIMEOUT (else it is killed and this fails).
example_stop() {
    local name="$1" dir="$2" i status=
    if ! grep -q "shutdown signal received" "$dir/stdout" "$dir/stderr" 2>/dev/null; then
        kill -TERM "$example_pid"
    fi
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        if ! example_running "$example_pid"; then
            status=0
            wait "$example_pid" || status=$?
            break
        fi
        sleep 0.1
    done
    if [[ -z "$status" ]]; then
        kill -KILL "$example_pid" 2>/dev/null || true
        wait "$example_pid" 2>/dev/null || true
        example_pid=
        example_logs "$name" "$dir"
        fail "$name did not exit within ${STOP_TIMEOUT}s of SIGTERM; killed it"
    fi
    example_pid=
    if [[ "$status" != 0 ]]; then
        example_logs "$name" "$dir"
        fail "$name exited with status $status after SIGTERM"
    fi
}
