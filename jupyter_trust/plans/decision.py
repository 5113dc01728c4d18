"""May this plan be installed? Decided here once, for the planner, the installer, REST, the CLI and the magic.

The planner calls :func:`decide` to fill a plan's ``blocked`` / ``needs_confirmation`` / ``reasons``; every
surface then asks :func:`install_refusal` (or :func:`check_installable`) before installing, and the panel reads
the same three fields from the server's answer. Untrusted always blocks; an unrequested downgrade blocks; an
attestation that fails, or is missing where the policy requires one, blocks; a package with no evidence (not
content-trust ``trusted`` and no ``verified`` attestation) follows the ``unsigned`` policy (allow, warn = needs
confirmation, block). The trust chain's state reaches the decision through the verdicts (a signed record is
untrusted while the chain is unusable); ``trust_reasons`` is for a caller that has further blocking reasons.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ..errors import Kind, TrustError
from ..policy import Policy
from .attestations import attestation_reasons
from .model import Plan, PlannedPackage


@dataclass(frozen=True)
class Decision:
    blocked: bool
    needs_confirmation: bool
    reasons: tuple[str, ...]


def package_reasons(package: PlannedPackage, *, requested: Collection[str]) -> list[str]:
    """Why this one package's content-trust verdict or action blocks the plan (empty: they do not)."""
    reasons = []
    if package.verdict == "untrusted":
        reasons.append(f"{package.filename} is UNTRUSTED: {package.reason}")
    if package.action == "downgrade" and package.name not in requested:
        reasons.append(
            f"{package.name} would be downgraded from {package.previous_version} to {package.version} although it "
            "was not requested"
        )
    return reasons


def decide(
    packages: Sequence[PlannedPackage],
    *,
    policy: Policy,
    requested: Collection[str],
    trust_reasons: Sequence[str] = (),
    channel_names: Mapping[str, str] | None = None,
) -> Decision:
    """``channel_names`` maps channel URLs to their configured names (attestation policy may name either)."""
    reasons = [r for p in packages for r in package_reasons(p, requested=requested)]
    evidence_reasons, without_evidence = attestation_reasons(packages, policy, channel_names)
    reasons += evidence_reasons
    reasons += trust_reasons
    blocked = bool(reasons)
    return Decision(blocked, not blocked and without_evidence and policy.unsigned == "warn", tuple(reasons))


class InstallRefused(TrustError):
    """The plan may not be installed (blocked, unconfirmed unsigned packages, artifact mismatch)."""

    kind = Kind.VERIFICATION_FAILED


class ConfirmationNeeded(InstallRefused):
    """The plan links unsigned packages and the user has not confirmed them (each surface says how to)."""


def install_refusal(
    plan: Plan, *, confirm_unsigned: bool, how_to_confirm: str = "confirm to install them anyway"
) -> InstallRefused | None:
    """Why ``plan`` may not be installed now, or None. The plan's own fields are the decision (see :func:`decide`);
    ``how_to_confirm`` is the surface's own words (a flag, a JSON field)."""
    if plan.blocked:
        return InstallRefused("the plan is blocked: " + "; ".join(plan.reasons), reasons=list(plan.reasons))
    if plan.needs_confirmation and not confirm_unsigned:
        return ConfirmationNeeded(f"the plan links unsigned packages; {how_to_confirm}")
    return None


def check_installable(
    plan: Plan, *, confirm_unsigned: bool, how_to_confirm: str = "confirm to install them anyway"
) -> None:
    refusal = install_refusal(plan, confirm_unsigned=confirm_unsigned, how_to_confirm=how_to_confirm)
    if refusal is not None:
        raise refusal
