#!/usr/bin/env bash
# Installs everything jupyter_trust needs into ./.venv (idempotent; quick when nothing changed).
# Used by scripts/demo.sh and scripts/test.sh; needs python3 (>=3.10) and Node.js on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="${JUPYTER_TRUST_VENV:-$ROOT/.venv}"
WITH_TEST="${1:-}"

if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js is required to build the JupyterLab extension (apt-get install nodejs)" >&2
  exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"

stamp_src=$(cat pyproject.toml package.json | sha256sum | cut -c1-16)
stamp="$VENV/.jupyter_trust-deps-$stamp_src${WITH_TEST:+-test}"
if [ ! -f "$stamp" ]; then
  "$PY" -m pip install --quiet --upgrade pip
  # Build requirements first: the wheel build compiles the lab extension with the installed JupyterLab.
  "$PY" -m pip install --quiet "jupyterlab>=4.4,<5" "hatchling>=1.21" "hatch-nodejs-version>=0.3.2" \
    "hatch-jupyter-builder>=0.5" "editables"
  extras="demo"
  [ -n "$WITH_TEST" ] && extras="demo,test"
  # Dependencies only (the package itself is installed editable below, after the frontend build).
  "$PY" - "$extras" <<'PYEOF' > "$VENV/.requirements.txt"
import sys, tomllib
data = tomllib.load(open("pyproject.toml", "rb"))["project"]
reqs = list(data["dependencies"])
for extra in sys.argv[1].split(","):
    reqs += data["optional-dependencies"][extra]
print("\n".join(reqs))
PYEOF
  "$PY" -m pip install --quiet -r "$VENV/.requirements.txt"
  rm -f "$VENV"/.jupyter_trust-deps-*
  touch "$stamp"
fi

# The lab extension: jlpm (JupyterLab's bundled yarn) installs the npm packages and builds it.
# (Re-)run when package.json or yarn.lock changed, e.g. a new devDependency such as configurable-http-proxy.
if [ ! -d node_modules ] || [ package.json -nt node_modules/.yarn-state.yml ] \
  || [ yarn.lock -nt node_modules/.yarn-state.yml ] 2>/dev/null; then
  jlpm install
fi
jlpm build:prod
# An editable install copies the built extension into share/; a leftover development symlink there
# would make pip move the source folder, so drop it first and re-link afterwards.
link="$VENV/share/jupyter/labextensions/jupyter-trust"
[ -L "$link" ] && rm -f "$link"
"$PY" -m pip install --quiet --no-build-isolation --no-deps -e .
jupyter labextension develop --overwrite . >/dev/null
