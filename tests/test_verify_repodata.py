"""verify_repodata: parse a repodata file and verify its records, split over two processes.

Whatever the split, the verdicts must be exactly those of one process
(``verify_records(loads_strict_records(data))``), a document refused as a whole must raise the same
error, and no worker process may be left behind.
"""

from __future__ import annotations

import json
import os

import pytest

from jupyter_trust.cct import verify as verify_module
from jupyter_trust.cct.errors import FormatError, NotJSON
from jupyter_trust.cct.jsonload import loads_strict_records
from jupyter_trust.cct.signing import build_key_mgr, generate_keypair, sign_raw, sign_repodata
from jupyter_trust.cct.verify import verify_records, verify_repodata

RECORDS = 3200  # more than the records from which verification is split over two processes
MAX = 1 << 26
HOLE = '"@@HOLE@@"'


def _record(i: int) -> dict:
    return {
        "build": "py_0",
        "build_number": 0,
        "depends": [f"dep-{i % 50} >=1.0", "python >=3.11"],
        "license": "BSD-3-Clause",
        "md5": f"{i:032x}",
        "name": f"p{i}",
        "sha256": f"{i:064x}",
        "size": 1000 + i,
        "subdir": "noarch",
        "timestamp": 1_700_000_000_000 + i,
        "version": "1.0",
    }


def _fn(i: int) -> str:
    return f"p{i}-1.0-py_0.conda"


@pytest.fixture(scope="module")
def keys():
    return generate_keypair(), generate_keypair()


@pytest.fixture(scope="module")
def signed(keys) -> dict:
    repodata = {
        "info": {"subdir": "noarch"},
        "packages": {},
        "packages.conda": {_fn(i): _record(i) for i in range(RECORDS)},
    }
    return sign_repodata(repodata, keys[1])


@pytest.fixture(scope="module")
def key_mgr(keys) -> dict:
    return sign_raw(build_key_mgr([keys[1].public_hex], 1), keys[0])


def _both(data: bytes, key_mgr: dict | None, **kwargs) -> dict:
    """The split verdicts, after checking them against one process parsing once."""
    assert data.count(b'"name"') >= verify_module._PARALLEL_MIN_RECORDS
    serial = verify_records(loads_strict_records(data, max_bytes=MAX), key_mgr, **kwargs)
    split = verify_repodata(data, key_mgr, max_bytes=MAX, workers=2, **kwargs)
    assert split == serial
    assert list(split) == list(serial)
    return split


def _no_child_left() -> bool:
    """No worker still running, and none exited without being waited for."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_clean_repodata_is_trusted_in_both_halves(signed, key_mgr):
    verdicts = _both(json.dumps(signed).encode(), key_mgr)
    assert len(verdicts) == RECORDS and {v.verdict for v in verdicts.values()} == {"trusted"}
    assert _no_child_left()


def test_defects_and_bad_entries_in_either_half_agree(signed, key_mgr, keys):
    doc = json.loads(json.dumps(signed))
    conda = doc["packages.conda"]
    first, second = 3, RECORDS - 5  # one in each process's half
    for i in (first, second):
        conda[_fn(i)]["defect"] = "@@HOLE@@"
    conda[_fn(10)]["size"] += 1  # tampered after signing
    conda[_fn(RECORDS - 10)]["version"] = "9.9"  # tampered, second half
    del doc["signatures"][_fn(20)]  # unsigned
    doc["signatures"][_fn(RECORDS - 20)] = {}  # an empty signature entry
    doc["signatures"][_fn(RECORDS - 21)] = None
    doc["signatures"][_fn(RECORDS - 22)] = {
        generate_keypair().public_hex: doc["signatures"][_fn(RECORDS - 22)].popitem()[1]
    }
    text = json.dumps(doc)
    text = text.replace(HOLE, "NaN", 1).replace(HOLE, '"x", "defect": "y"', 1)
    verdicts = _both(text.encode(), key_mgr)
    odd = {fn: v.verdict for fn, v in verdicts.items() if v.verdict != "trusted"}
    assert odd == {
        _fn(first): "untrusted",
        _fn(second): "untrusted",
        _fn(10): "untrusted",
        _fn(RECORDS - 10): "untrusted",
        _fn(20): "unsigned",
        _fn(RECORDS - 20): "untrusted",
        _fn(RECORDS - 21): "untrusted",
        _fn(RECORDS - 22): "untrusted",
    }
    assert "NaN is not allowed" in verdicts[_fn(first)].reason
    assert "duplicate JSON key 'defect'" in verdicts[_fn(second)].reason
    assert _no_child_left()


def test_a_file_name_listed_twice_across_the_halves_is_refused(signed, key_mgr):
    text = json.dumps(signed)
    # the last record repeats the first one's file name: the strict parse refuses that name
    text = text.replace(f'"{_fn(RECORDS - 1)}": {{', f'"{_fn(0)}": {{', 1)
    verdicts = _both(text.encode(), key_mgr)
    assert verdicts[_fn(0)].verdict == "untrusted" and "duplicate JSON key" in verdicts[_fn(0)].reason


def test_no_key_mgr_and_unsigned_channel_agree(signed):
    data = json.dumps(signed).encode()
    verdicts = _both(data, None, unverifiable="the key_mgr did not verify")
    assert {v.verdict for v in verdicts.values()} == {"untrusted"}
    unsigned = {k: v for k, v in signed.items() if k != "signatures"}
    assert {v.verdict for v in _both(json.dumps(unsigned).encode(), None).values()} == {"unsigned"}


def test_signatures_that_are_not_an_object_refuse_every_record(signed, key_mgr):
    doc = {**signed, "signatures": ["not", "an", "object"]}
    verdicts = _both(json.dumps(doc).encode(), key_mgr)
    assert {v.verdict for v in verdicts.values()} == {"untrusted"}


@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        (lambda t: t[:-1], NotJSON),  # truncated: not JSON at all
        (lambda t: t.replace('"info"', '"packages.conda": {}, "info"', 1), FormatError),  # a section twice
        (lambda t: t.replace('"subdir": "noarch"}', '"subdir": NaN}', 1), FormatError),  # a defect in info
        (lambda t: t + "\n[]", NotJSON),  # extra data after the document
    ],
)
def test_a_document_refused_as_a_whole_raises_as_the_serial_parse_does(signed, key_mgr, spoil, error):
    data = spoil(json.dumps(signed)).encode()
    with pytest.raises(error) as serial:
        loads_strict_records(data, max_bytes=MAX)
    with pytest.raises(error) as split:
        verify_repodata(data, key_mgr, max_bytes=MAX, workers=2)
    assert str(split.value) == str(serial.value)
    assert _no_child_left()


def test_a_worker_that_dies_fails_the_verification(signed, key_mgr, monkeypatch):
    parent = os.getpid()
    real = verify_module._verdict

    def dies_in_the_child(*args):
        if os.getpid() != parent:
            raise MemoryError("the worker ran out of memory")
        return real(*args)

    monkeypatch.setattr(verify_module, "_verdict", dies_in_the_child)
    with pytest.raises(RuntimeError, match="worker failed"):
        verify_repodata(json.dumps(signed).encode(), key_mgr, max_bytes=MAX, workers=2)
    assert _no_child_left()


def test_small_or_single_worker_verification_is_the_serial_one(signed, key_mgr):
    small = {**signed, "packages.conda": dict(list(signed["packages.conda"].items())[:5])}
    data = json.dumps(small).encode()
    serial = verify_records(loads_strict_records(data, max_bytes=MAX), key_mgr)
    assert verify_repodata(data, key_mgr, max_bytes=MAX, workers=2) == serial
    big = json.dumps(signed).encode()
    assert verify_repodata(big, key_mgr, max_bytes=MAX, workers=1) == verify_records(
        loads_strict_records(big, max_bytes=MAX), key_mgr
    )
