"""A conda-CLI stand-in for the conda engine's tests.

Real conda is tested in ``tests/test_real_conda.py`` (when a build is configured: install, update, removal,
"already installed", solve errors, text before the JSON). The **stand-in** stays for what real conda will not
produce on demand: answers that lie about records, links a name twice, malformed or missing JSON, a hang, a
crash, and a look at the argv and environment conda was given; and it makes those tests run from any clone. It is a
small executable Python script that implements ``conda install|create --dry-run --json ... --prefix P -- specs`` by
downloading each ``-c`` channel's repodata over HTTP (the loopback channel of ``channel_fixtures``), solving with
rattler (the worker's own solve, so its answers are real solutions) and printing conda's documented dry-run JSON
shape (``actions.FETCH`` full records, ``actions.LINK``/``UNLINK`` ``dist_fields_dump`` entries, or
``{"success": true, "message": "All requested packages already installed."}``). It records its argv, environment
and pid to ``calls.jsonl``, and a test can make it misbehave through ``behaviour.json``:

``noise``      text printed before the JSON;            ``hang``        sleep (with a child of its own) instead;
``error``      print this conda error object, exit 1;   ``raw``/``exit_code``  print this instead / exit with it;
``fetch``      ``{name: {field: value}}`` laid over FETCH records;  ``link`` the same for LINK entries;
``add``        extra ``{"link": {...}, "fetch": {...}}`` entries;   ``drop_fetch`` names left out of FETCH;
``conda26``    refuse ``install`` into a prefix without ``conda-meta/history`` as conda 26 does.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CONDA_VERSION = "25.1.1"

_SCRIPT = r'''#!{python}
"""conda-CLI STAND-IN for jupyter_trust's tests (real conda cannot be installed here): see tests/engine_fixtures.py."""
import asyncio, json, os, subprocess, sys, tempfile, time, urllib.request

STATE = {state!r}


def behaviour():
    try:
        with open(os.path.join(STATE, "behaviour.json")) as fh:
            return json.load(fh)
    except FileNotFoundError:
        return {{}}


def finish(doc, code=0):
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()
    os._exit(code)  # rattler's runtime may crash at interpreter exit


def dist_fields_dump(record):
    base_url = record["url"][: -len("/" + record["subdir"] + "/" + record["fn"])]
    return {{
        "base_url": base_url,
        "build_number": record.get("build_number", 0),
        "build_string": record["build"],
        "channel": base_url.split("/", 3)[-1],
        "dist_name": record["name"] + "-" + record["version"] + "-" + record["build"],
        "name": record["name"],
        "platform": record["subdir"],
        "version": record["version"],
    }}


def main():
    args = sys.argv[1:]
    with open(os.path.join(STATE, "calls.jsonl"), "a") as fh:
        fh.write(json.dumps({{"argv": sys.argv, "env": dict(os.environ), "pid": os.getpid()}}) + "\n")
    todo = behaviour()
    if todo.get("hang"):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        with open(os.path.join(STATE, "hung.json.tmp"), "w") as fh:
            json.dump({{"pid": os.getpid(), "child": child.pid}}, fh)
        os.replace(os.path.join(STATE, "hung.json.tmp"), os.path.join(STATE, "hung.json"))  # seen whole or not at all
        time.sleep(3600)
    if todo.get("noise"):
        sys.stdout.write(todo["noise"])
    if "raw" in todo:
        sys.stdout.write(todo["raw"])
        sys.stdout.flush()
        os._exit(todo.get("exit_code", 0))
    if todo.get("error"):
        finish(todo["error"], todo.get("exit_code", 1))
    if not args or args[0] not in ("install", "create") or "--dry-run" not in args or "--json" not in args:
        finish({{"exception_name": "StandInRefused", "message": "the stand-in only does --dry-run --json"}}, 1)
    dash = args.index("--")
    options, specs = args[:dash], args[dash + 1 :]
    channels = [options[i + 1] for i, a in enumerate(options) if a == "-c"]
    prefix = options[options.index("--prefix") + 1]
    history = os.path.join(prefix, "conda-meta", "history")
    if todo.get("conda26") and args[0] == "install" and not os.path.isfile(history):
        finish({{"exception_name": "DirectoryNotACondaEnvironmentError", "message": "not a conda environment"}}, 1)
    sys.path[:0] = {paths!r}
    from jupyter_trust.engine.worker import _solve
    from jupyter_trust.plans.service import current_subdir

    tmp = tempfile.mkdtemp(prefix="conda-standin-")
    repodata = []
    for channel in channels:
        for subdir in (current_subdir(), "noarch"):
            try:
                data = urllib.request.urlopen(channel + "/" + subdir + "/repodata.json", timeout=30).read()
            except Exception:
                continue
            path = os.path.join(tmp, str(len(repodata)) + ".json")
            with open(path, "wb") as fh:
                fh.write(data)
            repodata.append({{"channel": channel, "subdir": subdir, "path": path}})
    try:
        solved = asyncio.run(_solve({{"specs": specs, "repodata": repodata, "prefix": prefix}}))
    except Exception as exc:
        finish({{"exception_name": "UnsatisfiableError", "message": str(exc), "error": repr(exc)}}, 1)
    installed = {{r["name"]: r for r in solved["installed"]}}
    final = {{r["name"]: r for r in solved["records"]}}
    link = [r for n, r in final.items() if (installed.get(n) or {{}}).get("sha256") != r.get("sha256")]
    unlink = [r for n, r in installed.items() if n not in final or final[n].get("sha256") != r.get("sha256")]
    fetch = [dict(r) for r in link if r["name"] not in todo.get("drop_fetch", [])]
    link = [dist_fields_dump(r) for r in link]
    for entries, key in ((fetch, "fetch"), (link, "link")):
        for entry in entries:
            entry.update(todo.get(key, {{}}).get(entry["name"], {{}}))
    for extra in todo.get("add", []):
        link.append(extra["link"])
        if extra.get("fetch"):
            fetch.append(extra["fetch"])
    if not link and not unlink:
        finish({{"success": True, "message": "All requested packages already installed."}})
    unlink = [dist_fields_dump(r) for r in unlink]
    actions = {{"PREFIX": prefix, "FETCH": fetch, "LINK": link, "UNLINK": unlink}}
    finish({{"success": True, "dry_run": True, "prefix": prefix, "actions": actions}}, todo.get("exit_code", 0))


main()
'''


@dataclass
class CondaStandIn:
    root: Path

    @property
    def exe(self) -> Path:
        return self.root / "bin" / "conda"

    def behave(self, **behaviour: Any) -> None:
        (self.root / "state" / "behaviour.json").write_text(json.dumps(behaviour))

    def calls(self) -> list[dict[str, Any]]:
        path = self.root / "state" / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def hung(self) -> dict[str, int] | None:
        path = self.root / "state" / "hung.json"
        return json.loads(path.read_text()) if path.exists() else None


def make_conda_standin(base: Path) -> CondaStandIn:
    """``base/bin/conda`` (executable) with ``base/conda-meta/conda-<version>.json`` so its version is found."""
    standin = CondaStandIn(base)
    (base / "bin").mkdir(parents=True, exist_ok=True)
    (base / "state").mkdir(exist_ok=True)
    (base / "conda-meta").mkdir(exist_ok=True)
    (base / "conda-meta" / f"conda-{CONDA_VERSION}-py_0.json").write_text(
        json.dumps({"name": "conda", "version": CONDA_VERSION, "build": "py_0"})
    )
    repo = str(Path(__file__).resolve().parents[1])
    standin.exe.write_text(_SCRIPT.format(python=sys.executable, state=str(base / "state"), paths=[repo]))
    standin.exe.chmod(0o755)
    return standin


def serve_with_conda(jp_serverapp: Any, channel: Any) -> Any:
    """The running server's core planning with ``engine: conda`` over ``channel`` (its environment and env root)."""
    from jupyter_trust.policy import Policy

    core = jp_serverapp.web_app.settings["jupyter_trust_core"]
    core.environ = channel.environ
    core.__dict__.pop("conda", None)  # found again from the new environment
    core.policy = Policy.load({"allowed_prefix_roots": [str(channel.envs)], "engine": "conda"})
    return channel


@pytest.fixture
def conda_standin(tmp_path: Path) -> CondaStandIn:
    return make_conda_standin(tmp_path / "conda-standin")


@pytest.fixture
def conda_channel(signed_channel, conda_standin):
    """The signed loopback channel with the stand-in as ``CONDA_EXE``; ``.standin`` is the stand-in."""
    signed_channel.environ["CONDA_EXE"] = str(conda_standin.exe)
    signed_channel.standin = conda_standin
    return signed_channel
