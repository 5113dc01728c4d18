"""Text and HTML renderings of plan, install and verify documents (CLI and magic share these)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from .attest.result import publisher_cell

_BADGE_COLOURS = {"trusted": "#1b5e20", "unsigned": "#e65100", "untrusted": "#b71c1c", "n/a": "#616161"}


def _table(rows: list[tuple[Any, ...]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def plan_text(plan: Mapping[str, Any]) -> str:
    rows = [("", "name", "version", "build", "channel", "verdict", "publisher", "reason")]
    for p in plan.get("packages", []):
        rows.append(
            (
                p.get("action", ""),
                p.get("name", ""),
                p.get("version", "") + (f" (was {p['previous_version']})" if p.get("previous_version") else ""),
                p.get("build", ""),
                p.get("channel", ""),
                p.get("verdict", "").upper(),
                publisher_cell(p.get("attestation")),
                p.get("reason", ""),
            )
        )
    lines = [f"Plan {plan.get('id', '')[:12]} for {plan.get('prefix')}", *_table(rows)]
    if not plan.get("packages"):
        lines.append("  nothing to do: the environment already satisfies the request")
    for w in plan.get("warnings", []):
        lines.append(f"WARNING: {w}")
    if plan.get("blocked"):
        lines.append("BLOCKED: this plan will not be installed:")
        lines += [f"  - {r}" for r in plan.get("reasons", [])]
    elif plan.get("needs_confirmation"):
        lines.append("CONFIRMATION NEEDED: the plan links unsigned packages.")
    else:
        lines.append("Every package to be linked verified.")
    return "\n".join(lines)


def plan_html(plan: Mapping[str, Any]) -> str:
    esc = html.escape
    head = "".join(
        f"<th>{h}</th>" for h in ("action", "name", "version", "build", "channel", "verdict", "publisher", "reason")
    )
    body = []
    for p in plan.get("packages", []):
        verdict = str(p.get("verdict", ""))
        badge = (
            f"<span style='color:white;background:{_BADGE_COLOURS.get(verdict, '#616161')};"
            f"padding:0 4px;border-radius:3px'>{esc(verdict)}</span>"
        )
        cells = [p.get("action", ""), p.get("name", ""), p.get("version", ""), p.get("build", ""), p.get("channel", "")]
        body.append(
            "<tr>"
            + "".join(f"<td>{esc(str(c))}</td>" for c in cells)
            + f"<td>{badge}</td><td>{esc(publisher_cell(p.get('attestation')))}</td>"
            + f"<td>{esc(str(p.get('reason', '')))}</td></tr>"
        )
    if plan.get("blocked"):
        foot = "<p style='color:#b71c1c'><b>Blocked:</b></p><ul>" + "".join(
            f"<li>{esc(r)}</li>" for r in plan.get("reasons", [])
        )
        foot += "</ul>"
    elif plan.get("needs_confirmation"):
        foot = "<p style='color:#e65100'><b>Confirmation needed:</b> the plan links unsigned packages.</p>"
    else:
        foot = "<p style='color:#1b5e20'>Every package to be linked verified.</p>"
    warn = "".join(f"<li>{esc(w)}</li>" for w in plan.get("warnings", []))
    return (
        f"<div class='jupyter-trust-plan'><p>Plan <code>{esc(str(plan.get('id', ''))[:12])}</code> for "
        f"<code>{esc(str(plan.get('prefix')))}</code></p><table><thead><tr>{head}</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
        + (f"<ul style='color:#e65100'>{warn}</ul>" if warn else "")
        + foot
        + "</div>"
    )


def verify_text(report: Mapping[str, Any]) -> str:
    lines = []
    root = report.get("root") or {}
    lines.append(
        f"root v{root.get('version')}: {'verified' if root.get('verified') else 'FAILED'}"
        + (" (expired)" if root.get("expired") else "")
        + (f": {root.get('error')}" if root.get("error") else "")
    )
    km = report.get("key_mgr")
    if km is not None:
        lines.append(
            f"key_mgr: {'verified' if km.get('verified') else 'FAILED'}"
            + (" (expired)" if km.get("expired") else "")
            + (f": {km.get('error')}" if km.get("error") else "")
        )
    for fn, verdict in sorted((report.get("packages") or {}).items()):
        lines.append(f"{verdict['verdict'].upper():9}  {fn}  {verdict.get('reason', '')}")
    error = report.get("error")
    if error:
        lines.append(f"FAILED: {error.get('file')} could not be used: {error.get('message')}")
    return "\n".join(lines)


def settings_text(result: Mapping[str, Any]) -> str:
    """A token/verification settings change (``SettingsResult.to_json()``), as the CLI and the magic print it."""
    lines = [*result.get("messages", [])]
    token = result.get("token") or {}
    lines.append(f"token: {token['masked']} ({token['location']})" if token.get("present") else "token: not set")
    enabled = (result.get("verification") or {}).get("enabled")
    lines.append(f"signature verification: {'ON' if enabled else 'OFF'} (in {result.get('condarc')})")
    return "\n".join(lines)


def audit_text(report: Mapping[str, Any]) -> str:
    rows = [("name", "version", "build", "channel", "verdict", "publisher", "reason")]
    for p in report.get("packages", []):
        rows.append(
            (
                p.get("name", ""),
                p.get("version", ""),
                p.get("build", ""),
                p.get("channel", ""),
                str(p.get("verdict", "")).upper(),
                publisher_cell(p.get("attestation")),
                p.get("reason", ""),
            )
        )
    lines = [f"Audit of {report.get('prefix')}", *_table(rows)]
    lines.append(str((report.get("summary") or {}).get("text", "")))
    return "\n".join(lines)
