#!/usr/bin/env bash
# Renders a server's Swagger UI page (/docs) in headless Chromium and checks
# that it shows every path of the server's /openapi.json, and that the page
# asked for nothing but /docs, its assets and /openapi.json on that server
# (scripts/openapi/docs_check.py says exactly what is checked).
#
# Twice: once at http://127.0.0.1:PORT/docs, and once as deployed, at
# http://docs.atode.test:PORT/docs (a name Chromium maps to the server):
# Swagger UI behaves differently for a page on localhost/127.0.0.1 (for one,
# it only asks an online validator about documents that are not there).
#
#   scripts/openapi/docs_render.sh http://127.0.0.1:PORT
#   scripts/openapi/docs_render.sh --screenshot docs/openapi-docs.png http://127.0.0.1:PORT
#
# --screenshot PATH also writes a 1280x1600 screenshot of the page to PATH.
# Installs Debian's chromium package when there is no chromium.
# The server must be on a loopback address: no other host is reachable from
# the browser (--host-resolver-rules maps every name to ~NOTFOUND).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

screenshot=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --screenshot) screenshot="$2"; shift 2 ;;
        --screenshot=*) screenshot="${1#*=}"; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        -*) echo "docs_render.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [[ $# -ne 1 ]]; then
    echo "usage: docs_render.sh [--screenshot PATH] http://127.0.0.1:PORT" >&2
    exit 2
fi
base="${1%/}"
if ! [[ "$base" =~ ^http://(127\.[0-9]+\.[0-9]+\.[0-9]+|\[::1\]):[0-9]+$ ]]; then
    echo "docs_render.sh: $base is not http://<loopback IP>:PORT" >&2
    exit 2
fi

# The browser: Debian's chromium package.
source "$here/../lib/chromium.sh"
chromium_installed docs

work="$(mktemp -d "${TMPDIR:-/tmp}/atode-docs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The document as the server serves it.
curl --silent --show-error --fail --max-time 30 --noproxy '*' -o "$work/openapi.json" "$base/openapi.json"

host="${base#http://}"
port="${host##*:}"
host="${host%:*}"
server="$host:$port"
host="${host#[}"
host="${host%]}"
alias_host=docs.atode.test
chromium_flags=(
    --headless
    --disable-gpu
    --disable-background-networking
    --no-first-run
    --disable-extensions
    --disable-sync
    --disable-component-update
    --disable-default-apps
    --disable-client-side-phishing-detection
    --disable-field-trial-config
    --disable-breakpad
    --no-default-browser-check
    --password-store=basic
    --disable-features=AutofillServerCommunication,NetworkTimeServiceQuerying,MediaRouter,OptimizationHints,Translate,CertificateTransparencyComponentUpdater,DialMediaRouteProvider
    --no-proxy-server
    # No name resolves but the alias (to the server); IP literals need no
    # resolving, and only the server's is ever connected to (docs_check.py).
    "--host-resolver-rules=MAP $alias_host $host, MAP * ~NOTFOUND, EXCLUDE $host"
    --virtual-time-budget=15000
)
if [[ "$(id -u)" == 0 ]]; then chromium_flags+=(--no-sandbox); fi

run_chromium() { # NAME ARGS... : chromium, bounded in time, its chatter kept in a file
    local log="$work/$1.stderr" status=0
    shift
    timeout --kill-after=10 120 chromium "${chromium_flags[@]}" "$@" 2>"$log" || status=$?
    if [[ $status -ne 0 ]]; then
        echo "docs: chromium exited with $status; its stderr ends:" >&2
        tail -n 30 "$log" >&2
        return 1
    fi
}

render_and_check() { # NAME ORIGIN
    local name="$1" origin="$2"
    echo "docs: rendering $origin/docs"
    run_chromium "$name" --user-data-dir="$work/profile-$name" --log-net-log="$work/netlog-$name.json" \
        --dump-dom "$origin/docs" >"$work/dom-$name.html"
    python3 "$here/docs_check.py" --origin "$origin" --server "$server" --openapi "$work/openapi.json" \
        --dom "$work/dom-$name.html" --netlog "$work/netlog-$name.json"
}

render_and_check loopback "$base"
render_and_check deployed "http://$alias_host:$port"

if [[ -n "$screenshot" ]]; then
    mkdir -p "$(dirname "$screenshot")"
    shot="$(cd "$(dirname "$screenshot")" && pwd)/$(basename "$screenshot")"
    run_chromium shot --user-data-dir="$work/profile-shot" --hide-scrollbars \
        --window-size=1280,1600 --screenshot="$shot" "$base/docs"
    [[ -s "$shot" ]] || { echo "docs: chromium wrote no screenshot to $shot" >&2; exit 1; }
    echo "docs: screenshot written to $screenshot"
fi
