#!/usr/bin/env bash
# Durable tasks: atode's `durable` feature against River's Rust client used
# directly, on SQLite and on PostgreSQL, all on 127.0.0.1. Prints the
# tables bench/README.md records ("Durable tasks"). One command:
#
#     bash bench/durable.sh
#
# Sections (SECTIONS, a list; all by default, in this order):
#   enqueue    over HTTP, the durable route's req/s over the in-process
#              route's at each of CURVE's connection counts, workers off,
#              plus one row at CONNECTIONS with the workers running; then
#              add_task against River's insert, without HTTP
#   process    N calls written beforehand, then the workers start: tasks
#              per second, atode and River with the same settings
#   latency    requests at RATE, workers running: response -> task start
#   completed  the same load: response -> `completed` read from status()
#   idle       workers on an empty queue: transactions/s (PostgreSQL) and
#              CPU ms/s, atode's defaults against River's
#
# Knobs (environment, read by the binary): ROUNDS (3), SECONDS_PER_RUN (3,
# each wrk run and each insert run), CURVE (1,8,32,128: wrk's connections
# for the curve), CONNECTIONS (32: the curve's row with workers running,
# and the direct callers of add_task/insert), CONCURRENCY (default:
# atode's DEFAULT_CONCURRENCY, read from atode; or a number, set on both
# engines), JOBS (10000 on PostgreSQL), SQLITE_JOBS (10000), PROCESS_FETCH
# (default: the fetch settings of the processing run, a list of `default`
# (atode's DEFAULT_FETCH_COOLDOWN and DEFAULT_POLL_INTERVAL) or `<n>ms`
# (`Durable::poll_interval`)), LATENCY_FETCH (default, the same kind of
# list), RATE (50 requests/s) and LATENCY_SECONDS (5) for the latency and
# completion runs, IDLE_SECONDS (10), BACKENDS (sqlite,postgres),
# RIVER_KNOWN_KINDS (0; 1 sets `fetch_only_known_kinds` on River as atode
# does), BENCH_PG_URL (a database to connect to:
# postgres://postgres@127.0.0.1:5432/test) and BENCH_PG_DATABASE
# (atode_bench: dropped and made again for every measurement, dropped at
# the end). PostgreSQL is skipped, with the reason printed, when
# BENCH_PG_URL does not answer. River used directly always gets the queue
# settings atode sets for the same knobs (idle: River's own defaults).
# About 10 minutes after the build with the defaults; smoke test:
#
#     ROUNDS=1 SECONDS_PER_RUN=1 JOBS=2000 SQLITE_JOBS=2000 \
#       LATENCY_SECONDS=2 IDLE_SECONDS=3 bash bench/durable.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet -p atode-bench-durable
target_dir=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  as_root apt-get install -y -qq wrk >/dev/null 2>&1 ||
    { as_root apt-get update -qq && as_root apt-get install -y -qq wrk >/dev/null; }
fi

echo "$(rustc --version); wrk $(wrk -v 2>&1 | sed -n 's/^wrk \([^ ]*\).*/\1/p' | head -n1);" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$target_dir/release/durable"
