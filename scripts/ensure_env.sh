#!/usr/bin/env bash
# Create .venv (Python 3.11) if missing and install augeval with its pinned stack when
# pyproject.toml or envs/constraints.txt changed since the last install. Idempotent: a no-op when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "[augeval] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.augeval-installed
want=$(cat pyproject.toml envs/constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[augeval] installing the pinned stack into .venv (first time: several minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c envs/constraints.txt -e ".[dev]"
  echo "$want" > "$stamp"
fi
