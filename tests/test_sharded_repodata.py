"""CEP 16 sharded repodata: the shard index and exactly the shards a solve reaches are captured, pinned, verified
like repodata.json records and re-checked at apply — against the real signed channel, served sharded on 127.0.0.1.

The shards are written here (msgpack + zstd) from the signed channel's own repodata.json, each carrying its files'
signatures (CEP 16 defines none; see jupyter_trust/plans/shards.py)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from typing import Any

import msgspec
import pytest
from channel_fixtures import make_signed_channel, make_unsigned_channel
from test_server_install import call, wait_task

from jupyter_trust.engine.base import EngineError
from jupyter_trust.plans.install import PlanChanged
from jupyter_trust.plans.service import ChannelUnavailable
from jupyter_trust.plans.shards import SHARD_INDEX, spec_name

if sys.version_info >= (3, 14):
    from compression.zstd import compress
else:
    from backports.zstd import compress

APP, LIB = "trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"


def packed(document: Any) -> bytes:
    return compress(msgspec.msgpack.encode(document))


def shard_documents(repodata: dict, *, signatures: bool = True) -> dict[str, dict]:
    """repodata.json split by package name into CEP 16 shards (digests as bytes)."""
    out: dict[str, dict] = defaultdict(lambda: {"packages": {}, "packages.conda": {}, "removed": []})
    for section in ("packages", "packages.conda"):
        for fn, record in repodata.get(section, {}).items():
            shard = out[record["name"]]
            shard[section][fn] = {
                **record,
                **{k: bytes.fromhex(record[k]) for k in ("sha256", "md5") if k in record},
            }
            if signatures and fn in repodata.get("signatures", {}):
                shard.setdefault("signatures", {})[fn] = repodata["signatures"][fn]
    return dict(out)


class Sharded:
    """The signed channel's subdir served as CEP 16 shards (the monolithic repodata.json stays too)."""

    def __init__(self, channel, *, signatures: bool = True) -> None:
        self.channel = channel
        self.dir = f"/channel/{channel.built.channel_name}/{channel.built.subdir}"
        self.shards = {
            name: packed(doc) for name, doc in shard_documents(channel.repodata(), signatures=signatures).items()
        }
        self.hashes = {name: hashlib.sha256(data).digest() for name, data in self.shards.items()}
        self.serve()

    def index(self) -> dict:
        info = {"subdir": self.channel.built.subdir, "base_url": "./", "shards_base_url": "./shards/"}
        return {"info": info, "shards": dict(self.hashes)}

    def serve(self, index: bytes | None = None) -> None:
        for name, data in self.shards.items():
            self.channel.server.set_override(self.shard_path(name), data)
        self.channel.server.set_override(self.index_path, packed(self.index()) if index is None else index)

    @property
    def index_path(self) -> str:
        return f"{self.dir}/{SHARD_INDEX}"

    def shard_path(self, name: str) -> str:
        return f"{self.dir}/shards/{self.hashes[name].hex()}.msgpack.zst"

    def asked(self, path: str) -> list[int]:
        return [status for p, status in self.channel.server.response_log if p == path]


@pytest.fixture
def sharded(signed_channel) -> Sharded:
    return Sharded(signed_channel)


def test_a_sharded_channel_is_planned_from_the_shards_it_needs_and_installed(sharded):
    channel = sharded.channel
    core, prefix = channel.core(), channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    assert not plan.blocked and {p.verdict for p in plan.packages} == {"trusted"}, plan.reasons
    pins = [d for d in plan.repodata if d.subdir == channel.built.subdir]
    assert [d.kind for d in pins] == ["shard-index", "shard", "shard"]
    assert (
        pins[0].url.endswith(f"/{SHARD_INDEX}")
        and pins[0].sha256 == hashlib.sha256(packed(sharded.index())).hexdigest()
    )
    assert {d.sha256 for d in pins[1:]} == {sharded.hashes[n].hex() for n in ("trusty-app", "trusty-lib")}
    assert all(d.url.endswith(f"/shards/{d.sha256}.msgpack.zst") for d in pins[1:])
    # Only the closure was fetched: neither repodata.json nor other names' shards.
    assert sharded.asked(channel.repodata_path) == []
    assert sharded.asked(sharded.shard_path("unsigned-extra")) == []
    assert sorted(core.installer().apply(plan).linked) == [APP, LIB]
    assert (prefix / "share/trusty-lib/lib.txt").is_file()


def test_shards_without_signatures_are_unsigned_records(signed_channel):
    Sharded(signed_channel, signatures=False)
    plan = signed_channel.core(unsigned="warn").planner().plan(["trusty-app"], signed_channel.prefix())
    assert {p.verdict for p in plan.packages} == {"unsigned"} and plan.needs_confirmation


def test_a_tampered_record_in_a_shard_is_untrusted(sharded):
    plan = sharded.channel.core().planner().plan(["tampered-tool"], sharded.channel.prefix())
    assert plan.blocked and any("tampered-tool" in r and "UNTRUSTED" in r for r in plan.reasons)


def test_a_shard_changed_between_plan_and_apply_is_409(sharded):
    channel = sharded.channel
    core, prefix = channel.core(), channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    channel.server.set_override(sharded.shard_path("trusty-lib"), packed({"packages": {}, "packages.conda": {}}))
    with pytest.raises(PlanChanged, match="changed since the plan was made"):
        core.installer().apply(plan)
    assert list((prefix / "conda-meta").glob("*.json")) == []


def test_a_new_shard_index_between_plan_and_apply_is_409(sharded):
    channel = sharded.channel
    core, prefix = channel.core(), channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    index = sharded.index()
    index["info"]["created_at"] = "later"
    sharded.serve(packed(index))
    with pytest.raises(PlanChanged, match="changed since the plan was made"):
        core.installer().apply(plan)


def test_a_shard_whose_bytes_do_not_match_the_index_is_refused(sharded):
    channel = sharded.channel
    other = shard_documents(channel.repodata())["trusty-lib"]
    other["packages.conda"][LIB]["depends"] = ["something-else"]
    channel.server.set_override(sharded.shard_path("trusty-lib"), packed(other))
    with pytest.raises(ChannelUnavailable, match="does not match the sha256 the shard index names") as info:
        channel.core().planner().plan(["trusty-app"], channel.prefix())
    assert "trusty-lib" in str(info.value) and "inconsistent" in str(info.value)


def test_a_shard_index_over_the_size_cap_is_refused(sharded):
    index = sharded.index()
    index["shards"].update({f"padding-{i}": hashlib.sha256(str(i).encode()).digest() for i in range(30000)})
    sharded.serve(packed(index))
    with pytest.raises(ChannelUnavailable, match="limit"):
        sharded.channel.core(repodata_max_bytes=1 << 20).planner().plan(["trusty-app"], sharded.channel.prefix())


def test_a_dependency_missing_from_the_index_is_a_clear_solve_error(sharded):
    index = sharded.index()
    del index["shards"]["trusty-lib"]
    sharded.serve(packed(index))
    with pytest.raises(EngineError, match=r"(?s)cannot be installed.*not in the channel's shard index: trusty-lib\)"):
        sharded.channel.core().planner().plan(["trusty-app"], sharded.channel.prefix())


@pytest.mark.parametrize(
    ("index", "why"),
    [
        (b"not zstd", "not valid zstd data"),
        (compress(b"\x93\x01\x02\x03"), "not a CEP 16 shard index"),
        (packed({"info": {"subdir": "noarch"}, "shards": {"trusty-app": b"short"}}), "no 32-byte sha256"),
        (packed({"info": {"subdir": "noarch"}, "shards": {"trusty-app": "ab" * 32}}), "not a CEP 16 shard index"),
        (packed({"shards": {}}), "not a CEP 16 shard index"),
        (compress(msgspec.msgpack.encode({"info": {}, "shards": {}}))[:-4], "middle of a zstd frame|not valid zstd"),
    ],
)
def test_a_malformed_shard_index_is_refused_with_a_clear_reason(sharded, index, why):
    sharded.serve(index)
    with pytest.raises(ChannelUnavailable, match=why) as info:
        sharded.channel.core().planner().plan(["trusty-app"], sharded.channel.prefix())
    assert len(str(info.value)) < 400


def _reserve(sharded: Sharded, name: str, document: Any) -> None:
    """Serve ``document`` as the shard of ``name``, with an index that names its hash (a consistent channel)."""
    data = packed(document)
    sharded.shards[name], sharded.hashes[name] = data, hashlib.sha256(data).digest()
    sharded.serve()


def test_a_shard_holding_another_packages_record_is_refused(sharded):
    documents = shard_documents(sharded.channel.repodata())
    documents["trusty-app"]["packages.conda"].update(documents["unsigned-extra"]["packages.conda"])
    _reserve(sharded, "trusty-app", documents["trusty-app"])
    with pytest.raises(ChannelUnavailable, match="a shard holds one package name"):
        sharded.channel.core().planner().plan(["trusty-app"], sharded.channel.prefix())


def test_a_shard_signing_files_it_does_not_hold_is_refused(sharded):
    documents = shard_documents(sharded.channel.repodata())
    documents["trusty-app"]["signatures"][LIB] = documents["trusty-lib"]["signatures"][LIB]
    _reserve(sharded, "trusty-app", documents["trusty-app"])
    with pytest.raises(ChannelUnavailable, match="signatures for files it does not hold"):
        sharded.channel.core().planner().plan(["trusty-app"], sharded.channel.prefix())


def test_a_shard_with_a_value_json_cannot_carry_is_refused(sharded):
    documents = shard_documents(sharded.channel.repodata())
    documents["trusty-app"]["packages.conda"][APP]["timestamp"] = float("nan")
    _reserve(sharded, "trusty-app", documents["trusty-app"])
    with pytest.raises(ChannelUnavailable, match="cannot carry"):
        sharded.channel.core().planner().plan(["trusty-app"], sharded.channel.prefix())


def test_a_shard_that_is_not_msgpack_is_refused(sharded):
    data = compress(b"\xc1 never valid msgpack")
    sharded.shards["trusty-lib"], sharded.hashes["trusty-lib"] = data, hashlib.sha256(data).digest()
    sharded.serve()
    with pytest.raises(ChannelUnavailable, match="not valid msgpack"):
        sharded.channel.core().planner().plan(["trusty-app"], sharded.channel.prefix())


def test_a_server_asks_once_whether_a_channel_is_sharded(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 24), signed_channel.prefix()
    core.planner().plan(["trusty-app"], prefix)
    core.planner().plan(["trusty-app"], prefix)
    path = f"/channel/{signed_channel.built.channel_name}/{signed_channel.built.subdir}/{SHARD_INDEX}"
    assert [s for p, s in signed_channel.server.response_log if p == path] == [404]
    core.close()


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("python >=3.8", "python"),
        ("NumPy[version='>=1']", "numpy"),
        ("http://127.0.0.1:1/c::zlib 1.2.*", "zlib"),
        ("__glibc >=2.17", "__glibc"),
        ("", None),
        (3, None),
    ],
)
def test_dependency_names_are_read_without_a_solver(spec, name):
    assert spec_name(spec) == name


def test_a_token_protected_sharded_channel_gets_the_token_and_never_shows_it(tmp_path):
    token = "tok-SENTINEL-0d4b8e2a6c"
    channel = make_signed_channel(tmp_path, require_token=token)
    try:
        channel.environ = {**channel.environ, "CONDA_TOKEN_REPO_URL": channel.url + "/"}
        sharded = Sharded(channel)
        core = channel.core()
        core.tokens().write(token)
        plan = core.planner().plan(["trusty-app"], channel.prefix())
        assert token not in json.dumps(plan.to_json())
        asked = channel.server.request_log
        assert f"/t/{token}{sharded.index_path}" in asked and f"/t/{token}{sharded.shard_path('trusty-lib')}" in asked
        channel.server.set_override(sharded.shard_path("trusty-lib"), b"other bytes")
        with pytest.raises(ChannelUnavailable) as info:
            core.planner().plan(["trusty-app"], channel.prefix())
        assert token not in str(info.value) and "does not match" in str(info.value)
    finally:
        channel.server.stop()


async def test_a_sharded_plan_is_installed_over_rest_and_a_changed_shard_is_409(trust_server, jp_fetch):
    sharded = Sharded(trust_server)
    prefix = trust_server.prefix()
    body = {"specs": ["trusty-app"], "prefix": str(prefix)}
    plan, _ = await call(jp_fetch, "POST", "plans", body=body, expect=201)
    assert [d["kind"] for d in plan["repodata"] if d["subdir"] == trust_server.built.subdir] == [
        "shard-index",
        "shard",
        "shard",
    ]
    task, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=202)
    done = await wait_task(jp_fetch, task["id"])
    assert done["state"] == "succeeded" and sorted(done["result"]["linked"]) == [APP, LIB], done
    again, _ = await call(
        jp_fetch, "POST", "plans", body={**body, "prefix": str(trust_server.prefix("other"))}, expect=201
    )
    trust_server.server.set_override(sharded.shard_path("trusty-app"), packed({"packages": {}}))
    error, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": again["id"]}, expect=409)
    assert "changed since the plan was made" in json.dumps(error)


def test_an_index_for_another_subdir_is_refused(sharded):
    index = sharded.index()
    index["info"]["subdir"] = "linux-64"
    sharded.serve(packed(index))
    with pytest.raises(ChannelUnavailable, match="shard index is for subdir 'linux-64'"):
        sharded.channel.core().planner().plan(["trusty-app"], sharded.channel.prefix())


def test_audit_reads_the_installed_packages_shards_only(sharded):
    from jupyter_trust.audit import audit

    channel = sharded.channel
    core, prefix = channel.core(), channel.prefix()
    core.installer().apply(core.planner().plan(["trusty-app"], prefix))
    before = len(channel.server.response_log)
    rows = {p["name"]: p for p in audit(core.plan_context(), prefix).to_json()["packages"]}
    assert {name: row["verdict"] for name, row in rows.items()} == {"trusty-app": "trusted", "trusty-lib": "trusted"}
    asked = [p for p, _ in channel.server.response_log[before:]]
    assert channel.repodata_path not in asked and sharded.shard_path("unsigned-extra") not in asked


def test_packages_are_fetched_from_the_index_base_url(sharded):
    channel = sharded.channel
    noarch = channel.built.repodata_path.parent
    for fn in (APP, LIB):
        channel.server.set_override(f"/mirror/{fn}", (noarch / fn).read_bytes())
    index = sharded.index()
    index["info"]["base_url"] = "/mirror/"
    sharded.serve(packed(index))
    core, prefix = channel.core(), channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    assert {p.url for p in plan.packages} == {f"{channel.url}/mirror/{fn}" for fn in (APP, LIB)}, plan.packages
    assert not plan.blocked and sorted(core.installer().apply(plan).linked) == [APP, LIB]
    assert sharded.asked(f"/mirror/{APP}") == [200]


def test_shards_written_by_rattlers_indexer_are_read(tmp_path):
    """Interoperability: py-rattler's own indexer writes the shards (run in a child: rattler's runtime may crash
    at interpreter exit); they carry no signatures, so the records are unsigned."""
    channel = make_unsigned_channel(tmp_path)
    try:
        directory = channel.built.repodata_path.parent.parent
        script = "import asyncio, os, sys\nfrom rattler.index import index_fs\n"
        script += "asyncio.run(index_fs(sys.argv[1], write_shards=True, write_zst=False))\nos._exit(0)\n"
        subprocess.run([sys.executable, "-c", script, str(directory)], check=True, timeout=120)
        index_path = f"/channel/{channel.built.channel_name}/{channel.built.subdir}/{SHARD_INDEX}"
        core, prefix = channel.core(unsigned="allow"), channel.prefix()
        plan = core.planner().plan(["trusty-app"], prefix)
        assert [d.kind for d in plan.repodata if d.subdir == channel.built.subdir] == ["shard-index", "shard", "shard"]
        assert {p.verdict for p in plan.packages} == {"unsigned"} and not plan.blocked
        assert [s for p, s in channel.server.response_log if p == index_path] == [200]
        assert sorted(core.installer().apply(plan).linked) == [APP, LIB]
    finally:
        channel.server.stop()


def test_a_shard_the_index_names_but_the_channel_lacks_is_refused(sharded):
    sharded.channel.server.set_override(sharded.shard_path("trusty-lib"), 404)
    with pytest.raises(ChannelUnavailable, match="HTTP 404"):
        sharded.channel.core().planner().plan(["trusty-app"], sharded.channel.prefix())


def test_a_shard_that_decompresses_past_the_cap_is_refused(sharded):
    documents = shard_documents(sharded.channel.repodata())
    documents["trusty-lib"]["packages.conda"][LIB]["license"] = "x" * (2 << 20)
    _reserve(sharded, "trusty-lib", documents["trusty-lib"])
    with pytest.raises(ChannelUnavailable, match="decompresses to more than the 1048576-byte limit"):
        sharded.channel.core(repodata_max_bytes=1 << 20).planner().plan(["trusty-app"], sharded.channel.prefix())
