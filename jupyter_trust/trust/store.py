"""The verified trust-metadata store: root chain and key_mgr per signing-metadata URL.

Stricter than conda-content-trust where it is weak (security-checklist §2):

- only roots chain-verified from the anchor are used (files on disk are re-verified, never trusted as is);
- root and key_mgr **rollback** is refused: the highest versions accepted are remembered in ``state.json``,
  and an equal version with different content is refused too; when a root rotation changes key_mgr's keys,
  the key_mgr high-water mark is reset (TUF fast-forward recovery);
- a cached key_mgr is re-verified against the newest root every time (keys rotated out no longer count);
- an *invalid* key_mgr from the server is reported and blocks installs (never silently replaced by the cache);
  an *unreachable* server falls back to the cached verified copy, reported as ``cached``;
- **expiry** of root and key_mgr is reported, and blocks installs under the ``block`` policy;
- every document is size-capped while downloading and parsed strictly. No token is ever sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..cct.canonical import canonical
from ..cct.errors import CCTError
from ..cct.jsonload import loads_strict
from ..cct.metadata import DelegatingMetadata
from ..fetch import Fetcher, FetchError, NotFound
from ..fsutil import atomic_write, ensure_private_dir, writing
from ..paths import trust_cache_dir
from .anchor import Anchor, root_files
from .transitions import KeyMgrHighWater, MetadataRefused, check_key_mgr, parse, update_key_mgr, update_root

KeyMgrState = Literal["verified", "cached", "missing", "invalid"]
#: state.json holds a handful of versions and digests
STATE_MAX_BYTES = 64 * 1024
STATE_MAX_DEPTH = 4


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class TrustState:
    metadata_url: str | None
    anchor: Anchor
    root: DelegatingMetadata
    now: dt.datetime
    root_error: str | None = None
    #: True when root_error is a verification failure (bad signature, rollback), not just unreachability
    root_error_blocks: bool = False
    key_mgr: DelegatingMetadata | None = None
    key_mgr_state: KeyMgrState = "missing"
    key_mgr_error: str | None = None
    refreshed_at: str | None = None
    root_versions: list[int] = field(default_factory=list)
    #: the root version the key_mgr was last verified against
    key_mgr_verified_under: int | None = None
    #: the local high-water-mark file could not be read (shown as a warning)
    state_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        km = self.key_mgr
        return {
            "metadata_url": self.metadata_url,
            "anchor": self.anchor.to_json(self.now),
            "root": {**self.root.info(self.now), "error": self.root_error},
            "key_mgr": {
                "state": self.key_mgr_state,
                "version": km.version if km else None,
                "expiration": km.expiration if km else None,
                "expired": bool(km and km.is_expired(self.now)),
                "error": self.key_mgr_error,
            },
            "refreshed_at": self.refreshed_at,
        }

    def blocking_reasons(self, expiry_policy: Literal["warn", "block"]) -> list[str]:
        """Why no signed record can be trusted under this trust state (empty list: none). Unsigned records do
        not depend on the trust chain: the ``unsigned`` policy decides about them."""
        reasons = []
        if self.metadata_url is None:
            reasons.append("no signing_metadata_url_base is configured, so package signatures cannot be checked")
        if self.root_error and self.root_error_blocks:
            reasons.append(f"the root metadata update failed verification: {self.root_error}")
        if self.key_mgr is None or self.key_mgr_state in ("missing", "invalid"):
            detail = f": {self.key_mgr_error}" if self.key_mgr_error else ""
            reasons.append(f"no verified key_mgr metadata ({self.key_mgr_state}){detail}")
        if expiry_policy == "block":
            if self.root.is_expired(self.now):
                reasons.append(f"root metadata v{self.root.version} expired on {self.root.expiration}")
            if self.key_mgr is not None and self.key_mgr.is_expired(self.now):
                reasons.append(f"key_mgr metadata expired on {self.key_mgr.expiration}")
        return reasons

    def warnings(self) -> list[str]:
        out = [self.state_error] if self.state_error else []
        if self.root.is_expired(self.now):
            out.append(f"root metadata v{self.root.version} expired on {self.root.expiration}")
        if self.key_mgr is not None and self.key_mgr.is_expired(self.now):
            out.append(f"key_mgr metadata expired on {self.key_mgr.expiration}")
        if self.root_error and not self.root_error_blocks:
            out.append(f"root metadata could not be refreshed: {self.root_error}")
        if self.key_mgr_state == "cached":
            out.append(f"key_mgr could not be refreshed; using the cached verified copy ({self.key_mgr_error})")
        return out


class TrustStore:
    def __init__(
        self,
        *,
        metadata_url: str | None,
        anchor: Anchor,
        cache_dir: Path | None = None,
        fetcher: Fetcher | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        max_metadata_bytes: int = 512 * 1024,
        max_root_steps: int = 32,
    ) -> None:
        self.metadata_url = metadata_url.rstrip("/") if metadata_url else None
        self.anchor = anchor
        key = hashlib.sha256((self.metadata_url or "<no url>").encode()).hexdigest()[:16]
        self.dir = Path(cache_dir or trust_cache_dir()) / key
        self.fetcher = fetcher or Fetcher()
        self.clock = clock or _utcnow
        self.max_bytes = max_metadata_bytes
        self.max_steps = max_root_steps
        self.state_error: str | None = None

    # -- persistence -------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        """The high-water marks; a missing file is a first run, an unreadable one is reported (``state_error``)."""
        path = self.dir / "state.json"
        self.state_error = None
        try:
            data = loads_strict(path.read_bytes(), max_bytes=STATE_MAX_BYTES, max_depth=STATE_MAX_DEPTH)
        except FileNotFoundError:
            return {}
        except (OSError, CCTError) as exc:
            cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.state_error = f"trust state file {path} is unreadable and was ignored ({cause})"
            return {}
        if not isinstance(data, dict):
            self.state_error = f"trust state file {path} is not a JSON object and was ignored"
            return {}
        return data

    def _write(self, name: str, data: bytes) -> None:
        path = self.dir / name
        with writing(f"the trust metadata cache {path} cannot be written"):
            ensure_private_dir(self.dir)
            atomic_write(path, data)

    def _save_state(self, state: Mapping[str, Any]) -> None:
        self._write("state.json", json.dumps(state, indent=1, sort_keys=True).encode())

    def _save_doc(self, name: str, doc: Mapping[str, Any]) -> None:
        self._write(name, canonical(doc))

    def _read_doc(self, path: Path) -> Any:
        return parse(path.read_bytes(), max_bytes=self.max_bytes, what=path.name)

    # -- root chain --------------------------------------------------------------------------------
    def _chain_local(self) -> tuple[dict[str, Any], list[int]]:
        """The anchor, extended by every local root (candidates beside it, then the cache) that chains."""
        current: dict[str, Any] = dict(self.anchor.envelope)
        versions = [self.anchor.metadata.version or 1]
        local: dict[int, list[Path]] = {}
        for version, path in [*[(_version_of(p), p) for p in self.anchor.candidates], *root_files(self.dir)]:
            if version is not None:
                local.setdefault(version, []).append(path)
        while True:
            nxt = versions[-1] + 1
            accepted = None
            for path in local.get(nxt, []):
                try:
                    accepted = update_root(current, path.read_bytes(), max_bytes=self.max_bytes)
                except (OSError, MetadataRefused):
                    continue  # not chain-verified: ignored (never trusted because it sits on disk)
                break
            if accepted is None:
                return current, versions
            current = accepted
            versions.append(nxt)

    def current(self) -> TrustState:
        """The verified state from local files only (no network)."""
        now = self.clock()
        root_doc, versions = self._chain_local()
        root = DelegatingMetadata.from_envelope(root_doc)
        state = TrustState(self.metadata_url, self.anchor, root, now, root_versions=versions)
        saved = self._state()
        state.state_error = self.state_error
        state.refreshed_at = saved.get("refreshed_at")
        high = saved.get("root_version")
        if isinstance(high, int) and high > versions[-1]:
            state.root_error = (
                f"root v{high} was accepted before but only v{versions[-1]} verifies now "
                "(the cached chain was removed or tampered with)"
            )
            state.root_error_blocks = True
        cached = self.dir / "key_mgr.json"
        if cached.exists():
            try:
                state.key_mgr = check_key_mgr(root_doc, self._read_doc(cached))
                state.key_mgr_state = "verified"
                state.key_mgr_verified_under = versions[-1]
            except (OSError, MetadataRefused) as exc:
                state.key_mgr_state = "invalid"
                state.key_mgr_error = f"the cached key_mgr no longer verifies against root v{root.version}: {exc}"
        return state

    def refresh(self) -> TrustState:
        """Walk ``<url>/N+1.root.json`` until 404, then fetch ``<url>/key_mgr.json``; verify and persist.
        Fetching and saving are here; accepting or refusing each document is :mod:`.transitions`."""
        state = self.current()
        if self.metadata_url is None:
            return state
        saved = self._state()
        root_doc = self._refresh_root(state)
        self._recheck_cached_key_mgr(state, root_doc)
        km_keys = list(state.root.delegations["key_mgr"].pubkeys) if "key_mgr" in state.root.delegations else []
        # A root rotation that changed key_mgr's keys resets key_mgr's high-water mark (TUF fast-forward recovery).
        same_keys = saved.get("key_mgr_keys") == km_keys
        high = KeyMgrHighWater(
            saved.get("key_mgr_version") if same_keys and isinstance(saved.get("key_mgr_version"), int) else None,
            saved.get("key_mgr_digest") if same_keys else None,
        )
        high = self._refresh_key_mgr(state, root_doc, high)
        state.refreshed_at = state.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._save_state(
            {
                "metadata_url": self.metadata_url,
                "root_version": max(state.root.version or 1, saved.get("root_version") or 0),
                "key_mgr_version": high.version,
                "key_mgr_digest": high.digest,
                "key_mgr_keys": km_keys,
                "refreshed_at": state.refreshed_at,
            }
        )
        return state

    def _refresh_root(self, state: TrustState) -> dict[str, Any]:
        """Fetch and accept root N+1, N+2 … until the channel has no next one; the newest root document."""
        root_doc = dict(state.root.envelope)
        for _ in range(self.max_steps):
            version = (state.root.version or 1) + 1
            try:
                data = self.fetcher.get(f"{self.metadata_url}/{version}.root.json", max_bytes=self.max_bytes)
            except NotFound:
                return root_doc
            except FetchError as exc:
                state.root_error = str(exc)
                return root_doc
            try:
                root_doc = update_root(root_doc, data, max_bytes=self.max_bytes)
            except MetadataRefused as exc:
                state.root_error, state.root_error_blocks = str(exc), True
                return root_doc
            self._save_doc(f"{version}.root.json", root_doc)
            state.root = DelegatingMetadata.from_envelope(root_doc)
            state.root_versions.append(version)
        state.root_error = f"more than {self.max_steps} root updates in one refresh; stopped"
        state.root_error_blocks = True
        return root_doc

    def _recheck_cached_key_mgr(self, state: TrustState, root_doc: Mapping[str, Any]) -> None:
        """The root moved on: the cached key_mgr counts only if the newest root still delegates to its keys."""
        if state.key_mgr is None or state.root_versions[-1] == state.key_mgr_verified_under:
            return
        try:
            check_key_mgr(root_doc, dict(state.key_mgr.envelope))
            state.key_mgr_verified_under = state.root_versions[-1]
        except MetadataRefused as exc:
            state.key_mgr, state.key_mgr_state = None, "invalid"
            state.key_mgr_error = f"the cached key_mgr no longer verifies against root v{state.root.version}: {exc}"

    def _refresh_key_mgr(
        self, state: TrustState, root_doc: Mapping[str, Any], high: KeyMgrHighWater
    ) -> KeyMgrHighWater:
        """Fetch and accept key_mgr; an unreachable server keeps the cached verified copy (reported ``cached``)."""
        try:
            data = self.fetcher.get(f"{self.metadata_url}/key_mgr.json", max_bytes=self.max_bytes)
        except FetchError as exc:
            if state.key_mgr is not None and state.key_mgr_state == "verified":
                state.key_mgr_state, state.key_mgr_error = "cached", str(exc)
            elif state.key_mgr_state != "invalid":
                state.key_mgr_state, state.key_mgr_error = "missing", str(exc)
            return high
        try:
            accepted = update_key_mgr(root_doc, data, max_bytes=self.max_bytes, high_water=high)
        except MetadataRefused as exc:
            state.key_mgr, state.key_mgr_state, state.key_mgr_error = None, "invalid", str(exc)
            return high
        self._save_doc("key_mgr.json", accepted.doc)
        state.key_mgr, state.key_mgr_state, state.key_mgr_error = accepted.metadata, "verified", None
        return accepted.high_water


def _version_of(path: Path) -> int | None:
    name = Path(path).name
    head = name.split(".", 1)[0]
    return int(head) if head.isdigit() and name.endswith(".root.json") else None
