"""conda's configuration files: the search path, merged values with their source, round-trip edits.

Reading follows conda's search path (system, root prefix, XDG/user, ``~/.condarc``, the active environment,
then ``$CONDARC``); later files win for scalar settings, list settings (``channels``, ``envs_dirs`` …) are
merged with the higher-priority file's entries first, and map settings (``proxy_servers``,
``custom_channels``) are merged key by key, later files winning, as conda does. Finally the environment
variables ``CONDA_<KEY>`` of the settings jupyter_trust reads override the files, as in conda (their source is
reported as ``$CONDA_<KEY>``). Not reproduced: conda's ``#!final`` / ``#!top`` / ``#!bottom`` markers.

Edits preserve comments, order and unrelated keys (ruamel.yaml round trip), are atomic, and take a lock and
re-read inside it, so concurrent writers never lose each other's changes.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

from ..errors import InvalidValue
from ..fetch import CONNECT_TIMEOUT, READ_TIMEOUT, Fetcher
from ..fsutil import atomic_write, file_lock, writing
from .defaults import DEFAULT_CHANNEL_ALIAS, DEFAULT_CHANNELS

Scope = Literal["user", "env", "system", "file"]
SCOPES: tuple[Scope, ...] = ("user", "env", "system", "file")
_LIST_KEYS = {"channels", "default_channels", "envs_dirs", "pkgs_dirs", "allowlist_channels", "denylist_channels"}
_MAP_KEYS = {"proxy_servers", "custom_channels", "custom_multichannels"}
#: settings conda also takes from ``CONDA_<KEY>`` environment variables (lists comma-separated).
_ENV_KEYS = (
    "extra_safety_checks",
    "signing_metadata_url_base",
    "channels",
    "default_channels",
    "add_anaconda_token",
    "ssl_verify",
    "channel_alias",
    "envs_dirs",
    "pkgs_dirs",
    "remote_connect_timeout_secs",
    "remote_read_timeout_secs",
)
_MAX_CONDARC_BYTES = 1 << 20
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*")


class CondarcError(InvalidValue):
    """A condarc file cannot be parsed or written."""


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str | None = "default"


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())


def discover_root_prefix(environ: Mapping[str, str] | None = None) -> Path | None:
    """conda's root (base) prefix: ``$CONDA_ROOT``, else the install that holds ``$CONDA_EXE``, else None."""
    environ = os.environ if environ is None else environ
    if environ.get("CONDA_ROOT"):
        return Path(environ["CONDA_ROOT"])
    exe = environ.get("CONDA_EXE")
    if exe and Path(exe).is_file():
        # <root>/bin/conda, <root>/condabin/conda, <root>/Scripts/conda.exe
        root = Path(exe).parent.parent
        if (root / "conda-meta").is_dir():
            return root
    return None


@dataclass(frozen=True)
class CondarcLocation:
    scope: Scope
    path: Path

    @classmethod
    def resolve(
        cls,
        scope: Scope = "user",
        path: str | Path | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        sys_prefix: Path | None = None,
        active_prefix: Path | None = None,
    ) -> CondarcLocation:
        environ = os.environ if environ is None else environ
        if scope == "user":
            return cls("user", _home(environ) / ".condarc")
        if scope == "env":
            prefix = active_prefix or (Path(environ["CONDA_PREFIX"]) if environ.get("CONDA_PREFIX") else None)
            if prefix is None:
                raise CondarcError("no active conda environment (CONDA_PREFIX is not set): choose another location")
            return cls("env", Path(prefix) / ".condarc")
        if scope == "system":
            root = sys_prefix or discover_root_prefix(environ) or Path(sys.prefix)
            return cls("system", Path(root) / ".condarc")
        if scope == "file":
            if not path or "\x00" in str(path):
                raise CondarcError("an explicit condarc location needs a file path")
            target = Path(path).expanduser().absolute()
            if target.is_dir():
                raise CondarcError(f"{target} is a directory; give the path of a condarc file")
            return cls("file", target)
        raise CondarcError(f"unknown condarc location {scope!r}: use one of {', '.join(SCOPES)}")


def search_path(
    *,
    environ: Mapping[str, str] | None = None,
    root_prefix: Path | None = None,
    active_prefix: Path | None = None,
) -> list[Path]:
    """conda's configuration search path, lowest priority first (directories stand for their *.yml files)."""
    environ = os.environ if environ is None else environ
    home = _home(environ)

    def trio(base: Path) -> list[Path]:
        return [base / ".condarc", base / "condarc", base / "condarc.d"]

    paths: list[Path] = [*trio(Path("/etc/conda")), *trio(Path("/var/lib/conda"))]
    root = root_prefix or discover_root_prefix(environ)
    if root is not None:
        paths += trio(Path(root))
    if environ.get("XDG_CONFIG_HOME"):
        paths += trio(Path(environ["XDG_CONFIG_HOME"]) / "conda")
    paths += [*trio(home / ".config" / "conda"), *trio(home / ".conda"), home / ".condarc"]
    active = active_prefix or (Path(environ["CONDA_PREFIX"]) if environ.get("CONDA_PREFIX") else None)
    if active is not None:
        paths += trio(Path(active))
    if environ.get("CONDARC"):
        paths.append(Path(environ["CONDARC"]).expanduser())
    seen: set[Path] = set()
    unique = []
    for p in paths:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


#: names conda reads as one file; a directory there is a mistake, not a ``condarc.d``
_FILE_NAMES = (".condarc", "condarc")


def _expand(path: Path) -> list[Path]:
    try:
        path.stat()
    except FileNotFoundError:
        return []  # conda skips a search-path entry that is not there (a dangling symlink too)
    except OSError as exc:  # a symlink loop, a directory we may not enter …
        raise CondarcError(f"{path} cannot be read: {exc.strerror or type(exc).__name__}") from None
    if path.is_dir():
        if path.name in _FILE_NAMES:
            raise CondarcError(f"{path} is a directory, not a condarc file")
        return sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    if path.exists() and not path.is_file():
        raise CondarcError(f"{path} is not a regular file")
    return [path] if path.is_file() else []


def _yaml_problem(exc: Exception) -> str:
    """Where and what, never the file's text (a condarc can hold a channel URL with a token in it)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"invalid YAML{where}" + (f" ({problem})" if isinstance(problem, str) else "")


def _safe_load(path: Path) -> dict[str, Any]:
    import yaml  # PyYAML's C loader for reading; ruamel.yaml (round trip) only when we write

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        if path.stat().st_size > _MAX_CONDARC_BYTES:
            raise CondarcError(f"{path} is larger than {_MAX_CONDARC_BYTES} bytes")
        text = path.read_bytes().decode("utf-8")
        if "\x00" in text:
            raise CondarcError(f"{path} cannot be read: it is a binary file, not YAML text")
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except UnicodeDecodeError:
        raise CondarcError(f"{path} cannot be read: it is not UTF-8 text") from None
    except OSError as exc:
        raise CondarcError(f"{path} cannot be read: {exc.strerror or type(exc).__name__}") from None
    except yaml.YAMLError as exc:
        raise CondarcError(f"{path} cannot be read as YAML: {_yaml_problem(exc)}") from None
    except RecursionError:
        raise CondarcError(f"{path} cannot be read as YAML: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CondarcError(f"{path} does not hold a mapping")
    return data


_STRING_KEYS = ("signing_metadata_url_base", "channel_alias")
_BOOL_WORDS = ("true", "false", "yes", "no", "1", "0", "on", "off")
_SECONDS_KEYS = ("remote_connect_timeout_secs", "remote_read_timeout_secs")


def _seconds(value: Any) -> float | None:
    """A positive, finite number of seconds (a number, or a string of one), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 < seconds < float("inf") else None


def _type_problem(key: str, value: Any) -> str | None:
    """Why conda could not use ``value`` for ``key`` (only for the settings jupyter_trust reads), else None."""
    kind = type(value).__name__
    if key in _LIST_KEYS and not isinstance(value, list):
        return f"'{key}' must be a list, not {kind}"  # odd entries of a list are skipped where it is used
    if key in _MAP_KEYS and not isinstance(value, dict):
        return f"'{key}' must be a mapping, not {kind}"
    if key in _STRING_KEYS and value is not None and not isinstance(value, str):
        return f"'{key}' must be a string, not {kind}"
    if key in _SECONDS_KEYS and _seconds(value) is None:
        return f"'{key}' must be a positive number of seconds, not {value!r}"[:200]
    if key in ("extra_safety_checks", "add_anaconda_token") and not (
        isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in _BOOL_WORDS)
    ):
        return f"'{key}' must be true or false, not {kind}"
    return None


@dataclass
class CondaConfig:
    values: dict[str, Setting] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        *,
        environ: Mapping[str, str] | None = None,
        root_prefix: Path | None = None,
        active_prefix: Path | None = None,
    ) -> CondaConfig:
        config = cls()
        for entry in search_path(environ=environ, root_prefix=root_prefix, active_prefix=active_prefix):
            try:
                paths = _expand(entry)
            except (CondarcError, OSError) as exc:
                config.errors.append(str(exc) if isinstance(exc, CondarcError) else f"{entry} cannot be read: {exc}")
                continue
            for path in paths:
                try:
                    data = _safe_load(path)
                except CondarcError as exc:
                    config.errors.append(str(exc))
                    continue
                config.files.append(path)
                for key, value in data.items():
                    if not isinstance(key, str):
                        continue
                    problem = _type_problem(key, value)
                    if problem is not None:
                        config.errors.append(f"{path}: {problem}")
                        continue
                    previous = config.values.get(key)
                    if key in _LIST_KEYS and isinstance(value, list) and previous and isinstance(previous.value, list):
                        merged = list(value) + [v for v in previous.value if v not in value]
                        config.values[key] = Setting(merged, str(path))
                    elif key in _MAP_KEYS and isinstance(value, dict) and previous and isinstance(previous.value, dict):
                        config.values[key] = Setting({**previous.value, **value}, str(path))
                    else:
                        config.values[key] = Setting(value, str(path))
        config._apply_environment(os.environ if environ is None else environ)
        return config

    def _apply_environment(self, environ: Mapping[str, str]) -> None:
        for key in _ENV_KEYS:
            name = "CONDA_" + key.upper()
            raw = environ.get(name)
            if raw is None or not raw.strip():
                continue
            value: Any = raw.strip()
            if key in _LIST_KEYS:
                value = [part.strip() for part in raw.split(",") if part.strip()]
            self.values[key] = Setting(value, "$" + name)

    def refusal(self) -> str | None:
        """Why nothing may be planned with this configuration: a condarc conda reads cannot be used, so the
        channels and verification settings it would give are unknown (None: every file was read)."""
        if not self.errors:
            return None
        return "conda's configuration cannot be read, so its channels and settings are unknown: " + "; ".join(
            self.errors
        )

    def get(self, key: str, default: Any = None) -> Setting:
        return self.values.get(key) or Setting(default, "default")

    # -- settings jupyter_trust reads ------------------------------------------------------------
    @property
    def extra_safety_checks(self) -> Setting:
        setting = self.get("extra_safety_checks", False)
        return Setting(_truthy(setting.value), setting.source)

    @property
    def signing_metadata_url_base(self) -> Setting:
        return self.get("signing_metadata_url_base", None)

    @property
    def channels(self) -> Setting:
        return self.get("channels", ["defaults"])

    @property
    def default_channels(self) -> Setting:
        return self.get("default_channels", list(DEFAULT_CHANNELS))

    @property
    def add_anaconda_token(self) -> Setting:
        return self.get("add_anaconda_token", True)

    @property
    def ssl_verify(self) -> Setting:
        return self.get("ssl_verify", True)

    @property
    def proxy_servers(self) -> Setting:
        return self.get("proxy_servers", {})

    @property
    def channel_alias(self) -> Setting:
        return self.get("channel_alias", DEFAULT_CHANNEL_ALIAS)

    @property
    def envs_dirs(self) -> Setting:
        return self.get("envs_dirs", [])

    @property
    def pkgs_dirs(self) -> Setting:
        return self.get("pkgs_dirs", [])

    def channel_urls(self) -> list[tuple[str, str]]:
        """``(name, base URL)`` for each configured channel.

        ``defaults`` expands to ``default_channels``; a bare name resolves through ``custom_channels`` when
        listed there, else under ``channel_alias``; ``http(s)://`` and ``file://`` URLs are kept as they are.
        Entries conda could not use either (other schemes, whitespace, empty) are skipped.
        """
        alias = str(self.channel_alias.value or DEFAULT_CHANNEL_ALIAS).rstrip("/")
        custom = self.get("custom_channels", {}).value
        custom = custom if isinstance(custom, dict) else {}
        out: list[tuple[str, str]] = []
        channels = self.channels.value if isinstance(self.channels.value, list) else ["defaults"]
        default_channels = self.default_channels.value if isinstance(self.default_channels.value, list) else []
        for entry in channels:
            if not isinstance(entry, str) or not entry.strip():
                continue
            entry = entry.strip()
            if entry == "defaults":
                for url in default_channels:
                    if isinstance(url, str) and _usable_url(url):
                        out.append((url.rstrip("/").rsplit("/", 1)[-1], url.rstrip("/")))
            elif "://" in entry:
                if _usable_url(entry):
                    out.append((entry.rstrip("/").rsplit("/", 1)[-1], entry.rstrip("/")))
            elif _CHANNEL_NAME.fullmatch(entry.strip("/")) and ".." not in entry:
                name = entry.strip("/")
                base = custom.get(name.split("/", 1)[0])
                base = str(base).rstrip("/") if isinstance(base, str) and _usable_url(base) else alias
                out.append((name, f"{base}/{name}"))
        seen: set[str] = set()
        return [(n, u) for n, u in out if not (u in seen or seen.add(u))]  # type: ignore[func-returns-value]

    def seconds(self, key: str, default: float) -> float:
        """A positive number of seconds (conda's ``remote_*_timeout_secs``); an unusable value (also a warning,
        see ``errors``) gives ``default``."""
        seconds = _seconds(self.get(key, default).value)
        return default if seconds is None else seconds

    def fetcher(self, **limits: Any) -> Fetcher:
        """A :class:`Fetcher` with conda's proxies, ``ssl_verify`` and connect / read timeouts; ``limits``
        (``timeout``, ``min_rate``, ``until``) come from the policy and the caller."""
        proxies = self.proxy_servers.value if isinstance(self.proxy_servers.value, dict) else {}
        ssl_verify = self.ssl_verify.value
        if isinstance(ssl_verify, str) and ssl_verify.lower() in ("false", "no", "0"):
            ssl_verify = False
        return Fetcher(
            proxies={str(k): str(v) for k, v in proxies.items()},
            ssl_verify=ssl_verify,
            connect_timeout=self.seconds("remote_connect_timeout_secs", CONNECT_TIMEOUT),
            read_timeout=self.seconds("remote_read_timeout_secs", READ_TIMEOUT),
            **limits,
        )


def _usable_url(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "file://")) and not any(c.isspace() for c in url)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def edit_condarc(location: CondarcLocation, edit: Callable[[CommentedMap], None]) -> Path:
    """Apply ``edit`` to the condarc at ``location`` under a lock; keep comments, order and unrelated keys."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    path = location.path
    if path.is_symlink():
        path = path.resolve()  # conda config writes through a symlinked condarc; so do we (atomically)
    if path.is_dir():
        raise CondarcError(f"{path} is a directory; not changing it")
    with writing(f"{path} cannot be written"), file_lock(path.with_name(path.name + ".lock")):
        yaml = _round_trip()
        mode = 0o644
        if path.exists():
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):
                raise CondarcError(f"{path} is not a regular file; not changing it")
            if st.st_size > _MAX_CONDARC_BYTES:
                raise CondarcError(f"{path} is larger than {_MAX_CONDARC_BYTES} bytes; not changing it")
            mode = stat.S_IMODE(st.st_mode)
            try:
                data = yaml.load(path.read_text(encoding="utf-8"))
            except (YAMLError, UnicodeDecodeError) as exc:
                raise CondarcError(f"{path} is not valid YAML; not changing it ({exc.__class__.__name__})") from None
            if data is None:
                data = CommentedMap()
            if not isinstance(data, CommentedMap):
                raise CondarcError(f"{path} does not hold a mapping; not changing it")
        else:
            data = CommentedMap()
        edit(data)
        out = io.StringIO()
        yaml.dump(data, out)
        atomic_write(path, out.getvalue().encode("utf-8"), mode=mode)
    return path
