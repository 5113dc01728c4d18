"""Token and signature-verification settings: the one service the panel, magic, CLI and REST API call.

``set_token`` does what ``conda token set`` does (validate with one HEAD request, store the token where
conda reads it, ``add_anaconda_token``, ``default_channels``, optionally ``extra_safety_checks`` and
``signing_metadata_url_base``, clear the index cache) but into the condarc *you* choose; ``remove_token``
undoes it in that same file (conda-token ignores its location flags). Admin policy can lock verification
on and forbid user tokens (:class:`~jupyter_trust.policy.PolicyLocked`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .conda.condarc import CondaConfig, CondarcLocation, edit_condarc
from .conda.defaults import TOKEN_CHANNELS
from .conda.tokens import TokenInfo, TokenStore, check_token_syntax, repo_url, validate_token
from .fetch import Fetcher
from .policy import Policy, PolicyLocked


@dataclass(frozen=True)
class SettingsResult:
    token: TokenInfo
    verification: Mapping[str, Any]
    condarc: str
    validated: bool | None = None
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "token": self.token.to_json(),
            "verification": dict(self.verification),
            "condarc": self.condarc,
            "validated": self.validated,
            "messages": list(self.messages),
        }


class SettingsService:
    def __init__(
        self,
        *,
        policy: Policy,
        environ: Mapping[str, str] | None = None,
        root_prefix: Path | None = None,
        active_prefix: Path | None = None,
        fetcher_factory: Callable[[], Fetcher] | None = None,
    ) -> None:
        self.policy = policy
        self.environ = os.environ if environ is None else environ
        self.root_prefix = root_prefix
        self.active_prefix = active_prefix
        self._fetcher_factory = fetcher_factory

    # -- reading ---------------------------------------------------------------------------------
    def config(self) -> CondaConfig:
        return CondaConfig.load(environ=self.environ, root_prefix=self.root_prefix, active_prefix=self.active_prefix)

    def tokens(self) -> TokenStore:
        return TokenStore(environ=self.environ, policy=self.policy)

    def verification(self, config: CondaConfig | None = None) -> dict[str, Any]:
        config = config or self.config()
        enabled = config.extra_safety_checks
        url = config.signing_metadata_url_base
        lock = self.policy.get("require_verification")
        locked = bool(lock.value)
        return {
            "enabled": bool(enabled.value),
            "source": enabled.source or "default",
            "metadata_url": url.value if isinstance(url.value, str) else None,
            "metadata_url_source": url.source if url.value else None,
            "locked": locked,
            "lock_reason": (f"your administrator requires signature verification ({lock.source})" if locked else None),
        }

    def _result(
        self, path: Path, *, validated: bool | None = None, messages: list[str] | None = None
    ) -> SettingsResult:
        return SettingsResult(
            token=self.tokens().info(),
            verification=self.verification(),
            condarc=str(path),
            validated=validated,
            messages=messages or [],
        )

    # -- token -----------------------------------------------------------------------------------
    def set_token(
        self,
        token: str,
        *,
        location: CondarcLocation,
        validate: bool = True,
        enable_signature_verification: bool = True,
    ) -> SettingsResult:
        self.policy.ensure_unlocked("allow_user_token")
        if not self.policy.allow_user_token:
            raise PolicyLocked("allow_user_token", self.policy.get("allow_user_token").source)
        token = check_token_syntax(token)
        config = self.config()
        messages = []
        if validate:
            fetcher = self._fetcher_factory() if self._fetcher_factory else config.fetcher()
            validate_token(token, fetcher=fetcher, environ=self.environ)
            messages.append("Your token was validated.")
        else:
            messages.append("The token was stored without validation.")
        self.tokens().write(token)
        base = repo_url(self.environ).rstrip("/")
        enable = enable_signature_verification or bool(self.policy.require_verification)

        def edit(data: CommentedMap) -> None:
            data["add_anaconda_token"] = True
            if enable:
                data["extra_safety_checks"] = True
                data["signing_metadata_url_base"] = base
            if data.get("restore_free_channel") is True:
                data["restore_free_channel"] = False
            data["default_channels"] = CommentedSeq([f"{base}/{name}" for name in TOKEN_CHANNELS])

        path = edit_condarc(location, edit)
        cleared = self.clear_index_cache(config)
        messages.append(
            f"conda has been configured in {path}" + (f"; cleared {cleared} index cache file(s)" if cleared else "")
        )
        return self._result(path, validated=True if validate else None, messages=messages)

    def remove_token(self, *, location: CondarcLocation) -> SettingsResult:
        self.policy.ensure_unlocked("allow_user_token")
        if not self.policy.allow_user_token:
            raise PolicyLocked("allow_user_token", self.policy.get("allow_user_token").source)
        removed = self.tokens().remove()
        keep_verification = bool(self.policy.require_verification)

        def edit(data: CommentedMap) -> None:
            data.pop("default_channels", None)
            if not keep_verification:
                data["extra_safety_checks"] = False
                data.pop("signing_metadata_url_base", None)

        path = edit_condarc(location, edit)
        self.clear_index_cache(self.config())
        messages = ["The token was removed." if removed else "No token was stored."]
        if keep_verification:
            messages.append("Signature verification stays on: your administrator requires it.")
        return self._result(path, messages=messages)

    # -- verification ----------------------------------------------------------------------------
    def set_verification(
        self, enabled: bool, *, location: CondarcLocation, metadata_url: str | None = None
    ) -> SettingsResult:
        if not enabled and self.policy.require_verification:
            raise PolicyLocked("require_verification", self.policy.get("require_verification").source)
        current = self.config().signing_metadata_url_base.value
        url = metadata_url or (current if isinstance(current, str) and current else repo_url(self.environ).rstrip("/"))

        def edit(data: CommentedMap) -> None:
            data["extra_safety_checks"] = bool(enabled)
            if enabled:
                data["signing_metadata_url_base"] = url.rstrip("/")

        path = edit_condarc(location, edit)
        state = "on" if enabled else "off"
        return self._result(path, messages=[f"Signature verification is {state} in {path}."])

    # -- index cache -----------------------------------------------------------------------------
    def clear_index_cache(self, config: CondaConfig) -> int:
        """What ``conda clean -i`` does: delete cached repodata in every package cache."""
        dirs = [Path(p) for p in (config.pkgs_dirs.value or []) if isinstance(p, str)]
        if self.root_prefix:
            dirs.append(Path(self.root_prefix) / "pkgs")
        dirs.append(Path(self.environ.get("HOME") or Path.home()) / ".conda" / "pkgs")
        count = 0
        for directory in dirs:
            cache = directory.expanduser() / "cache"
            if not cache.is_dir():
                continue
            for item in cache.iterdir():
                if item.is_file() and item.name.endswith((".json", ".info.json", ".state.json", ".q")):
                    item.unlink(missing_ok=True)
                    count += 1
        return count
