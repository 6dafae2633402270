#!/usr/bin/env bash
# Counts the instructions each server executes per request, under
# valgrind's callgrind: a figure that does not move with other load on the
# machine, unlike req/s on a shared 2-core box. User-space only (the
# kernel's socket work is the same for the three servers and not counted).
#
#     bash bench/callgrind.sh            # the table
#     KEEP=/tmp/cg bash bench/callgrind.sh  # also keep the profiles there,
#                                           # for callgrind_annotate
#     SERVERS=atode bash bench/callgrind.sh  # one server only
#     FEATURES=metrics SERVERS=atode bash bench/callgrind.sh
#                                         # atode with its metrics on
#
# Each server runs with one tokio worker; wrk (HTTP/1.1, 64 connections)
# and then h2load (HTTP/2 h2c with prior knowledge, 16 connections of 4
# streams, as in run.sh) load it for SECONDS_PER_RUN (5) seconds per
# endpoint after a warm-up, on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
PORT=${PORT:-18090}
EMAIL=foo@example.com

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for tool in valgrind:valgrind wrk:wrk h2load:nghttp2-client; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    as_root apt-get install -y -qq "${tool#*:}" >/dev/null 2>&1 ||
      { as_root apt-get update -qq && as_root apt-get install -y -qq "${tool#*:}" >/dev/null; }
  fi
done

cargo build --release --quiet -p atode-bench --bins ${FEATURES:+--features "$FEATURES"}
target_dir=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BIN="$target_dir/release"

WORK=${KEEP:-$(mktemp -d)}
mkdir -p "$WORK"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# wrk_run METHOD PATH SECONDS: prints the number of requests answered
# without error (or nothing, when some failed).
wrk_run() {
  BENCH_METHOD=$1 wrk -t1 -c64 -d"$3"s -s bench/wrk-report.lua \
    "http://127.0.0.1:$PORT$2" | awk '$1 == "RESULT" && $5 == 0 { print $6 }'
}

# h2_run METHOD PATH SECONDS: the same over HTTP/2; h2load stops itself,
# `timeout` is a backstop.
h2_run() {
  timeout $(($3 + 30)) h2load -t1 -c16 -m4 -D"$3" -H ":method: $1" \
    "http://127.0.0.1:$PORT$2" |
    awk '$1 == "requests:" { total = $2 } $1 == "status" && $2 == "codes:" { ok = $3 }
      END { if (total > 0 && ok == total) print ok }'
}

ENDPOINTS=("plaintext GET /plaintext" "json GET /json"
  "send-notification POST /send-notification/$EMAIL")
RESULTS=$WORK/instructions.txt
: >"$RESULTS"
for server in ${SERVERS:-atode axum hyper}; do
  BENCH_WORKERS=1 BENCH_DIR=$WORK ATODE_ADDR=127.0.0.1:$PORT \
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$server.%p" \
    "$BIN/${server}_server" >"$WORK/$server.out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
  done
  for load in wrk_run h2_run; do
    proto=h1
    if [ "$load" = h2_run ]; then proto=h2; fi
    for endpoint in "${ENDPOINTS[@]}"; do
      read -r name method path <<<"$endpoint"
      "$load" "$method" "$path" 2 >/dev/null
      callgrind_control --zero "$SERVER_PID" >/dev/null 2>&1
      requests=$("$load" "$method" "$path" "$SECONDS_PER_RUN")
      callgrind_control --dump="$proto-$name" "$SERVER_PID" >/dev/null 2>&1
      dump=$(ls -t "$WORK/$server.$SERVER_PID".* | head -n1)
      total=$(awk '$1 == "totals:" || $1 == "summary:" { print $2; exit }' "$dump")
      if [ -z "$requests" ] || [ -z "$total" ]; then
        echo "no count for $server $proto $name (errors, or no dump)" >&2
        exit 1
      fi
      echo "$proto $name $server $((total / requests))" >>"$RESULTS"
      echo "$server $proto $name: $requests requests, $((total / requests)) instructions each ($dump)" >&2
    done
  done
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=
done

echo
echo "Instructions per request (user space, callgrind; lower is better):"
echo
echo "| protocol | endpoint | atode | axum | hyper | atode/axum | atode/hyper |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
awk '{ key = $1 " | " $2; ir[key, $3] = $4; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
  END { for (i = 1; i <= n; i++) { e = order[i]; sub(/^h1/, "HTTP/1.1", e); sub(/^h2/, "HTTP/2", e)
    k = order[i]
    printf "| %s | %s | %s | %s | %s | %s |\n", e, ir[k, "atode"], ir[k, "axum"], ir[k, "hyper"],
      ratio(ir[k, "atode"], ir[k, "axum"]), ratio(ir[k, "atode"], ir[k, "hyper"]) } }
  # A server left out (SERVERS) leaves its cells empty.
  function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "" }' "$RESULTS"
