#!/usr/bin/env bash
# Fault injection: starts the send_notification example on a free loopback
# port, throws bounded hostile traffic at it (fault/, the atode-fault
# binary: overlong paths, huge queries, deep JSON, truncated and garbage
# requests, resets mid-body, slow readers, traversal, bad UTF-8, broken
# HTTP/2), then checks it still serves a normal request; then the same for
# the upload example with hostile multipart bodies (no boundary, a wrong
# one, unterminated parts, huge part headers, fields past the limit,
# thousands of tiny fields), and for the chat_ws example with hostile
# WebSocket traffic (broken handshakes; oversized, unmasked, invalid-UTF-8
# and garbage frames after a good one), whose sockets must be closed, never
# answered with a 5xx, and with a query of 6,000 distinct keys (47 KB) to
# its `Query<T>` route, which must be answered (a 4xx, or the route's
# success) within 3 s: work per key that is not linear shows here. (No
# example here takes a `Form<T>`: the form of 230,000 keys in
# fault/src/urlencoded.rs waits for one.)
#
# Prints one line:
#   fault: N requests tried, A 4xx, B connection closes, C 5xx, D crashes, H hangs, U unanswered
# (all servers together)
# and exits non-zero if the server died or panicked, answered a 5xx (every
# request sent is a client mistake), left a connection hanging, left a
# request that is owed an answer within its bound without one, or failed
# the final normal request. `-v` also prints each category's outcomes.
# Traffic goes to 127.0.0.1 only, and the run stops by itself (~2 minutes
# once built).
set -euo pipefail

verbose=false
[[ "${1:-}" == "-v" ]] && verbose=true

cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
work=$(mktemp -d)

# Stops the example under attack, if one is running.
stop_server() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        # Graceful shutdown waits for background tasks: give it a moment.
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    pid=
}

cleanup() {
    stop_server
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

if ! { cargo build --release --workspace --example send_notification --example upload --example chat_ws && cargo build --release -p atode-fault; } >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    fail "the build failed"
fi

declare -A count=([tried]=0 [2xx]=0 [4xx]=0 [closes]=0 [5xx]=0 [hangs]=0 [refused]=0 [unanswered]=0)
crashes=0
normal=true

# attack EXAMPLE [TARGET]: starts the example, runs the generator against it
# (atode-fault TARGET ADDR), adds up its figures, then stops it.
attack() {
    local example=$1 target=${2:-}
    # The examples write files (log.txt, uploads/) in their working
    # directory, and spool uploads to $TMPDIR: keep both in $work.
    mkdir -p "$work/$example/tmp"
    : >"$work/server.out"
    (cd "$work/$example" && TMPDIR="$work/$example/tmp" ATODE_ADDR=127.0.0.1:0 exec "$target_dir/release/examples/$example") \
        >"$work/server.out" 2>"$work/server.err" &
    pid=$!

    local addr=
    for _ in $(seq 300); do
        line=$(head -n 1 "$work/server.out" 2>/dev/null || true)
        if [[ "$line" =~ ^atode\ listening\ on\ http://(127\.0\.0\.1:[0-9]+)$ ]]; then
            addr=${BASH_REMATCH[1]}
            break
        fi
        kill -0 "$pid" 2>/dev/null || fail "$example exited at start-up"
        sleep 0.1
    done
    [[ -n "$addr" ]] || fail "$example printed no address within 30 s"

    # The generator bounds itself (90 s of attacks, 5 s per connection); the
    # timeout is only a guard against a bug in it.
    local figures
    figures=$(timeout 150 cargo run -q --release -p atode-fault -- $target "$addr" 2>>"$work/categories.txt") ||
        fail "the traffic generator failed against $example"
    for pair in $figures; do
        count[${pair%%=*}]=$((count[${pair%%=*}] + ${pair#*=}))
    done

    if kill -0 "$pid" 2>/dev/null; then
        timeout 30 cargo run -q --release -p atode-fault -- check $target "$addr" 2>>"$work/categories.txt" || normal=false
    else
        died+=("$example")
        crashes=$((crashes + 1))
    fi
    # A panic in a connection task does not kill the process, but it is a
    # crash all the same.
    local panics
    panics=$(grep -c "panicked" "$work/server.err" || true)
    crashes=$((crashes + panics))
    ((panics == 0)) || panicked+=("$example: $panics")
    stop_server
}

died=()
panicked=()
attack send_notification
attack upload upload
attack chat_ws ws

$verbose && cat "$work/categories.txt"
echo "fault: ${count[tried]} requests tried, ${count[4xx]} 4xx, ${count[closes]} connection closes, ${count[5xx]} 5xx, $crashes crashes, ${count[hangs]} hangs, ${count[unanswered]} unanswered"

((${#died[@]} == 0)) || fail "the server died: ${died[*]}"
((${#panicked[@]} == 0)) || fail "the server logged panics: ${panicked[*]}"
((count[5xx] == 0)) || fail "the server answered ${count[5xx]} client mistake(s) with a 5xx"
((count[hangs] == 0)) || fail "${count[hangs]} connection(s) got neither an answer nor a close"
((count[refused] == 0)) || fail "${count[refused]} connection(s) were refused"
((count[unanswered] == 0)) || fail "${count[unanswered]} request(s) owed an answer within their bound got none"
$normal || fail "a final normal request did not get its success status"
