#!/usr/bin/env bash
# Makes (once) the Python virtual environment scripts/http2/cases.py runs in:
# h2 and hyperframe (and h2's hpack), pinned. Prints the venv's path.
#
#   scripts/http2/venv.sh              # -> /abs/path/to/target/http2-venv
#   HTTP2_VENV=/some/dir scripts/http2/venv.sh
#
# Quick when the venv already holds the pinned versions (a stamp file names
# them); a change of pins rebuilds it from scratch.
set -euo pipefail
cd "$(dirname "$0")/../.."

H2_VERSION=4.4.1
HYPERFRAME_VERSION=6.1.0
HPACK_VERSION=4.2.0

venv="$(VENV_DIR="${HTTP2_VENV:-}" scripts/lib/venv.sh http2 "h2==$H2_VERSION" "hyperframe==$HYPERFRAME_VERSION" "hpack==$HPACK_VERSION")"
"$venv/bin/python" -c 'import h2, hyperframe, hpack' >&2
echo "$venv"
