"""The composition root: build every service from ``Settings`` and run them in one tree.

This is the only module that chooses between real Telegram and the sandbox world,
and the only one that knows every layer. The nursery tree, outermost first:

    database (writer thread) → asyncio bridge (Telethon thread) → account pool
    → Hypercorn (MCP session manager + Quart-Trio app in its lifespan)

Shutdown runs in reverse: Hypercorn drains for ``SHUTDOWN_GRACE``, the MCP manager
stops, account tasks save their sessions and disconnect (shielded), the Telethon
thread joins, the database closes.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import trio
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp_types import Tool

from mctltg import __version__
from mctltg.accounts import (
    AccountDirectory,
    AccountPool,
    ExpiryPolicy,
    LoginManager,
    Sending,
    SendPolicy,
    SessionLifecycle,
    Timeouts,
    open_account_pool,
    open_login_manager,
    open_session_lifecycle,
)
from mctltg.asgi import ASGIApp, create_asgi_app, limit_request_body, observe_http, serve, wait_for_signal
from mctltg.asgi.host_guard import HostAllowlist, guard_hosts
from mctltg.asgi.jsonrpc_ids import reject_invalid_ids
from mctltg.config import Settings
from mctltg.crypto import Sealer
from mctltg.errors import SessionDead
from mctltg.oauth import (
    AccessTokenCodec,
    AccessTokenVerifier,
    AuthorizationServer,
    OidcClient,
    OidcConfig,
    ServerConfig,
    TierPolicy,
    require_bearer,
    rfc9728,
)
from mctltg.observability.metrics import Metrics
from mctltg.storage import Accounts, AuditLog, Database, Identities, OAuthStore, Sends, open_database
from mctltg.storage.web_sessions import WebSessions
from mctltg.telegram import (
    AsyncioBridge,
    ClientFactory,
    ClientOptions,
    SealedSession,
    TelethonFactory,
    build_client,
    build_connect_options,
    open_asyncio_bridge,
    ops,
)
from mctltg.tools import SCOPES, ToolDeps, build_mcp_server
from mctltg.tools.context import OPERATOR_SUBJECT
from mctltg.tools.visibility import READ_ONLY, visible
from mctltg.web import create_web_app
from mctltg.web.context import WebDeps
from mctltg.web.metrics_endpoint import metrics_blueprint, route_namer
from mctltg.web.oauth_endpoints import CALLBACK_PATH, OtherSignIn, oauth_blueprint
from mctltg.web.session_cookie import SessionCodec
from mctltg.web.signin import HANDOFF_PATH, WebSignIn
from mctltg.web.site import site_blueprints

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld

__all__ = ["Services", "open_services", "provision_sandbox_account", "run", "tool_deps"]

logger = logging.getLogger(__name__)

SANDBOX_API_ID = 1
SANDBOX_API_HASH = "sandbox"


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """Everything a running server holds; handed explicitly to each layer."""

    settings: Settings
    database: Database
    identities: Identities
    accounts: Accounts
    bridge: AsyncioBridge
    pool: AccountPool
    directory: AccountDirectory
    world: SandboxWorld | None
    sends: Sends
    audit: AuditLog
    sending: Sending
    logins: LoginManager
    lifecycle: SessionLifecycle | None
    #: This server's Prometheus metrics (``/metrics``); pool and database are read at scrape time.
    metrics: Metrics


class SandboxFactory:
    """A ``ClientFactory`` whose clients talk to the in-process sandbox world."""

    def __init__(self, world: SandboxWorld, options: ClientOptions) -> None:
        self._world = world
        self._options = options

    def __call__(self, session: SealedSession) -> Any:
        client = build_client(session, self._options)
        self._world.attach(client)
        return client


def _client_options(settings: Settings) -> ClientOptions:
    if settings.telegram_sandbox:
        return ClientOptions(
            api_id=SANDBOX_API_ID,
            api_hash=SANDBOX_API_HASH,
            device_name=settings.device_name,
            app_version=f"mctltg {__version__}",
            flood_sleep_threshold=_flood_threshold(settings),
        )
    assert settings.tg_api_id is not None
    assert settings.tg_api_hash is not None
    return ClientOptions(
        api_id=settings.tg_api_id,
        api_hash=settings.tg_api_hash.value.decode(),
        device_name=settings.device_name,
        app_version=f"mctltg {__version__}",
        flood_sleep_threshold=_flood_threshold(settings),
        connect=build_connect_options(
            test_servers=settings.tg_test_servers,
            dc_addr=settings.tg_dc_addr,
            dc_id=settings.tg_dc_id,
            rsa_key_file=settings.tg_dc_rsa_key_file,
            proxy_url=settings.tg_proxy.value.decode() if settings.tg_proxy else None,
        ),
    )


def _flood_threshold(settings: Settings) -> float:
    """Flood waits this short are slept inside the call; capped so the sleep fits the call's deadline."""
    return min(settings.flood_wait_threshold, settings.call_timeout / 2)


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    world: SandboxWorld | None = None,
    resume_accounts: bool = True,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Services]:
    """Open the database, the Telethon thread and the account pool; resume accounts.

    With ``TELEGRAM_SANDBOX`` and no ``world`` given, a fresh demo world is seeded.
    Entering blocks until active accounts have been started (not connected).
    ``resume_accounts=False`` (``mctltg login``) starts no account and runs no expiry
    sweeper: a server process may own those sessions, and two owners of one auth key
    get it killed by Telegram. ``clock`` (wall time) drives login and session expiry.
    """
    assert settings.encryption_key is not None
    previous = [settings.encryption_key_previous.value] if settings.encryption_key_previous else []
    sealer = Sealer(settings.encryption_key.value, previous_keys=previous)
    factory: ClientFactory
    if settings.telegram_sandbox:
        from mctltg.sandbox import SandboxWorld, seed_demo_world

        if world is None:
            world = SandboxWorld()
            seed_demo_world(world)
        factory = SandboxFactory(world, _client_options(settings))
    else:
        factory = TelethonFactory(_client_options(settings))
    timeouts = Timeouts(
        connect=settings.connect_timeout,
        call=settings.call_timeout,
        ready_wait=min(10.0, settings.call_timeout),
    )
    async with open_database(settings.database_url) as database:
        identities = Identities(database)
        accounts = Accounts(database, sealer)
        async with (
            open_asyncio_bridge() as bridge,
            open_account_pool(bridge=bridge, factory=factory, accounts=accounts, timeouts=timeouts) as pool,
        ):
            directory = AccountDirectory(identities=identities, accounts=accounts, pool=pool)
            metrics = Metrics(pool=pool.statistics, database=database.statistics, version=__version__)
            sends = Sends(database)
            sending = Sending(
                directory=directory,
                sends=sends,
                policy=SendPolicy(
                    limit_per_hour=settings.send_rate_limit_per_hour,
                    duplicate_window=settings.send_duplicate_window,
                ),
                digest_key=settings.encryption_key.value,
            )
            abandoned = await sending.abandon_pending()
            if abandoned:
                logger.warning(
                    "sends left pending by the previous run are now unverified (never resent)",
                    extra={"sends": abandoned},
                )
            async with AsyncExitStack() as stack:
                logins = await stack.enter_async_context(
                    open_login_manager(
                        bridge=bridge,
                        factory=factory,
                        accounts=accounts,
                        identities=identities,
                        pool=pool if resume_accounts else None,
                        device_name=settings.device_name,
                        sandbox=settings.telegram_sandbox,
                        call_timeout=settings.call_timeout,
                        connect_timeout=settings.connect_timeout,
                        clock=clock,
                        metrics=metrics,
                    )
                )
                lifecycle = None
                if resume_accounts:
                    policy = ExpiryPolicy(
                        idle=settings.session_idle_expiry, absolute=settings.session_absolute_expiry
                    )
                    lifecycle = await stack.enter_async_context(
                        open_session_lifecycle(directory, policy, clock=clock)
                    )
                services = Services(
                    settings=settings,
                    database=database,
                    identities=identities,
                    accounts=accounts,
                    bridge=bridge,
                    pool=pool,
                    directory=directory,
                    world=world,
                    sends=sends,
                    audit=AuditLog(database),
                    sending=sending,
                    logins=logins,
                    lifecycle=lifecycle,
                    metrics=metrics,
                )
                if resume_accounts:
                    resumed = await pool.start_all_active()
                    logger.info("accounts resumed", extra={"accounts": resumed})
                yield services


async def provision_sandbox_account(
    services: Services, *, telegram_user_id: int, subject: str = OPERATOR_SUBJECT, send_enabled: bool = False
) -> int:
    """Give ``subject`` a logged-in sandbox account for ``telegram_user_id``; returns its id.

    Used by ``mctltg demo`` and tests: the world mints an authorized auth key, which is
    sealed into the account row exactly as a real login would leave it.
    """
    assert services.world is not None, "only a sandbox server can provision sandbox accounts"
    key = services.world.authorize_new_key(telegram_user_id)
    from mctltg.sandbox import SANDBOX_DC_ID

    session = SealedSession.with_auth_key(key, dc_id=SANDBOX_DC_ID, address="127.0.0.1", port=443)
    identity = await services.identities.ensure(subject, display_name=subject)
    row = await services.accounts.create(identity.id, device_name=services.settings.device_name, sandbox=True)
    await services.accounts.save_session(row.id, session.to_bytes())
    await services.pool.start(row.id)
    profile = await services.pool.call(row.id, "get_me", ops.fetch_profile)
    if profile is None:
        raise SessionDead("AUTH_KEY_UNREGISTERED")
    await services.accounts.activate(
        row.id, telegram_user_id=profile.user_id, username=profile.username, display_name=profile.display_name
    )
    if send_enabled:
        await services.accounts.set_send_enabled(row.id, True)
    return row.id


def tool_deps(services: Services) -> ToolDeps:
    """What the MCP tools get from ``services`` (also what tests build servers from)."""
    settings = services.settings
    return ToolDeps(
        directory=services.directory,
        operator_mode=settings.operator_mode,
        sandbox=settings.telegram_sandbox,
        allow_send=settings.allow_send,
        allow_mark_read=settings.allow_mark_read,
        sending=services.sending,
        audit=services.audit,
        tool_filter=settings.tool_filter,
        show_send_preview=settings.show_send_preview,
        access_store=OAuthStore(services.database),
        login_admins=settings.login_admins,
        metrics=services.metrics,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthParts:
    """The authorization server and what wires it into HTTP and the MCP SDK."""

    server: AuthorizationServer
    oidc: OidcClient
    blueprint: Any
    auth_settings: AuthSettings


def build_oidc(settings: Settings) -> OidcClient:
    """The upstream Telegram OIDC sign-in (shared by OAuth and the web pages' own sign-in)."""
    assert settings.oidc_client_id is not None
    assert settings.oidc_client_secret is not None
    return OidcClient(
        OidcConfig(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.value,
            redirect_uri=settings.public_base_url + CALLBACK_PATH,
        )
    )


def build_oauth(
    services: Services,
    *,
    clock: Callable[[], float] = time.time,
    oidc: OidcClient | None = None,
    connect_path: str | None = None,
    other_signin: OtherSignIn | None = None,
) -> OAuthParts:
    """This server as its own OAuth issuer (``AUTH_MODE=local-jwt``), signing people in with Telegram OIDC.

    ``connect_path`` sends people without a Telegram account through the connect wizard
    after consent; ``other_signin`` finishes the web pages' own sign-ins at the callback.
    """
    settings = services.settings
    assert settings.jwt_signing_key is not None
    assert settings.oidc_client_id is not None
    assert settings.oidc_client_secret is not None
    issuer = settings.public_base_url
    server = AuthorizationServer(
        store=OAuthStore(services.database, clock=clock),
        identities=services.identities,
        codec=AccessTokenCodec(settings.jwt_signing_key.value, issuer=issuer),
        policy=TierPolicy(
            admins=settings.login_admins,
            clients=settings.login_clients,
            auto_approve=settings.auto_approve_clients,
        ),
        config=ServerConfig(
            issuer=issuer,
            resource=settings.mcp_url,
            access_token_ttl=settings.access_token_ttl,
            refresh_token_ttl=settings.refresh_token_ttl,
            allowed_redirect_hosts=settings.allowed_redirect_hosts,
        ),
        refresh_key=settings.jwt_signing_key.value,
    )
    oidc = oidc or build_oidc(settings)

    async def has_account(identity_id: int) -> bool:
        row = await services.accounts.for_identity(identity_id)
        return row is not None and row.status == "active"

    blueprint = oauth_blueprint(
        server=server,
        oidc=oidc,
        protected_resource_paths=rfc9728.metadata_paths(settings.mcp_url),
        protected_resource_document=rfc9728.protected_resource_metadata(
            resource=settings.mcp_url, issuer=issuer, resource_name="Telegram (mctltg)"
        ),
        secure_cookies=issuer.startswith("https://"),
        connect_path=connect_path,
        has_account=has_account if connect_path else None,
        other_signin=other_signin,
    )
    auth_settings = AuthSettings(
        issuer_url=issuer,  # type: ignore[arg-type]  # pydantic parses the string
        resource_server_url=settings.mcp_url,  # type: ignore[arg-type]
        validate_token_resource=False,  # the verifier checks ``aud`` against the MCP URL itself
    )
    return OAuthParts(server=server, oidc=oidc, blueprint=blueprint, auth_settings=auth_settings)


async def served_tools(mcp: MCPServer, settings: Settings) -> list[Tool]:
    """The tools this deployment serves, as ``tools/list`` shows them to a caller holding every scope."""
    tools = await mcp.list_tools()
    read_only = settings.tool_filter == READ_ONLY
    return [
        tool
        for tool in tools
        if visible(tool, frozenset(SCOPES), read_only=read_only, show_send_preview=True)
    ]


def build_asgi_app(services: Services) -> Any:
    """The one ASGI app over ``services``."""
    settings = services.settings
    assert settings.encryption_key is not None
    sessions = SessionCodec(
        settings.encryption_key.value, secure=settings.public_base_url.startswith("https://")
    )
    oidc = None if settings.operator_mode else build_oidc(settings)
    signin = WebSignIn(
        sessions=sessions, identities=services.identities, oidc=oidc, operator_subject=OPERATOR_SUBJECT
    )
    oauth = (
        None
        if settings.operator_mode
        else build_oauth(services, oidc=oidc, connect_path=HANDOFF_PATH, other_signin=signin.finish)
    )
    mcp = build_mcp_server(
        tool_deps(services),
        auth=None if oauth is None else oauth.auth_settings,
        token_verifier=None if oauth is None else AccessTokenVerifier(oauth.server),
    )
    mcp_app: ASGIApp = mcp.streamable_http_app(
        json_response=False,
        stateless_http=False,
        transport_security=HostAllowlist.from_settings(settings).transport_security(),
        host=settings.host,
    )
    mcp_app = reject_invalid_ids(mcp_app)  # JSON-RPC ids: strings and integers only
    if oauth is not None:
        mcp_app = require_bearer(mcp_app, resource_metadata=rfc9728.metadata_url(settings.mcp_url))

    async def readiness() -> str | None:
        try:
            with trio.fail_after(2):
                await services.database.ping()
        except Exception:
            return "the database does not answer"
        if not services.pool.running:
            return "the account supervisor is not running"
        return None

    blueprints = [metrics_blueprint(services.metrics, allow=settings.metrics_allow_cidr)]
    if oauth is not None:
        blueprints.append(oauth.blueprint)
    web_deps = WebDeps(
        settings=settings,
        identities=services.identities,
        accounts=services.accounts,
        directory=services.directory,
        logins=services.logins,
        audit=services.audit,
        sessions=sessions,
        web_sessions=WebSessions(services.database),
        list_tools=functools.partial(served_tools, mcp, settings),
        operator_subject=OPERATOR_SUBJECT,
        telegram_refusal=None if oauth is None else oauth.server.telegram_refusal,
    )
    blueprints.extend(site_blueprints(web_deps, signin, oauth=None if oauth is None else oauth.server))
    web = create_web_app(readiness=readiness, blueprints=blueprints)
    app = create_asgi_app(mcp_app=mcp_app, session_manager=mcp.session_manager, web_app=cast("ASGIApp", web))
    app = limit_request_body(app)  # 413 for any body over 4 MiB, on every path, before it is read
    app = guard_hosts(app, HostAllowlist.from_settings(settings))  # DNS rebinding, on every path
    return observe_http(app, metrics=services.metrics, route_of=route_namer(web, extra=("/mcp",)))


async def run(
    settings: Settings,
    *,
    world: SandboxWorld | None = None,
    shutdown_trigger: Callable[[], Awaitable[Any]] = wait_for_signal,
    on_ready: Callable[[Services, list[str]], Awaitable[None]] | None = None,
    task_status: Any = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the whole server until ``shutdown_trigger`` returns.

    ``task_status.started`` receives the bound addresses once HTTP listens.
    ``on_ready`` (demo, tests) runs after that, inside the tree.
    """
    async with open_services(settings, world=world) as services:
        app = build_asgi_app(services)
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(
                functools.partial(serve, app, settings, shutdown_trigger=shutdown_trigger)
            )
            logger.info("listening", extra={"binds": ",".join(binds), "mcp": settings.mcp_url})
            if on_ready is not None:
                await on_ready(services, binds)
            task_status.started(binds)
        logger.info("HTTP stopped; stopping accounts")
