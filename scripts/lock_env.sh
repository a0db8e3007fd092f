#!/usr/bin/env bash
# Rewrite envs/constraints.txt from the current .venv (pip freeze, augeval itself left out).
set -euo pipefail
cd "$(dirname "$0")/.."
grep '^#' envs/constraints.txt > envs/constraints.txt.tmp  # keep the header
.venv/bin/python -m pip freeze --exclude-editable | grep -v '^augeval' >> envs/constraints.txt.tmp
mv envs/constraints.txt.tmp envs/constraints.txt
