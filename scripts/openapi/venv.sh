#!/usr/bin/env bash
# Makes (once) the Python virtual environment the OpenAPI checks run in:
# openapi-spec-validator and schemathesis, pinned. Prints the venv's path.
#
#   scripts/openapi/venv.sh            # -> /abs/path/to/target/openapi-venv
#   OPENAPI_VENV=/some/dir scripts/openapi/venv.sh
#
# Quick when the venv already holds the pinned versions (a stamp file names
# them); a change of pins rebuilds it from scratch.
set -euo pipefail
cd "$(dirname "$0")/../.."

OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
SCHEMATHESIS_VERSION=4.32.5

venv="${OPENAPI_VENV:-target/openapi-venv}"
[[ "$venv" = /* ]] || venv="$PWD/$venv"
pins="openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION schemathesis==$SCHEMATHESIS_VERSION"
stamp="$venv/.atode-pins"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$pins" ]]; then
    echo "$venv"
    exit 0
fi

python="${PYTHON:-python3}"
echo "openapi venv: creating $venv with $pins ($("$python" --version))" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
# pip's own chatter goes to stderr so that stdout is only the venv's path.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pins >&2
"$venv/bin/openapi-spec-validator" --help >/dev/null
"$venv/bin/schemathesis" --version >&2
echo "$pins" >"$stamp"
echo "$venv"
