#!/usr/bin/env bash
# Memory under a sustained flood: starts the graceful_shutdown example
# (each job's task takes 150 ms), floods `POST /jobs/<id>` with wrk for a
# short and a long run, each against a fresh server, and prints the server's
# peak RSS (VmHWM) after each. Past the cap on pending background work the
# server answers 503, so the peak should not grow with the flood's length.
# Loopback only; each run stops by itself.
#
#     bash scripts/flood_rss.sh            # floods of 5 s and 20 s
#     bash scripts/flood_rss.sh 3 12       # other lengths, in seconds
set -euo pipefail
cd "$(dirname "$0")/.."

short=${1:-5}
long=${2:-20}
if ! command -v wrk >/dev/null; then
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
cargo build --release --quiet --example graceful_shutdown
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
work=$(mktemp -d)
pid=
cleanup() {
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
local n = 0
request = function()
    n = n + 1
    return wrk.format(nil, "/jobs/" .. (n % 100000))
end
LUA

flood() {
    local seconds=$1
    # `exec`, so that $! is the server itself, whose memory is measured.
    (cd "$work" && exec env ATODE_ADDR=127.0.0.1:0 ATODE_SHUTDOWN_DEADLINE=1 \
        "$target_dir/release/examples/graceful_shutdown" > server.out 2> server.err) &
    pid=$!
    for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.05; done
    local addr
    addr=$(sed -n 's/^atode listening on //p' "$work/server.out")
    local report
    report=$(wrk -t1 -c64 -d"${seconds}s" -s "$work/post.lua" "$addr" 2>&1)
    local rss
    rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")
    local requests non2xx
    requests=$(echo "$report" | awk '/requests in/ {print $1}')
    non2xx=$(echo "$report" | awk '/Non-2xx/ {print $NF}')
    echo "flood of ${seconds}s: ${requests} requests, ${non2xx:-0} answered 503, peak RSS ${rss}"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    pid=
    find "$work" -name 'done-*' -delete
    rm -f "$work/server.out"
}

flood "$short"
flood "$long"
