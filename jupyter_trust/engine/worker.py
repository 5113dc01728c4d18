"""The rattler worker: one JSON request on stdin, one JSON reply on stdout, then ``os._exit``.

rattler's async runtime can crash a process at interpreter exit; running it here, and ending with
``os._exit`` after flushing the reply, keeps every parent's exit code reliable. The worker never receives
a token: it solves over repodata files the parent already downloaded and verified, and links archives the
parent already downloaded and hashed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..plans.specs import SpecError, parse_spec, spec_names


def _record_json(record: Any) -> dict[str, Any]:
    data = json.loads(record.to_json())
    data.setdefault("fn", record.file_name)
    data.setdefault("url", record.url)
    data.setdefault("channel", record.channel)
    return data


def _installed(prefix: str | None) -> list[Any]:
    from rattler import PrefixRecord

    meta = Path(prefix or "") / "conda-meta"
    if not prefix or not meta.is_dir():
        return []
    return [PrefixRecord.from_path(str(p)) for p in sorted(meta.glob("*.json"))]


#: repodata files read ahead of a request (a server's spare worker, told the captures of the last plan);
#: a capture's file is named by its sha256, so the same path is the same bytes
_LOADED: dict[tuple[str, str, str], Any] = {}


def _sparse(entries: list[dict[str, str]]) -> list[Any]:
    from rattler import Channel, SparseRepoData

    out = []
    for e in entries:
        key = (e["channel"], e["subdir"], e["path"])
        if key not in _LOADED:
            try:
                _LOADED[key] = SparseRepoData(Channel(e["channel"]), e["subdir"], e["path"])
            except Exception as exc:  # rattler is the one reader of the whole document: its refusal is the reason
                where = f"channel {e['channel']} ({e['subdir']})"
                raise RuntimeError(f"{where} has unusable repodata: document is not valid JSON: {exc}") from None
        out.append(_LOADED[key])
    return out


def _preload(req: dict[str, Any]) -> None:
    """Index repodata the next request will probably name; a file that is gone or unreadable is skipped (the
    request itself will say so)."""
    for entry in req.get("repodata", []):
        with contextlib.suppress(Exception):
            _sparse([entry])


def _request() -> dict[str, Any]:
    """The one request, after any number of preload lines (each one JSON line; the request ends the input)."""
    while True:
        line = sys.stdin.readline()
        req = json.loads(line)
        if not isinstance(req, dict) or req.get("op") != "preload":
            return req
        _preload(req)


async def _solve(req: dict[str, Any]) -> dict[str, Any]:
    import datetime as dt

    from rattler import VirtualPackage, solve_with_sparse_repodata

    requested = spec_names(req["specs"])  # SpecError -> reported as kind "spec"
    # The solver's own parser is stricter than MatchSpec's (conda's `name=1.0=build` fails there): hand it each
    # spec in MatchSpec's canonical form.
    specs = [str(parse_spec(spec)) for spec in req["specs"]]
    installed = _installed(req.get("prefix"))
    # Everything already installed stays in the environment (at its locked version unless a request needs
    # another): without its name among the specs the solver would leave it out, i.e. plan to remove it.
    keep = sorted({r.name.normalized for r in installed} - set(requested))
    records = await solve_with_sparse_repodata(
        [*specs, *keep],
        _sparse(req["repodata"]),
        locked_packages=installed,
        virtual_packages=VirtualPackage.detect(),
        timeout=dt.timedelta(seconds=float(req.get("timeout", 120))),
    )
    return {
        "records": [_record_json(r) for r in records],
        "installed": [_record_json(r) for r in installed],
        "requested": requested,
    }


async def _link(req: dict[str, Any]) -> dict[str, Any]:
    from rattler import PackageName, RepoDataRecord, install
    from rattler.package_streaming import extract

    prefix = req["prefix"]
    installed = _installed(prefix)
    new: list[Any] = []
    originals: dict[str, tuple[str, str]] = {}
    for art in req["artifacts"]:
        src = art["source"]
        (sparse,) = _sparse([src])
        matches = [r for r in sparse.load_records(PackageName(art["name"])) if r.file_name == art["fn"]]
        if len(matches) != 1:
            raise RuntimeError(f"{art['fn']} is not in the verified repodata")
        record = matches[0]
        local = Path(art["path"]).resolve()
        originals[art["fn"]] = (record.url, record.channel)
        new.append(RepoDataRecord(record, record.file_name, local.as_uri(), record.channel))
    # Every archive must extract cleanly before anything is linked.
    with tempfile.TemporaryDirectory(prefix="jt-check-") as staging:
        for index, art in enumerate(req["artifacts"]):
            try:
                extract(art["path"], os.path.join(staging, str(index)))
            except Exception as exc:
                raise RuntimeError(f"{art['fn']} is not a valid conda package: {exc}") from None
    replaced = {r.name.normalized for r in new} | set(req.get("remove", []))
    desired = [r for r in installed if r.name.normalized not in replaced] + new
    await install(
        desired,
        target_prefix=prefix,
        cache_dir=req["cache_dir"],
        installed_packages=installed,
        show_progress=False,
        execute_link_scripts=False,
    )
    # conda-meta shows the original, token-free URL of each record, not the private local copy.
    for path in (Path(prefix) / "conda-meta").glob("*.json"):
        data = json.loads(path.read_text())
        if data.get("fn") in originals:
            data["url"], data["channel"] = originals[data["fn"]]
            data.pop("package_tarball_full_path", None)
            path.write_text(json.dumps(data, indent=2, sort_keys=True))
    return {"linked": sorted(originals), "removed": sorted(set(req.get("remove", [])))}


async def _installed_op(req: dict[str, Any]) -> dict[str, Any]:
    return {"installed": [_record_json(r) for r in _installed(req["prefix"])]}


OPS = {"solve": _solve, "link": _link, "installed": _installed_op}


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """A linker must never go on changing an environment unsupervised: on Linux the kernel kills it when the
    process that started it dies (``PR_SET_PDEATHSIG``); if that process is already gone, stop now."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the environment lock the worker holds still guards
            pass
    if os.getppid() != parent:
        os._exit(1)


def main() -> None:
    parent = os.getppid()
    try:
        import rattler  # noqa: F401 - loaded before the request arrives: callers start the worker early
    except ImportError:
        pass
    try:
        req = _request()
        if not isinstance(req, dict) or req.get("op") not in OPS:
            raise ValueError("malformed worker request")
        if req["op"] == "link":
            die_with_parent(parent)
        reply = {"ok": True, **asyncio.run(OPS[req["op"]](req))}
    except SpecError as exc:
        reply = {"ok": False, "kind": "spec", "error": str(exc)}
    except Exception as exc:  # reported to the parent as data; the parent decides what to show
        reply = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}" if not str(exc).startswith(type(exc).__name__) else str(exc),
        }
    sys.stdout.write(json.dumps(reply))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
