"""``JupyterTrustApp``: the server extension. Admin policy lives in its traits (``c.JupyterTrustApp.*``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode, Union

from ..childenv import withdraw_token_variables
from ..commands.config import policy_values
from ..core import Core
from ..plans.pool import PlanPool
from ..policy import DEFAULTS, Policy
from ..redact import Redactor
from ..status_service import StatusService
from ..tasks import TaskManager
from .routes import ROUTES


class JupyterTrustApp(ExtensionApp):
    """Install conda packages only when their signed metadata checks out."""

    name = "jupyter_trust"
    load_other_extensions = True

    require_verification = Bool(
        None,
        allow_none=True,
        help="Keep signature verification (condarc extra_safety_checks) on; users cannot turn it off.",
    ).tag(config=True)
    allow_user_token = Bool(
        None, allow_none=True, help="Allow users to set or remove their own Anaconda token (default: True)."
    ).tag(config=True)
    token_env_var = Unicode(
        None, allow_none=True, help="Environment variable holding an admin-supplied token (e.g. from a k8s secret)."
    ).tag(config=True)
    token_file = Unicode(
        None, allow_none=True, help="File holding an admin-supplied token (e.g. a mounted secret, mode 0600)."
    ).tag(config=True)
    expiry = Enum(
        ["warn", "block"],
        None,
        allow_none=True,
        help="Expired root/key_mgr metadata: 'warn' (default) or 'block' installs.",
    ).tag(config=True)
    unsigned = Enum(
        ["allow", "warn", "block"],
        None,
        allow_none=True,
        help="Unsigned records: 'allow' (badge only), 'warn' (default; needs confirmation), 'block'.",
    ).tag(config=True)
    allowed_channels = List(
        Unicode(), default_value=None, allow_none=True, help="Channels plans may use (names or URLs); empty = conda's."
    ).tag(config=True)
    allowed_prefix_roots = List(
        Unicode(),
        default_value=None,
        allow_none=True,
        help="Extra prefixes (or directories of prefixes) installs may target.",
    ).tag(config=True)
    allow_server_prefix = Bool(
        None,
        allow_none=True,
        help="Allow installs into the environment running this server (default: allowed, refused under JupyterHub).",
    ).tag(config=True)
    trust_root = Unicode(None, allow_none=True, help="Path of the trusted root (N.root.json) to anchor the chain.").tag(
        config=True
    )
    engine = Enum(
        ["rattler", "conda", "auto"],
        None,
        allow_none=True,
        help="Solver engine for plans: 'rattler' (default), 'conda' (conda install|create --dry-run --json solves; "
        "every record it plans is verified from the repodata jupyter_trust captured, and installs always go "
        "through the verifying rattler installer, never conda) or 'auto' (= rattler).",
    ).tag(config=True)
    repodata_max_bytes = Int(
        None, allow_none=True, help="Largest repodata accepted, in bytes (for repodata.json.zst: decompressed)."
    ).tag(config=True)
    trusted_publishers = Dict(
        default_value=None,
        allow_none=True,
        help="Who may publish to each channel (Sigstore publish attestations): {channel name or URL: [{'issuer': "
        "..., 'repository': 'https://github.com/org/repo'} or {'issuer': ..., 'identity': '<certificate SAN>'}]}. "
        "A channel without an entry accepts any valid signer; an empty list accepts none.",
    ).tag(config=True)
    attestations = Union(
        [Enum(["off", "report", "require"]), Dict()],
        default_value=None,
        allow_none=True,
        help="Publish attestations: 'off' (not checked), 'report' (default: shown, a missing one never blocks), "
        "'require' (a missing one blocks), or a mapping {channel name or URL or '*': mode}.",
    ).tag(config=True)
    sigstore_trust_root = Unicode(
        None,
        allow_none=True,
        help="Sigstore trusted_root.json or client trust config verifying attestations (default: "
        "$JUPYTER_TRUST_SIGSTORE_ROOT, else the public-good root shipped with jupyter_trust).",
    ).tag(config=True)
    attestations_v0_sigs_channels = List(
        Unicode(),
        default_value=None,
        allow_none=True,
        help="Channels whose unpinned '<package url>.v0.sigs' sidecars are looked up for records that advertise "
        "no CEP 50 sidecar.",
    ).tag(config=True)
    repodata_cache_bytes = Int(
        512 << 20,
        help="Repodata bytes this server keeps (on disk, memory-mapped: not heap memory) between plans, reused "
        "when the channel answers 304 Not Modified; 0 turns the cache and the spare solver process off.",
    ).tag(config=True)

    download_timeout_secs = Float(
        None,
        allow_none=True,
        help="Seconds a download may take before download_min_rate applies (default 60; a 1 byte/s trickle fails "
        "about then). conda's remote_connect_timeout_secs / remote_read_timeout_secs (condarc) bound connecting and "
        "each wait for data.",
    ).tag(config=True)
    download_min_rate = Int(
        None,
        allow_none=True,
        help="Bytes/s every download must average after download_timeout_secs (default 20000): a download of N bytes "
        "may take download_timeout_secs + N / download_min_rate seconds.",
    ).tag(config=True)
    plan_workers = Int(2, help="Plans this server computes at once (each in its own thread).").tag(config=True)
    plan_queue_limit = Int(
        8, help="Plans that may wait for a free planner; more are refused with 503 and Retry-After."
    ).tag(config=True)
    plan_queue_timeout_secs = Float(
        120.0, help="Seconds a plan may wait for a free planner before it is cancelled (503 and Retry-After)."
    ).tag(config=True)
    status_refresh_timeout_secs = Float(
        30.0, help="Seconds GET /jupyter-trust/status?refresh=1 may take to refresh the trust metadata (else 504)."
    ).tag(config=True)

    def configured_policy_values(self) -> dict[str, Any]:
        section = {name: getattr(self, name, None) for name in DEFAULTS}
        section = {k: list(v) if isinstance(v, list | tuple) else v for k, v in section.items()}
        return policy_values(section, os.environ)

    def initialize_settings(self) -> None:
        policy = Policy.load(self.configured_policy_values())
        core = Core(policy=policy, server_prefix=Path(sys.prefix), serving_cache_bytes=self.repodata_cache_bytes)
        # The core keeps its own copy of the environment (the admin token stays readable there); the server
        # process itself drops token variables so no kernel, terminal or build child inherits them.
        for name in withdraw_token_variables([policy.token_env_var]):
            self.log.info("jupyter_trust: removed $%s from the server's environment (kept in memory)", name)
        token = core.tokens().read()
        redactor = Redactor([token] if token else [])
        tasks = TaskManager(core.private_work_dir(), installer_factory=core.installer, redactor=redactor)
        plans = PlanPool(self.plan_workers, self.plan_queue_limit, self.plan_queue_timeout_secs)
        status = StatusService(core, interrupted=tasks.interrupted, refresh_timeout=self.status_refresh_timeout_secs)
        self.settings.update(
            {
                "jupyter_trust_core": core,
                "jupyter_trust_tasks": tasks,
                "jupyter_trust_plans": plans,
                "jupyter_trust_status": status,
            }
        )
        page_config = self.serverapp.web_app.settings.setdefault("page_config_data", {})
        page_config["jupyterTrust"] = {"policy": policy.to_json()}
        self.log.info("jupyter_trust: policy %s", {k: v["value"] for k, v in policy.to_json().items() if v["locked"]})

    def initialize_handlers(self) -> None:
        self.handlers.extend(ROUTES)

    async def stop_extension(self) -> None:
        for name in ("jupyter_trust_core", "jupyter_trust_plans", "jupyter_trust_status"):
            service = self.settings.get(name)
            if isinstance(service, Core | PlanPool | StatusService):
                service.close()
