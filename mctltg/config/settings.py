"""``Settings``: every setting parsed once at the edge into one frozen value, then the boot guard.

Every setting is read from the overrides, then the environment, then an optional ``.env``
file, then the schema table's default (``config.schema``: the only home of defaults, so
``Settings`` declares none). A malformed value raises ``ConfigError`` naming the
variable, which the CLI turns into exit code 2 and one line; so does a combination that
would expose an account without authentication.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mctltg.config.parsers import Network, Secret, is_loopback_host, split_host_port
from mctltg.config.schema import SCHEMA
from mctltg.errors import ConfigError

__all__ = ["TELEGRAM_ISSUER", "Settings", "load_settings", "read_env_file"]

#: Telegram's own OpenID Connect issuer (``OIDC_IDENTITY=auto`` treats it, and only it, as Telegram's).
TELEGRAM_ISSUER = "https://oauth.telegram.org"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every setting, parsed and validated; built only by ``load_settings`` (defaults: ``SCHEMA``)."""

    addr: str
    public_base_url: str
    database_url: str
    encryption_key: Secret | None
    encryption_key_previous: Secret | None
    auth_mode: str
    auth_required: bool
    jwt_signing_key: Secret | None
    access_token_ttl: float
    refresh_token_ttl: float
    allowed_redirect_hosts: frozenset[str]
    oidc_issuer: str
    oidc_client_id: str | None
    oidc_client_secret: Secret | None
    login_admins: frozenset[int]
    login_clients: frozenset[int]
    auto_approve_clients: bool
    allow_send: bool
    allow_mark_read: bool
    send_rate_limit_per_hour: int
    send_duplicate_window: float
    tool_filter: str
    show_send_preview: bool
    tg_api_id: int | None
    tg_api_hash: Secret | None
    telegram_sandbox: bool
    device_name: str
    connect_timeout: float
    call_timeout: float
    shutdown_grace: float
    mcp_max_sessions: int
    mcp_max_sessions_per_identity: int
    mcp_session_idle_timeout: float
    http_read_timeout: float
    flood_wait_threshold: float
    session_idle_expiry: float | None
    session_absolute_expiry: float | None
    tg_test_servers: bool
    tg_dc_addr: str | None
    tg_dc_id: int | None
    tg_dc_rsa_key_file: Path | None
    tg_proxy: Secret | None
    metrics_allow_cidr: tuple[Network, ...]
    worker_token_max_ttl: float
    log_level: str
    media_links: bool
    media_link_ttl: float
    outbound_trusted_hosts: frozenset[str]
    outbound_timeout: float
    send_media_max_bytes: int
    send_photo_max_bytes: int
    media_image_max_side: int
    media_image_max_bytes: int
    media_source_max_bytes: int
    media_text_max_bytes: int
    media_page_images_max_bytes: int
    oidc_identity: str
    oidc_admin_subjects: frozenset[str]
    oidc_client_subjects: frozenset[str]
    max_accounts_per_identity: int
    cimd_seed_file: Path | None

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
    def oidc_telegram_ids(self) -> bool:
        """Whether sign-in names Telegram users (``tg:<id>``) rather than ``<issuer>#<sub>``."""
        if self.oidc_identity == "auto":
            return self.oidc_issuer == TELEGRAM_ISSUER
        return self.oidc_identity == "telegram"

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


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
        try:
            values[setting.attr] = setting.value(sources.get(setting.env))
        except ValueError as exc:
            raise ConfigError(setting.env, str(exc)) from None
    if values["public_base_url"] is None:
        host, port = split_host_port(values["addr"])
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        shown = f"[{shown}]" if ":" in shown else shown
        values["public_base_url"] = f"http://{shown}:{port}"
    if values["device_name"] is None:
        values["device_name"] = f"mctltg on {os.uname().nodename}"
    settings = Settings(**values)
    _check_boot_guard(settings)
    _check_telegram_connection(settings)
    _check_identity_lists(settings)
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


def _check_identity_lists(settings: Settings) -> None:
    """Refuse access lists that can never match: Telegram ids at another issuer, or the reverse."""
    if settings.operator_mode:
        return
    if settings.oidc_telegram_ids:
        for variable, listed in (
            ("OIDC_ADMIN_SUBJECTS", settings.oidc_admin_subjects),
            ("OIDC_CLIENT_SUBJECTS", settings.oidc_client_subjects),
        ):
            if listed:
                raise ConfigError(
                    variable,
                    f"applies to an issuer that names people by sub, but {settings.oidc_issuer} names "
                    "Telegram users; list Telegram user ids in TG_LOGIN_ADMINS/TG_LOGIN_CLIENTS instead",
                )
        return
    for variable, ids in (
        ("TG_LOGIN_ADMINS", settings.login_admins),
        ("TG_LOGIN_CLIENTS", settings.login_clients),
    ):
        if ids:
            raise ConfigError(
                variable,
                f"lists Telegram user ids, but people signing in at {settings.oidc_issuer} are named "
                "by its sub; list those in OIDC_ADMIN_SUBJECTS/OIDC_CLIENT_SUBJECTS, or set "
                "OIDC_IDENTITY=telegram if this issuer's id_tokens carry Telegram user ids",
            )


def _check_telegram_connection(settings: Settings) -> None:
    """Refuse connection settings that contradict each other."""
    if settings.tg_dc_addr is not None and settings.tg_test_servers:
        raise ConfigError("TG_DC_ADDR", "cannot be combined with TG_TEST_SERVERS=true; choose one")
    if settings.tg_dc_addr is None and (settings.tg_dc_id is not None or settings.tg_dc_rsa_key_file):
        variable = "TG_DC_ID" if settings.tg_dc_id is not None else "TG_DC_RSA_KEY_FILE"
        raise ConfigError(variable, "only applies to a custom data center; set TG_DC_ADDR too")
