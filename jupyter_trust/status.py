"""The trust-status document: one model, shown by the REST endpoint, the panel, the magic and the CLI."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import __version__, journal
from .attest.status import attestation_lines, attestation_status
from .core import Core
from .trust.store import TrustState

_LEFT = "style='text-align:left'"


@dataclass(frozen=True)
class Status:
    verification: Mapping[str, Any]
    conda: Mapping[str, Any]
    trust: Mapping[str, Any]
    channels: list[Mapping[str, str]]
    token: Mapping[str, Any]
    policy: Mapping[str, Any]
    engine: Mapping[str, Any]
    warnings: list[str]
    interrupted_tasks: list[Mapping[str, Any]] = field(default_factory=list)
    version: str = __version__
    #: the Sigstore root in use and each channel's attestation mode and publishers
    attestations: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "verification": dict(self.verification),
            "conda": dict(self.conda),
            "trust": dict(self.trust),
            "channels": [dict(c) for c in self.channels],
            "token": dict(self.token),
            "policy": dict(self.policy),
            "engine": dict(self.engine),
            "warnings": list(self.warnings),
            "interrupted_tasks": [dict(t) for t in self.interrupted_tasks],
            "attestations": dict(self.attestations),
        }

    # -- text and HTML renderings (CLI and magic) ----------------------------------------------
    def lines(self) -> list[tuple[str, str]]:
        ver = self.verification
        trust = self.trust
        anchor = trust.get("anchor") or {}
        root = trust.get("root") or {}
        km = trust.get("key_mgr") or {}
        token = self.token

        def expired(flag: Any) -> str:
            return " (EXPIRED)" if flag else ""

        rows = [
            (
                "Signature verification",
                ("ON" if ver.get("enabled") else "OFF")
                + f" (from {ver.get('source')})"
                + (" [locked]" if ver.get("locked") else ""),
            ),
            ("Signing metadata URL", str(ver.get("metadata_url") or "not set")),
            (
                "Trust anchor",
                f"root v{anchor.get('version')} from {anchor.get('source')} ({anchor.get('path')}), "
                f"expires {anchor.get('expiration')}{expired(anchor.get('expired'))}",
            ),
            (
                "Root",
                f"v{root.get('version')}, expires {root.get('expiration')}{expired(root.get('expired'))}"
                + (f"; {root.get('error')}" if root.get("error") else ""),
            ),
            (
                "key_mgr",
                f"{km.get('state')}"
                + (f", v{km.get('version')}, expires {km.get('expiration')}" if km.get("version") is not None else "")
                + expired(km.get("expired"))
                + (f"; {km.get('error')}" if km.get("error") else ""),
            ),
            ("conda", f"{self.conda.get('executable') or 'not found'} {self.conda.get('version') or ''}".strip()),
            ("conda-content-trust importable", "yes" if self.conda.get("content_trust_importable") else "no"),
            ("Channels", ", ".join(c["url"] for c in self.channels) or "none"),
            (
                "Token",
                f"{token.get('masked')} ({token.get('source')}: {token.get('location')})"
                if token.get("present")
                else "not set",
            ),
            ("Engine", _engine_line(self.engine)),
            *attestation_lines(self.attestations),
        ]
        for name, value in self.policy.items():
            if value.get("locked"):
                rows.append((f"Policy {name}", f"{value.get('value')} [locked by {value.get('source')}]"))
        return rows

    def to_text(self) -> str:
        rows = self.lines()
        width = max(len(k) for k, _ in rows)
        out = [f"{k.ljust(width)}  {v}" for k, v in rows]
        out += [f"WARNING: {w}" for w in self.warnings]
        return "\n".join(out)

    def to_html(self) -> str:
        on = bool(self.verification.get("enabled"))
        banner = (
            '<p style="color:#1b5e20"><b>Signature verification is ON</b></p>'
            if on
            else '<p style="color:#b71c1c"><b>Signature verification is OFF</b></p>'
        )
        rows = "".join(
            f"<tr><th {_LEFT}>{html.escape(k)}</th><td {_LEFT}>{html.escape(v)}</td></tr>" for k, v in self.lines()
        )
        warnings = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return f"<div class='jupyter-trust-status'>{banner}<table>{rows}</table>" + (
            f"<ul style='color:#e65100'>{warnings}</ul></div>" if warnings else "</div>"
        )


def _engine_line(engine: Mapping[str, Any]) -> str:
    line = f"{engine.get('name')} (plans solved by {engine.get('effective') or 'nothing'}; available: "
    line += ", ".join(engine.get("available") or []) + ")"
    return line + (f"; {engine['error']}" if engine.get("error") else "")


def engine_status(core: Core) -> dict[str, Any]:
    """The configured engine, what a plan would use, the conda executable found and the engines available."""
    value = core.policy.get("engine")
    conda = core.conda
    available = ["rattler"] + (["conda"] if conda.executable else [])
    error = None
    effective: str | None = "conda" if value.value == "conda" else "rattler"
    if value.value == "conda" and not conda.executable:
        effective, error = None, "engine 'conda' is configured but no conda executable was found: plans will be refused"
    return {
        "name": value.value,
        "effective": effective,
        "available": available,
        "conda": {"executable": conda.executable, "version": conda.version},
        "locked": value.locked,
        "source": value.source,
        "error": error,
    }


def build_status(
    core: Core,
    *,
    refresh: bool = False,
    interrupted: Callable[[], list[Mapping[str, Any]]] | None = None,
) -> Status:
    """Assemble the status from the core services. ``refresh`` walks the root chain and fetches key_mgr."""
    config = core.config()
    settings = core.settings()
    verification = settings.verification()
    # A condarc conda cannot read changes channels and verification settings in ways nobody can tell: say so
    # first (plans are refused with the same message).
    warnings: list[str] = list(config.errors)
    try:
        store = core.trust_store(config)
        state: TrustState | None = store.refresh() if refresh and store.metadata_url else store.current()
        trust = state.to_json()
        warnings += state.warnings()
        warnings += [r for r in state.blocking_reasons(core.policy.expiry) if r not in warnings]
    except Exception as exc:  # a broken anchor must still produce a status
        trust = {"metadata_url": None, "anchor": None, "root": None, "key_mgr": None, "error": str(exc)}
        warnings.append(f"trust metadata unavailable: {exc}")
    engine = engine_status(core)
    if engine["error"]:
        warnings.append(engine["error"])
    warnings += _journal_warnings(core)
    if not verification.get("enabled"):
        warnings.insert(0, "Signature verification is OFF: conda installs packages without checking signatures.")
    elif not verification.get("metadata_url"):
        warnings.insert(
            0, "Signature verification is on but signing_metadata_url_base is not set: conda verifies nothing."
        )
    return Status(
        verification=verification,
        conda=core.conda.to_json(core.active_prefix),
        trust=trust,
        channels=[{"name": name, "url": url} for name, url in config.channel_urls()],
        token=core.tokens().info().to_json(),
        policy=core.policy.to_json(),
        engine=engine,
        warnings=warnings,
        interrupted_tasks=list(interrupted() if interrupted else []),
        attestations=attestation_status(core.policy, core.environ, config.channel_urls()),
    )


def _journal_warnings(core: Core) -> list[str]:
    return journal.unreadable(core.private_work_dir() / "tasks")
