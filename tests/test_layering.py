"""The core imports no Jupyter code; the adapters are the only Jupyter-facing modules."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import jupyter_trust

ADAPTERS = ("jupyter_trust.server", "jupyter_trust.commands", "jupyter_trust.magic", "jupyter_trust.cli")
JUPYTER = ("jupyter_server", "jupyter_core", "jupyterlab", "traitlets", "IPython", "ipykernel", "tornado", "notebook")


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(jupyter_trust.__path__, "jupyter_trust."):
        if info.name.startswith(ADAPTERS) or info.name.endswith("._version"):
            continue
        names.append(info.name)
    return names


def test_core_imports_no_jupyter_code():
    modules = core_modules()
    assert "jupyter_trust.cct.verify" in modules and "jupyter_trust.core" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    if name.endswith('.worker') or name.endswith('__main__'):\n"
        "        continue\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {JUPYTER!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core pulled in Jupyter modules: {out.stdout.strip()}"


def test_cli_help_is_cheap_and_does_not_import_the_server():
    code = "import sys; from jupyter_trust import cli; print('jupyter_server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
