#!/usr/bin/env bash
# What each server spends besides time: per request under load, CPU time and
# context switches (from /proc, so they do not depend on how fast the
# machine happens to be that minute) and the peak thread count; and memory:
# bytes per idle keep-alive connection and peak RSS.
#
#     bash bench/resources.sh
#
# Knobs (environment): SECONDS_PER_RUN (5), IDLE (3000 idle connections),
# BENCH_WORKERS (1 tokio worker per server, as bench/callgrind.sh).
#
# Per endpoint, each server is loaded by wrk (one thread, 64 keep-alive
# connections) for SECONDS_PER_RUN seconds after a 1 s warm-up, on
# 127.0.0.1 only. Context switches are summed over the server's threads
# (/proc/<pid>/task/*/status) before and after the run: a thread that
# exits during the run takes its count with it, and none does here (tokio
# keeps an idle blocking thread 10 s, atode its task threads for the life
# of the app). The peak thread count is sampled every 50 ms. Memory: the
# server's RSS with IDLE connections open, each having made one request
# and then gone quiet, minus its RSS before they connected, per connection;
# and VmHWM (peak RSS) at the end of the load runs.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
IDLE=${IDLE:-3000}
PORT=${PORT:-18092}
EMAIL=foo@example.com
export BENCH_WORKERS=${BENCH_WORKERS:-1}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null; then
  as_root apt-get install -y -qq wrk >/dev/null 2>&1 ||
    { as_root apt-get update -qq && as_root apt-get install -y -qq wrk >/dev/null; }
fi
# IDLE connections, each an fd in this script's client and in the server.
ulimit -n $((IDLE * 2 + 1024)) 2>/dev/null || true

cargo build --release --quiet -p atode-bench --bins
target_dir=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BIN="$target_dir/release"

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# wrk_run METHOD PATH SECONDS: the number of requests answered, or nothing
# when some failed.
wrk_run() {
  BENCH_METHOD=$1 wrk -t1 -c64 -d"$3"s -s bench/wrk-report.lua \
    "http://127.0.0.1:$PORT$2" | awk '$1 == "RESULT" && $5 == 0 { print $6 }'
}

# The server's CPU time in clock ticks (user + system).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }

# Context switches of all the server's threads (voluntary and not).
switches() {
  cat /proc/"$SERVER_PID"/task/*/status 2>/dev/null |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

status_kb() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$SERVER_PID/status"; }

# Opens IDLE connections, sends one request on each, reads its answer, and
# holds them all open until its stdin closes; prints "ready" when all are
# open and quiet.
idle_client() {
  python3 -u - "$PORT" "$IDLE" <<'PY'
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
request = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
held = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    answer = b""
    while b"Hello, World!" not in answer:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("the server closed a connection")
        answer += chunk
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
PY
}

ENDPOINTS=("plaintext GET /plaintext" "json GET /json"
  "send-notification POST /send-notification/$EMAIL")
RESULTS=$WORK/resources.txt
: >"$RESULTS"
ticks_per_s=$(getconf CLK_TCK)
for server in atode axum hyper; do
  BENCH_DIR=$WORK ATODE_ADDR=127.0.0.1:$PORT "$BIN/${server}_server" >"$WORK/$server.out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
  done

  # Memory per idle connection, on a fresh server.
  before=$(status_kb VmRSS)
  coproc IDLE_CLIENT { idle_client; }
  read -r ready <&"${IDLE_CLIENT[0]}"
  [ "$ready" = ready ] || { echo "the idle client failed" >&2; exit 1; }
  with=$(status_kb VmRSS)
  exec {IDLE_CLIENT[1]}>&-
  wait "$IDLE_CLIENT_PID" || true
  echo "$server idle_bytes $(((with - before) * 1024 / IDLE))" >>"$RESULTS"

  for endpoint in "${ENDPOINTS[@]}"; do
    read -r name method path <<<"$endpoint"
    wrk_run "$method" "$path" 1 >/dev/null
    cpu0=$(cpu_ticks) sw0=$(switches)
    (
      peak=0
      while kill -0 "$SERVER_PID" 2>/dev/null; do
        n=$(status_kb Threads)
        ((n > peak)) && peak=$n && echo "$peak" >"$WORK/peak"
        sleep 0.05
      done
    ) &
    sampler=$!
    requests=$(wrk_run "$method" "$path" "$SECONDS_PER_RUN")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    cpu1=$(cpu_ticks) sw1=$(switches)
    if [ -z "$requests" ]; then
      echo "$server $name: requests failed" >&2
      exit 1
    fi
    # CPU microseconds and context switches per request, in thousandths.
    echo "$name $server cpu_us $(((cpu1 - cpu0) * 1000000 * 1000 / ticks_per_s / requests))" >>"$RESULTS"
    echo "$name $server switches $(((sw1 - sw0) * 1000 / requests))" >>"$RESULTS"
    echo "$name $server threads $(cat "$WORK/peak")" >>"$RESULTS"
    echo "$server $name: $requests requests" >&2
  done
  echo "$server peak_rss_kb $(status_kb VmHWM)" >>"$RESULTS"
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=
done

echo
echo "Per request under load (wrk, 64 connections, ${SECONDS_PER_RUN} s; $BENCH_WORKERS tokio worker(s)):"
echo
echo "| endpoint | server | CPU µs | context switches | peak threads |"
echo "| --- | --- | ---: | ---: | ---: |"
awk '$3 == "cpu_us" || $3 == "switches" || $3 == "threads" {
    v[$1, $2, $3] = $4; if (!(($1, $2) in seen)) { seen[$1, $2] = 1; order[++n] = $1 SUBSEP $2 } }
  END { for (i = 1; i <= n; i++) { split(order[i], k, SUBSEP)
    printf "| %s | %s | %.2f | %.3f | %d |\n", k[1], k[2], v[k[1], k[2], "cpu_us"] / 1000,
      v[k[1], k[2], "switches"] / 1000, v[k[1], k[2], "threads"] } }' "$RESULTS"
echo
echo "Memory: $IDLE idle keep-alive connections, each after one request; peak RSS over the load runs."
echo
echo "| server | bytes per idle connection | peak RSS |"
echo "| --- | ---: | ---: |"
awk '$2 == "idle_bytes" { idle[$1] = $3 } $2 == "peak_rss_kb" { rss[$1] = $3 }
  END { split("atode axum hyper", s, " ")
    for (i = 1; i <= 3; i++) printf "| %s | %d | %.1f MiB |\n", s[i], idle[s[i]], rss[s[i]] / 1024 }' "$RESULTS"
