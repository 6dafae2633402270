#!/usr/bin/env bash
# Runs the Autobahn WebSocket test suite against atode: starts the ws_echo
# example on a port the OS picks (loopback only), drives it with kosoku
# (Autobahn's own case files, on Python 3), and prints one line per case
# group: cases run, and how many Autobahn judged OK, NON-STRICT,
# INFORMATIONAL, UNIMPLEMENTED (unsupported) and FAILED. Exits non-zero on
# any failed case, a server that panicked, or one that did not exit 0 on
# SIGTERM afterwards.
#
#   scripts/autobahn.sh             # cases 1-7, 9 and 10: all atode supports
#   scripts/autobahn.sh fast        # a subset for CI, a few seconds of cases
#   scripts/autobahn.sh 5 '6.4.*' 7.1.1   # these groups and cases
#   AUTOBAHN_CASES=fast scripts/autobahn.sh
#
# Cases 12 and 13 need permessage-deflate, which atode does not implement:
# they are listed as not supported and never run. The report (one JSON and
# one HTML page per case, and index.html) is left in target/autobahn/report.
# AUTOBAHN_BUILD=0 skips the `cargo build`; AUTOBAHN_PARALLELISM runs that
# many cases at once (default 1: the timed cases then time only themselves).
# Needs: cargo, python3 (3.10 or later); makes a venv with kosoku, pinned,
# under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

KOSOKU_VERSION=0.1.0

# The full run: every group that needs nothing atode lacks.
FULL=(-i '1.*' -i '2.*' -i '3.*' -i '4.*' -i '5.*' -i '6.*' -i '7.*' -i '9.*' -i '10.*')
# The fast run: every group, less the cases that mostly wait (5.19, 5.20 and
# 6.4.* wait on timers of 1-2 s each) and the large messages of 9.*, but for
# the largest text and binary ones (16 MiB, in one frame).
FAST=(-i '1.*' -i '2.*' -i '3.*' -i '4.*' -i '5.*' -i '6.*' -i '7.*' -i '9.1.6' -i '9.2.6' -i '10.*'
    -x '5.19' -x '5.20' -x '6.4.*')

# How long the server may take to print its address, the whole run may
# take (the full run takes seconds: this only stops a hang), and the server
# may take to exit on SIGTERM.
START_TIMEOUT=60
RUN_TIMEOUT=600
STOP_TIMEOUT=30

fail() {
    echo "autobahn: FAILED: $*" >&2
    exit 1
}

case "${1:-}" in
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
esac
if [[ $# -eq 0 && -n "${AUTOBAHN_CASES:-}" ]]; then
    read -r -a requested <<<"$AUTOBAHN_CASES"
    set -- "${requested[@]}"
fi
case "${1:-full}" in
    full|fast) [[ $# -le 1 ]] || fail "$1 is a whole selection: give it alone" ;;&
    full) selection=("${FULL[@]}") ;;
    fast) selection=("${FAST[@]}") ;;
    *)
        selection=()
        for case_id in "$@"; do
            # A group's number first, so that the group is known (a glob
            # such as 1* would take in 10, 12 and 13 too).
            [[ "$case_id" =~ ^([0-9]+)(\..+)?$ ]] ||
                fail "$case_id is not a case: a group (5), a case id (7.1.1) or a glob within a group (6.4.*)"
            case "${BASH_REMATCH[1]}" in
                12|13) fail "case $case_id needs permessage-deflate, which atode does not support" ;;
            esac
            if [[ -z "${BASH_REMATCH[2]}" ]]; then case_id="$case_id.*"; fi
            selection+=(-i "$case_id")
        done
        ;;
esac
# The groups selected (the first part of each -i), which must all have run.
groups=()
for ((i = 0; i < ${#selection[@]}; i += 2)); do
    if [[ "${selection[i]}" == -i ]]; then groups+=("${selection[i + 1]%%.*}"); fi
done

source "$root/scripts/lib/example.sh"
# The venv, made once; a new pin rebuilds it.
venv="$("$root/scripts/lib/venv.sh" autobahn "kosoku==$KOSOKU_VERSION")"
"$venv/bin/kosoku" --help >/dev/null

if [[ "${AUTOBAHN_BUILD:-1}" != 0 ]]; then
    echo "autobahn: cargo build --workspace --example ws_echo"
    example_build ws_echo
fi
scratch="$(mktemp -d "${TMPDIR:-/tmp}/atode-autobahn.XXXXXX")"
example_start ws_echo "$scratch"
addr="$example_addr"

report="$root/target/autobahn/report"
rm -rf "$report"
mkdir -p "$report"
echo "autobahn: kosoku $KOSOKU_VERSION against ws://$addr/: ${selection[*]}"
started=$SECONDS
kosoku_status=0
# kosoku's output goes to a log: on a failure it lists every case that did
# not pass, which the summary below says more briefly.
(cd "$scratch" && timeout "$RUN_TIMEOUT" "$venv/bin/kosoku" "$addr" \
    --parallelism "${AUTOBAHN_PARALLELISM:-1}" --outdir "$report" "${selection[@]}") \
    >"$report/kosoku.log" 2>&1 || kosoku_status=$?
echo "autobahn: the cases took $((SECONDS - started))s (kosoku exited with $kosoku_status; its output is in $report/kosoku.log)"
if [[ "$kosoku_status" == 124 ]]; then
    example_logs ws_echo "$scratch"
    fail "kosoku did not finish within ${RUN_TIMEOUT}s"
fi

if [[ ! -f "$report/index.json" ]]; then
    # kosoku stopped before any case ran (a selection that matches no case,
    # say): what it said is all there is to go on.
    tail -n 20 "$report/kosoku.log" >&2
    fail "kosoku exited with $kosoku_status and wrote no report"
fi
summary_status=0
"$venv/bin/python" "$root/scripts/autobahn/summary.py" "$report" "$kosoku_status" "${groups[@]}" || summary_status=$?

# The server must have lived through the run without a panic (a socket's
# panic is caught, but the panic hook still prints it), and stop cleanly.
example_alive ws_echo "$scratch"
example_stop ws_echo "$scratch"
exit "$summary_status"
