"""Admin policy: what users may change, and how strictly installs are gated.

Values come from three layers, lowest first:

1. built-in defaults;
2. configuration (``c.JupyterTrustApp.<name>`` traits for the server; the same Jupyter config files
   are read by the command line and the magic);
3. the **admin policy file**: a JSON object at the path in ``$JUPYTER_TRUST_POLICY_FILE`` (or
   ``/etc/jupyter/jupyter_trust_policy.json``). Every value it sets is *locked*: configuration may only
   make a locked value stricter, never looser, and the surfaces refuse to change it (HTTP 403).

Each effective value carries ``locked`` and ``source`` so the panel can grey out locked controls.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .attest.config import AttestationPolicyError, check_attestations, check_trusted_publishers
from .cct.jsonload import loads_strict
from .errors import Kind, TrustError

ExpiryPolicy = Literal["warn", "block"]
UnsignedPolicy = Literal["allow", "warn", "block"]

POLICY_FILE_ENV = "JUPYTER_TRUST_POLICY_FILE"
DEFAULT_POLICY_FILE = Path("/etc/jupyter/jupyter_trust_policy.json")
#: the admin policy file is a flat object of a dozen values
POLICY_MAX_BYTES = 1 << 20
POLICY_MAX_DEPTH = 8

# For each ordered setting: values from loosest to strictest.
_ORDER: dict[str, tuple[Any, ...]] = {
    "expiry": ("warn", "block"),
    "unsigned": ("allow", "warn", "block"),
    "require_verification": (False, True),
    "allow_user_token": (True, False),
    "allow_server_prefix": (True, False),
    "attestations": ("off", "report", "require"),
}


class PolicyError(TrustError, ValueError):
    """The policy file or a configured value is malformed (the administrator's to fix, not the user's)."""

    kind = Kind.UNAVAILABLE


class PolicyLocked(TrustError, PermissionError):
    """A user tried to change something the administrator locked."""

    kind = Kind.LOCKED

    def __init__(self, name: str, source: str) -> None:
        super().__init__(f"'{name}' is locked by your administrator ({source}) and cannot be changed here")
        self.name = name
        self.source = source


class AdminTokenLocked(PolicyLocked):
    """A user tried to store or remove a token while the administrator supplies one."""

    def __init__(self, name: str, location: str, source: str) -> None:
        TrustError.__init__(
            self,
            f"the Anaconda token is supplied by your administrator ({location}, policy '{name}' in {source}); "
            "it cannot be replaced or removed here",
        )
        self.name = name
        self.source = source


@dataclass(frozen=True)
class PolicyValue:
    value: Any
    locked: bool = False
    source: str = "default"

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "locked": self.locked, "source": self.source}


DEFAULTS: dict[str, Any] = {
    # Signature verification (condarc extra_safety_checks) must stay on; users cannot turn it off.
    "require_verification": False,
    # Users may store their own Anaconda token.
    "allow_user_token": True,
    # Name of an environment variable that holds the token (admin-supplied, e.g. from a k8s secret).
    "token_env_var": None,
    # Path of a file that holds the token (admin-supplied, e.g. a mounted secret).
    "token_file": None,
    # What expired root/key_mgr metadata does to a plan: warn (shown) or block.
    "expiry": "warn",
    # What unsigned records do to a plan: allow (badge only, conda's behaviour), warn (confirm), block.
    "unsigned": "warn",
    # Channels a plan may use; empty = the channels of conda's configuration.
    "allowed_channels": [],
    # Extra prefixes (or directories holding prefixes) installs may target.
    "allowed_prefix_roots": [],
    # May installs target the environment that runs the Jupyter server?
    "allow_server_prefix": True,
    # Explicit trust anchor (a 1.root.json); None = discovery (JUPYTER_TRUST_ROOT, conda, shipped root).
    "trust_root": None,
    # Solver engine: rattler, conda (conda --dry-run solves; our captured repodata is verified and rattler installs,
    # as always), or auto (= rattler).
    "engine": "rattler",
    # Largest repodata accepted, in bytes (a .zst decompressed). It bounds download and disk, not memory (a
    # capture is streamed to disk and only linked records are parsed):
    # about four times the 300,000-record channel benchmarked (~250 MB), room for the largest public channels.
    "repodata_max_bytes": 1024 * 1024 * 1024,
    # A download may take this many seconds before the minimum rate applies (a 1 byte/s trickle fails about then).
    "download_timeout_secs": 60.0,
    # Bytes/s every download must average after download_timeout_secs: N bytes get timeout + N / rate at most.
    "download_min_rate": 20_000,
    # Sigstore publish attestations (CEP 27): who may publish to each channel ({channel: [{issuer, repository} |
    # {issuer, identity}]}); a channel without an entry accepts any valid signer, an empty list accepts none.
    "trusted_publishers": {},
    # Attestations per channel: off (not checked), report (shown; missing never blocks), require (missing blocks);
    # a string for every channel or a mapping {channel or "*": mode}.
    "attestations": "report",
    # Sigstore trusted_root.json or client trust config; None = $JUPYTER_TRUST_SIGSTORE_ROOT, else the shipped
    # public-good root.
    "sigstore_trust_root": None,
    # Channels whose unpinned <package url>.v0.sigs sidecars are looked up when a record advertises none.
    "attestations_v0_sigs_channels": [],
}

#: settings that are positive numbers (int or float)
_POSITIVE = ("repodata_max_bytes", "download_timeout_secs", "download_min_rate")

_CHOICES: dict[str, tuple[Any, ...]] = {
    "expiry": ("warn", "block"),
    "unsigned": ("allow", "warn", "block"),
    "engine": ("rattler", "conda", "auto"),
}


def _check(name: str, value: Any) -> Any:
    if name not in DEFAULTS:
        raise PolicyError(f"unknown policy setting '{name}'")
    if name in _CHOICES and value not in _CHOICES[name]:
        raise PolicyError(f"policy '{name}' must be one of {', '.join(map(str, _CHOICES[name]))}, not {value!r}")
    default = DEFAULTS[name]
    if isinstance(default, bool) and not isinstance(value, bool):
        raise PolicyError(f"policy '{name}' must be true or false")
    if isinstance(default, list) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise PolicyError(f"policy '{name}' must be a list of strings")
    if name in _POSITIVE and not _positive(value, integer=isinstance(default, int)):
        kind = "integer" if isinstance(default, int) else "number"
        raise PolicyError(f"policy '{name}' must be a positive {kind}")
    if name == "trusted_publishers":
        try:
            return check_trusted_publishers(value)
        except AttestationPolicyError as exc:
            raise PolicyError(str(exc)) from None
    if name == "attestations":
        try:
            return check_attestations(value)
        except AttestationPolicyError as exc:
            raise PolicyError(str(exc)) from None
    paths = ("token_env_var", "token_file", "trust_root", "sigstore_trust_root")
    if name in paths and value is not None and not isinstance(value, str):
        raise PolicyError(f"policy '{name}' must be a string")
    return value


def _positive(value: Any, *, integer: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        return False
    return 0 < value < float("inf")


def _stricter_or_equal(name: str, candidate: Any, locked: Any) -> bool:
    order = _ORDER.get(name)
    if order is None or candidate not in order or locked not in order:  # e.g. a per-channel mapping
        return candidate == locked
    return order.index(candidate) >= order.index(locked)


@dataclass(frozen=True)
class Policy:
    values: Mapping[str, PolicyValue] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name in DEFAULTS:
            return self.get(name).value
        raise AttributeError(name)

    def get(self, name: str) -> PolicyValue:
        return self.values.get(name) or PolicyValue(DEFAULTS[name])

    def ensure_unlocked(self, name: str) -> None:
        value = self.get(name)
        if value.locked:
            raise PolicyLocked(name, value.source)

    def to_json(self) -> dict[str, Any]:
        return {name: self.get(name).to_json() for name in DEFAULTS}

    @classmethod
    def load(
        cls,
        config: Mapping[str, Any] | None = None,
        *,
        policy_file: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Policy:
        """Defaults <- ``config`` (traits) <- admin policy file (locked; config may only tighten it)."""
        environ = os.environ if environ is None else environ
        values: dict[str, PolicyValue] = {name: PolicyValue(value) for name, value in DEFAULTS.items()}
        for name, value in (config or {}).items():
            if value is None and DEFAULTS.get(name) is None:
                continue
            values[name] = PolicyValue(_check(name, value), False, "config")
        path = policy_file
        if path is None:
            env_path = environ.get(POLICY_FILE_ENV)
            path = Path(env_path) if env_path else (DEFAULT_POLICY_FILE if DEFAULT_POLICY_FILE.exists() else None)
        if path is not None:
            for name, value in _read_policy_file(path).items():
                value = _check(name, value)
                configured = values[name]
                if configured.source == "config" and _stricter_or_equal(name, configured.value, value):
                    values[name] = PolicyValue(configured.value, True, f"{path} (tightened by config)")
                else:
                    values[name] = PolicyValue(value, True, str(path))
        return cls(values)


def _read_policy_file(path: Path) -> dict[str, Any]:
    try:
        data = loads_strict(Path(path).read_bytes(), max_bytes=POLICY_MAX_BYTES, max_depth=POLICY_MAX_DEPTH)
    except FileNotFoundError as exc:
        raise PolicyError(f"admin policy file {path} does not exist") from exc
    except (OSError, ValueError) as exc:
        raise PolicyError(f"admin policy file {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"admin policy file {path} must hold a JSON object")
    return data
