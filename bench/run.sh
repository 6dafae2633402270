#!/usr/bin/env bash
# Load-tests atode, axum and bare hyper on 127.0.0.1 and prints the tables
# that bench/README.md records. One command from a fresh clone:
#
#     bash bench/run.sh
#
# Knobs (environment): ROUNDS (7), SECONDS_PER_RUN (4), CONNECTIONS (64,
# HTTP/1.1), H2_STREAMS (4 streams per HTTP/2 connection) and H2_CLIENTS
# (CONNECTIONS / H2_STREAMS HTTP/2 connections), RATE (1000 requests/s for
# the latency-isolation run), PORT (18080, and the five above it).
# Everything goes to 127.0.0.1 and every run is bounded in time: about 16
# minutes in all with the defaults, after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-7}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
CONNECTIONS=${CONNECTIONS:-64}
# HTTP/2: as many requests in flight as HTTP/1.1's connections, carried as
# a few streams on each of fewer connections.
H2_STREAMS=${H2_STREAMS:-4}
H2_CLIENTS=${H2_CLIENTS:-$((CONNECTIONS / H2_STREAMS))}
RATE=${RATE:-1000}
PORT=${PORT:-18080}
SERVERS=(atode axum hyper)
EMAIL=foo@example.com

say() { printf '%s\n' "$*" >&2; }

# --- build -----------------------------------------------------------------
cargo build --release --quiet -p atode-bench --bins
target_dir=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BIN="$target_dir/release"

# --- load generators: wrk from Debian, else oha from crates.io; h2load -------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# apt_install PACKAGE: from Debian, updating the package lists only if needed.
apt_install() {
  command -v apt-get >/dev/null &&
    { as_root apt-get install -y -qq "$1" >/dev/null 2>&1 ||
      { as_root apt-get update -qq && as_root apt-get install -y -qq "$1" >/dev/null; }; }
}
if ! command -v wrk >/dev/null && ! command -v oha >/dev/null; then
  say "installing a load generator"
  apt_install wrk || cargo install --locked oha
fi
if command -v wrk >/dev/null; then LOADGEN=wrk; else LOADGEN=oha; fi
# HTTP/2 (h2c with prior knowledge) comes from nghttp2's h2load; without it
# (no apt), the HTTP/2 table is left out rather than the whole run.
if ! command -v h2load >/dev/null; then
  say "installing h2load (nghttp2-client)"
  apt_install nghttp2-client || say "no h2load: the HTTP/2 table is left out"
fi
if command -v h2load >/dev/null; then H2LOAD=yes; else H2LOAD=; fi

# --- placement: the servers on one core, the load generator on the other ----
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  SERVER_CPU=(taskset -c 0)
  LOAD_CPU=(taskset -c 1)
  export BENCH_WORKERS=1
  PLACEMENT="servers on CPU 0 (1 tokio worker each), load generator on CPU 1"
else
  SERVER_CPU=()
  LOAD_CPU=()
  PLACEMENT="not pinned (fewer than 2 CPUs or no taskset): figures are rougher"
fi
# On a shared machine, priority keeps other work (a compiler) from taking
# the cores mid-run. Plain `nice` does nothing against another login's
# processes when the kernel groups them by session (autogroup), so the
# throughput runs start in a session of their own whose group is at nice
# -10. The latency run needs more: a busy core answers a woken server only
# at the next scheduler tick (4 ms here), which would swamp a p99 of a few
# hundred microseconds, so it runs server and generator as SCHED_FIFO.
# Both need root; without it, everything runs at normal priority.
THROUGHPUT_PRIORITY=()
LATENCY_PRIORITY=()
if [ "$(id -u)" = 0 ]; then
  if [ -w /proc/self/autogroup ]; then
    THROUGHPUT_PRIORITY=(setsid bash -c 'echo -10 >/proc/self/autogroup; exec "$@"' boosted)
  else
    THROUGHPUT_PRIORITY=(nice -n -10)
  fi
  PLACEMENT="$PLACEMENT; throughput at nice -10"
  if chrt -f 10 true 2>/dev/null; then
    LATENCY_PRIORITY=(chrt -f 10)
    PLACEMENT="$PLACEMENT, latency isolation at SCHED_FIFO"
  fi
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  if [ "${#PIDS[@]}" -gt 0 ]; then kill "${PIDS[@]}" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server NAME TASK PORT: starts NAME's server and waits until it accepts.
start_server() {
  mkdir -p "$WORK/$1-$2"
  BENCH_TASK=$2 BENCH_DIR=$WORK/$1-$2 ATODE_ADDR=127.0.0.1:$3 \
    "${PRIORITY[@]}" "${SERVER_CPU[@]}" "$BIN/$1_server" >"$WORK/$1-$2.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null; then return; fi
    sleep 0.1
  done
  say "$1 server did not start:"
  cat "$WORK/$1-$2.out" >&2
  exit 1
}

# stop_servers: SIGTERM, which atode answers by draining its tasks first.
stop_servers() {
  kill -TERM "${PIDS[@]}"
  wait "${PIDS[@]}" || true
  PIDS=()
}

# load METHOD URL SECONDS: closed-loop load; prints "req/s p50_us p99_us errors".
load() {
  if [ "$LOADGEN" = wrk ]; then
    BENCH_METHOD=$1 "${PRIORITY[@]}" "${LOAD_CPU[@]}" wrk -t1 -c"$CONNECTIONS" -d"$3"s \
      -s bench/wrk-report.lua "$2" | awk '$1 == "RESULT" { print $2, $3, $4, $5 }'
  else
    "${PRIORITY[@]}" "${LOAD_CPU[@]}" oha --no-tui --json -z "$3"s -c "$CONNECTIONS" -m "$1" "$2" |
      tr -d ' \n' | awk '{
        match($0, /"requestsPerSec":[0-9.eE+-]+/); rps = substr($0, RSTART + 17, RLENGTH - 17)
        match($0, /"p50":[0-9.eE+-]+/); p50 = substr($0, RSTART + 6, RLENGTH - 6)
        match($0, /"p99":[0-9.eE+-]+/); p99 = substr($0, RSTART + 6, RLENGTH - 6)
        match($0, /"successRate":[0-9.eE+-]+/); ok = substr($0, RSTART + 14, RLENGTH - 14)
        printf "%.1f %d %d %d\n", rps, p50 * 1e6, p99 * 1e6, (ok < 1) }'
  fi
}

# load_h2 METHOD URL SECONDS: the same over HTTP/2 cleartext with prior
# knowledge (the servers take h2c and HTTP/1.1 on one port), H2_CLIENTS
# connections of H2_STREAMS concurrent streams each; prints "req/s p50_us
# p99_us errors", or nothing when no request was made. h2load has no
# percentiles, so they come from its per-request log (microseconds from a
# request's start to its response's end); errors are the requests not
# answered 2xx. POST is set as the :method pseudo-header, with no body, as
# wrk sends it (h2load's -d cannot send an empty body). h2load stops itself
# after SECONDS; `timeout` is a backstop.
load_h2() {
  local log=$WORK/h2load.$BASHPID.log out
  out=$("${PRIORITY[@]}" "${LOAD_CPU[@]}" timeout $(($3 + 30)) h2load -t1 \
    -c"$H2_CLIENTS" -m"$H2_STREAMS" -D"$3" -H ":method: $1" --log-file="$log" "$2") || true
  awk '$1 == "finished" { rps = $4 }
    $1 == "requests:" { total = $2 }
    $1 == "status" && $2 == "codes:" { ok = $3 }
    END { if (total > 0) print rps, total - ok }' <<<"$out" | {
    read -r rps errors || exit 0
    sort -n -k3,3 "$log" | awk -v rps="$rps" -v errors="$errors" '{ t[NR] = $3 }
      END {
        p50 = int(NR * 0.50); if (p50 < NR * 0.50) p50++
        p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++
        if (NR > 0) print rps, t[p50], t[p99], errors }'
  }
  rm -f "$log"
}

# server_order ROUND: the servers rotated by ROUND, so none always goes first.
server_order() {
  local n=${#SERVERS[@]} i
  for ((i = 0; i < n; i++)); do printf '%s ' "${SERVERS[(($1 + i) % n)]}"; done
}

# port_of SERVER [OFFSET]: each server listens on its own port, all at once.
port_of() {
  local i
  for i in "${!SERVERS[@]}"; do
    if [ "${SERVERS[$i]}" = "$1" ]; then echo $((PORT + i + ${2:-0})); fi
  done
}

say "load generators: $LOADGEN${H2LOAD:+, h2load}; $PLACEMENT"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- throughput: every endpoint; the three servers take turns, run by run ----
# All three stay up, so turns can be short and close together: noise from
# the rest of the machine then hits the servers alike, and each round's
# ratio compares neighbours.
ENDPOINTS=("plaintext GET /plaintext" "json GET /json"
  "send-notification POST /send-notification/$EMAIL")
PRIORITY=("${THROUGHPUT_PRIORITY[@]}")
# throughput LOAD RESULTS: a warm-up, then ROUNDS rounds with the load
# function LOAD (load or load_h2), into RESULTS.
throughput() {
  local server endpoint name method path url round rps p50 p99 errors proto=HTTP/1.1 tool=$LOADGEN
  if [ "$1" = load_h2 ]; then proto=HTTP/2 tool=h2load; fi
  for server in "${SERVERS[@]}"; do # warm-up: connections, pool threads, allocator
    for endpoint in "${ENDPOINTS[@]}"; do
      read -r name method path <<<"$endpoint"
      "$1" "$method" "http://127.0.0.1:$(port_of "$server")$path" 1 >/dev/null
    done
  done
  for ((round = 1; round <= ROUNDS; round++)); do
    for endpoint in "${ENDPOINTS[@]}"; do
      read -r name method path <<<"$endpoint"
      for server in $(server_order "$round"); do
        url="http://127.0.0.1:$(port_of "$server")$path"
        read -r rps p50 p99 errors <<<"$("$1" "$method" "$url" "$SECONDS_PER_RUN")"
        if [ -z "${errors:-}" ]; then say "$tool gave no result for $server $name ($proto)"; exit 1; fi
        say "round $round  $proto  $name  $server: $rps req/s, p50 ${p50}us, p99 ${p99}us, errors $errors"
        echo "$name $server $round $rps $p50 $p99 $errors" >>"$2"
      done
    done
  done
}
# side_by_side LOAD RESULTS: ROUNDS rounds in which the three servers are
# loaded at the same moment, each by its own generator, into RESULTS.
# Turns taken one after another compare servers a few seconds apart, and
# this machine's speed swings by a quarter from one turn to the next; side
# by side, on the one core they share, every swing hits all three at once,
# so their ratio holds from run to run. It is a ratio of throughput under
# equal shares of a core (all three are busy the whole time), not of
# req/s alone: those are the turns' figures.
side_by_side() {
  local endpoint name method path round server loads rps p50 p99 errors proto=HTTP/1.1
  if [ "$1" = load_h2 ]; then proto=HTTP/2; fi
  for ((round = 1; round <= ROUNDS; round++)); do
    for endpoint in "${ENDPOINTS[@]}"; do
      read -r name method path <<<"$endpoint"
      loads=()
      for server in "${SERVERS[@]}"; do
        "$1" "$method" "http://127.0.0.1:$(port_of "$server")$path" "$SECONDS_PER_RUN" \
          >"$WORK/side-$server" &
        loads+=($!)
      done
      wait "${loads[@]}"
      for server in "${SERVERS[@]}"; do
        read -r rps p50 p99 errors <"$WORK/side-$server" || true
        if [ -z "${errors:-}" ]; then say "no side-by-side result for $server $name ($proto)"; exit 1; fi
        say "side by side, round $round  $proto  $name  $server: $rps req/s, errors $errors"
        echo "$name $server $round $rps $p50 $p99 $errors" >>"$2"
      done
    done
  done
}
for server in "${SERVERS[@]}"; do start_server "$server" append "$(port_of "$server")"; done
RESULTS=$WORK/throughput.txt
throughput load "$RESULTS"
# HTTP/2 on the same servers, the same way.
RESULTS_H2=$WORK/throughput-h2.txt
if [ -n "$H2LOAD" ]; then throughput load_h2 "$RESULTS_H2"; fi
SIDE=$WORK/side.txt
side_by_side load "$SIDE"
SIDE_H2=$WORK/side-h2.txt
if [ -n "$H2LOAD" ]; then side_by_side load_h2 "$SIDE_H2"; fi
stop_servers

# --- latency isolation: fixed rate, no-op tasks against 200 ms tasks ---------
PRIORITY=("${LATENCY_PRIORITY[@]}")
for server in "${SERVERS[@]}"; do
  start_server "$server" noop "$(port_of "$server")"
  start_server "$server" sleep:200 "$(port_of "$server" 3)"
done
ISOLATION=$WORK/isolation.txt
# One generator takes the server's two modes in turns of a second within
# the same run, so both see the same weather on the machine.
for ((round = 1; round <= ROUNDS; round++)); do
  for server in $(server_order "$round"); do
    quiet=127.0.0.1:$(port_of "$server")
    slow=127.0.0.1:$(port_of "$server" 3)
    lines=$("${PRIORITY[@]}" "${LOAD_CPU[@]}" "$BIN/fixed_rate" "$quiet,$slow" POST \
      "/send-notification/$EMAIL" "$RATE" $((2 * SECONDS_PER_RUN)))
    for pair in "noop $quiet" "sleep:200 $slow"; do
      read -r task addr <<<"$pair"
      line=$(grep "^$addr " <<<"$lines" || true)
      say "round $round  $server  $task at $RATE req/s: ${line#* }"
      p99=$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$line")
      errors=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$line")
      if [ -z "$p99" ]; then say "fixed_rate gave no result for $server $task"; exit 1; fi
      echo "$server $round $task $p99 $errors" >>"$ISOLATION"
    done
  done
done
stop_servers

# --- the tables ----------------------------------------------------------------
echo
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1);" \
  "$(rustc --version); load generators $LOADGEN${H2LOAD:+ and h2load}; $PLACEMENT."
echo "$ROUNDS rounds of ${SECONDS_PER_RUN} s per server and endpoint;" \
  "figures are medians over rounds, ratios are per round (median, min–max)."
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "HTTP/1.1: $LOADGEN, $CONNECTIONS keep-alive connections."
echo
awk -f bench/table.awk -v part=throughput "$RESULTS"
echo
if [ -n "$H2LOAD" ]; then
  echo "HTTP/2 (h2c, prior knowledge): h2load, $H2_CLIENTS connections of $H2_STREAMS concurrent streams each."
  echo
  awk -f bench/table.awk -v part=throughput "$RESULTS_H2"
else
  echo "HTTP/2: left out (no h2load)."
fi
echo
echo "Side by side: the three servers loaded at once on their shared core (the same generators), $ROUNDS rounds of ${SECONDS_PER_RUN} s; ratios per round (median, min–max)."
echo
echo "HTTP/1.1:"
echo
awk -f bench/table.awk -v part=throughput -v ratios_only=1 "$SIDE"
if [ -n "$H2LOAD" ]; then
  echo
  echo "HTTP/2:"
  echo
  awk -f bench/table.awk -v part=throughput -v ratios_only=1 "$SIDE_H2"
fi
echo
awk -f bench/table.awk -v part=isolation -v rate="$RATE" "$ISOLATION"
