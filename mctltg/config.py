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
TOOL_FILTERS: Final = ("all", "read-only")


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


def _parse_duration(*, cap_hours: float) -> Callable[[str], float]:
    """Parse ``90s``, ``15m``, ``1h``, ``720h`` or plain seconds into seconds, at most ``cap_hours``."""

    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

    def parse(raw: str) -> float:
        text = raw.strip().lower()
        unit = units.get(text[-1:]) if text else None
        number = text[:-1] if unit is not None else text
        try:
            value = float(number) * (unit or 1.0)
        except ValueError:
            raise ValueError("must be a duration such as 90s, 15m, 1h or 720h") from None
        if not value > 0:
            raise ValueError("must be a positive duration such as 1h")
        if value > cap_hours * 3600:
            raise ValueError(f"must be at most {cap_hours:g}h")
        return value

    return parse


def _parse_id_list(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        text = part.strip()
        if not text:
            continue
        if not text.isdigit():
            raise ValueError(f"must be comma-separated numeric Telegram user ids; {text!r} is not one")
        ids.add(int(text))
    return frozenset(ids)


def _parse_host_list(raw: str) -> frozenset[str]:
    hosts: set[str] = set()
    for part in raw.split(","):
        text = part.strip().lower()
        if not text:
            continue
        if "/" in text or ":" in text or "@" in text:
            raise ValueError(f"must be comma-separated host names (no scheme, port or path); got {text!r}")
        hosts.add(text)
    return frozenset(hosts)


def _parse_secret_text(raw: str) -> Secret:
    return Secret(raw.strip().encode())


def _parse_wait_threshold(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("must be a number of seconds, e.g. 5") from None
    if not 0 <= value <= 60:
        raise ValueError("must be between 0 and 60 seconds")
    return value


def _parse_expiry(raw: str) -> float | None:
    """``off`` (never), or a duration: ``90d``, ``720h``, ``30m`` or plain seconds."""
    text = raw.strip().lower()
    if text in ("off", "never", "0"):
        return None
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    unit = units.get(text[-1:]) if text else None
    try:
        value = float(text[:-1] if unit is not None else text) * (unit or 1.0)
    except ValueError:
        raise ValueError("must be a duration such as 30d, 720h or 45m, or off") from None
    if value < 60:
        raise ValueError("must be at least 60 seconds (or off)")
    return value


def _parse_dc_id(raw: str) -> int:
    value = _parse_positive_int(raw)
    if value > 1000:
        raise ValueError("must be a data-center number such as 2")
    return value


def _parse_key_file(raw: str) -> Path:
    path = Path(raw.strip()).expanduser()
    if not path.is_file():
        raise ValueError(f"names no readable file ({path})")
    return path


def _parse_proxy(raw: str) -> Secret:
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("socks5", "socks4", "http", "mtproxy"):
        raise ValueError(
            "must be socks5://[user:pass@]host:port, http://host:port or mtproxy://<secret>@host:port"
        )
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ValueError("must name the proxy's host and port, e.g. socks5://127.0.0.1:1080")
    if parts.scheme == "mtproxy" and not parts.username:
        raise ValueError("an MTProxy needs its secret: mtproxy://<secret>@host:port")
    return Secret(text.encode())


def _parse_cidr_list(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for part in raw.split(","):
        text = part.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=True))
        except ValueError:
            raise ValueError(
                f"must be comma-separated networks such as 10.0.0.0/8,127.0.0.1/32; {text!r} is not one "
                "(host bits must be zero)"
            ) from None
    return tuple(networks)


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
        env="OAUTH_ACCESS_TOKEN_TTL",
        attr="access_token_ttl",
        parse=_parse_duration(cap_hours=24),
        default="1h",
        help="lifetime of an access token (e.g. 15m, 1h; at most 24h)",
    ),
    Setting(
        env="OAUTH_REFRESH_TOKEN_TTL",
        attr="refresh_token_ttl",
        parse=_parse_duration(cap_hours=24 * 366),
        default="720h",
        help="absolute lifetime of a refresh-token family, carried forward on rotation",
    ),
    Setting(
        env="OAUTH_ALLOWED_REDIRECT_HOSTS",
        attr="allowed_redirect_hosts",
        parse=_parse_host_list,
        default=None,
        help="if set, client registration accepts https redirect URIs on these hosts only "
        "(loopback always allowed), e.g. claude.ai,chatgpt.com",
    ),
    Setting(
        env="TELEGRAM_OIDC_ISSUER",
        attr="oidc_issuer",
        parse=_parse_url,
        default="https://oauth.telegram.org",
        help="OpenID Connect issuer people sign in with (Telegram's; any standard OIDC provider works)",
    ),
    Setting(
        env="TELEGRAM_OIDC_CLIENT_ID",
        attr="oidc_client_id",
        parse=_parse_text,
        default=None,
        help="this server's client id at the OIDC issuer (for Telegram: your login bot's id)",
    ),
    Setting(
        env="TELEGRAM_OIDC_CLIENT_SECRET",
        attr="oidc_client_secret",
        parse=_parse_secret_text,
        default=None,
        secret=True,
        help="this server's client secret at the OIDC issuer",
    ),
    Setting(
        env="TG_LOGIN_ADMINS",
        attr="login_admins",
        parse=_parse_id_list,
        default=None,
        help="Telegram user ids of operators: every scope, including admin:users",
    ),
    Setting(
        env="TG_LOGIN_CLIENTS",
        attr="login_clients",
        parse=_parse_id_list,
        default=None,
        help="Telegram user ids approved to use their Telegram account through this server",
    ),
    Setting(
        env="AUTO_APPROVE_CLIENTS",
        attr="auto_approve_clients",
        parse=_parse_bool,
        default="false",
        help="true approves everyone who signs in (a private server with a trusted OIDC issuer)",
    ),
    Setting(
        env="ALLOW_SEND",
        attr="allow_send",
        parse=_parse_bool,
        default="false",
        help="server-wide switch: without it send_message only returns drafts",
    ),
    Setting(
        env="ALLOW_MARK_READ",
        attr="allow_mark_read",
        parse=_parse_bool,
        default="false",
        help="let the mark_read tool mark chats read (it changes what the user sees on their phone)",
    ),
    Setting(
        env="SEND_RATE_LIMIT_PER_HOUR",
        attr="send_rate_limit_per_hour",
        parse=_parse_positive_int,
        default="20",
        help="real sends allowed per hour from one identity to one peer; beyond it send_message drafts",
    ),
    Setting(
        env="SEND_DUPLICATE_WINDOW",
        attr="send_duplicate_window",
        parse=_parse_seconds,
        default="60",
        help="seconds in which the same text to the same peer without an idempotency_key is refused "
        "as a probable duplicate",
    ),
    Setting(
        env="MCP_TOOL_FILTER",
        attr="tool_filter",
        parse=_parse_choice(TOOL_FILTERS),
        default="all",
        help="all, or read-only (only tools with readOnlyHint=true are offered)",
    ),
    Setting(
        env="SHOW_SEND_PREVIEW_TOOL",
        attr="show_send_preview",
        parse=_parse_bool,
        default="false",
        help="list send_message (as a draft-only preview) to tokens without the send scope",
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
        parse=_parse_secret_text,
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
        env="MCP_MAX_SESSIONS",
        attr="mcp_max_sessions",
        parse=_parse_positive_int,
        default="1000",
        help="MCP sessions open at once, all identities together; a new one beyond it gets 503",
    ),
    Setting(
        env="MCP_MAX_SESSIONS_PER_IDENTITY",
        attr="mcp_max_sessions_per_identity",
        parse=_parse_positive_int,
        default="10",
        help="MCP sessions one identity may hold; opening another closes its least recently used one",
    ),
    Setting(
        env="MCP_SESSION_IDLE_TIMEOUT",
        attr="mcp_session_idle_timeout",
        parse=_parse_seconds,
        default="300",
        help="seconds an MCP session may go without a request before it is closed",
    ),
    Setting(
        env="HTTP_READ_TIMEOUT",
        attr="http_read_timeout",
        parse=_parse_seconds,
        default="15",
        help="seconds a client may take to send a whole request body; a slower one gets 408",
    ),
    Setting(
        env="FLOOD_WAIT_THRESHOLD",
        attr="flood_wait_threshold",
        parse=_parse_wait_threshold,
        default="5",
        help="Telegram FLOOD_WAIT/SLOWMODE_WAIT up to this many seconds (and at most half of "
        "TG_CALL_TIMEOUT) is waited out inside the call; longer ones return at once as a flood_wait error",
    ),
    Setting(
        env="SESSION_IDLE_EXPIRY",
        attr="session_idle_expiry",
        parse=_parse_expiry,
        default="30d",
        help="a connected Telegram account unused this long is logged out and must reconnect (off: never)",
    ),
    Setting(
        env="SESSION_ABSOLUTE_EXPIRY",
        attr="session_absolute_expiry",
        parse=_parse_expiry,
        default="90d",
        help="a Telegram account is logged out this long after it was connected, used or not (off: never)",
    ),
    Setting(
        env="TG_TEST_SERVERS",
        attr="tg_test_servers",
        parse=_parse_bool,
        default="false",
        help="use Telegram's test servers (test accounts only) instead of production",
    ),
    Setting(
        env="TG_DC_ADDR",
        attr="tg_dc_addr",
        parse=_parse_addr,
        default=None,
        help="host:port of a custom (self-hosted, Telegram-compatible) data center to log in to",
    ),
    Setting(
        env="TG_DC_ID",
        attr="tg_dc_id",
        parse=_parse_dc_id,
        default=None,
        help="the custom data center's number (default 2; with TG_DC_ADDR)",
    ),
    Setting(
        env="TG_DC_RSA_KEY_FILE",
        attr="tg_dc_rsa_key_file",
        parse=_parse_key_file,
        default=None,
        help="PEM file with the custom data center's RSA public key (with TG_DC_ADDR)",
    ),
    Setting(
        env="TG_PROXY",
        attr="tg_proxy",
        parse=_parse_proxy,
        default=None,
        secret=True,
        help="reach Telegram through socks5://[user:pass@]host:port, http://host:port "
        "or mtproxy://<secret>@host:port",
    ),
    Setting(
        env="METRICS_ALLOW_CIDR",
        attr="metrics_allow_cidr",
        parse=_parse_cidr_list,
        default="",
        help="if set, only these networks may read /metrics (e.g. 10.0.0.0/8,127.0.0.1/32); "
        "others get 403; the TCP peer counts, not X-Forwarded-For",
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
    access_token_ttl: float = 3600 * SECONDS
    refresh_token_ttl: float = 720 * 3600 * SECONDS
    allowed_redirect_hosts: frozenset[str] = frozenset()
    oidc_issuer: str = "https://oauth.telegram.org"
    oidc_client_id: str | None = None
    oidc_client_secret: Secret | None = None
    login_admins: frozenset[int] = frozenset()
    login_clients: frozenset[int] = frozenset()
    auto_approve_clients: bool = False
    allow_send: bool = False
    allow_mark_read: bool = False
    send_rate_limit_per_hour: int = 20
    send_duplicate_window: float = 60 * SECONDS
    tool_filter: str = "all"
    show_send_preview: bool = False
    tg_api_id: int | None = None
    tg_api_hash: Secret | None = None
    telegram_sandbox: bool = False
    device_name: str = "mctltg"
    connect_timeout: float = 20 * SECONDS
    call_timeout: float = 30 * SECONDS
    flood_wait_threshold: float = 5 * SECONDS
    session_idle_expiry: float | None = 30 * 86400 * SECONDS
    session_absolute_expiry: float | None = 90 * 86400 * SECONDS
    tg_test_servers: bool = False
    tg_dc_addr: str | None = None
    tg_dc_id: int | None = None
    tg_dc_rsa_key_file: Path | None = None
    tg_proxy: Secret | None = None
    shutdown_grace: float = 2 * SECONDS
    mcp_max_sessions: int = 1000
    mcp_max_sessions_per_identity: int = 10
    mcp_session_idle_timeout: float = 300 * SECONDS
    http_read_timeout: float = 15 * SECONDS
    metrics_allow_cidr: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
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
    _check_telegram_connection(settings)
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
    if not settings.operator_mode and None in (settings.oidc_client_id, settings.oidc_client_secret):
        which = "CLIENT_ID" if settings.oidc_client_id is None else "CLIENT_SECRET"
        oidc_missing = f"TELEGRAM_OIDC_{which}"
        raise ConfigError(
            oidc_missing,
            "is required with AUTH_MODE=local-jwt: people sign in through Telegram's OpenID Connect "
            "(register a login bot with @BotFather and use its client id and secret)",
        )


def _check_telegram_connection(settings: Settings) -> None:
    """Refuse connection settings that contradict each other."""
    if settings.tg_dc_addr is not None and settings.tg_test_servers:
        raise ConfigError("TG_DC_ADDR", "cannot be combined with TG_TEST_SERVERS=true; choose one")
    if settings.tg_dc_addr is None and (settings.tg_dc_id is not None or settings.tg_dc_rsa_key_file):
        variable = "TG_DC_ID" if settings.tg_dc_id is not None else "TG_DC_RSA_KEY_FILE"
        raise ConfigError(variable, "only applies to a custom data center; set TG_DC_ADDR too")
