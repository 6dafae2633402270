#!/usr/bin/env bash
# Lints the examples' HTTP with REDbot ("lint for HTTP", redbot.org): for
# each example, starts the compiled example on a port the OS picks, in a
# scratch directory (as scripts/openapi_check.sh does), runs REDbot on its
# main routes (scripts/redbot/check.py: REDbot's own checks, plus its
# conditional, ranged and gzip-negotiated follow-up requests), then stops it
# with SIGTERM, which must end it with status 0.
#
#   scripts/redbot_check.sh                      # the examples listed below
#   scripts/redbot_check.sh static_site upload   # just these
#
# A finding is a note REDbot rates WARN or BAD, or a request it could not
# complete. Each is printed under its route; one neither on ALLOW (justified)
# nor on KNOWN (real, fix pending) below fails the run (exit 1).
# REDBOT_CHECK_BUILD=0 skips the `cargo build`;
# REDBOT_CHECK_JSON=FILE also writes every route's notes, a JSON line each.
# Needs: cargo, python3 (3.11); makes a venv under target/ (scripts/redbot/venv.sh).
# Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# The examples checked by default: scripts/openapi_check.sh's list.
EXAMPLES=(send_notification dependency_tasks graceful_shutdown tracing_compression durable_notification durable_signup openapi users_api sse_clock chat_ws upload static_site)

# Each example's main routes, one a line: METHOD PATH [json:BODY | multipart].
# A POST-only path is also asked with GET, for its 405 and `Allow`. The
# OpenAPI document and Swagger UI, the same code in every example, are
# checked once (send_notification); every example gets a path it lacks.
declare -A ROUTES=(
    [send_notification]='POST /send-notification/redbot@example.com
GET /send-notification/redbot@example.com
GET /openapi.json
HEAD /openapi.json
GET /docs
GET /docs/swagger-ui.css
GET /docs/swagger-ui-bundle.js'
    [dependency_tasks]='POST /send-notification/redbot@example.com?q=lint'
    [graceful_shutdown]='POST /reports/0
POST /jobs/1
GET /jobs/1'
    [tracing_compression]='POST /reports/weekly'
    [durable_notification]='POST /send-notification/redbot@example.com
GET /tasks/00000000-0000-4000-8000-000000000000'
    [durable_signup]='POST /signup json:{"email": "redbot@example.com"}'
    [openapi]='GET /items
POST /items json:{"name": "Lint", "price": 150}
GET /items/1
DELETE /items/1
GET /v0/items
GET /health'
    [users_api]='GET /api/v1/users/
POST /api/v1/users/ json:{"name": "Red", "email": "red@example.com"}
GET /api/v1/users/1
DELETE /api/v1/users/1'
    [sse_clock]='GET /clock?until=3'
    [chat_ws]='GET /
GET /members
GET /ws?name=redbot'
    [upload]='GET /
POST /upload multipart
GET /uploads/1'
    [static_site]='GET /
GET /api/greeting
GET /static/app.css
GET /static/app.js
GET /static/robots.txt
HEAD /static/app.css
POST /static/app.css
GET /static/missing.css
OPTIONS /api/greeting'
)
COMMON_ROUTES='GET /no/such/path'

# What an example needs to get past its door (as scripts/openapi_check.sh).
declare -A HEADERS=(
    [openapi]='x-api-key: secret'
    [users_api]='Authorization: Bearer admin-token'
)
# Environment an example runs with, beyond ATODE_ADDR (sse_clock ticks every
# 10 ms, so its stream of 3 ticks ends at once).
declare -A EXAMPLE_ENV=(
    [sse_clock]='SSE_CLOCK_TICK_MS=10'
)

# Findings that are justified: EXAMPLE|METHOD PATH|NOTE_ID (shell-style
# wildcards), each with why it is not a defect.
ALLOW=(
    # A response to POST is never reused on a heuristic: RFC 9110 9.3.3 and
    # RFC 9111 4.2.2 let a cache reuse one only with explicit freshness (and
    # Content-Location). REDbot applies the GET rule to it.
    '*|POST *|FRESHNESS_HEURISTIC'
    # A handler's answer carries the Cache-Control its app gives it: atode,
    # like FastAPI, adds none (it cannot know how long an API's data stays
    # fresh). These have no Last-Modified, so browsers and common caches do
    # not store them on a heuristic anyway.
    'static_site|GET /|FRESHNESS_HEURISTIC'
    'static_site|GET /api/greeting|FRESHNESS_HEURISTIC'
    'openapi|GET /items*|FRESHNESS_HEURISTIC'
    'openapi|GET /health|FRESHNESS_HEURISTIC'
    'users_api|GET /api/v1/users/*|FRESHNESS_HEURISTIC'
    'chat_ws|GET /|FRESHNESS_HEURISTIC'
    'chat_ws|GET /members|FRESHNESS_HEURISTIC'
    'upload|GET /|FRESHNESS_HEURISTIC'
    'upload|GET /uploads/*|FRESHNESS_HEURISTIC'
    # REDbot's range check asks for bytes=0-N with N the length of its sample
    # (at most 96): for a body shorter than that (robots.txt, 23 bytes) the
    # range covers the whole file, so a correct 206 has the full length (it
    # also reports RANGE_CORRECT for the same response).
    'static_site|GET /static/robots.txt|RANGE_CL_FULL'
    # A 201 without Location: the signup creates a user that no URL of this
    # example serves (it has no route that reads users), so there is none to
    # give. RFC 9110 15.3.2 does not require one: "The primary resource
    # created by the request is identified by either a Location header field
    # in the response or, if no Location header field is received, by the
    # target URI". REDbot rates every 201 without it BAD.
    'durable_signup|POST /signup|CREATED_WITHOUT_LOCATION'
)

# Real findings whose fix is not yet made: shown as "known" and tolerated,
# so that any new finding fails the run. Remove an entry with its fix.
# (Issue 23's are fixed: the static files' 304 Vary and Cache-Control in
# examples/static_site.rs, the ETag and no-cache of /openapi.json and /docs
# in runtime/src/openapi/docs_page.rs, the event stream's no-store in
# runtime/src/sse/response.rs, and Location on the examples' 201s.)
KNOWN=()

case "${1:-}" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac
if [[ $# -gt 0 ]]; then
    EXAMPLES=("$@")
fi

fail() {
    echo "redbot_check: FAILED: $*" >&2
    exit 1
}

source "$root/scripts/lib/example.sh"
venv="$("$root/scripts/redbot/venv.sh")"

started=$SECONDS
if [[ "${REDBOT_CHECK_BUILD:-1}" != 0 ]]; then
    # --workspace: the features of `cargo test --workspace`, so that after it
    # nothing is compiled again.
    echo "redbot_check: cargo build --workspace --examples"
    cargo build --quiet --workspace --examples
fi
allow_args=()
for pattern in "${ALLOW[@]}"; do allow_args+=(--allow "$pattern"); done
for pattern in "${KNOWN[@]}"; do allow_args+=(--known "$pattern"); done
json_args=()
if [[ -n "${REDBOT_CHECK_JSON:-}" ]]; then
    : >"$REDBOT_CHECK_JSON"
    json_args=(--json "$REDBOT_CHECK_JSON")
fi

failed=()
for example in "${EXAMPLES[@]}"; do
    [[ -n "${ROUTES[$example]:-}" ]] || fail "no routes listed for $example in ROUTES"
    echo
    echo "=== redbot_check: $example"

    scratch="$(mktemp -d "${TMPDIR:-/tmp}/atode-redbot-$example.XXXXXX")"
    example_env=()
    if [[ -n "${EXAMPLE_ENV[$example]:-}" ]]; then example_env=("${EXAMPLE_ENV[$example]}"); fi
    example_start "$example" "$scratch" ATODE_SHUTDOWN_DEADLINE=5 "${example_env[@]}"
    addr="$example_addr"

    route_args=()
    while IFS= read -r route; do
        [[ -n "$route" ]] && route_args+=(--route "$route")
    done <<<"${ROUTES[$example]}
$COMMON_ROUTES"
    header_args=()
    if [[ -n "${HEADERS[$example]:-}" ]]; then header_args=(--header "${HEADERS[$example]}"); fi
    if ! "$venv/bin/python" "$root/scripts/redbot/check.py" --base "http://$addr" --example "$example" \
        "${header_args[@]}" "${allow_args[@]}" "${json_args[@]}" "${route_args[@]}"; then
        failed+=("$example")
    fi

    example_stop "$example" "$scratch"
    rm -rf "$scratch"
    scratch=
done

echo
echo "redbot_check: checked ${EXAMPLES[*]} in $((SECONDS - started))s"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "redbot_check: findings not on the allow-list in: ${failed[*]}" >&2
fi
echo "redbot_check: $((${#EXAMPLES[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
[[ ${#failed[@]} -eq 0 ]]
