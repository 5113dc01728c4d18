"""conda executables and environments, and the one check that decides where installs may go."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..cct.jsonload import PREFIX_RECORD_MAX_BYTES, PREFIX_RECORD_MAX_DEPTH, loads_strict
from ..errors import InvalidValue

_HISTORY_CMD = re.compile(r"^#\s*cmd:\s*(\S+)")
_HISTORY_MAX_BYTES = 4 << 20
_CONDA_NAMES = frozenset({"conda", "mamba", "conda.exe", "mamba.exe", "conda-script.py"})


def find_conda_executable(environ: Mapping[str, str] | None = None) -> Path | None:
    """IPython ``%conda``'s order: ``$CONDA_EXE``/``$MAMBA_EXE``, beside ``sys.executable``, history, PATH."""
    environ = os.environ if environ is None else environ
    for var in ("CONDA_EXE", "MAMBA_EXE"):
        value = environ.get(var)
        if value and Path(value).is_file():
            return Path(value)
    sibling = Path(sys.executable).parent / ("conda.exe" if os.name == "nt" else "conda")
    if sibling.is_file():
        return sibling
    history = Path(sys.prefix) / "conda-meta" / "history"
    try:
        with history.open("rb") as fh:
            text = fh.read(_HISTORY_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        match = _HISTORY_CMD.match(line)
        if match and Path(match.group(1)).name in _CONDA_NAMES and Path(match.group(1)).is_file():
            return Path(match.group(1))
    found = shutil.which("conda", path=environ.get("PATH"))
    return Path(found) if found else None


def conda_version(exe: Path) -> str | None:
    """From the installation's ``conda-meta/conda-<version>-<build>.json`` (no subprocess)."""
    for root in (exe.parent.parent, exe.parent.parent.parent):
        meta = root / "conda-meta"
        for path in sorted(meta.glob("conda-[0-9]*.json")) if meta.is_dir() else []:
            try:
                record = loads_strict(
                    path.read_bytes(), max_bytes=PREFIX_RECORD_MAX_BYTES, max_depth=PREFIX_RECORD_MAX_DEPTH
                )
            except (OSError, ValueError):
                continue
            if record.get("name") == "conda":
                return str(record.get("version"))
    return None


def content_trust_importable(prefix: Path) -> bool:
    """Is conda-content-trust installed in ``prefix`` (conda's own verification needs it)?"""
    prefix = Path(prefix)
    patterns = (
        "lib/python3*/site-packages/conda_content_trust/__init__.py",
        "Lib/site-packages/conda_content_trust/__init__.py",
    )
    return any(any(prefix.glob(p)) for p in patterns)


def is_conda_prefix(path: Path) -> bool:
    """conda's own test (``conda-meta/history``, which ``conda create`` writes), or a ``conda-meta`` that holds
    package records (environments other tools made); an empty ``conda-meta`` directory is not an environment."""
    meta = Path(path) / "conda-meta"
    if (meta / "history").is_file():
        return True
    try:
        return meta.is_dir() and any(p.suffix == ".json" and p.is_file() for p in meta.iterdir())
    except OSError:
        return False


def enclosing_environment(path: str) -> str | None:
    """The environment a (resolved) path lies strictly inside, if any: such a path is part of that environment
    (``env/lib``, ``env/conda-meta``, ``env/envs/x`` is fine only when it is an environment of its own: conda's
    nested ``envs``)."""
    for parent in Path(path).parents:
        if is_conda_prefix(parent):
            nested = Path(path).relative_to(parent).parts
            if len(nested) == 2 and nested[0] == "envs" and is_conda_prefix(Path(path)):
                return None  # <root>/envs/<name>: conda's own layout
            return str(parent)
    return None


@dataclass(frozen=True)
class Environment:
    name: str
    prefix: Path
    kind: Literal["kernel", "named", "admin"]
    is_server_prefix: bool


def list_environments(
    *,
    envs_dirs: Sequence[Path],
    extra_roots: Sequence[Path] = (),
    kernel_prefix: Path | None = None,
    server_prefix: Path | None = None,
    active_prefix: Path | None = None,
) -> list[Environment]:
    """Conda environments installs may target: the kernel's, named ones, and admin-allowed prefixes."""
    server = os.path.realpath(server_prefix) if server_prefix else None
    found: list[Environment] = []
    seen: set[str] = set()

    def add(prefix: Path, name: str, kind: Literal["kernel", "named", "admin"]) -> None:
        real = os.path.realpath(prefix)
        if real in seen or not is_conda_prefix(prefix):
            return
        seen.add(real)
        found.append(Environment(name, Path(prefix), kind, real == server))

    if kernel_prefix:
        add(kernel_prefix, Path(kernel_prefix).name or "kernel", "kernel")
    if active_prefix:
        add(active_prefix, Path(active_prefix).name, "named")
    for directory in envs_dirs:
        for child in _children(Path(directory)):
            add(child, child.name, "named")
    for root in extra_roots:
        root = Path(root)
        if is_conda_prefix(root):
            add(root, root.name, "admin")
        for child in _children(root):
            add(child, child.name, "admin")
    if server_prefix:
        add(server_prefix, Path(server_prefix).name or "server", "named")
    return found


def _children(directory: Path) -> list[Path]:
    """Entries of a directory of environments that are inside it once every symlink is resolved (a link to an
    environment elsewhere does not make that environment allowed)."""
    try:
        entries = sorted(directory.iterdir()) if directory.is_dir() else []
    except OSError:
        return []
    real = os.path.realpath(directory)
    return [child for child in entries if _inside(os.path.realpath(child), real) and os.path.realpath(child) != real]


class PrefixNotAllowed(InvalidValue):
    """The requested install target is outside what the policy allows installing into."""


_ENCODED = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)


def _inside(path: str, root: str) -> bool:
    """Whole-path-component containment after realpath (never a string prefix test)."""
    return Path(path) == Path(root) or Path(root) in Path(path).parents


def resolve_target_prefix(
    requested: str,
    *,
    allowed: Sequence[Environment],
    allowed_roots: Sequence[Path],
    server_prefix: Path,
    allow_server_prefix: bool,
) -> Path:
    """The resolved prefix an install may change, or :class:`PrefixNotAllowed`.

    The target, with every symlink resolved, must be a listed environment or an environment inside an allowed
    root (itself resolved); it must be an environment (:func:`is_conda_prefix`) and not a directory inside
    another one; without ``allow_server_prefix``, neither the server's environment nor anything under it.
    """
    if not isinstance(requested, str) or not requested.strip():
        raise PrefixNotAllowed("name an environment or a prefix to install into")
    if any(ord(c) < 32 for c in requested):
        raise PrefixNotAllowed("the environment name contains control characters")
    if _ENCODED.search(requested):
        raise PrefixNotAllowed("the environment name contains URL-encoded path characters")
    by_name = [e for e in allowed if e.name == requested]
    if len(by_name) == 1 and os.sep not in requested:
        target = os.path.realpath(by_name[0].prefix)
    else:
        path = Path(requested).expanduser()
        if not path.is_absolute():
            raise PrefixNotAllowed(f"unknown environment {requested!r}: give a listed name or an absolute prefix path")
        if ".." in path.parts:
            raise PrefixNotAllowed("prefix paths may not contain '..'")
        target = os.path.realpath(path)
        listed = {os.path.realpath(e.prefix) for e in allowed}
        roots = [os.path.realpath(r) for r in allowed_roots]
        if target not in listed and not any(_inside(target, r) for r in roots):
            raise PrefixNotAllowed(
                f"{requested} is not an environment your policy allows installing into "
                "(listed environments and allowed_prefix_roots)"
            )
    server = os.path.realpath(server_prefix)
    if not allow_server_prefix and _inside(target, server):
        raise PrefixNotAllowed(
            "installing into the environment that runs this Jupyter server is not allowed here (nor into anything "
            "inside it); choose a kernel environment"
        )
    outer = enclosing_environment(target)
    if outer is not None:
        raise PrefixNotAllowed(f"{requested} is inside the environment {outer}, not an environment of its own")
    if not is_conda_prefix(Path(target)):
        raise PrefixNotAllowed(
            f"{requested} is not a conda environment (no conda-meta/history): create it with conda first"
        )
    return Path(target)
