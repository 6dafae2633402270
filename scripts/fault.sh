#!/usr/bin/env bash
# Fault injection: starts the send_notification example on a free loopback
# port, throws bounded hostile traffic at it (fault/, the atode-fault
# binary: overlong paths, huge queries, deep JSON, truncated and garbage
# requests, resets mid-body, slow readers, traversal, bad UTF-8, broken
# HTTP/2), then checks it still serves a normal request.
#
# Prints one line:
#   fault: N requests tried, A 4xx, B connection closes, C 5xx, D crashes, H hangs
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
pid=

cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        # Graceful shutdown waits for background tasks: give it a moment.
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "fault: $*" >&2
    for log in categories.txt server.err; do
        if [[ -s "$work/$log" ]]; then
            echo "--- $log (last 40 lines)" >&2
            tail -n 40 "$work/$log" >&2
        fi
    done
    exit 1
}

if ! { cargo build --release --example send_notification && cargo build --release -p atode-fault; } >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    fail "the build failed"
fi

# The example writes log.txt in its working directory: keep it in $work.
(cd "$work" && ATODE_ADDR=127.0.0.1:0 exec "$target_dir/release/examples/send_notification") \
    >"$work/server.out" 2>"$work/server.err" &
pid=$!

addr=
for _ in $(seq 300); do
    line=$(head -n 1 "$work/server.out" 2>/dev/null || true)
    if [[ "$line" =~ ^atode\ listening\ on\ http://(127\.0\.0\.1:[0-9]+)$ ]]; then
        addr=${BASH_REMATCH[1]}
        break
    fi
    kill -0 "$pid" 2>/dev/null || fail "the server exited at start-up"
    sleep 0.1
done
[[ -n "$addr" ]] || fail "the server printed no address within 30 s"

# The generator bounds itself (90 s of attacks, 5 s per connection); the
# timeout is only a guard against a bug in it.
figures=$(timeout 150 cargo run -q --release -p atode-fault -- "$addr" 2>"$work/categories.txt") ||
    fail "the traffic generator failed"
declare -A count
for pair in $figures; do
    count[${pair%%=*}]=${pair#*=}
done

alive=true
kill -0 "$pid" 2>/dev/null || alive=false
normal=true
if $alive; then
    timeout 30 cargo run -q --release -p atode-fault -- check "$addr" 2>>"$work/categories.txt" || normal=false
fi
# A panic in a connection task does not kill the process, but it is a
# crash all the same.
panics=$(grep -c "panicked" "$work/server.err" || true)
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
