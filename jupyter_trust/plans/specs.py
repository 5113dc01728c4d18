"""Match-spec validation: only plain package requests from allowed channels reach the solver."""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_SPECS = 100
MAX_SPEC_LENGTH = 256
#: shell metacharacters and quotes: never meaningful in a match spec (``<``, ``>``, ``!`` are: ``>=1,!=1.5``)
_FORBIDDEN = set(";|&$`()'\"\\{}#")
_ALLOWED = re.compile(r"[A-Za-z0-9_.\-+*=<>!,:\[\]~ ]+")


class SpecError(ValueError):
    """A package spec was refused; the message names it (control characters shown escaped) and says why."""


def _show(spec: str) -> str:
    return repr(spec[:80])


def validate_specs(specs: Sequence[str], *, allowed_channels: Sequence[str] = ()) -> list[str]:
    if isinstance(specs, str) or not isinstance(specs, Sequence):
        raise SpecError("specs must be a list of package specs")
    if not specs:
        raise SpecError("give at least one package spec")
    if len(specs) > MAX_SPECS:
        raise SpecError(f"at most {MAX_SPECS} package specs per plan")
    from rattler import MatchSpec

    out = []
    for spec in specs:
        if not isinstance(spec, str):
            raise SpecError("each package spec must be a string")
        if any(ord(c) < 32 or ord(c) == 127 for c in spec):
            raise SpecError(f"{_show(spec)}: control characters and newlines are not allowed")
        clean = spec.strip()
        if not clean:
            raise SpecError("empty package spec")
        if len(clean) > MAX_SPEC_LENGTH:
            raise SpecError(f"{_show(spec)}: longer than {MAX_SPEC_LENGTH} characters")
        if clean.startswith("-"):
            raise SpecError(f"{_show(spec)}: a spec may not start with '-' (options are not accepted)")
        if "://" in clean or "/" in clean or clean.startswith(("~", ".")) or clean.endswith((".conda", ".tar.bz2")):
            raise SpecError(f"{_show(spec)}: URLs, paths and package files are not accepted; name a package")
        bad = sorted(set(clean) & _FORBIDDEN)
        if bad:
            raise SpecError(f"{_show(spec)}: the characters {' '.join(bad)} are not allowed")
        if not _ALLOWED.fullmatch(clean):
            raise SpecError(f"{_show(spec)}: contains characters that are not allowed in a package spec")
        if "::" in clean:
            channel = clean.split("::", 1)[0]
            if channel not in allowed_channels:
                raise SpecError(f"{_show(spec)}: channel {channel!r} is not one of the allowed channels")
        try:
            MatchSpec(clean)
        except Exception as exc:
            raise SpecError(f"{_show(spec)}: not a valid package spec ({exc})") from None
        out.append(clean)
    return out


def spec_names(specs: Sequence[str]) -> set[str]:
    from rattler import MatchSpec

    names = set()
    for spec in specs:
        name = MatchSpec(spec).name
        if name is not None:
            names.add(name.normalized)
    return names
