#!/usr/bin/env bash
# Makes (once) the Python virtual environment scripts/redbot/check.py runs
# in: REDbot, with the HTTP linter and the HTTP client it runs on, pinned
# (their notes and checks change between versions). Prints the venv's path.
#
#   scripts/redbot/venv.sh             # -> /abs/path/to/target/redbot-venv
#   REDBOT_VENV=/some/dir scripts/redbot/venv.sh
#
# Quick when the venv already holds the pinned versions (a stamp file names
# them); a change of pins rebuilds it from scratch. REDbot 2.7.1 needs
# Python 3.11 or newer.
set -euo pipefail
cd "$(dirname "$0")/../.."

REDBOT_VERSION=2.7.1
HTTPLINT_VERSION=2026.10.4
THOR_VERSION=0.17.0

venv="$(VENV_DIR="${REDBOT_VENV:-}" scripts/lib/venv.sh redbot "redbot==$REDBOT_VERSION" "httplint==$HTTPLINT_VERSION" "thor==$THOR_VERSION")"
"$venv/bin/redbot" --help >/dev/null
echo "$venv"
