#!/usr/bin/env bash
# Fault injection: starts the send_notification example on a free loopback
# port, throws bounded hostile traffic at it (fault/, the atode-fault
# binary: overlong paths, huge queries, deep JSON, truncated and garbage
# requests, resets mid-body, slow readers, traversal, bad UTF-8, broken
# HTTP/2), then checks it still serves a normal request. Then the same
# with hostile WebSocket traffic against the chat_ws example (broken
# handshakes; oversized, unmasked, invalid-UTF-8 and garbage frames after
# a good one), whose sockets must be closed, never answered with a 5xx.
#
# Prints one line:
#   fault: N requests tried, A 4xx, B connection closes, C 5xx, D crashes, H hangs
# (both servers together)
# and exits non-zero if the server died or panicked, answered a 5xx (every
# request sent is a client mistake), left a connection hanging, or failed
# the final normal request. `-v` also prints each category's outcomes.
# Traffic goes to 127.0.0.1 only, and the run stops by itself (~1 minute
# once built).
set -euo pipefail

verbose=false
[[ "${1:-}" == "-v" ]] && verbose=true

cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
work=$(mktemp -d)
# Every server started, for the cleanup.
pids=()

stop() {
    local pid=$1
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        # Graceful shutdown waits for background tasks: give it a moment.
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
}

cleanup() {
    for started in "${pids[@]}"; do
        stop "$started"
    done
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "fault: $*" >&2
    for log in categories.txt server.err ws-server.err; do
        if [[ -s "$work/$log" ]]; then
            echo "--- $log (last 40 lines)" >&2
            tail -n 40 "$work/$log" >&2
        fi
    done
    exit 1
}

if ! { cargo build --release --example send_notification --example chat_ws && cargo build --release -p atode-fault; } >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    fail "the build failed"
fi

# Starts example $1, its output in $work/$2.out and .err; sets $started_pid
# and $started_addr. Examples write files (log.txt) in their working
# directory: keep them in $work.
start() {
    (cd "$work" && ATODE_ADDR=127.0.0.1:0 exec "$target_dir/release/examples/$1") \
        >"$work/$2.out" 2>"$work/$2.err" &
    started_pid=$!
    pids+=("$started_pid")
    started_addr=
    for _ in $(seq 300); do
        line=$(head -n 1 "$work/$2.out" 2>/dev/null || true)
        if [[ "$line" =~ ^atode\ listening\ on\ http://(127\.0\.0\.1:[0-9]+)$ ]]; then
            started_addr=${BASH_REMATCH[1]}
            return
        fi
        kill -0 "$started_pid" 2>/dev/null || fail "$1 exited at start-up"
        sleep 0.1
    done
    fail "$1 printed no address within 30 s"
}

start send_notification server
pid=$started_pid addr=$started_addr
start chat_ws ws-server
ws_pid=$started_pid ws_addr=$started_addr

# The generator bounds itself (90 s of attacks, 5 s per connection); the
# timeout is only a guard against a bug in it.
figures=$(timeout 150 cargo run -q --release -p atode-fault -- "$addr" 2>"$work/categories.txt") ||
    fail "the traffic generator failed"
ws_figures=$(timeout 150 cargo run -q --release -p atode-fault -- ws "$ws_addr" 2>>"$work/categories.txt") ||
    fail "the WebSocket traffic generator failed"
declare -A count
for pair in $figures $ws_figures; do
    count[${pair%%=*}]=$(( ${count[${pair%%=*}]:-0} + ${pair#*=} ))
done

alive=true
kill -0 "$pid" 2>/dev/null || alive=false
kill -0 "$ws_pid" 2>/dev/null || alive=false
normal=true
if $alive; then
    timeout 30 cargo run -q --release -p atode-fault -- check "$addr" 2>>"$work/categories.txt" || normal=false
    timeout 30 cargo run -q --release -p atode-fault -- check ws "$ws_addr" 2>>"$work/categories.txt" || normal=false
fi
# A panic in a connection task does not kill the process, but it is a
# crash all the same.
panics=$(cat "$work/server.err" "$work/ws-server.err" | grep -c "panicked" || true)
died=0
$alive || died=1
crashes=$((panics + died))

$verbose && cat "$work/categories.txt"
echo "fault: ${count[tried]} requests tried, ${count[4xx]} 4xx, ${count[closes]} connection closes, ${count[5xx]} 5xx, $crashes crashes, ${count[hangs]} hangs"

$alive || fail "the server died"
((panics == 0)) || fail "the server logged $panics panic(s)"
((count[5xx] == 0)) || fail "the server answered ${count[5xx]} client mistake(s) with a 5xx"
((count[hangs] == 0)) || fail "${count[hangs]} connection(s) got neither an answer nor a close"
((count[refused] == 0)) || fail "${count[refused]} connection(s) were refused"
$normal || fail "the final normal request did not get a 200"
