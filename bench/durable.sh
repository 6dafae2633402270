#!/usr/bin/env bash
# Durable tasks: atode's `durable` feature against River's Rust client used
# directly, on SQLite and on PostgreSQL, all on 127.0.0.1. Prints the
# tables bench/README.md records ("Durable tasks"). One command:
#
#     bash bench/durable.sh
#
# Knobs (environment, read by the binary): ROUNDS (3), SECONDS_PER_RUN (3),
# CONNECTIONS (32, wrk's connections and the direct callers), CONCURRENCY
# (32 workers per queue), JOBS (10000 on PostgreSQL), SQLITE_JOBS (10000),
# PROCESS_FETCH (1ms: the fetch settings of the processing run, a list of
# `default` or `<n>ms`), LATENCY_FETCH (default,50ms), RATE (50 requests/s)
# and LATENCY_SECONDS (5) for the latency run, BACKENDS (sqlite,postgres),
# SECTIONS (enqueue,process,latency), RIVER_KNOWN_KINDS (0; 1 sets
# `fetch_only_known_kinds` on River as atode does), BENCH_PG_URL (a database
# to connect to: postgres://postgres@127.0.0.1:5432/test) and
# BENCH_PG_DATABASE (atode_bench: dropped and made again for every
# measurement, dropped at the end). PostgreSQL is skipped, with the reason
# printed, when BENCH_PG_URL does not answer. About 4 minutes after the build.
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
