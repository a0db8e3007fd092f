#!/usr/bin/env bash
# Test job: set up .venv if needed, lint (ruff, snakefmt, snakemake --lint), then pytest
# (unit tests + the demo workflow end to end on a tiny config). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure_env.sh
echo "[augeval] lint"
.venv/bin/ruff check src tests workflow/scripts bench
.venv/bin/ruff format --check src tests workflow/scripts bench
.venv/bin/snakefmt --check Snakefile workflow/rules
.venv/bin/snakemake --lint --cores 1 > /tmp/augeval-lint.txt 2>&1 || { cat /tmp/augeval-lint.txt; exit 1; }
echo "[augeval] tests"
exec .venv/bin/python -m pytest "$@"
