"""Exactly conda-content-trust's verdicts: canonical bytes, signature-entry shapes, per-record defects, the
trust chain's state only mattering to signed records — and an unsigned channel through every surface.

The verdicts of ``data/cct-exactness/cases.json`` were computed once by the real conda-content-trust 0.3.2
driven as conda's post-solve hook drives it (``data/cct-exactness/generate.py``, PROVENANCE.md beside it).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from channel_fixtures import make_unsigned_channel

from jupyter_trust.cct import canonical as canonical_module
from jupyter_trust.cct.canonical import canonical, canonical_record
from jupyter_trust.cct.errors import FormatError
from jupyter_trust.cct.jsonload import loads_strict, loads_strict_records
from jupyter_trust.cct.signing import (
    build_delegating_metadata,
    build_key_mgr,
    build_root,
    generate_keypair,
    sign_openpgp,
    sign_raw,
    sign_repodata,
)
from jupyter_trust.cct.verify import verify_records
from jupyter_trust.cli import main

DATA = Path(__file__).resolve().parent / "data" / "cct-exactness"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))


def _expected(case: dict, fn: str) -> str:
    """Our verdict for conda's label: an exception in conda's hook aborts the transaction (untrusted here);
    a top-level ``signatures`` that is not an object is refused outright (conda searches a list or string
    as a sequence and labels most records unsigned)."""
    label = case["conda"][fn]
    signatures = case["repodata"].get("signatures", {})
    if label.startswith("error") or not isinstance(signatures, dict):
        return "untrusted"
    return label


def _case_id(case: dict) -> str:
    return case["name"]


# -- the real conda-content-trust's outcomes ----------------------------------------------------------
@pytest.mark.parametrize("case", CASES["cases"], ids=_case_id)
def test_verdicts_equal_conda_content_trust(case):
    key_mgr = CASES["key_mgrs"][case["key_mgr"]]
    got = {fn: v.verdict for fn, v in verify_records(case["repodata"], key_mgr).items()}
    assert got == {fn: _expected(case, fn) for fn in case["conda"]}


@pytest.mark.parametrize("case", [c for c in CASES["cases"] if c["kind"] == "canonical"], ids=_case_id)
def test_the_same_verdicts_from_the_file_bytes(case):
    """Parsed strictly from text (as ``verify`` reads a file), the canonical cases give the same verdicts."""
    parsed = loads_strict_records(json.dumps(case["repodata"]).encode())
    got = {fn: v.verdict for fn, v in verify_records(parsed, CASES["key_mgrs"][case["key_mgr"]]).items()}
    assert got == {fn: _expected(case, fn) for fn in case["conda"]}


def test_the_cases_cover_every_kind():
    kinds: dict[str, set[str]] = {}
    for case in CASES["cases"]:
        kinds.setdefault(case["kind"], set()).update(case["conda"].values())
    assert {"trusted", "untrusted"} <= kinds["canonical"]
    assert {"trusted", "untrusted", "unsigned", "error: TypeError", "error: ValueError"} <= kinds["entry"]
    assert {"unsigned", "error: TypeError"} <= kinds["top-level"]
    assert kinds["key_mgr"] == {"error: UnknownRoleError", "unsigned"}
    wrong = [c for c in CASES["cases"] if c["kind"] == "canonical" and "serialization" in c["name"]]
    assert len(wrong) >= 40 and all(set(c["conda"].values()) == {"untrusted"} for c in wrong)


# -- canonical bytes ----------------------------------------------------------------------------------
def _random_value(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(9 if depth < 4 else 5)
    if choice == 0:
        return rng.choice([0, 1, -1, 2**53, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**70), 10**30])
    if choice == 1:
        return rng.choice([0.5, 1e16, 1e-7, -0.0, 2.0, 1e22, 0.1, 123456789.125])
    if choice == 2:
        return rng.choice([True, False, None])
    if choice in (3, 4):
        alphabet = [chr(c) for c in range(0x80)] + ["\u00e9", "\u2603", "\ue000", "\U0001f600", "\ud800"]
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))
    if choice in (5, 6):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {str(_random_value(rng, 5)): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_canonical_record_is_always_json_dumps():
    rng = random.Random(8)
    for _ in range(3000):
        value = {"k": _random_value(rng), "x": [_random_value(rng)]}
        expected = json.dumps(value, indent=2, sort_keys=True).encode("utf-8")
        assert canonical(value) == expected
        assert canonical_record(value) == expected, value


def test_float_free_is_only_trusted_as_far_as_it_goes():
    """The fast path never turns a float into different bytes, even when a caller wrongly claims none."""
    for value in ({"a": 1e16}, {"a": [0.1]}, {"a": "\u00e9"}, {"a": "\x7f"}, {"a": 2**64}):
        assert canonical_record(value, float_free=not isinstance(value["a"], float)) == canonical(value)


def test_the_fast_path_is_used_where_exact():
    """The self-check at import accepted this orjson, and plain ASCII records take the fast path."""
    assert canonical_module._FAST
    record = {"name": "x", "depends": ["a >=1", 'q"\\\t'], "size": 2**63, "n": None, "ok": True, "e": {}}
    assert canonical_module._orjson_exact(record) == canonical(record)
    assert canonical_module._orjson_exact({"s": "\u00e9"}) is None
    assert canonical_module._orjson_exact({"s": "\x7f"}) is None
    assert not canonical_module.is_float_free({"f": 1.0}) and canonical_module.is_float_free(record)


# -- defects inside one record ------------------------------------------------------------------------
GOOD, UNSIGNED, BAD = "good-1.0-0.conda", "plain-1.0-0.conda", "bad-1.0-0.conda"
PLACEHOLDER = '"@@DEFECT@@"'


def _record(name: str, **extra: object) -> dict:
    return {
        "build": "0",
        "build_number": 0,
        "depends": [],
        "name": name,
        "sha256": "cd" * 32,
        "size": 10,
        "subdir": "noarch",
        "version": "1.0",
        **extra,
    }


@pytest.fixture(scope="module")
def keys():
    root, km, pkg = generate_keypair(), generate_keypair(), generate_keypair()
    return {"root": root, "key_mgr": km, "pkg_mgr": pkg}


def _signed_text(keys, *, bad: dict | None = None, deep_ok: int = 0) -> str:
    """Signed repodata as text, the record BAD holding the placeholder where a defect is spliced in."""
    conda = {GOOD: _record("good"), UNSIGNED: _record("plain"), BAD: _record("bad", defect="@@DEFECT@@")}
    if deep_ok:
        nested: object = []
        for _ in range(deep_ok - 1):
            nested = [nested]
        conda["deep-1.0-0.conda"] = _record("deep", nested=nested)
    repodata = {"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": conda, "repodata_version": 1}
    sign_repodata(repodata, keys["pkg_mgr"])
    del repodata["signatures"][UNSIGNED]
    if bad is not None:
        repodata["signatures"][BAD] = bad
    return json.dumps(repodata, indent=1)


def _key_mgr(keys) -> dict:
    return sign_raw(build_key_mgr([keys["pkg_mgr"].public_hex], 1), keys["key_mgr"])


def _verdicts(text: str, keys, key_mgr: dict | None = None) -> dict:
    parsed = loads_strict_records(text.encode(), max_bytes=1 << 26)
    return verify_records(parsed, key_mgr or _key_mgr(keys))


DEFECTS = [
    ('"x", "defect": "y"', "duplicate JSON key 'defect'"),
    ("NaN", "NaN is not allowed"),
    ("Infinity", "Infinity is not allowed"),
    ("-Infinity", "-Infinity is not allowed"),
    ("1e400", "out of range"),
    ("[" * 70 + "]" * 70, "nested deeper than 64 levels"),
    ('{"a": ' * 62 + "1" + "}" * 62, "nested deeper than 64 levels"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper than 64 levels"),  # past the parser's own recursion limit
    ('["' + "x" * 10 + '", ' + "[" * 5_000 + "]" * 5_000 + "]", "nested deeper than 64 levels"),
]


@pytest.mark.parametrize(("splice", "fragment"), DEFECTS, ids=[d[1] + " " + d[0][:12] for d in DEFECTS])
def test_a_defect_inside_one_record_refuses_only_that_record(keys, splice, fragment):
    text = _signed_text(keys).replace(PLACEHOLDER, splice)
    verdicts = _verdicts(text, keys)
    assert verdicts[BAD].verdict == "untrusted" and fragment in verdicts[BAD].reason
    assert verdicts[GOOD].verdict == "trusted" and verdicts[UNSIGNED].verdict == "unsigned"
    with pytest.raises(FormatError):
        loads_strict(text.encode(), max_bytes=1 << 26)  # the whole-document parse still refuses it


def test_a_defect_in_an_unsigned_record_refuses_it_too(keys):
    doc = json.loads(_signed_text(keys))
    del doc["signatures"][BAD]
    verdicts = _verdicts(json.dumps(doc).replace(PLACEHOLDER, "NaN"), keys)
    assert verdicts[BAD].verdict == "untrusted" and "NaN" in verdicts[BAD].reason
    assert verdicts[UNSIGNED].verdict == "unsigned"


def test_nesting_up_to_the_limit_is_accepted(keys):
    verdicts = _verdicts(_signed_text(keys, deep_ok=61), keys)  # document 1, section 2, record 3, lists 4..64
    assert verdicts["deep-1.0-0.conda"].verdict == "trusted"
    too_deep = _verdicts(_signed_text(keys, deep_ok=62), keys)
    assert too_deep["deep-1.0-0.conda"].verdict == "untrusted"


def test_duplicated_entries_of_a_section_refuse_that_file_name(keys):
    text = _signed_text(keys).replace(PLACEHOLDER, '"fine"')
    in_packages = text.replace('"packages.conda": {', f'"packages.conda": {{\n  "{BAD}": {{}},', 1)
    in_signatures = text.replace('"signatures": {', f'"signatures": {{\n  "{BAD}": {{}},', 1)
    for variant in (in_packages, in_signatures):
        verdicts = _verdicts(variant, keys)
        assert verdicts[BAD].verdict == "untrusted" and f"duplicate JSON key '{BAD}'" in verdicts[BAD].reason
        assert verdicts[GOOD].verdict == "trusted" and verdicts[UNSIGNED].verdict == "unsigned"


@pytest.mark.parametrize(
    ("entry_text", "fragment"),
    [
        ('{"KEY": {"signature": "00"}, "KEY": {"signature": "11"}}', "duplicate JSON key"),
        ('{"KEY": {"signature": NaN}}', "NaN"),
        ('{"KEY": ' + "[" * 80 + "]" * 80 + "}", "nested deeper"),
    ],
)
def test_a_defect_inside_a_signature_entry_refuses_its_record(keys, entry_text, fragment):
    text = _signed_text(keys, bad={"@@ENTRY@@": 1}).replace(PLACEHOLDER, '"fine"')
    text = text.replace('{\n   "@@ENTRY@@": 1\n  }', entry_text.replace("KEY", keys["pkg_mgr"].public_hex))
    verdicts = _verdicts(text, keys)
    assert verdicts[BAD].verdict == "untrusted" and fragment in verdicts[BAD].reason
    assert "signature entry" in verdicts[BAD].reason and verdicts[GOOD].verdict == "trusted"


@pytest.mark.parametrize(
    "text",
    [
        '{"packages": {}, "packages": {}}',
        '{"info": {"subdir": NaN}, "packages": {}}',
        '{"info": ' + "[" * 80 + "]" * 80 + "}",
        '{"info": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "[" * 100_000 + "]" * 100_000,
        '{"repodata_version": 1e999}',
        "[]",
    ],
)
def test_a_defect_outside_the_records_refuses_the_file(text):
    with pytest.raises(FormatError):
        loads_strict_records(text.encode())


def test_loads_strict_still_reads_single_record_slices():
    record = _record("one")
    assert loads_strict(json.dumps(record).encode()) == record
    with pytest.raises(FormatError, match="duplicate"):
        loads_strict(b'{"name": "a", "name": "b"}')


def test_key_mgr_without_pkg_mgr_keeps_the_report(keys):
    km = sign_raw(build_delegating_metadata("key_mgr", {"other": ([keys["pkg_mgr"].public_hex], 1)}), keys["key_mgr"])
    verdicts = _verdicts(_signed_text(keys).replace(PLACEHOLDER, '"fine"'), keys, km)
    assert verdicts[GOOD].verdict == verdicts[BAD].verdict == "untrusted"
    assert "pkg_mgr" in verdicts[GOOD].reason and verdicts[UNSIGNED].verdict == "unsigned"


def test_no_key_mgr_leaves_unsigned_records_unsigned(keys):
    text = _signed_text(keys).replace(PLACEHOLDER, '"fine"')
    verdicts = verify_records(loads_strict_records(text.encode()), None, unverifiable="no metadata URL")
    assert verdicts[GOOD].verdict == "untrusted" and "no metadata URL" in verdicts[GOOD].reason
    assert verdicts[UNSIGNED].verdict == "unsigned"
    unsigned_channel = json.loads(text)
    del unsigned_channel["signatures"]
    assert {v.verdict for v in verify_records(unsigned_channel, None).values()} == {"unsigned"}


def test_parallel_verification_of_defective_records_agrees(keys):
    conda = {f"p{i}-1.0-0.conda": _record(f"p{i}") for i in range(2200)}
    conda["p5-1.0-0.conda"]["defect"] = "@@DEFECT@@"
    conda["p2100-1.0-0.conda"]["defect"] = "@@DEFECT@@"
    repodata = {"packages": {}, "packages.conda": conda}
    sign_repodata(repodata, keys["pkg_mgr"])
    text = json.dumps(repodata).replace(PLACEHOLDER, "NaN")
    parsed = loads_strict_records(text.encode(), max_bytes=1 << 26)
    serial = verify_records(parsed, _key_mgr(keys))
    assert serial == verify_records(parsed, _key_mgr(keys), workers=2)
    assert [fn for fn, v in serial.items() if v.verdict != "trusted"] == ["p5-1.0-0.conda", "p2100-1.0-0.conda"]


# -- `jupyter conda-trust verify --json`: one document, whatever happens ------------------------------
@pytest.fixture
def files(tmp_path, keys):
    root = sign_openpgp(
        build_root([keys["root"].public_hex], 1, [keys["key_mgr"].public_hex], 1), keys["root"], created=1_700_000_000
    )
    (tmp_path / "1.root.json").write_text(json.dumps(root))
    (tmp_path / "key_mgr.json").write_text(json.dumps(_key_mgr(keys)))
    (tmp_path / "good.json").write_text(_signed_text(keys).replace(PLACEHOLDER, '"fine"'))
    return tmp_path


def _verify(capsys, files: Path, repodata_text: str | None, *, key_mgr: str = "key_mgr.json") -> tuple[int, dict, str]:
    argv = ["verify", "--root", str(files / "1.root.json"), "--key-mgr", str(files / key_mgr), "--json"]
    if repodata_text is not None:
        (files / "repodata.json").write_text(repodata_text)
        argv += ["--repodata", str(files / "repodata.json")]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


@pytest.mark.parametrize(("splice", "fragment"), DEFECTS[:6], ids=[d[1] for d in DEFECTS[:6]])
def test_verify_reports_every_record_despite_a_defective_one(capsys, files, keys, splice, fragment):
    code, doc, _ = _verify(capsys, files, _signed_text(keys).replace(PLACEHOLDER, splice))
    assert code == 1 and doc["ok"] is False and doc["error"]["kind"] == "verification_failed"
    assert doc["root"]["verified"] and doc["key_mgr"]["verified"]
    assert doc["packages"][BAD]["verdict"] == "untrusted" and fragment in doc["packages"][BAD]["reason"]
    assert doc["packages"][GOOD]["verdict"] == "trusted" and doc["packages"][UNSIGNED]["verdict"] == "unsigned"


def test_verify_with_a_key_mgr_delegating_no_pkg_mgr(capsys, files, keys):
    km = sign_raw(build_delegating_metadata("key_mgr", {"other": ([keys["pkg_mgr"].public_hex], 1)}), keys["key_mgr"])
    (files / "no-pkg.json").write_text(json.dumps(km))
    code, doc, _ = _verify(capsys, files, _signed_text(keys).replace(PLACEHOLDER, '"ok"'), key_mgr="no-pkg.json")
    assert code == 1 and doc["key_mgr"]["verified"] is True
    assert {fn: v["verdict"] for fn, v in doc["packages"].items()} == {
        GOOD: "untrusted",
        BAD: "untrusted",
        UNSIGNED: "unsigned",
    }


def test_verify_with_an_unverified_key_mgr_keeps_unsigned_records(capsys, files, keys):
    other = sign_raw(build_key_mgr([keys["pkg_mgr"].public_hex], 1), generate_keypair())
    (files / "other.json").write_text(json.dumps(other))
    code, doc, _ = _verify(capsys, files, _signed_text(keys).replace(PLACEHOLDER, '"ok"'), key_mgr="other.json")
    assert code == 1 and doc["key_mgr"]["verified"] is False
    assert doc["packages"][GOOD]["verdict"] == "untrusted" and doc["packages"][UNSIGNED]["verdict"] == "unsigned"


@pytest.mark.parametrize(
    "text",
    ['{"packages": {}, "packages": {}}', '{"info": NaN}', '{"packages": []}', '{"info": ' + "[" * 99 + "]" * 99 + "}"],
)
def test_verify_refused_repodata_still_prints_the_report(capsys, files, text):
    code, doc, err = _verify(capsys, files, text)
    assert code == 1 and doc["ok"] is False and doc["packages"] == {}
    assert doc["root"]["verified"] and doc["key_mgr"]["verified"]  # what was judged is kept
    assert doc["error"]["kind"] == "verification_failed" and doc["error"]["file"].endswith("repodata.json")
    assert doc["error"]["message"] in err


@pytest.mark.parametrize("data", [b"not json", b'{"packages": ', b'{"info": "\xff"}', b""])
def test_verify_unreadable_repodata_is_an_input_error_with_the_report(capsys, files, data):
    (files / "bad.json").write_bytes(data)
    code, doc, err = _run_verify(capsys, files, repodata="bad.json")
    assert code == 2 and doc["ok"] is False and doc["packages"] == {}
    assert doc["error"]["kind"] == "invalid_input" and doc["error"]["file"].endswith("bad.json")
    assert doc["root"]["verified"] and doc["key_mgr"]["verified"]
    assert err.startswith("jupyter conda-trust: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("names", "broken"),
    [
        ({"root": "absent.json"}, "root"),
        ({"key_mgr": "absent.json"}, "key_mgr"),
        ({"repodata": "absent.json"}, None),
        ({"root": "bad.json"}, "root"),
        ({"key_mgr": "bad.json"}, "key_mgr"),
    ],
)
def test_verify_missing_or_non_json_file_is_an_input_error_with_the_report(capsys, files, names, broken):
    (files / "bad.json").write_text("{not json")
    code, doc, _ = _run_verify(capsys, files, **{"repodata": "good.json", **names})
    assert code == 2 and doc["ok"] is False
    assert doc["error"]["kind"] == "invalid_input" and doc["error"]["file"].endswith(names[next(iter(names))])
    if broken:
        assert doc[broken]["verified"] is False and doc[broken]["error"]


def _run_verify(
    capsys, files: Path, *, root: str = "1.root.json", key_mgr: str = "key_mgr.json", repodata: str
) -> tuple[int, dict, str]:
    code = main(
        ["verify", "--root", str(files / root), "--key-mgr", str(files / key_mgr), "--repodata", str(files / repodata)]
        + ["--json"]
    )
    out, err = capsys.readouterr()
    return code, json.loads(out), err


# -- an unsigned channel, as most Jupyter users have: every surface, every `unsigned` policy -------------
POLICIES = [("allow", False, False), ("warn", False, True), ("block", True, False)]
EXTRA = "unsigned-extra-1.0-0.conda"


@pytest.fixture
def plain_channel(tmp_path):
    channel = make_unsigned_channel(tmp_path / "channel")
    yield channel
    channel.server.stop()


def _use(monkeypatch, tmp_path: Path, channel, **policy: object) -> None:
    path = tmp_path / "admin-policy.json"
    path.write_text(json.dumps({"allowed_prefix_roots": [str(channel.envs)], **policy}))
    monkeypatch.setenv("JUPYTER_TRUST_POLICY_FILE", str(path))
    monkeypatch.setenv("CONDARC", str(channel.condarc))
    monkeypatch.delenv("JUPYTER_TRUST_ROOT", raising=False)


def _check_plan(plan: dict, blocked: bool, confirm: bool) -> None:
    assert {p["filename"]: p["verdict"] for p in plan["packages"]} == {EXTRA: "unsigned"}
    assert plan["blocked"] is blocked and plan["needs_confirmation"] is confirm
    assert not any("key_mgr" in r or "signing_metadata_url_base" in r for r in plan["reasons"])
    if blocked:
        assert plan["reasons"] == [f"{EXTRA} is unsigned, and your policy blocks unsigned packages"]


@pytest.mark.parametrize(("policy", "blocked", "confirm"), POLICIES)
def test_unsigned_channel_plan_cli(plain_channel, monkeypatch, tmp_path, capsys, policy, blocked, confirm):
    _use(monkeypatch, tmp_path, plain_channel, unsigned=policy)
    code = main(["plan", "unsigned-extra", "--prefix", str(plain_channel.prefix()), "--json"])
    out, err = capsys.readouterr()
    _check_plan(json.loads(out), blocked, confirm)
    assert code == (1 if blocked else 0), err


@pytest.mark.parametrize(("policy", "blocked", "confirm"), POLICIES)
def test_unsigned_channel_plan_magic(plain_channel, monkeypatch, tmp_path, capsys, policy, blocked, confirm):
    from IPython.core.interactiveshell import InteractiveShell

    _use(monkeypatch, tmp_path, plain_channel, unsigned=policy)
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "jupyter_trust")
        shell.run_line_magic("conda_trust", f"plan unsigned-extra --prefix {plain_channel.prefix()}")
    finally:
        InteractiveShell.clear_instance()
    out, err = capsys.readouterr()
    assert err == "" and "UNSIGNED" in out and "UNTRUSTED" not in out
    assert ("BLOCKED" in out) is blocked and ("CONFIRMATION NEEDED" in out) is confirm


@pytest.fixture
def plain_server(plain_channel, jp_serverapp):
    core = jp_serverapp.web_app.settings["jupyter_trust_core"]
    core.environ = plain_channel.environ
    return plain_channel, core


@pytest.mark.parametrize(("policy", "blocked", "confirm"), POLICIES)
async def test_unsigned_channel_plan_rest(plain_server, jp_fetch, policy, blocked, confirm):
    from jupyter_trust.policy import Policy

    channel, core = plain_server
    core.policy = Policy.load({"allowed_prefix_roots": [str(channel.envs)], "unsigned": policy})
    body = json.dumps({"specs": ["unsigned-extra"], "prefix": str(channel.prefix())})
    response = await jp_fetch("jupyter-trust", "plans", method="POST", body=body)
    assert response.code == 201
    _check_plan(json.loads(response.body), blocked, confirm)


def test_unsigned_channel_install_under_allow(plain_channel, monkeypatch, tmp_path, capsys):
    _use(monkeypatch, tmp_path, plain_channel, unsigned="allow")
    prefix = plain_channel.prefix()
    code = main(["install", "trusty-app", "--prefix", str(prefix), "--yes", "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert code == 0 and doc["installed"], err
    assert {p["verdict"] for p in doc["packages"]} == {"unsigned"}
    assert sorted(doc["result"]["linked"]) == ["trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"]
    assert (prefix / "share" / "trusty-app" / "app.txt").read_text() == "a trusted app\n"


def test_unsigned_channel_with_verification_on_but_no_metadata(tmp_path, monkeypatch, capsys):
    """verification on, a metadata URL nothing answers: unsigned records are still only unsigned."""
    channel = make_unsigned_channel(tmp_path / "c")
    try:
        channel.condarc.write_text(
            f"channels:\n  - {channel.channel_url}\nextra_safety_checks: true\n"
            "signing_metadata_url_base: http://127.0.0.1:9/nothing\n"
        )
        _use(monkeypatch, tmp_path, channel, unsigned="allow")
        code = main(["plan", "unsigned-extra", "--prefix", str(channel.prefix()), "--json"])
        out, _ = capsys.readouterr()
        _check_plan(json.loads(out), False, False)
        assert code == 0
    finally:
        channel.server.stop()


# -- the plan path reads repodata with orjson: big integers must not change what is verified ---------------
@pytest.mark.parametrize("extra", [{"big": 2**64 + 1}, {"ratio": 0.1, "big": -(2**70)}, {"summary": "caf\u00e9"}])
def test_plan_verifies_records_as_conda_reads_them(signed_channel, extra):
    repodata = signed_channel.repodata()
    repodata["packages.conda"]["trusty-lib-1.0-0.conda"].update(extra)
    signed_channel.serve_repodata(repodata, resign=True)
    plan = signed_channel.core().planner().plan(["trusty-lib"], signed_channel.prefix())
    assert {p.filename: p.verdict for p in plan.packages} == {"trusty-lib-1.0-0.conda": "trusted"}, plan.reasons


def test_verify_text_names_the_unusable_file(capsys, files):
    (files / "bad.json").write_text("[")
    argv = ["verify", "--root", str(files / "1.root.json"), "--key-mgr", str(files / "key_mgr.json")]
    assert main([*argv, "--repodata", str(files / "bad.json")]) == 2
    out, err = capsys.readouterr()
    assert "key_mgr: verified" in out and "bad.json could not be used" in out and "not valid JSON" in err
