"""Regenerate cases.json with the real conda-content-trust (see PROVENANCE.md; not run by the tests).

    tar xf conda-content-trust-0.3.2.tar -C /tmp/cct
    PYTHONPATH=/tmp/cct python tests/data/cct-exactness/generate.py

Every verdict in cases.json is what conda's post-solve hook (``conda/trust/signature_verification.py``
``_SignatureVerification.verify``, reproduced in :func:`conda_label`) gets from conda-content-trust's own
``verify_delegation``: "trusted", "untrusted", "unsigned", or "error: <exception>" when conda-content-trust
raises something other than ``SignatureError`` (conda then aborts the transaction).
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import orjson
from conda_content_trust.authentication import verify_delegation
from conda_content_trust.common import PrivateKey, SignatureError, canonserialize
from conda_content_trust.signing import sign_signable, wrap_as_signable

HERE = Path(__file__).resolve().parent


def key(label: str) -> PrivateKey:
    return PrivateKey.from_hex(hashlib.sha256(f"jupyter_trust exactness {label}".encode()).hexdigest())


def public(k: PrivateKey) -> str:
    return k.public_key().public_bytes_raw().hex()


PKG, PKG2, OTHER, KM = key("pkg_mgr"), key("pkg_mgr 2"), key("not delegated"), key("key_mgr")


def key_mgr(delegations: dict[str, Any]) -> dict[str, Any]:
    signable = wrap_as_signable(
        {
            "delegations": delegations,
            "expiration": "2099-01-01T00:00:00Z",
            "metadata_spec_version": "0.6.0",
            "timestamp": "2026-01-01T00:00:00Z",
            "type": "key_mgr",
            "version": 1,
        }
    )
    sign_signable(signable, KM)
    return signable


KEY_MGRS = {
    "one": key_mgr({"pkg_mgr": {"pubkeys": [public(PKG)], "threshold": 1}}),
    "two_of_two": key_mgr({"pkg_mgr": {"pubkeys": [public(PKG), public(PKG2)], "threshold": 2}}),
    "no_pkg_mgr": key_mgr({"other": {"pubkeys": [public(PKG)], "threshold": 1}}),
}


def conda_label(repodata: dict[str, Any], fn: str, km: dict[str, Any]) -> str:
    """conda's ``_SignatureVerification.verify`` (conda 25.1.1 / conda-content-trust 0.3.2), label only."""
    try:
        if "signatures" not in repodata:
            return "unsigned"
        signatures = repodata["signatures"]
        if fn not in signatures:
            return "unsigned"
        signature = signatures[fn]
        if fn.endswith(".tar.bz2"):
            info = repodata["packages"][fn]
        elif fn.endswith(".conda"):
            info = repodata["packages.conda"][fn]
        else:
            raise ValueError("unknown package extension")
        envelope = wrap_as_signable(info)
        envelope["signatures"] = signature
        try:
            verify_delegation("pkg_mgr", envelope, km)
        except SignatureError:
            return "untrusted"
        return "trusted"
    except Exception as exc:  # conda lets these escape: the transaction fails
        return f"error: {type(exc).__name__}"


def raw_sig(k: PrivateKey, data: bytes) -> dict[str, str]:
    return {"signature": k.sign(data).hex()}


BASE = {
    "build": "0",
    "build_number": 0,
    "depends": ["python >=3.10"],
    "name": "pkg",
    "sha256": "ab" * 32,
    "size": 1234,
    "subdir": "noarch",
    "version": "1.0",
}

# Record contents where serializers differ (each is merged into BASE).
CONTENT: dict[str, dict[str, Any]] = {
    "plain-ascii": {"license": "BSD-3-Clause"},
    "non-ascii": {"summary": "caf\u00e9 \u2615 na\u00efve \u00fcber"},
    "astral": {"summary": "emoji \U0001f600 and \U00010348"},
    "escapes": {"summary": 'quote " backslash \\ slash / tab \t newline \n cr \r'},
    "control-chars": {"summary": "".join(map(chr, range(0x20)))},
    "del": {"summary": "delete \x7f here"},
    "floats": {"ratio": 1.5, "big": 1e16, "small": 1e-7, "tenth": 0.1, "two": 2.0, "huge": 1e22, "neg": -0.0},
    "float-int-like": {"timestamp": 1700000000000.0},
    "big-ints": {"big": 2**64, "bigger": -(2**70), "huge": 10**30, "edge": 2**63},
    "nested": {"run_exports": {"weak": [{"pin": [], "x": {}}, {}], "strong": []}, "features": ""},
    "unicode-keys": {"\u043a\u043b\u044e\u0447": 1, "\ue000": 2, "\U0001f600": 3, "z": 4, "\u00e9": 5},
    "mixed": {
        "summary": "\u00e9\x7f\x01\U0001f600",
        "ratio": 0.3,
        "big": 2**65,
        "nested": {"\ue001": [1.25, {"k": "\u2603"}]},
    },
}


def _floats_as_js(value: Any) -> Any:
    """JavaScript's number text: 1e16 -> 10000000000000000, 2.0 -> 2, 1e-7 -> 1e-7."""
    if isinstance(value, float):
        return _JS(value)
    if isinstance(value, dict):
        return {k: _floats_as_js(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats_as_js(v) for v in value]
    return value


class _JS(str):
    pass


def _js_text(record: dict[str, Any]) -> bytes:
    marked = _floats_as_js(record)
    text = json.dumps(marked, indent=2, sort_keys=True, default=str)
    for f in sorted({v for v in _all_floats(record)}, key=repr, reverse=True):
        js = str(int(f)) if f.is_integer() and abs(f) < 1e21 else repr(f).replace("e+", "e")
        text = text.replace(json.dumps(_JS(f)), js)
    return text.encode()


def _all_floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _all_floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _all_floats(v)]
    return []


def _utf16_sorted(value: Any) -> Any:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return {k: _utf16_sorted(value[k]) for k in keys}
    if isinstance(value, list):
        return [_utf16_sorted(v) for v in value]
    return value


def wrong_serializations(record: dict[str, Any]) -> dict[str, bytes]:
    """Serializations of the same object that are not conda-content-trust's canonical bytes."""
    exact = canonserialize(record)
    variants: dict[str, bytes] = {}
    try:
        variants["orjson"] = orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        pass
    variants["unescaped"] = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False).encode()
    variants["compact"] = json.dumps(record, sort_keys=True).encode()
    variants["unsorted"] = json.dumps(dict(reversed(record.items())), indent=2).encode()
    variants["trailing-newline"] = exact + b"\n"
    variants["uppercase-escapes"] = _upper_escapes(exact)
    variants["utf16-key-order"] = json.dumps(
        _utf16_sorted(record), indent=2, ensure_ascii=True
    ).encode()  # sort_keys off on purpose: the order above is the point
    variants["js-numbers"] = _js_text(record)
    out: dict[str, bytes] = {}
    for name, data in variants.items():
        if data != exact and data not in out.values():
            out[name] = data
    return out


def _upper_escapes(data: bytes) -> bytes:
    import re

    return re.sub(rb"\\u([0-9a-f]{4})", lambda m: b"\\u" + m.group(1).upper(), data)


def case(name: str, kind: str, repodata: dict[str, Any], km: str, note: str = "") -> dict[str, Any]:
    repodata = copy.deepcopy(repodata)
    names = list(repodata.get("packages", {})) + list(repodata.get("packages.conda", {}))
    labels = {fn: conda_label(repodata, fn, KEY_MGRS[km]) for fn in names}
    out = {"name": name, "kind": kind, "key_mgr": km, "repodata": repodata, "conda": labels}
    if note:
        out["note"] = note
    return out


_ABSENT = object()


def one(fn: str, record: dict[str, Any], entry: Any = _ABSENT, *, signatures: Any = _ABSENT) -> dict[str, Any]:
    section = "packages" if fn.endswith(".tar.bz2") else "packages.conda"
    repodata: dict[str, Any] = {"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}}
    repodata[section][fn] = record
    if signatures is not _ABSENT:
        repodata["signatures"] = signatures
    elif entry is not _ABSENT:
        repodata["signatures"] = {fn: entry}
    return repodata


def build() -> list[dict[str, Any]]:
    cases = []
    fn = "pkg-1.0-0.conda"
    good = {public(PKG): raw_sig(PKG, canonserialize(BASE))}
    # 1. canonical bytes exactly
    for label, extra in CONTENT.items():
        record = {**BASE, **extra}
        exact = canonserialize(record)
        cases.append(
            case(
                f"{label}: signed over the canonical bytes",
                "canonical",
                one(fn, record, {public(PKG): raw_sig(PKG, exact)}),
                "one",
            )
        )
        for variant, data in wrong_serializations(record).items():
            cases.append(
                case(
                    f"{label}: signed over the {variant} serialization",
                    "canonical",
                    one(fn, record, {public(PKG): raw_sig(PKG, data)}),
                    "one",
                )
            )
    # 2. signature-entry shapes
    sig = good[public(PKG)]["signature"]
    shapes: dict[str, Any] = {
        "empty object": {},
        "null": None,
        "empty list": [],
        "list holding the signature": [good],
        "string": "x",
        "zero": 0,
        "true": True,
        "signature as a bare string": {public(PKG): sig},
        "signature object with an extra key": {public(PKG): {"signature": sig, "extra": 1}},
        "signature object with a wrong key name": {public(PKG): {"sig": sig}},
        "signature object, empty": {public(PKG): {}},
        "signature in upper-case hex": {public(PKG): {"signature": sig.upper()}},
        "signature, non-hex": {public(PKG): {"signature": "zz" * 64}},
        "signature, too short": {public(PKG): {"signature": sig[:126]}},
        "signature, flipped bit": {public(PKG): {"signature": sig[:-1] + ("0" if sig[-1] != "0" else "1")}},
        "public key in upper-case hex": {public(PKG).upper(): {"signature": sig}},
        "public key, not hex": {"not-a-key": {"signature": sig}},
        "a valid signature by a key not delegated": {public(OTHER): raw_sig(OTHER, canonserialize(BASE))},
        "the pkg_mgr signature filed under another key": {public(OTHER): {"signature": sig}},
        "OpenPGP-shaped object holding the raw signature": {public(PKG): {"signature": sig, "other_headers": "04ff"}},
        "OpenPGP-shaped object with see_also": {
            public(PKG): {"signature": sig, "other_headers": "04ff", "see_also": "ab" * 20}
        },
        "OpenPGP-shaped, odd-length headers": {public(PKG): {"signature": sig, "other_headers": "04f"}},
        "good signature beside junk entries": {**good, "junk": "x", public(OTHER): {"signature": "00" * 64}},
        "good signature beside a valid one by a key not delegated": {
            **good,
            public(OTHER): raw_sig(OTHER, canonserialize(BASE)),
        },
        "valid": good,
    }
    for label, entry in shapes.items():
        cases.append(case(f"entry: {label}", "entry", one(fn, BASE, signatures={fn: entry}), "one"))
    # the entry for another file only, or none at all
    cases.append(
        case("entry: only another file is signed", "entry", one(fn, BASE, signatures={"x-1-0.conda": good}), "one")
    )
    tar = "pkg-1.0-0.tar.bz2"
    cases.append(case("entry: .tar.bz2 record", "entry", one(tar, BASE, good), "one"))
    other_ext = "pkg-1.0-0.whl"
    rd = one(fn, BASE, good)
    rd["packages.conda"][other_ext] = BASE
    rd["signatures"][other_ext] = good
    cases.append(case("entry: a signed file name that is neither .conda nor .tar.bz2", "entry", rd, "one"))
    # thresholds
    both = {public(PKG): raw_sig(PKG, canonserialize(BASE)), public(PKG2): raw_sig(PKG2, canonserialize(BASE))}
    cases.append(case("threshold 2: both signatures", "entry", one(fn, BASE, both), "two_of_two"))
    cases.append(case("threshold 2: one signature", "entry", one(fn, BASE, good), "two_of_two"))
    cases.append(
        case(
            "threshold 2: one signature twice (upper-case key)",
            "entry",
            one(fn, BASE, {**good, public(PKG).upper(): good[public(PKG)]}),
            "two_of_two",
        )
    )
    # 3. the top-level signatures object
    for label, value in {
        "null": None,
        "list": [],
        "list naming no file": ["x"],
        "list naming the file": [fn],
        "string holding the file name": fn,
        "string": "nothing",
        "number": 0,
        "empty object": {},
    }.items():
        cases.append(case(f"top-level signatures: {label}", "top-level", one(fn, BASE, signatures=value), "one"))
    cases.append(case("top-level signatures: absent", "top-level", one(fn, BASE), "one"))
    # 4. a key_mgr that delegates no pkg_mgr: signed records fail, unsigned ones stay unsigned
    rd = one(fn, BASE, good)
    rd["packages.conda"]["unsigned-1.0-0.conda"] = {**BASE, "name": "unsigned"}
    cases.append(case("key_mgr without pkg_mgr", "key_mgr", rd, "no_pkg_mgr"))
    return cases


def main() -> int:
    import conda_content_trust

    doc = {
        "generator": "tests/data/cct-exactness/generate.py",
        "conda_content_trust": getattr(conda_content_trust, "__version__", "0.3.2"),
        "key_mgrs": KEY_MGRS,
        "cases": build(),
    }
    (HERE / "cases.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"{len(doc['cases'])} cases", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
