"""The "Trust tour" notebook the demo opens: ``%conda_trust`` cells that work as written in the demo.

Kernels started by the demo's JupyterLab inherit ``JUPYTER_CONFIG_PATH``, ``CONDARC`` and
``JUPYTER_TRUST_ROOT`` from it, so the magic loads the same policy (the demo environment allowed), the same
channel and the same trust anchor as the server: the cells need no set-up of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..fsutil import atomic_write

TOUR_NAME = "trust-tour.ipynb"
DEMO_ENV = "demo-env"


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}


def tour_cells(env: str = DEMO_ENV) -> list[dict]:
    return [
        _md(
            "# Trust tour\n\n"
            "The demo channel has `trusty-app` and `trusty-lib` (signed), `unsigned-extra` (no signature),\n"
            "`tampered-tool` (its record was changed after signing) and two packages with publish attestations.\n"
            "Run the cells in order (*Run → Run All Cells* works too). The shield icon in the left sidebar shows\n"
            "the same plans."
        ),
        _code("%load_ext jupyter_trust"),
        _md(
            "Is signature verification on, which root is the trust anchor, is the key_mgr verified?\n"
            "(`--refresh` fetches the channel's signing metadata first.)"
        ),
        _code("%conda_trust status --refresh"),
        _md(f"A signed plan: every package is **trusted**. `--prefix {env}` names the demo environment."),
        _code(f"%conda_trust plan trusty-app --prefix {env}"),
        _md("A tampered record is **untrusted**: the whole plan is blocked, and installing it is refused."),
        _code(f"%conda_trust plan tampered-tool --prefix {env}"),
        _code(f"%conda_trust install tampered-tool --prefix {env}"),
        _md(
            "A package without a signature is **unsigned**: your policy (`unsigned: warn`) asks for a\n"
            "confirmation (`--confirm-unsigned`) before it is installed."
        ),
        _code(f"%conda_trust plan unsigned-extra --prefix {env}"),
        _md(
            "`attested-tool` has no content-trust signature but a publish attestation from the channel's trusted\n"
            "publisher: the plan shows who published it and needs no confirmation. `stranger-tool` is signed by a\n"
            "publisher your policy does not allow: blocked."
        ),
        _code(f"%conda_trust plan attested-tool --prefix {env}"),
        _code(f"%conda_trust plan stranger-tool --prefix {env}"),
        _md("Install the verified plan: exactly the planned, sha256-checked packages are linked."),
        _code(f"%conda_trust install trusty-app --prefix {env}"),
        _md(
            "Outside the demo, `%conda_trust plan numpy` plans for the kernel's own environment, and\n"
            "`%conda_trust token set` stores an Anaconda token with a hidden prompt (never in a cell)."
        ),
    ]


def tour_notebook(env: str = DEMO_ENV) -> dict:
    return {
        "cells": tour_cells(env),
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_tour(directory: Path) -> Path:
    """Write the tour into ``directory`` unless it is there already (a person's edits are kept)."""
    path = directory / TOUR_NAME
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        notebook = tour_notebook()
        for i, cell in enumerate(notebook["cells"]):
            cell["id"] = f"tour-{i}"
        atomic_write(path, (json.dumps(notebook, indent=1) + "\n").encode(), mode=0o644)
    return path
