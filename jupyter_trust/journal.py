"""The install journal: one JSON record per install, so a crash mid-install is visible afterwards.

Server tasks (``tasks.py``) and in-process installs (command line, magic) both write here,
``<work dir>/tasks/<id>.json``. A record still ``running`` whose process is gone is an *interrupted*
install; a later successful install into the same environment marks it ``repaired``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Container, Mapping
from pathlib import Path
from typing import Any

from .cct.errors import FormatError
from .cct.jsonload import PREFIX_RECORD_MAX_BYTES, loads_strict
from .fsutil import atomic_write, writing

#: a journal record is a small flat document (a task's JSON); anything bigger or deeper is not one of ours
MAX_RECORD_BYTES = 256 * 1024
MAX_RECORD_DEPTH = 8
#: a stored plan (as plans/service.py writes it)
PLAN_MAX_BYTES = 16 << 20

INTERRUPTED = (
    "the install was interrupted (its process stopped while it ran); the environment may need repair: "
    "re-run the plan, or `conda install --revision` to roll back"
)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write(path: Path, record: Mapping[str, Any]) -> None:
    with writing(f"the install journal {path} cannot be written"):
        atomic_write(path, json.dumps(record, indent=1).encode())


def read(path: Path) -> dict[str, Any]:
    """One record, parsed strictly; :class:`FormatError` or ``OSError`` when it is not a readable record."""
    record = loads_strict(Path(path).read_bytes(), max_bytes=MAX_RECORD_BYTES, max_depth=MAX_RECORD_DEPTH)
    if not isinstance(record, dict):
        raise FormatError("not a JSON object")
    return record


def _scan(directory: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[str]]:
    out, problems = [], []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            out.append((path, read(path)))
        except (OSError, FormatError) as exc:
            cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            problems.append(f"install journal record {path} is unreadable and was skipped ({cause})")
    return out, problems


def _records(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    return _scan(directory)[0]


def unreadable(directory: Path) -> list[str]:
    """A warning for each journal file that cannot be read as a record (shown in the status, never a failure)."""
    return _scan(directory)[1]


def _dead(record: Mapping[str, Any], live_ids: Container[str]) -> bool:
    if record.get("state") not in ("running", "queued") or record.get("id") in live_ids:
        return False
    pid = record.get("pid")
    return not (isinstance(pid, int) and pid != os.getpid() and _pid_alive(pid))


def _unfinished(record: Mapping[str, Any], live_ids: Container[str]) -> bool:
    """Interrupted (its process died while it ran), or failed while linking (a full disk …): either may have
    left part of the plan linked."""
    return _dead(record, live_ids) or (record.get("state") == "failed" and record.get("needs_repair") is True)


def _shown(record: Mapping[str, Any]) -> dict[str, Any]:
    error = INTERRUPTED
    if record.get("state") == "failed":
        error = f"the install failed while linking ({record.get('error')}); " + INTERRUPTED.split("; ", 1)[1]
    hidden = ("pid", "owner", "needs_repair")
    return {**{k: v for k, v in record.items() if k not in hidden}, "state": "interrupted", "error": error}


def interrupted(
    directory: Path, *, live_ids: Container[str] = (), plans_dir: Path | None = None
) -> list[dict[str, Any]]:
    """Records of installs that may have left an environment half changed (shown in the status document).

    With ``plans_dir``, a record whose plan is found fully applied in its environment (every planned record in
    ``conda-meta`` with the planned sha256 and all its files present, every planned removal gone) is marked
    ``repaired`` instead: the install finished after all, or something else completed it.
    """
    out = []
    for path, record in _records(directory):
        if not _unfinished(record, live_ids):
            continue
        if plans_dir is not None and _applied(record, plans_dir):
            write(path, {**record, "state": "repaired", "updated_at": now()})
            continue
        out.append(_shown(record))
    return out


def resolve(directory: Path, prefix: str, *, live_ids: Container[str] = ()) -> None:
    """A successful install into ``prefix`` repaired what earlier interrupted installs there left."""
    for path, record in _records(directory):
        if record.get("prefix") == prefix and _unfinished(record, live_ids):
            write(path, {**record, "state": "repaired"})


def _applied(record: Mapping[str, Any], plans_dir: Path) -> bool:
    """Is the record's plan fully applied in its environment? (False whenever anything cannot be read.)"""
    plan_id, prefix = record.get("plan_id"), record.get("prefix")
    if not isinstance(plan_id, str) or not isinstance(prefix, str) or not plan_id.isalnum():
        return False
    try:
        plan = loads_strict(
            (Path(plans_dir) / plan_id / "plan.json").read_bytes(), max_bytes=PLAN_MAX_BYTES, max_depth=16
        )
        packages = plan["packages"]
        meta = Path(prefix) / "conda-meta"
        for package in packages:
            stem = f"{package['name']}-{package['version']}-{package['build']}"
            installed = meta / f"{stem}.json"
            if package["action"] == "remove":
                if installed.exists():
                    return False
                continue
            data = loads_strict(installed.read_bytes(), max_bytes=PREFIX_RECORD_MAX_BYTES, max_depth=16)
            if data.get("sha256") != package["sha256"]:
                return False
            if not all(os.path.lexists(Path(prefix) / str(f)) for f in data.get("files") or []):
                return False
    except (OSError, FormatError, KeyError, TypeError, AttributeError):
        return False
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
