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

venv="${HTTP2_VENV:-target/http2-venv}"
[[ "$venv" = /* ]] || venv="$PWD/$venv"
pins="h2==$H2_VERSION hyperframe==$HYPERFRAME_VERSION hpack==$HPACK_VERSION"
stamp="$venv/.atode-pins"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$pins" ]]; then
    echo "$venv"
    exit 0
fi

python="${PYTHON:-python3}"
echo "http2 venv: creating $venv with $pins ($("$python" --version))" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
# pip's own chatter goes to stderr so that stdout is only the venv's path.
# $pins unquoted on purpose: one argument per pin.
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pins >&2
"$venv/bin/python" -c 'import h2, hyperframe, hpack' >&2
echo "$pins" >"$stamp"
echo "$venv"
