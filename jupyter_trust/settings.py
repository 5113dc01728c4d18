"""Token and signature-verification settings: the one service the panel, magic, CLI and REST API call.

``set_token`` does what ``conda token set`` does (validate with one HEAD request, store the token where
conda reads it, ``add_anaconda_token``, ``default_channels``, optionally ``extra_safety_checks`` and
``signing_metadata_url_base``, clear the index cache) but into the condarc *you* choose; ``remove_token``
undoes it in that same file (conda-token ignores its location flags). Admin policy can lock verification
on and forbid user tokens (:class:`~jupyter_trust.policy.PolicyLocked`); while an administrator supplies
the token (``token_env_var`` / ``token_file``), users cannot store or remove one (:class:`AdminTokenLocked`).
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
from .errors import InvalidValue
from .fetch import Fetcher
from .policy import AdminTokenLocked, Policy, PolicyLocked


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
        self._ensure_user_token_allowed()
        token = check_token_syntax(token)
        config = self.config()
        store = self.tokens()
        store.check_writable()  # before the validation request: an unsafe directory changes nothing
        messages = []
        if validate:
            fetcher = self._fetcher_factory() if self._fetcher_factory else config.fetcher()
            validate_token(token, fetcher=fetcher, environ=self.environ)
            messages.append("Your token was validated.")
        else:
            messages.append("The token was stored without validation.")
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

        # The condarc first: a file we refuse to change (broken YAML, a directory) leaves no token behind.
        path = edit_condarc(location, edit)
        store.write(token)
        cleared = self.clear_index_cache(config)
        messages.append(
            f"conda has been configured in {path}" + (f"; cleared {cleared} index cache file(s)" if cleared else "")
        )
        return self._result(path, validated=True if validate else None, messages=messages)

    def remove_token(self, *, location: CondarcLocation) -> SettingsResult:
        self._ensure_user_token_allowed()
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

    def _ensure_user_token_allowed(self) -> None:
        # The value decides: an administrator may also *lock* allow_user_token to true.
        if not self.policy.allow_user_token:
            raise PolicyLocked("allow_user_token", self.policy.get("allow_user_token").source)
        admin = self.tokens().admin_location()
        if admin is not None:
            # The administrator's token wins over a user's file: storing or removing one would change nothing
            # but claim success.
            raise AdminTokenLocked(admin[0], admin[1], self.policy.get(admin[0]).source)

    # -- verification ----------------------------------------------------------------------------
    def set_verification(
        self, enabled: bool, *, location: CondarcLocation, metadata_url: str | None = None
    ) -> SettingsResult:
        if not enabled and self.policy.require_verification:
            raise PolicyLocked("require_verification", self.policy.get("require_verification").source)
        if metadata_url is not None:
            metadata_url = check_metadata_url(metadata_url)
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
        configured = config.pkgs_dirs.value if isinstance(config.pkgs_dirs.value, list) else []
        dirs = [Path(os.path.expandvars(p)).expanduser() for p in configured if isinstance(p, str) and p]
        if not dirs:  # conda's defaults when pkgs_dirs is not configured
            if self.root_prefix:
                dirs.append(Path(self.root_prefix) / "pkgs")
            dirs.append(Path(self.environ.get("HOME") or Path.home()) / ".conda" / "pkgs")
        count = 0
        for directory in dirs:
            cache = directory / "cache"
            if cache.is_symlink() or not cache.is_dir():
                continue  # never follow a link out of the package cache
            for item in cache.iterdir():
                if item.is_symlink() or not item.is_file():
                    continue
                if item.name.endswith((".json", ".q")):  # <hash>.json, <hash>.info.json, <hash>.state.json, .q
                    item.unlink(missing_ok=True)
                    count += 1
        return count


def check_metadata_url(url: str) -> str:
    """A ``signing_metadata_url_base`` conda can use: http(s) or file URL, no credentials, no token, no spaces."""
    from urllib.parse import urlsplit

    if not isinstance(url, str):
        raise InvalidValue("the signing metadata URL must be a string")
    url = url.strip().rstrip("/")
    parts = urlsplit(url) if url and not any(c.isspace() or ord(c) < 32 for c in url) else None
    if parts is None or parts.scheme.lower() not in ("http", "https", "file"):
        raise InvalidValue("the signing metadata URL must be an http(s):// or file:// URL")
    if parts.scheme.lower() != "file" and not parts.hostname:
        raise InvalidValue("the signing metadata URL needs a host")
    if parts.username or parts.password or parts.query or parts.fragment or "/t/" in parts.path + "/":
        raise InvalidValue("the signing metadata URL may not carry credentials, a token, a query or a fragment")
    return url
