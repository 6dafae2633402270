#!/usr/bin/env bash
# Validates an OpenAPI 3.1 document with openapi-spec-validator (in the venv
# of scripts/openapi/venv.sh), printing the validator's output.
#
#   scripts/openapi/validate.sh http://127.0.0.1:PORT/openapi.json
#   scripts/openapi/validate.sh path/to/openapi.json
#
# A URL is fetched first (it must answer 200 with a JSON content type). The
# document must say "openapi": "3.1.x", and is validated against the 3.1
# schema with every error listed. Exits non-zero on any error.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [[ $# -ne 1 ]]; then
    echo "usage: validate.sh URL|FILE" >&2
    exit 2
fi
source="$1"
venv="$("$here/venv.sh")"

work="$(mktemp -d "${TMPDIR:-/tmp}/atode-openapi-validate.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [[ "$source" =~ ^https?:// ]]; then
    file="$work/openapi.json"
    content_type="$(curl --silent --show-error --fail --max-time 30 --noproxy '*' \
        -o "$file" -w '%{content_type}' "$source")" || {
        echo "validate: FAILED: could not GET $source" >&2
        exit 1
    }
    case "$content_type" in
        application/json*|application/vnd.oai.openapi+json*) ;;
        *) echo "validate: FAILED: $source has content-type '$content_type', not application/json" >&2; exit 1 ;;
    esac
else
    file="$source"
fi

version="$(python3 -c '
import json, sys
document = json.load(open(sys.argv[1], encoding="utf-8"))
print(document.get("openapi", "") if isinstance(document, dict) else "")
' "$file")" || { echo "validate: FAILED: $source is not JSON" >&2; exit 1; }
if ! [[ "$version" =~ ^3\.1\.[0-9]+$ ]]; then
    echo "validate: FAILED: $source says \"openapi\": \"$version\", not 3.1.x" >&2
    exit 1
fi

echo "validate: openapi-spec-validator $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("openapi-spec-validator"))') on $source (openapi $version)"
status=0
"$venv/bin/openapi-spec-validator" --schema 3.1 --validation-errors all --subschema-errors all "$file" || status=$?
if [[ $status -ne 0 ]]; then
    echo "validate: FAILED: $source is not a valid OpenAPI 3.1 document (openapi-spec-validator exited $status)" >&2
    exit 1
fi
