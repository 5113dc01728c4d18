"""The conda engine: ``conda install|create --dry-run --json`` as a **solver only**.

conda (or mamba) is asked what it would link; nothing else of its answer is trusted. The planner still captures
each channel's repodata itself, and every record conda would LINK is looked up in **those captured bytes** and
verified exactly as a rattler solution is (``Planner._finish``); a record conda names that is not in the capture,
or that differs from it, ends up untrusted and blocks the plan. Installing a plan never runs conda: the
fail-closed ``Installer`` fetches and hashes every artifact and links exactly the verified records with rattler.

conda runs with an argument list (never a shell), ``--override-channels`` and exactly the allowed channels
(token-free: conda applies its own token store), ``--`` before the specs, an environment without Hub, Jupyter or
Anaconda secrets (``childenv.child_environ``), a bounded timeout, and is killed (with its process group) on
timeout or cancel.

The output shape parsed here is current conda's (conda/conda ``conda/cli/install.py`` ``handle_txn``,
``conda/cli/common.py`` ``stdout_json_success``, ``conda/core/link.py``
``UnlinkLinkTransaction._make_legacy_action_groups``, ``conda/models/records.py`` ``dist_fields_dump``)::

    {"success": true, "dry_run": true, "prefix": "...",
     "actions": {"PREFIX": "...",
                 "FETCH": [<full PackageRecord dump: name, version, build, build_number, channel, subdir, fn,
                           url, md5, sha256, size, depends, constrains, ...>],   # only records not yet cached
                 "LINK": [{"base_url", "build_number", "build_string", "channel", "dist_name", "name",
                           "platform", "version"}],                                # dist_fields_dump()
                 "UNLINK": [<same dist_fields_dump shape>]}}
    {"success": true, "message": "All requested packages already installed."}   # nothing to do: no "actions"
    {"exception_name": "PackagesNotFoundError", "exception_type": "...", "message": "...", "error": "...",
     "caused_by": "..."}                                                          # errors (exit code non-zero)

Checked against real conda 25.1.1 and 26.7.1 (``tests/test_real_conda.py``): with content trust on,
conda-content-trust prints ``Ignoring signature from a key ("…") that is not authorized …`` on **stdout before the
JSON** (a rotated root, a record signed by a key the key_mgr does not delegate to), and mamba has printed text there
too (mamba-org/mamba#1029): leading lines are dropped until the rest parses, as mamba_gator does. conda 26 names a
missing package ``PackagesNotFoundInChannelsError`` where 25 says ``PackagesNotFoundError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..cct.errors import FormatError
from ..cct.jsonload import PREFIX_RECORD_MAX_BYTES, PREFIX_RECORD_MAX_DEPTH, loads_strict
from ..conda.tokens import token_free_url
from .base import Child, Completed, EngineError, SolveResult, run_async

LABEL = "conda"
DEFAULT_TIMEOUT = 300.0
MAX_OUTPUT_BYTES = 64 << 20
_MAX_MESSAGE = 600
_EXTENSIONS = (".conda", ".tar.bz2")


@dataclass(frozen=True)
class CondaCall:
    """One ``conda … --dry-run --json`` invocation."""

    executable: str
    specs: tuple[str, ...]
    channels: tuple[str, ...]
    prefix: str
    env: Mapping[str, str]
    timeout: float = DEFAULT_TIMEOUT
    #: ``install`` or ``create``; by default chosen from the prefix (:meth:`default_command`)
    command: str | None = None

    def default_command(self) -> str:
        """``create`` for a prefix that does not exist or has no conda-meta, ``install`` otherwise.

        A conda-meta without ``history`` is where conda versions differ: conda 25 plans ``install`` into it and
        refuses ``create`` ("prefix already exists"); conda 26 refuses ``install``
        (DirectoryNotACondaEnvironmentError) and plans ``create``. ``install`` is tried first and
        :func:`needs_create` says when to ask again with ``create``.
        """
        return "install" if (Path(self.prefix) / "conda-meta").is_dir() else "create"

    def argv(self) -> list[str]:
        command = self.command or self.default_command()
        argv = [self.executable, command, "--dry-run", "--json", "--yes", "--quiet", "--override-channels"]
        for channel in self.channels:
            argv += ["-c", token_free_url(channel)]
        return [*argv, "--prefix", self.prefix, "--", *self.specs]


@dataclass(frozen=True)
class DryRun:
    """conda's planned transaction: dist_fields_dump entries to link and unlink, full records it would fetch."""

    link: list[dict[str, Any]]
    unlink: list[dict[str, Any]]
    fetch: list[dict[str, Any]]


_NOT_AN_ENVIRONMENT = "DirectoryNotACondaEnvironmentError"


def needs_create(call: CondaCall, out: Completed) -> CondaCall | None:
    """The same call with ``create`` when conda refused ``install`` because the prefix has no history."""
    if call.command or call.default_command() != "install" or not out.returncode:
        return None
    doc = _loads_tolerant(out.stdout.decode("utf-8", errors="replace"))
    if isinstance(doc, dict) and doc.get("exception_name") == _NOT_AN_ENVIRONMENT:
        return replace(call, command="create")
    return None


class DryRunChild:
    """conda solving now (while the caller captures and parses repodata); ``answer(child.result())``."""

    def __init__(self, call: CondaCall) -> None:
        self.call = call
        self.child = self._start(call)

    @staticmethod
    def _start(call: CondaCall) -> Child:
        return Child(call.argv(), env=call.env, timeout=call.timeout, label=LABEL, new_session=True)

    def result(self) -> Completed:
        out = self.child.result()
        again = needs_create(self.call, out)
        if again is not None:
            self.call, self.child = again, self._start(again)
            out = self.child.result()
        return out

    def cancel(self) -> None:
        self.child.cancel()


def start(call: CondaCall) -> DryRunChild:
    return DryRunChild(call)


async def solve_async(call: CondaCall) -> DryRun:
    async def run(c: CondaCall) -> Completed:
        return await run_async(c.argv(), input=None, env=c.env, timeout=c.timeout, label=LABEL, new_session=True)

    out = await run(call)
    again = needs_create(call, out)
    return answer(await run(again) if again is not None else out)


# -- conda's answer ------------------------------------------------------------------------------
def _loads_tolerant(text: str) -> Any:
    """The JSON document in ``text``, dropping leading non-JSON lines (progress text, warnings) until it parses."""
    lines = text.splitlines()
    for start_line in range(len(lines)):
        if not lines[start_line].lstrip().startswith(("{", "[")):
            continue
        try:
            return json.loads("\n".join(lines[start_line:]))
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit: not conda's answer
            continue
    return None


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _entries(actions: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = actions.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise EngineError(f"conda's answer is malformed: actions.{key} is not a list of objects")
    return value


def answer(out: Completed) -> DryRun:
    """conda's dry-run answer, or an :class:`EngineError` saying why there is none (callers redact it)."""
    if len(out.stdout) > MAX_OUTPUT_BYTES:
        raise EngineError("conda's answer is larger than any plan could be; refusing it")
    doc = _loads_tolerant(out.stdout.decode("utf-8", errors="replace"))
    if not isinstance(doc, dict):
        tail = out.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:]
        detail = f": {_short(tail[0])}" if tail else ""
        if out.returncode:
            raise EngineError(f"conda failed (exit code {out.returncode}){detail}")
        raise EngineError(f"conda printed no JSON answer{detail}")
    if doc.get("exception_name") or doc.get("success") is False or doc.get("error"):
        name = str(doc.get("exception_name") or "error")
        message = doc.get("message") or doc.get("error") or "no details"
        raise EngineError(f"conda could not plan this install ({name}): {_short(str(message))}")
    if out.returncode:
        raise EngineError(f"conda failed (exit code {out.returncode}) although its answer says success")
    if doc.get("success") is not True:
        raise EngineError("conda's answer is malformed: it does not say success")
    actions = doc.get("actions")
    if actions is None:  # "All requested packages already installed."
        return DryRun([], [], [])
    if not isinstance(actions, dict):
        raise EngineError("conda's answer is malformed: actions is not an object")
    return DryRun(_entries(actions, "LINK"), _entries(actions, "UNLINK"), _entries(actions, "FETCH"))


# -- mapping onto the captured repodata -----------------------------------------------------------
def _channel_of_url(url: str, subdir: str, fn: str) -> str:
    """The channel base URL of an artifact URL ``<channel>/<subdir>/<fn>`` (token-free), or ``""``."""
    clean = token_free_url(url)
    tail = f"/{subdir}/{fn}"
    return clean[: -len(tail)].rstrip("/") if clean.endswith(tail) else ""


def _fetch_index(fetch: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    """FETCH records keyed by (token-free channel URL, subdir, dist name without the extension)."""
    index: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for record in fetch:
        fn, subdir = str(record.get("fn") or ""), str(record.get("subdir") or "")
        stem = next((fn[: -len(ext)] for ext in _EXTENSIONS if fn.endswith(ext)), None)
        if stem is None:
            continue
        index[(_channel_of_url(str(record.get("url") or ""), subdir, fn), subdir, stem)] = record
    return index


def _captured(document: Mapping[str, Any] | None, fn: str) -> dict[str, Any] | None:
    if document is None:
        return None
    section = document.get("packages.conda" if fn.endswith(".conda") else "packages") or {}
    try:
        record = section.get(fn) if isinstance(section, Mapping) else None
    except FormatError:
        return None  # a defective record: the planner finds it unusable and blocks
    return dict(record) if isinstance(record, dict) else None


#: what conda's answer is allowed to say about a record; each is compared with the captured record afterwards
_CLAIMED = ("name", "version", "build", "sha256", "size", "subdir", "depends", "constrains")


def _locate(documents: Mapping[tuple[str, str], Mapping[str, Any]], dry: DryRun) -> None:
    """Let lazily read documents find every file name conda's answer may refer to in one pass each."""
    names = [str(e.get("dist_name") or "") + ext for e in dry.link for ext in _EXTENSIONS]
    names += [str(e.get("fn") or "") for e in dry.fetch]
    for document in documents.values():
        locate = getattr(document, "locate", None)
        if locate is not None:
            locate(names)


def solve_result(
    dry: DryRun,
    *,
    channels: Sequence[str],
    documents: Mapping[tuple[str, str], Mapping[str, Any]],
    installed: Sequence[dict[str, Any]],
    requested: Sequence[str],
) -> SolveResult:
    """The environment conda's transaction would leave, as records the planner verifies.

    Each LINK entry becomes the record found in our captured repodata under (channel, subdir,
    ``dist_name`` + extension), with every field conda reported (LINK, and FETCH when it fetches the file)
    laid over it, so the planner's comparison with the verified record sees any disagreement. A LINK entry
    that is not in the capture becomes a record built from conda's claims alone (the planner finds it
    missing from the verified repodata and blocks the plan).
    """
    by_clean = {token_free_url(c).rstrip("/"): c.rstrip("/") for c in channels}
    fetch = _fetch_index(dry.fetch)
    _locate(documents, dry)
    unlinked = {str(e.get("name")) for e in dry.unlink}
    final: dict[str, dict[str, Any]] = {str(r["name"]): r for r in installed if str(r.get("name")) not in unlinked}
    linked: set[str] = set()
    for entry in dry.link:
        name, dist = str(entry.get("name") or ""), str(entry.get("dist_name") or "")
        subdir = str(entry.get("platform") or "")
        clean = token_free_url(str(entry.get("base_url") or "")).rstrip("/")
        if not name or not dist:
            raise EngineError("conda's answer is malformed: a LINK entry has no name or dist_name")
        if name in linked:
            raise EngineError(f"conda's answer is malformed: it links {name} twice")
        linked.add(name)
        channel = by_clean.get(clean, clean)
        document = documents.get((channel, subdir))
        fetched = fetch.get((clean, subdir, dist))
        if fetched is not None:
            fn = str(fetched["fn"])
        else:  # already in conda's package cache: the file name is the captured one (conda prefers .conda)
            fn = next((dist + ext for ext in _EXTENSIONS if _captured(document, dist + ext) is not None), "")
            fn = fn or dist + ".conda"
        record = _captured(document, fn) or {}
        record.setdefault("build_number", entry.get("build_number", 0))
        for key in _CLAIMED:
            if fetched is not None and key in fetched and fetched[key] is not None:
                record[key] = fetched[key]
        # LINK's own claims last: a LINK entry contradicting its FETCH record (or the file name) cannot pass.
        record.update(fn=fn, channel=channel, subdir=subdir, url=f"{channel}/{subdir}/{fn}", name=name)
        for key, field_name in (("version", "version"), ("build", "build_string")):
            if field_name in entry:
                record[key] = str(entry[field_name])
        final[name] = record
    return SolveResult(list(final.values()), list(installed), sorted(requested))


def prefix_records(prefix: str | Path) -> list[dict[str, Any]]:
    """The records installed in ``prefix`` (``conda-meta/*.json``), as conda and rattler write them."""
    meta = Path(prefix) / "conda-meta"
    records: list[dict[str, Any]] = []
    for path in sorted(meta.glob("*.json")) if meta.is_dir() else []:
        try:
            record = loads_strict(
                path.read_bytes(), max_bytes=PREFIX_RECORD_MAX_BYTES, max_depth=PREFIX_RECORD_MAX_DEPTH
            )
        except (OSError, ValueError):
            raise EngineError(f"{path.name} in the environment's conda-meta cannot be read") from None
        if isinstance(record, dict) and record.get("name"):
            records.append(record)
    return records
