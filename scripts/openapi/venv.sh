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

venv="$(VENV_DIR="${OPENAPI_VENV:-}" scripts/lib/venv.sh openapi "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION" "schemathesis==$SCHEMATHESIS_VERSION")"
"$venv/bin/openapi-spec-validator" --help >/dev/null
echo "$venv"
