#!/usr/bin/env bash
# Runs every test: Python (pytest: verifier vectors, trust store, REST API, installs, a real JupyterHub with
# configurable-http-proxy from node_modules, browser) and frontend units (jest). Installs what it needs first (Debian chromium for the browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test: Debian's chromium is needed for the browser tests: sudo apt-get install chromium" >&2
  fi
fi
bash scripts/setup.sh test
export PATH="$(pwd)/.venv/bin:$PATH"
ruff check jupyter_trust tests bench
jlpm test
python -m pytest -p no:cacheprovider "$@"
