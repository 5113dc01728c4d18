"""The one core every surface (REST, panel, magic, CLI) goes through.

``Core`` wires the services together from a :class:`~jupyter_trust.policy.Policy` and an environment;
it holds no Jupyter objects, so the server extension, the magic and the command line build the same
``Core`` and therefore always agree.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .childenv import declare_secret_variable
from .conda.condarc import CondaConfig
from .conda.envs import (
    Environment,
    conda_version,
    content_trust_importable,
    find_conda_executable,
    list_environments,
    resolve_target_prefix,
)
from .conda.tokens import TokenStore, repo_url
from .errors import InvalidInput
from .fetch import Fetcher
from .fsutil import ensure_private_dir, writing
from .paths import jupyter_data_dir, trust_cache_dir
from .policy import Policy

if TYPE_CHECKING:
    from .engine.rattler_engine import WorkerPool
    from .plans.install import Installer
    from .plans.repodata_cache import RepodataCache
    from .plans.service import PlanContext, Planner
    from .settings import SettingsService
from .trust.anchor import Anchor, discover_anchor
from .trust.store import TrustStore


@dataclass(frozen=True)
class CondaInfo:
    """What we know about a conda installation, found once (no subprocess per request)."""

    executable: str | None
    version: str | None
    root_prefix: Path | None

    def to_json(self, target_prefix: Path | None) -> dict[str, object]:
        prefix = target_prefix or self.root_prefix
        return {
            "executable": self.executable,
            "version": self.version,
            "content_trust_importable": bool(prefix and content_trust_importable(prefix)),
        }


@dataclass
class Core:
    policy: Policy = field(default_factory=Policy.load)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: the environment the Jupyter server (or CLI) runs in
    server_prefix: Path = field(default_factory=lambda: Path(sys.prefix))
    #: the environment a kernel runs in, when known (the magic's default target)
    kernel_prefix: Path | None = None
    #: private working directory (plans, downloaded repodata and artifacts, task journal)
    work_dir: Path | None = None
    #: a long-running server: keeps repodata captures (reused on the channel's 304) up to this many raw
    #: bytes and a started solver process between plans; 0 (the CLI and the magic): neither
    serving_cache_bytes: int = 0

    def __post_init__(self) -> None:
        # Before any child process starts: the admin's token variable is a secret whatever its name.
        declare_secret_variable(self.policy.token_env_var)

    # -- conda ---------------------------------------------------------------------------------
    @cached_property
    def conda(self) -> CondaInfo:
        exe = find_conda_executable(environ=self.environ)
        root = exe.parent.parent if exe else None
        return CondaInfo(str(exe) if exe else None, conda_version(exe) if exe else None, root)

    @property
    def active_prefix(self) -> Path | None:
        value = self.environ.get("CONDA_PREFIX")
        return Path(value) if value else None

    def config(self) -> CondaConfig:
        """Conda's merged configuration, read fresh (condarc files may change under us)."""
        return CondaConfig.load(
            environ=self.environ, root_prefix=self.conda.root_prefix, active_prefix=self.active_prefix
        )

    def tokens(self) -> TokenStore:
        return TokenStore(environ=self.environ, policy=self.policy)

    def settings(self) -> SettingsService:
        from .settings import SettingsService

        return SettingsService(
            policy=self.policy,
            environ=self.environ,
            root_prefix=self.conda.root_prefix,
            active_prefix=self.active_prefix,
        )

    # -- trust metadata ------------------------------------------------------------------------
    def conda_trust_dirs(self) -> list[Path]:
        dirs = []
        if self.active_prefix:
            dirs.append(self.active_prefix / "etc" / "conda")
        if self.conda.root_prefix:
            dirs.append(self.conda.root_prefix / "etc" / "conda")
        return dirs

    def anchor(self) -> Anchor:
        return discover_anchor(self.policy.trust_root, environ=self.environ, conda_dirs=self.conda_trust_dirs())

    def fetcher(self, config: CondaConfig | None = None, *, until: float | None = None) -> Fetcher:
        """A client for one operation: conda's proxies and connect/read timeouts, the policy's minimum rate;
        ``until`` (``time.monotonic()``) ends the whole operation."""
        config = config or self.config()
        return config.fetcher(
            timeout=float(self.policy.download_timeout_secs), min_rate=float(self.policy.download_min_rate), until=until
        )

    def trust_store(self, config: CondaConfig | None = None, *, fetcher: Fetcher | None = None) -> TrustStore:
        config = config or self.config()
        url = config.signing_metadata_url_base.value
        return TrustStore(
            metadata_url=url.rstrip("/") if isinstance(url, str) and url else None,
            anchor=self.anchor(),
            cache_dir=trust_cache_dir(self.environ),
            fetcher=fetcher or self.fetcher(config),
        )

    # -- environments --------------------------------------------------------------------------
    def environments(self, config: CondaConfig | None = None) -> list[Environment]:
        config = config or self.config()
        envs_dirs = [Path(p) for p in (config.envs_dirs.value or [])]
        if self.conda.root_prefix:
            envs_dirs.append(self.conda.root_prefix / "envs")
        return list_environments(
            envs_dirs=envs_dirs,
            extra_roots=[Path(p) for p in self.policy.allowed_prefix_roots],
            kernel_prefix=self.kernel_prefix,
            server_prefix=self.server_prefix,
        )

    def target_prefix(self, requested: str, config: CondaConfig | None = None) -> Path:
        envs = self.environments(config)
        return resolve_target_prefix(
            requested,
            allowed=envs,
            allowed_roots=[Path(p) for p in self.policy.allowed_prefix_roots],
            server_prefix=self.server_prefix,
            allow_server_prefix=self.policy.allow_server_prefix,
        )

    # -- plans ---------------------------------------------------------------------------------
    def private_work_dir(self) -> Path:
        base = self.work_dir or (jupyter_data_dir(self.environ) / "jupyter_trust" / "work")
        with writing(f"the working directory {base} cannot be created"):
            return ensure_private_dir(Path(base))

    def plan_context(self, config: CondaConfig | None = None, *, workers: WorkerPool | None = None) -> PlanContext:
        """``workers``: solver processes started ahead of this plan (default: a server's spare, else none)."""
        from .plans.service import PlanContext

        config = config or self.config()
        refusal = config.refusal()
        if refusal is not None:
            raise InvalidInput(refusal)  # fail closed: the channels and verification settings are unknown
        store = self.tokens()
        channels = config.channel_urls()
        if self.policy.allowed_channels:
            allowed = set(self.policy.allowed_channels)
            channels = [(name, url) for name, url in channels if name in allowed or url in allowed]
        # One client for the whole plan or install: a host that timed out is not asked again.
        fetcher = self.fetcher(config)
        return PlanContext(
            policy=self.policy,
            channels=channels,
            trust_store=self.trust_store(config, fetcher=fetcher),
            token=store.read,
            repo_url=repo_url(self.environ),
            fetcher=fetcher,
            work_dir=self.private_work_dir(),
            repodata_cache=self._serving[0] if self._serving else None,
            workers=workers or (self._serving[1] if self._serving else None),
            conda_executable=self.conda.executable,
            environ=self.environ,
        )

    @cached_property
    def _serving(self) -> tuple[RepodataCache, WorkerPool] | None:
        if self.serving_cache_bytes <= 0:
            return None
        from .engine.rattler_engine import WorkerPool
        from .plans.repodata_cache import RepodataCache

        return RepodataCache(self.serving_cache_bytes), WorkerPool()

    def close(self) -> None:
        """End what a serving core keeps running (its spare solver process)."""
        if self.serving_cache_bytes > 0:
            self._serving[1].close()  # type: ignore[index]

    def planner(self, config: CondaConfig | None = None, *, workers: WorkerPool | None = None) -> Planner:
        from .plans.service import Planner

        return Planner(self.plan_context(config, workers=workers))

    def installer(self, config: CondaConfig | None = None) -> Installer:
        from .plans.install import Installer

        return Installer(self.plan_context(config))
