#!/usr/bin/env bash
# Makes (once) a Python virtual environment under target/ holding pinned
# packages, and prints its path: the one recipe every script's venv uses.
#
#   scripts/lib/venv.sh NAME PIN...       # -> /abs/path/to/target/NAME-venv
#   scripts/lib/venv.sh http2 h2==4.4.1 hyperframe==6.1.0
#
# $VENV_DIR overrides the directory. Quick when the venv already holds the
# pins (a stamp file names them); a change of pins rebuilds it from
# scratch. pip's chatter goes to stderr, so stdout is only the path.
set -euo pipefail
cd "$(dirname "$0")/../.."

name="${1:?usage: venv.sh NAME PIN...}"
shift
pins="$*"
venv="${VENV_DIR:-target/$name-venv}"
[[ "$venv" = /* ]] || venv="$PWD/$venv"
stamp="$venv/.atode-pins"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$pins" ]]; then
    echo "$venv"
    exit 0
fi

python="${PYTHON:-python3}"
echo "$name venv: creating $venv with $pins ($("$python" --version))" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
# One argument per pin.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
echo "$pins" >"$stamp"
echo "$venv"
