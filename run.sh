#!/usr/bin/env bash
# Main job: set up .venv if needed, then run the whole workflow on config/config.yaml with all
# cores. Extra arguments go to snakemake (e.g. `bash run.sh -n`, or a target file).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure_env.sh
exec .venv/bin/snakemake --cores all --profile profiles/local "$@"
