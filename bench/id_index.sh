#!/usr/bin/env bash
# What atode's index on the task id costs PostgreSQL per call, counted in
# instructions (valgrind's callgrind), which do not move with other load
# on the machine the way timings do on a shared 2-core box:
#
#     bash bench/id_index.sh
#
# A scratch cluster (initdb in a temporary directory, its own port, no
# fsync: the flush is not what is compared) gets River's migrations, as
# `riverqueue-migrate` ships them. Then, for each way of indexing the id
# (none; a b-tree, as atode has it; the same in the "C" collation; the
# same without the versions River's fetch writes, `state = 'running'`; a
# hash index), one single-user backend under callgrind writes CALLS
# calls (3000) 15 a statement, as the group commit does, takes them 100 a
# statement, as River's fetch does, and completes them 100 a statement,
# as River's completer does; each call's first tag is shaped as atode's
# ids are (a version 7 UUID: the time first). No update of River's is
# HOT (each changes `state`, which River indexes), so each of the three
# puts the id into the index again. Printed: the instructions of those
# statements per call, and what the index adds to them. bench/README.md
# ("Durable tasks") has the table and what timing them showed.
set -euo pipefail
cd "$(dirname "$0")/.."

CALLS=${CALLS:-3000}
PORT=${PORT:-54329}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# PostgreSQL refuses to run as root: the cluster is the postgres user's then.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! command -v valgrind >/dev/null; then
  as_root apt-get install -y -qq valgrind >/dev/null 2>&1 ||
    { as_root apt-get update -qq && as_root apt-get install -y -qq valgrind >/dev/null; }
fi
BIN=$(pg_config --bindir)
MIGRATIONS=$(dirname "$(cargo metadata --format-version 1 |
  python3 -c 'import json, sys
print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"]
           if p["name"] == "riverqueue-migrate"))')")/migrations/main

WORK=$(mktemp -d)
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
cleanup() {
  as_owner "$BIN/pg_ctl" -D "$WORK/data" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

as_owner "$BIN/initdb" -D "$WORK/data" -A trust -U postgres --locale=C.UTF-8 -E UTF8 >/dev/null
as_owner "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w \
  -o "-p $PORT -k $WORK -c fsync=off -c listen_addresses=''" start >/dev/null
psql=(psql -h "$WORK" -p "$PORT" -U postgres -q -v ON_ERROR_STOP=1)
"${psql[@]}" -d postgres -c "CREATE DATABASE bench"
for up in "$MIGRATIONS"/*.up.sql; do
  sed 's|/\* *TEMPLATE: *schema *\*/||g' "$up" | "${psql[@]}" -d bench >/dev/null
done
as_owner "$BIN/pg_ctl" -D "$WORK/data" -w stop >/dev/null

# One statement per line: the single-user backend's input.
uuid="substr(lpad(to_hex(1733600000000 + j / 10), 12, '0'), 1, 8) || '-' || \
substr(lpad(to_hex(1733600000000 + j / 10), 12, '0'), 9, 4) || '-7' || \
substr(md5(j::text), 1, 3) || '-8' || substr(md5(j::text), 4, 3) || '-' || \
substr(md5(j::text), 7, 12)"
calls="DO \$\$ DECLARE i int := 0; BEGIN WHILE i < $CALLS LOOP \
INSERT INTO river_job (args, kind, max_attempts, tags, state) \
SELECT jsonb_build_object('args', jsonb_build_array(j)), 'count', 25, \
ARRAY[$uuid]::varchar(255)[], 'available' FROM generate_series(i, i + 14) j; \
i := i + 15; END LOOP; END \$\$"
worked="DO \$\$ DECLARE low bigint; high bigint; last bigint; BEGIN \
SELECT min(id), max(id) INTO low, last FROM river_job; WHILE low <= last LOOP \
high := low + 99; \
UPDATE river_job SET state = 'running', attempt = attempt + 1, attempted_at = now(), \
attempted_by = ARRAY['client'] WHERE id BETWEEN low AND high; \
UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id BETWEEN low AND high; \
low := high + 1; END LOOP; END \$\$"

# atode's index (`runtime/src/durable/id_index.rs`) and the others tried.
declare -A index=(
  [none]="SELECT 1"
  [b-tree]="CREATE INDEX atode_river_job_id ON river_job ((tags[1]))"
  [b-tree-c]="CREATE INDEX atode_river_job_id ON river_job ((tags[1] COLLATE \"C\"))"
  [b-tree-not-running]="CREATE INDEX atode_river_job_id ON river_job ((tags[1])) WHERE state <> 'running'"
  [hash]="CREATE INDEX atode_river_job_id ON river_job USING hash ((tags[1]))"
)
printf '| index on the id | instructions per call (written, taken, completed) | added by the index |\n'
printf '| --- | ---: | ---: |\n'
base=
for variant in none b-tree b-tree-c b-tree-not-running hash; do
  printf '%s\n' "DROP INDEX IF EXISTS atode_river_job_id" "${index[$variant]}" \
    "TRUNCATE river_job" "$calls" "$worked" >"$WORK/$variant.sql"
  as_owner valgrind --tool=callgrind --callgrind-out-file="$WORK/$variant.out" \
    "$BIN/postgres" --single -D "$WORK/data" bench <"$WORK/$variant.sql" >"$WORK/$variant.log" 2>&1
  if grep -q ERROR "$WORK/$variant.log"; then
    cat "$WORK/$variant.log" >&2
    exit 1
  fi
  # The two DO statements, everything they called included.
  total=$(callgrind_annotate --inclusive=yes "$WORK/$variant.out" |
    awk '/:ExecuteDoStmt / && !found++ {gsub(",", "", $1); print $1}')
  per_call=$((total / CALLS))
  base=${base:-$per_call}
  printf '| %s | %d | %+d |\n' "$variant" "$per_call" "$((per_call - base))"
done
