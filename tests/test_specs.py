"""Package-spec validation (S10, V25): only plain package requests reach the solver."""

from __future__ import annotations

import pytest

from jupyter_trust.plans.specs import SpecError, validate_specs

GOOD = ["numpy", "numpy >=1.20,<2", "scipy=1.11", "python 3.11.*", "pkg-name_x", "demo::trusty-app", "libfoo!=1.5"]
BAD = [
    "numpy; rm -rf ~",
    "numpy | cat",
    "$(whoami)",
    "`id`",
    "numpy\nscipy",
    "numpy\x00",
    "-v",
    "--override-channels",
    "--prefix=/etc",
    "https://evil.example/pkg-1.0-0.conda",
    "file:///tmp/pkg.conda",
    "./local/pkg",
    "/abs/path",
    "~/pkg",
    "pkg-1.0-0.tar.bz2",
    "evil-channel::numpy",
    "conda-forge/linux-64::numpy",
    "numpy'",
    '"numpy"',
    "numpy && true",
    "",
    "   ",
    "x" * 300,
    "numpy >=<1",
    "==1.0",
    "numpy ]",
]


@pytest.mark.parametrize("spec", GOOD)
def test_plain_specs_are_accepted(spec):
    assert validate_specs([spec], allowed_channels=["demo"]) == [spec.strip()]


@pytest.mark.parametrize("spec", BAD)
def test_injection_and_non_package_specs_are_refused(spec):
    with pytest.raises(SpecError) as info:
        validate_specs([spec], allowed_channels=["demo"])
    message = str(info.value)
    assert "\n" not in message and "\x00" not in message


@pytest.mark.parametrize("specs", [[], "numpy", ["numpy"] * 101, [1], None])
def test_bad_spec_lists_are_refused(specs):
    with pytest.raises(SpecError):
        validate_specs(specs)  # type: ignore[arg-type]
