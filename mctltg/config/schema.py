"""The settings table: every variable once, with its parser, its default and its help line.

The table is the only home of each default: ``load_settings`` parses the default text
exactly as it would parse the operator's (so ``OAUTH_ACCESS_TOKEN_TTL=1h`` and the
default ``1h`` cannot disagree), and ``Settings`` declares no defaults of its own. The
table also renders the README's settings table and ``.env.example`` (``mctltg settings``),
so documentation cannot drift from code.

A ``default`` of ``None`` means unset: the setting's value is ``None``, except the two
derived in ``load_settings`` (``PUBLIC_BASE_URL`` from ``ADDR``, ``TG_DEVICE_NAME`` from
the host name). An empty-string default means the empty value of its kind (no ids, no
networks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from mctltg.config.parsers import (
    parse_addr,
    parse_bool,
    parse_choice,
    parse_cidr_list,
    parse_database,
    parse_dc_id,
    parse_duration,
    parse_expiry,
    parse_host_list,
    parse_id_list,
    parse_key,
    parse_key_file,
    parse_positive_int,
    parse_proxy,
    parse_seconds,
    parse_secret_text,
    parse_signing_key,
    parse_subject_list,
    parse_text,
    parse_url,
    parse_wait_threshold,
)

__all__ = ["AUTH_MODES", "LOG_LEVELS", "SCHEMA", "TOOL_FILTERS", "Setting"]

AUTH_MODES: Final = ("local-jwt", "local-dev")
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
TOOL_FILTERS: Final = ("all", "read-only")


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """One row of the schema: how a variable is parsed, its default and its help line."""

    env: str
    attr: str
    parse: Callable[[str], Any]
    #: The default as an operator would write it (``1h``, ``127.0.0.1:8080``); ``None``: unset.
    default: str | None
    help: str
    secret: bool = False

    def value(self, raw: str | None) -> Any:
        """The typed value of ``raw`` (the default when ``None``); ``None`` when unset.

        Raises:
            ValueError: ``raw`` (or the default) is malformed; the message says how.
        """
        text = self.default if raw is None else raw
        if text is None or (not text.strip() and self.default is None):
            return None
        return self.parse(text)


def _parse_level(raw: str) -> str:
    return parse_choice(LOG_LEVELS)(raw.strip().upper())


SCHEMA: Final[tuple[Setting, ...]] = (
    Setting(
        env="ADDR",
        attr="addr",
        parse=parse_addr,
        default="127.0.0.1:8080",
        help="host:port the HTTP server binds",
    ),
    Setting(
        env="PUBLIC_BASE_URL",
        attr="public_base_url",
        parse=parse_url,
        default=None,
        help="URL clients use to reach this server (default: http://ADDR); "
        "the OAuth issuer and allowed Host derive from it",
    ),
    Setting(
        env="DATABASE_URL",
        attr="database_url",
        parse=parse_database,
        default="mctltg.db",
        help="SQLite database file path or file: URL",
    ),
    Setting(
        env="ENCRYPTION_KEY",
        attr="encryption_key",
        parse=parse_key,
        default=None,
        secret=True,
        help="64 hex chars (32 bytes) sealing Telegram sessions; `mctltg keygen` prints one",
    ),
    Setting(
        env="ENCRYPTION_KEY_PREVIOUS",
        attr="encryption_key_previous",
        parse=parse_key,
        default=None,
        secret=True,
        help="the key being rotated out: still opens old blobs, which are resealed with ENCRYPTION_KEY",
    ),
    Setting(
        env="AUTH_MODE",
        attr="auth_mode",
        parse=parse_choice(AUTH_MODES),
        default="local-jwt",
        help="local-jwt (this server is the OAuth issuer) or "
        "local-dev (fixed operator identity, loopback only)",
    ),
    Setting(
        env="AUTH_REQUIRED",
        attr="auth_required",
        parse=parse_bool,
        default="true",
        help="false lets /mcp run without a token as the operator identity (loopback only)",
    ),
    Setting(
        env="OAUTH_JWT_SIGNING_KEY",
        attr="jwt_signing_key",
        parse=parse_signing_key,
        default=None,
        secret=True,
        help="HS256 key (at least 32 bytes) signing access tokens; `mctltg keygen` prints one",
    ),
    Setting(
        env="OAUTH_ACCESS_TOKEN_TTL",
        attr="access_token_ttl",
        parse=parse_duration(cap_hours=24),
        default="1h",
        help="lifetime of an access token (e.g. 15m, 1h; at most 24h)",
    ),
    Setting(
        env="OAUTH_REFRESH_TOKEN_TTL",
        attr="refresh_token_ttl",
        parse=parse_duration(cap_hours=24 * 366),
        default="720h",
        help="absolute lifetime of a refresh-token family, carried forward on rotation",
    ),
    Setting(
        env="OAUTH_ALLOWED_REDIRECT_HOSTS",
        attr="allowed_redirect_hosts",
        parse=parse_host_list,
        default="",
        help="if set, client registration accepts https redirect URIs on these hosts only "
        "(loopback always allowed), e.g. claude.ai,chatgpt.com",
    ),
    Setting(
        env="TELEGRAM_OIDC_ISSUER",
        attr="oidc_issuer",
        parse=parse_url,
        default="https://oauth.telegram.org",
        help="OpenID Connect issuer people sign in with (Telegram's; any standard OIDC provider works)",
    ),
    Setting(
        env="TELEGRAM_OIDC_CLIENT_ID",
        attr="oidc_client_id",
        parse=parse_text,
        default=None,
        help="this server's client id at the OIDC issuer (for Telegram: your login bot's id)",
    ),
    Setting(
        env="TELEGRAM_OIDC_CLIENT_SECRET",
        attr="oidc_client_secret",
        parse=parse_secret_text,
        default=None,
        secret=True,
        help="this server's client secret at the OIDC issuer",
    ),
    Setting(
        env="TG_LOGIN_ADMINS",
        attr="login_admins",
        parse=parse_id_list,
        default="",
        help="Telegram user ids of operators: every scope, including admin:users",
    ),
    Setting(
        env="TG_LOGIN_CLIENTS",
        attr="login_clients",
        parse=parse_id_list,
        default="",
        help="Telegram user ids approved to use their Telegram account through this server",
    ),
    Setting(
        env="AUTO_APPROVE_CLIENTS",
        attr="auto_approve_clients",
        parse=parse_bool,
        default="false",
        help="true approves everyone who signs in (a private server with a trusted OIDC issuer)",
    ),
    Setting(
        env="ALLOW_SEND",
        attr="allow_send",
        parse=parse_bool,
        default="false",
        help="server-wide switch: without it send_message only returns drafts",
    ),
    Setting(
        env="ALLOW_MARK_READ",
        attr="allow_mark_read",
        parse=parse_bool,
        default="false",
        help="let the mark_read tool mark chats read (it changes what the user sees on their phone)",
    ),
    Setting(
        env="SEND_RATE_LIMIT_PER_HOUR",
        attr="send_rate_limit_per_hour",
        parse=parse_positive_int,
        default="20",
        help="real sends allowed per hour from one identity to one peer; beyond it send_message drafts",
    ),
    Setting(
        env="SEND_DUPLICATE_WINDOW",
        attr="send_duplicate_window",
        parse=parse_seconds,
        default="60",
        help="seconds in which the same text to the same peer without an idempotency_key is refused "
        "as a probable duplicate",
    ),
    Setting(
        env="MCP_TOOL_FILTER",
        attr="tool_filter",
        parse=parse_choice(TOOL_FILTERS),
        default="all",
        help="all, or read-only (only tools with readOnlyHint=true are offered)",
    ),
    Setting(
        env="SHOW_SEND_PREVIEW_TOOL",
        attr="show_send_preview",
        parse=parse_bool,
        default="false",
        help="list send_message (as a draft-only preview) to tokens without the send scope",
    ),
    Setting(
        env="TG_API_ID",
        attr="tg_api_id",
        parse=parse_positive_int,
        default=None,
        help="Telegram API id from my.telegram.org (not needed with TELEGRAM_SANDBOX)",
    ),
    Setting(
        env="TG_API_HASH",
        attr="tg_api_hash",
        parse=parse_secret_text,
        default=None,
        secret=True,
        help="Telegram API hash from my.telegram.org",
    ),
    Setting(
        env="TELEGRAM_SANDBOX",
        attr="telegram_sandbox",
        parse=parse_bool,
        default="false",
        help="serve a built-in sandbox Telegram world instead of real Telegram (demo and tests)",
    ),
    Setting(
        env="TG_DEVICE_NAME",
        attr="device_name",
        parse=parse_text,
        default=None,
        help="device name shown in Telegram's Active sessions (default: mctltg on <host>)",
    ),
    Setting(
        env="TG_CONNECT_TIMEOUT",
        attr="connect_timeout",
        parse=parse_seconds,
        default="20",
        help="seconds a Telegram connect may take before it is abandoned and retried",
    ),
    Setting(
        env="TG_CALL_TIMEOUT",
        attr="call_timeout",
        parse=parse_seconds,
        default="30",
        help="seconds any single Telegram call may take before the tool reports a timeout",
    ),
    Setting(
        env="SHUTDOWN_GRACE",
        attr="shutdown_grace",
        parse=parse_seconds,
        default="2",
        help="seconds open HTTP streams get to finish on SIGTERM",
    ),
    Setting(
        env="MCP_MAX_SESSIONS",
        attr="mcp_max_sessions",
        parse=parse_positive_int,
        default="1000",
        help="MCP sessions open at once, all identities together; a new one beyond it gets 503",
    ),
    Setting(
        env="MCP_MAX_SESSIONS_PER_IDENTITY",
        attr="mcp_max_sessions_per_identity",
        parse=parse_positive_int,
        default="10",
        help="MCP sessions one identity may hold; opening another closes its least recently used one",
    ),
    Setting(
        env="MCP_SESSION_IDLE_TIMEOUT",
        attr="mcp_session_idle_timeout",
        parse=parse_seconds,
        default="300",
        help="seconds an MCP session may go without a request before it is closed",
    ),
    Setting(
        env="HTTP_READ_TIMEOUT",
        attr="http_read_timeout",
        parse=parse_seconds,
        default="15",
        help="seconds a client may take to send a whole request body; a slower one gets 408",
    ),
    Setting(
        env="FLOOD_WAIT_THRESHOLD",
        attr="flood_wait_threshold",
        parse=parse_wait_threshold,
        default="5",
        help="Telegram FLOOD_WAIT/SLOWMODE_WAIT up to this many seconds (and at most half of "
        "TG_CALL_TIMEOUT) is waited out inside the call; longer ones return at once as a flood_wait error",
    ),
    Setting(
        env="SESSION_IDLE_EXPIRY",
        attr="session_idle_expiry",
        parse=parse_expiry,
        default="30d",
        help="a connected Telegram account unused this long is logged out and must reconnect (off: never)",
    ),
    Setting(
        env="SESSION_ABSOLUTE_EXPIRY",
        attr="session_absolute_expiry",
        parse=parse_expiry,
        default="90d",
        help="a Telegram account is logged out this long after it was connected, used or not (off: never)",
    ),
    Setting(
        env="TG_TEST_SERVERS",
        attr="tg_test_servers",
        parse=parse_bool,
        default="false",
        help="use Telegram's test servers (test accounts only) instead of production",
    ),
    Setting(
        env="TG_DC_ADDR",
        attr="tg_dc_addr",
        parse=parse_addr,
        default=None,
        help="host:port of a custom (self-hosted, Telegram-compatible) data center to log in to",
    ),
    Setting(
        env="TG_DC_ID",
        attr="tg_dc_id",
        parse=parse_dc_id,
        default=None,
        help="the custom data center's number (default 2; with TG_DC_ADDR)",
    ),
    Setting(
        env="TG_DC_RSA_KEY_FILE",
        attr="tg_dc_rsa_key_file",
        parse=parse_key_file,
        default=None,
        help="PEM file with the custom data center's RSA public key (with TG_DC_ADDR)",
    ),
    Setting(
        env="TG_PROXY",
        attr="tg_proxy",
        parse=parse_proxy,
        default=None,
        secret=True,
        help="reach Telegram through socks5://[user:pass@]host:port, http://host:port "
        "or mtproxy://<secret>@host:port",
    ),
    Setting(
        env="METRICS_ALLOW_CIDR",
        attr="metrics_allow_cidr",
        parse=parse_cidr_list,
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
    Setting(
        env="MEDIA_LINKS",
        attr="media_links",
        parse=parse_bool,
        default="true",
        help="get_media answers files it cannot inline (documents, audio, video) with a short-lived "
        "link on this server that streams them from Telegram; false refuses them instead",
    ),
    Setting(
        env="MEDIA_LINK_TTL",
        attr="media_link_ttl",
        parse=parse_duration(cap_hours=1),
        default="10m",
        help="how long a media link works (e.g. 5m; at most 1h); a disconnect or delete ends it sooner",
    ),
    Setting(
        env="OUTBOUND_TRUSTED_HOSTS",
        attr="outbound_trusted_hosts",
        parse=parse_host_list,
        default="",
        help="host names the server may fetch from although they resolve to private addresses "
        "(e.g. an internal CDN); metadata addresses stay refused",
    ),
    Setting(
        env="OUTBOUND_TIMEOUT",
        attr="outbound_timeout",
        parse=parse_seconds,
        default="20",
        help="seconds one outbound fetch (send_media's url, a client metadata document) may take, "
        "redirects included",
    ),
    Setting(
        env="SEND_MEDIA_MAX_BYTES",
        attr="send_media_max_bytes",
        parse=parse_positive_int,
        default="20971520",
        help="bytes a file sent with send_media may have (20 MiB; data_base64 is also bounded by "
        "the 4 MiB request limit)",
    ),
    Setting(
        env="SEND_PHOTO_MAX_BYTES",
        attr="send_photo_max_bytes",
        parse=parse_positive_int,
        default="10485760",
        help="bytes a photo sent with send_media may have (10 MiB, Telegram's own limit for photos)",
    ),
    Setting(
        env="MEDIA_IMAGE_MAX_SIDE",
        attr="media_image_max_side",
        parse=parse_positive_int,
        default="1568",
        help="get_media scales images to at most this many pixels on the long side and 1.15 megapixels "
        "(Claude's documented optimum; ChatGPT's vision reads 2048x768 tiles)",
    ),
    Setting(
        env="MEDIA_IMAGE_MAX_BYTES",
        attr="media_image_max_bytes",
        parse=parse_positive_int,
        default="750000",
        help="an image block is re-encoded until its bytes fit this (base64 adds a third: 1 MB, the "
        "smallest tool-result limit among MCP clients)",
    ),
    Setting(
        env="MEDIA_SOURCE_MAX_BYTES",
        attr="media_source_max_bytes",
        parse=parse_positive_int,
        default="10000000",
        help="the largest photo, sticker or image file get_media downloads to make an image block",
    ),
    Setting(
        env="MEDIA_TEXT_MAX_BYTES",
        attr="media_text_max_bytes",
        parse=parse_positive_int,
        default="100000",
        help="text-like documents (text/*, JSON, CSV …) up to this size come back inline as text",
    ),
    Setting(
        env="MEDIA_PAGE_IMAGES_MAX_BYTES",
        attr="media_page_images_max_bytes",
        parse=parse_positive_int,
        default="750000",
        help="get_messages with_images=true: all inlined images of one result together fit this",
    ),
    Setting(
        env="OIDC_IDENTITY",
        attr="oidc_identity",
        parse=parse_choice(("auto", "telegram", "subject")),
        default="auto",
        help="who a sign-in names: telegram (a Telegram user id; TG_LOGIN_ADMINS/TG_LOGIN_CLIENTS) or "
        "subject (the issuer's sub, any shape; OIDC_ADMIN_SUBJECTS/OIDC_CLIENT_SUBJECTS); auto: telegram "
        "for https://oauth.telegram.org, subject for any other TELEGRAM_OIDC_ISSUER",
    ),
    Setting(
        env="OIDC_ADMIN_SUBJECTS",
        attr="oidc_admin_subjects",
        parse=parse_subject_list,
        default="",
        help="with OIDC_IDENTITY=subject: sub values of operators at the issuer (every scope, "
        "admin:users included), comma separated",
    ),
    Setting(
        env="OIDC_CLIENT_SUBJECTS",
        attr="oidc_client_subjects",
        parse=parse_subject_list,
        default="",
        help="with OIDC_IDENTITY=subject: sub values at the issuer approved to use their Telegram account "
        "through this server, comma separated",
    ),
    Setting(
        env="WORKER_TOKEN_MAX_TTL",
        attr="worker_token_max_ttl",
        parse=parse_duration(cap_hours=24 * 366),
        default="2160h",
        help="longest lifetime an admin may give a worker token (mint_worker_token, mctltg token mint); "
        "at most 8784h",
    ),
    Setting(
        env="MAX_ACCOUNTS_PER_IDENTITY",
        attr="max_accounts_per_identity",
        parse=parse_positive_int,
        default="3",
        help="Telegram accounts one signed-in person may connect, each under its own label",
    ),
    Setting(
        env="CIMD_SEED_FILE",
        attr="cimd_seed_file",
        parse=parse_key_file,
        default=None,
        help="a JSON list of client metadata documents (each with its https client_id) used when "
        "fetching that client_id fails, e.g. behind bot protection; validated at startup",
    ),
)
