"""Match-spec validation: only plain package requests from allowed channels reach the solver."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import InvalidValue

MAX_SPECS = 100
MAX_SPEC_LENGTH = 256
#: shell metacharacters and quotes: never meaningful in a match spec (``<``, ``>``, ``!`` are: ``>=1,!=1.5``)
_FORBIDDEN = set(";|&$`()'\"\\{}#")
_ALLOWED = re.compile(r"[A-Za-z0-9_.\-+*=<>!,:\[\]~ ]+")


class SpecError(InvalidValue):
    """A package spec was refused; the message names it (control characters shown escaped) and says why."""


def _show(spec: str) -> str:
    return repr(spec[:80])


def check_specs(specs: Sequence[str], *, allowed_channels: Sequence[str] = ()) -> list[str]:
    """Every refusal that needs no match-spec parser (the planner's solver parses each spec, see
    :func:`validate_specs`); returns the specs stripped."""
    if isinstance(specs, str) or not isinstance(specs, Sequence):
        raise SpecError("specs must be a list of package specs")
    if not specs:
        raise SpecError("give at least one package spec")
    if len(specs) > MAX_SPECS:
        raise SpecError(f"at most {MAX_SPECS} package specs per plan")
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
        out.append(clean)
    return out


def parse_spec(spec: str) -> object:
    """The spec as a rattler ``MatchSpec``, or :class:`SpecError`. Runs where rattler is loaded anyway: the
    planner's solver process (so a CLI plan never imports rattler itself), and :func:`validate_specs`."""
    from rattler import MatchSpec

    try:
        return MatchSpec(spec)
    except Exception as exc:
        raise SpecError(f"{_show(spec)}: not a valid package spec ({exc})") from None


def validate_specs(specs: Sequence[str], *, allowed_channels: Sequence[str] = ()) -> list[str]:
    """:func:`check_specs`, then every spec parsed (:func:`parse_spec`): the whole validation in-process."""
    clean = check_specs(specs, allowed_channels=allowed_channels)
    for spec in clean:
        parse_spec(spec)
    return clean


def spec_names(specs: Sequence[str]) -> list[str]:
    """The normalized package names ``specs`` ask for (each parsed with :func:`parse_spec`)."""
    names = {getattr(parse_spec(spec), "name", None) for spec in specs}
    return sorted(name.normalized for name in names if name is not None)
