"""Settings: one schema table, parsed once at the edge into a frozen ``Settings``.

Every setting is read from the environment, falling back to an optional ``.env``
file, falling back to the schema's default. A malformed value raises
``ConfigError`` naming the variable, which the CLI turns into exit code 2 and one
line. The schema table also renders the README's settings table and
``.env.example`` (``mctltg settings``), so documentation cannot drift from code.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from mctltg.errors import ConfigError

__all__ = [
    "SCHEMA",
    "Secret",
    "Setting",
    "Settings",
    "is_loopback_host",
    "load_settings",
    "read_env_file",
    "split_host_port",
]

SECONDS: Final = 1.0
AUTH_MODES: Final = ("local-jwt", "local-dev")
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret value whose ``repr`` and ``str`` never show it (tracebacks, logs)."""

    value: bytes = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _parse_key(raw: str) -> Secret:
    text = raw.strip()
    if len(text) != 64:
        raise ValueError(
            f"must be 64 hex characters (32 bytes), got {len(text)} characters; "
            "generate one with `mctltg keygen`"
        )
    try:
        return Secret(bytes.fromhex(text))
    except ValueError:
        raise ValueError("must be 64 hex characters (0-9, a-f); generate one with `mctltg keygen`") from None


def _parse_signing_key(raw: str) -> Secret:
    text = raw.strip()
    if len(text.encode()) < 32:
        raise ValueError("must be at least 32 bytes; generate one with `mctltg keygen`")
    return Secret(text.encode())


def _parse_addr(raw: str) -> str:
    split_host_port(raw)
    return raw.strip()


def _parse_url(raw: str) -> str:
    text = raw.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL such as https://tg.example.com")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or fragment")
    return text


def _parse_choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    return parse


def _parse_level(raw: str) -> str:
    return _parse_choice(LOG_LEVELS)(raw.strip().upper())


def _parse_positive_int(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError("must be a whole number") from None
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _parse_seconds(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if not value > 0 or value > 3600:
        raise ValueError("must be between 0 and 3600 seconds")
    return value


def _parse_text(raw: str) -> str:
    return raw.strip()


def _parse_database(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise ValueError("must be a SQLite file path or a file: URL")
    if text.startswith(("postgres:", "postgresql:", "mysql:")):
        raise ValueError("only SQLite is supported: give a file path or a file: URL")
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """One row of the schema: how a variable is parsed, its default and its help line."""

    env: str
    attr: str
    parse: Callable[[str], Any]
    default: str | None
    help: str
    secret: bool = False


SCHEMA: Final[tuple[Setting, ...]] = (
    Setting(
        env="ADDR",
        attr="addr",
        parse=_parse_addr,
        default="127.0.0.1:8080",
        help="host:port the HTTP server binds",
    ),
    Setting(
        env="PUBLIC_BASE_URL",
        attr="public_base_url",
        parse=_parse_url,
        default=None,
        help="URL clients use to reach this server (default: http://ADDR); "
        "the OAuth issuer and allowed Host derive from it",
    ),
    Setting(
        env="DATABASE_URL",
        attr="database_url",
        parse=_parse_database,
        default="mctltg.db",
        help="SQLite database file path or file: URL",
    ),
    Setting(
        env="ENCRYPTION_KEY",
        attr="encryption_key",
        parse=_parse_key,
        default=None,
        secret=True,
        help="64 hex chars (32 bytes) sealing Telegram sessions; `mctltg keygen` prints one",
    ),
    Setting(
        env="ENCRYPTION_KEY_PREVIOUS",
        attr="encryption_key_previous",
        parse=_parse_key,
        default=None,
        secret=True,
        help="the key being rotated out: still opens old blobs, which are resealed with ENCRYPTION_KEY",
    ),
    Setting(
        env="AUTH_MODE",
        attr="auth_mode",
        parse=_parse_choice(AUTH_MODES),
        default="local-jwt",
        help="local-jwt (this server is the OAuth issuer) or "
        "local-dev (fixed operator identity, loopback only)",
    ),
    Setting(
        env="AUTH_REQUIRED",
        attr="auth_required",
        parse=_parse_bool,
        default="true",
        help="false lets /mcp run without a token as the operator identity (loopback only)",
    ),
    Setting(
        env="OAUTH_JWT_SIGNING_KEY",
        attr="jwt_signing_key",
        parse=_parse_signing_key,
        default=None,
        secret=True,
        help="HS256 key (at least 32 bytes) signing access tokens; `mctltg keygen` prints one",
    ),
    Setting(
        env="ALLOW_SEND",
        attr="allow_send",
        parse=_parse_bool,
        default="false",
        help="server-wide switch: without it send_message only returns drafts",
    ),
    Setting(
        env="TG_API_ID",
        attr="tg_api_id",
        parse=_parse_positive_int,
        default=None,
        help="Telegram API id from my.telegram.org (not needed with TELEGRAM_SANDBOX)",
    ),
    Setting(
        env="TG_API_HASH",
        attr="tg_api_hash",
        parse=_parse_text,
        default=None,
        secret=True,
        help="Telegram API hash from my.telegram.org",
    ),
    Setting(
        env="TELEGRAM_SANDBOX",
        attr="telegram_sandbox",
        parse=_parse_bool,
        default="false",
        help="serve a built-in sandbox Telegram world instead of real Telegram (demo and tests)",
    ),
    Setting(
        env="TG_DEVICE_NAME",
        attr="device_name",
        parse=_parse_text,
        default=None,
        help="device name shown in Telegram's Active sessions (default: mctltg on <host>)",
    ),
    Setting(
        env="TG_CONNECT_TIMEOUT",
        attr="connect_timeout",
        parse=_parse_seconds,
        default="20",
        help="seconds a Telegram connect may take before it is abandoned and retried",
    ),
    Setting(
        env="TG_CALL_TIMEOUT",
        attr="call_timeout",
        parse=_parse_seconds,
        default="30",
        help="seconds any single Telegram call may take before the tool reports a timeout",
    ),
    Setting(
        env="SHUTDOWN_GRACE",
        attr="shutdown_grace",
        parse=_parse_seconds,
        default="2",
        help="seconds open HTTP streams get to finish on SIGTERM",
    ),
    Setting(
        env="LOG_LEVEL",
        attr="log_level",
        parse=_parse_level,
        default="INFO",
        help="DEBUG, INFO, WARNING or ERROR",
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every setting, parsed and validated; built once by ``load_settings``."""

    addr: str = "127.0.0.1:8080"
    public_base_url: str = "http://127.0.0.1:8080"
    database_url: str = "mctltg.db"
    encryption_key: Secret | None = None
    encryption_key_previous: Secret | None = None
    auth_mode: str = "local-jwt"
    auth_required: bool = True
    jwt_signing_key: Secret | None = None
    allow_send: bool = False
    tg_api_id: int | None = None
    tg_api_hash: Secret | None = None
    telegram_sandbox: bool = False
    device_name: str = "mctltg"
    connect_timeout: float = 20 * SECONDS
    call_timeout: float = 30 * SECONDS
    shutdown_grace: float = 2 * SECONDS
    log_level: str = "INFO"

    @property
    def host(self) -> str:
        return split_host_port(self.addr)[0]

    @property
    def port(self) -> int:
        return split_host_port(self.addr)[1]

    @property
    def mcp_url(self) -> str:
        return f"{self.public_base_url}/mcp"

    @property
    def operator_mode(self) -> bool:
        """True when /mcp runs without tokens as the fixed operator identity."""
        return self.auth_mode == "local-dev" or not self.auth_required

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def split_host_port(addr: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` too); raise ValueError with a plain reason."""
    text = addr.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError("must be host:port, for example 127.0.0.1:8080")
    host = host.removeprefix("[").removesuffix("]")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError("port must be a number, for example 127.0.0.1:8080") from None
    if not 0 <= port <= 65535:
        raise ValueError("port must be between 0 and 65535")
    return host, port


def is_loopback_host(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_env_file(path: Path) -> dict[str, str]:
    """Read ``KEY=value`` lines; ``#`` comments, blank lines and optional quotes allowed."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.removeprefix("export ").partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(str(path), f"line {number} is not KEY=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Settings:
    """Build ``Settings`` from ``overrides`` > environment > ``env_file`` > defaults.

    Raises:
        ConfigError: a value is malformed, or the combination is unsafe (the boot guard).
    """
    environ = os.environ if environ is None else environ
    sources: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        sources.update(read_env_file(env_file))
    sources.update({s.env: environ[s.env] for s in SCHEMA if s.env in environ})
    sources.update(overrides or {})
    if "OAUTH_JWT_SIGNING_KEY" not in sources and "OAUTH_JWT_SECRET" in environ:
        logging.getLogger(__name__).warning(
            "OAUTH_JWT_SECRET is deprecated; rename it to OAUTH_JWT_SIGNING_KEY"
        )
        sources["OAUTH_JWT_SIGNING_KEY"] = environ["OAUTH_JWT_SECRET"]

    values: dict[str, Any] = {}
    for setting in SCHEMA:
        raw = sources.get(setting.env, setting.default)
        if raw is None or (raw.strip() == "" and setting.default is None):
            continue
        try:
            values[setting.attr] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(setting.env, str(exc)) from None
    if "public_base_url" not in values:
        host, port = split_host_port(values["addr"])
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        shown = f"[{shown}]" if ":" in shown else shown
        values["public_base_url"] = f"http://{shown}:{port}"
    if "device_name" not in values:
        values["device_name"] = f"mctltg on {os.uname().nodename}"
    settings = Settings(**values)
    _check_boot_guard(settings)
    return settings


def _check_boot_guard(settings: Settings) -> None:
    """Refuse combinations that would expose an account without authentication."""
    if settings.operator_mode and not is_loopback_host(settings.host):
        variable = "AUTH_MODE" if settings.auth_mode == "local-dev" else "AUTH_REQUIRED"
        raise ConfigError(
            variable,
            f"running without OAuth is allowed only on a loopback ADDR, but ADDR binds {settings.host}; "
            "bind 127.0.0.1 or enable AUTH_MODE=local-jwt with AUTH_REQUIRED=true",
        )
    if settings.encryption_key is None:
        raise ConfigError(
            "ENCRYPTION_KEY", "is required to seal Telegram sessions; generate one with `mctltg keygen`"
        )
    if not settings.operator_mode and settings.jwt_signing_key is None:
        raise ConfigError(
            "OAUTH_JWT_SIGNING_KEY", "is required with AUTH_MODE=local-jwt; generate one with `mctltg keygen`"
        )
    if not settings.telegram_sandbox and (settings.tg_api_id is None or settings.tg_api_hash is None):
        missing = "TG_API_ID" if settings.tg_api_id is None else "TG_API_HASH"
        raise ConfigError(
            missing,
            "is required to reach Telegram (get it at my.telegram.org), or set TELEGRAM_SANDBOX=true "
            "to serve the built-in sandbox",
        )
