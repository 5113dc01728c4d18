"""The installed package: server extension enabled and OK, lab extension enabled, command line on PATH."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(*argv: str) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    return ANSI.sub("", out.stdout + out.stderr)


def test_server_extension_is_enabled_and_ok():
    text = _run(sys.executable, "-m", "jupyter_server", "extension", "list")
    assert re.search(r"^\s*jupyter_trust enabled\s*$", text, re.M), text
    assert re.search(r"^\s*jupyter_trust \S+ OK\s*$", text, re.M), text


def test_lab_extension_is_installed_and_enabled():
    text = _run(sys.executable, "-m", "jupyterlab.labextensions", "list")
    assert re.search(r"^\s*jupyter-trust v\S+ enabled OK", text, re.M), text


def test_console_script_is_found_by_jupyter():
    assert shutil.which("jupyter-conda-trust")
    text = _run(shutil.which("jupyter") or "jupyter", "conda-trust", "--help")
    assert "conda-trust" in text and "verify" in text
