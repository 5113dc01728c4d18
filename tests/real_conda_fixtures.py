"""Real conda for the real-conda tier (``tests/test_real_conda.py``).

A real conda is never built here: ``JUPYTER_TRUST_TEST_CONDA_25`` / ``JUPYTER_TRUST_TEST_CONDA_26`` name a
virtualenv made by the project's ``real-conda/build.sh DEST 25.1.1|26.7.1`` (or its ``bin/python`` or ``bin/conda``);
``.ci/run`` builds both and sets them. Without a variable the tests of that version skip, saying which variable to set.

Each test gets its own :class:`CondaInstall` over the build: a tiny virtualenv whose ``.pth`` file points at the
build's site-packages, so conda's ``sys.prefix`` — and with it the trust-root directory ``etc/conda`` that conda
reads and writes — is private to the test while conda's code is shared. conda runs the way its README says it
must: ``python -m conda`` (a pip-installed ``bin/conda`` refuses every command but ``init``/``info``), the classic
solver, a private ``CONDARC``, ``CONDA_PKGS_DIRS`` and ``HOME``, and no ``CONDA_*`` variable inherited.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

VARIABLES = {"25": "JUPYTER_TRUST_TEST_CONDA_25", "26": "JUPYTER_TRUST_TEST_CONDA_26"}
TIMEOUT = 240

_PROBE = (
    "import json, sysconfig, conda, conda_content_trust as c;"
    "print(json.dumps({'conda': conda.__version__, 'cct': c.__version__, 'purelib': sysconfig.get_paths()['purelib']}))"
)


@dataclass(frozen=True)
class RealConda:
    """One real-conda build (a virtualenv with conda and conda-content-trust)."""

    major: str
    venv: Path
    version: str
    cct_version: str
    purelib: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def _venv_of(value: str) -> Path:
    path = Path(value).expanduser().absolute()  # not resolved: bin/python is a symlink out of the venv
    if path.is_file():  # DEST/bin/conda or DEST/bin/python
        path = path.parent.parent
    return path


#: what this session found per major version, for the closing summary
_FOUND: dict[str, str] = {}


def find_real_conda(major: str) -> RealConda:
    """The build named by the variable for ``major``; skips (naming the variable) when it is not set."""
    variable = VARIABLES[major]
    value = os.environ.get(variable)
    if not value:
        _FOUND[major] = f"SKIPPED: {variable} is not set"
        pytest.skip(
            f"real conda {major}.x not configured: set {variable} to a virtualenv made by "
            f"real-conda/build.sh (.ci/run does)"
        )
    venv = _venv_of(value)
    python = venv / "bin" / "python"
    if not python.is_file():
        pytest.fail(f"{variable}={value} is not a virtualenv with bin/python (made by real-conda/build.sh)")
    out = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True, timeout=60, env=_clean_env({}))
    if out.returncode:
        pytest.fail(f"{variable}={value}: conda does not import: {out.stderr.strip()[-500:]}")
    info = json.loads(out.stdout)
    if not str(info["conda"]).startswith(f"{major}."):
        pytest.fail(f"{variable} names conda {info['conda']}, not {major}.x")
    _FOUND[major] = f"conda {info['conda']} with conda-content-trust {info['cct']} ({variable})"
    return RealConda(major, venv, str(info["conda"]), str(info["cct"]), Path(info["purelib"]))


def _clean_env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """``base`` without any CONDA_* variable (conda reads them all as settings), plus ``extra``."""
    env = {k: v for k, v in base.items() if not k.upper().startswith("CONDA_") and k != "_CE_CONDA"}
    env.update(extra)
    return env


@dataclass
class CondaInstall:
    """A private conda installation over a build: own ``sys.prefix`` (trust root dir), package cache and condarc."""

    build: RealConda
    prefix: Path

    @property
    def exe(self) -> Path:
        """``python -m conda`` as an executable, for jupyter_trust's ``CONDA_EXE``."""
        return self.prefix / "bin" / "conda"

    @property
    def trust_dir(self) -> Path:
        """conda's ``av_data_dir``: it loads the highest ``N.root.json`` here and writes newer roots and key_mgr."""
        return self.prefix / "etc" / "conda"

    @property
    def pkgs_dir(self) -> Path:
        return self.prefix / "pkgs"

    def trust(self, root_json: Path) -> None:
        """Make ``root_json`` conda's trust anchor (as conda-anaconda-trust-root installs Anaconda's)."""
        self.trust_dir.mkdir(parents=True, exist_ok=True)
        (self.trust_dir / "1.root.json").write_bytes(root_json.read_bytes())

    def environ(self, base: Mapping[str, str], condarc: Path) -> dict[str, str]:
        """The environment conda must run with: classic solver, private CONDARC and package cache, no CONDA_*."""
        return _clean_env(
            base,
            CONDARC=str(condarc),
            CONDA_PKGS_DIRS=str(self.pkgs_dir),
            CONDA_SOLVER="classic",
        )

    def run(self, args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.exe), *args],
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )


def make_conda_install(build: RealConda, base: Path) -> CondaInstall:
    base.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(build.python), "-m", "venv", "--without-pip", "--symlinks", str(base)],
        check=True,
        capture_output=True,
        timeout=120,
        env=_clean_env(os.environ),
    )
    install = CondaInstall(build, base)
    purelib = base / build.purelib.relative_to(build.venv)
    purelib.mkdir(parents=True, exist_ok=True)
    (purelib / "_real_conda_build.pth").write_text(f"{build.purelib}\n")
    install.exe.write_text(f'#!/bin/sh\nexec "{base}/bin/python" -m conda "$@"\n')
    install.exe.chmod(0o755)
    install.trust_dir.mkdir(parents=True, exist_ok=True)
    return install


@pytest.fixture(scope="session", params=sorted(VARIABLES))
def real_conda(request: pytest.FixtureRequest) -> RealConda:
    """Each configured real conda, checked once per session (never built here)."""
    return find_real_conda(request.param)


@pytest.fixture
def conda_install(real_conda: RealConda, tmp_path: Path) -> CondaInstall:
    return make_conda_install(real_conda, tmp_path / "conda")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which real condas the tier ran against, or that it was skipped, whenever it was collected."""
    for major in sorted(_FOUND):
        terminalreporter.write_line(f"real-conda tier {major}.x: {_FOUND[major]}")
