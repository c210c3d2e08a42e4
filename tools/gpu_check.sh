#!/usr/bin/env bash
# Prove minigrad on a GPU in one go (or rehearse it on the CPU with --device strict).
# All options and the one-line command for a lent GPU machine: tools/gpu_check.py's docstring,
# or `bash tools/gpu_check.sh --help`. Installs nothing: the repository goes on PYTHONPATH.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# The interpreter: $PYTHON, else the first of python3/python that has CuPy (for a GPU run),
# else the first that has NumPy.
PY="${PYTHON:-}"
for need in cupy numpy; do
  for c in python3 python; do
    if [ -z "$PY" ] && command -v "$c" >/dev/null && "$c" -c "import $need" 2>/dev/null; then PY="$c"; fi
  done
done
exec "${PY:-python3}" tools/gpu_check.py "$@"
