#!/usr/bin/env bash
# Prove minigrad on a GPU in one go (or rehearse it on the CPU with --device strict).
# All options and the one-line command for a lent GPU machine: tools/gpu_check.py's docstring,
# or `bash tools/gpu_check.sh --help`. Installs nothing: the repository goes on PYTHONPATH.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-$(command -v python3 || command -v python)}"
exec "$PY" tools/gpu_check.py "$@"
