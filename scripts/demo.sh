#!/usr/bin/env bash
# Starts JupyterLab with jupyter_trust against the built-in signed demo channel (served on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/jupyter conda-trust demo "$@"
