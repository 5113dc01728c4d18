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
from .cct.jsonload import loads_strict
from .fsutil import atomic_write, writing

#: a journal record is a small flat document (a task's JSON); anything bigger or deeper is not one of ours
MAX_RECORD_BYTES = 256 * 1024
MAX_RECORD_DEPTH = 8

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


def interrupted(directory: Path, *, live_ids: Container[str] = ()) -> list[dict[str, Any]]:
    """Records of installs whose process died while they ran (shown in the status document)."""
    return [
        {**{k: v for k, v in record.items() if k not in ("pid", "owner")}, "state": "interrupted", "error": INTERRUPTED}
        for _, record in _records(directory)
        if _dead(record, live_ids)
    ]


def resolve(directory: Path, prefix: str, *, live_ids: Container[str] = ()) -> None:
    """A successful install into ``prefix`` repaired what earlier interrupted installs there left."""
    for path, record in _records(directory):
        if record.get("prefix") == prefix and _dead(record, live_ids):
            write(path, {**record, "state": "repaired"})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
