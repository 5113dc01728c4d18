"""The install journal: one JSON record per install, so a crash mid-install is visible afterwards.

Server tasks (``tasks.py``) and in-process installs (command line, magic) both write here,
``<work dir>/tasks/<id>.json``. A record still ``running`` whose process is gone is an *interrupted*
install; a later successful install into the same environment marks it ``repaired``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Container, Mapping
from pathlib import Path
from typing import Any

from .fsutil import atomic_write

INTERRUPTED = (
    "the install was interrupted (its process stopped while it ran); the environment may need repair: "
    "re-run the plan, or `conda install --revision` to roll back"
)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write(path: Path, record: Mapping[str, Any]) -> None:
    atomic_write(path, json.dumps(record, indent=1).encode())


def _records(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in sorted(Path(directory).glob("*.json")):
        with contextlib.suppress(OSError, ValueError):
            record = json.loads(path.read_text())
            if isinstance(record, dict):
                out.append((path, record))
    return out


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
