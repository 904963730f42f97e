"""HTTP assembly: the one ASGI app over ``Services`` (MCP, OAuth, web pages, metrics) and ``run``.

``run`` is the whole server: services open first, then Hypercorn serves the app (the MCP
session manager and the Quart-Trio app run in its lifespan). Shutdown runs in reverse:
Hypercorn drains for ``SHUTDOWN_GRACE``, the MCP manager stops, then the services close.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import trio
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp_types import Tool

from mctltg.accounts import OPERATOR_SUBJECT, AccessAdmin, AuditTrail
from mctltg.app.admin import user_admin, worker_tokens
from mctltg.app.sandbox_aid import WorldAid
from mctltg.app.services import Services, open_services
from mctltg.asgi import ASGIApp, create_asgi_app, limit_request_body, observe_http, serve, wait_for_signal
from mctltg.asgi.host_guard import HostAllowlist, guard_hosts
from mctltg.asgi.jsonrpc_ids import reject_invalid_ids
from mctltg.asgi.mcp_sessions import SessionGuard
from mctltg.asgi.scope_challenge import challenge_tool_scopes
from mctltg.clock import Clock
from mctltg.config import Settings
from mctltg.oauth import (
    AccessTokenCodec,
    AccessTokenVerifier,
    AuthorizationServer,
    OidcClient,
    OidcConfig,
    ServerConfig,
    TierPolicy,
    issuer_subject,
    require_bearer,
    rfc9728,
)
from mctltg.oauth.cimd import MAX_DOCUMENT_BYTES, ClientDocuments, load_seeds
from mctltg.oauth.scopes import format_scope
from mctltg.oauth.step_up import ScopeChallenge
from mctltg.oauth.tiers import DEFAULT_SCOPES
from mctltg.oauth.worker_tokens import WorkerTokens
from mctltg.outbound import FetchPolicy
from mctltg.storage.oauth_holders import TokenHolders
from mctltg.storage.web_sessions import WebSessions
from mctltg.tools import SCOPES, TOOLS, ToolDeps, build_mcp_server
from mctltg.tools.media_budget import MediaBudget
from mctltg.tools.media_payload import SendMediaLimits
from mctltg.tools.visibility import READ_ONLY_FILTER, visible
from mctltg.web import create_web_app
from mctltg.web.context import WebDeps
from mctltg.web.manage_clients import ClientAccess
from mctltg.web.media import media_blueprint
from mctltg.web.metrics_endpoint import metrics_blueprint, route_namer
from mctltg.web.oauth_endpoints import CALLBACK_PATH, OtherSignIn, oauth_blueprint
from mctltg.web.session_cookie import SessionCodec
from mctltg.web.signin import HANDOFF_PATH, WebSignIn
from mctltg.web.site import site_blueprints

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld

__all__ = [
    "OAuthParts",
    "build_asgi_app",
    "build_oauth",
    "build_oidc",
    "client_documents",
    "run",
    "served_tools",
    "tier_policy",
    "tool_deps",
    "tool_scopes",
]

logger = logging.getLogger(__name__)


def tool_deps(services: Services, *, oauth: AuthorizationServer | None = None) -> ToolDeps:
    """What the MCP tools get from ``services`` (also what tests build servers from).

    ``oauth``: tokens come from this server, so ``tools/list`` shows what each person's tier allows.
    """
    settings = services.settings
    audit = AuditTrail(services.audit)
    workers = worker_tokens_of(services)
    return ToolDeps(
        directory=services.directory,
        operator_mode=settings.operator_mode,
        sandbox=settings.telegram_sandbox,
        allow_send=settings.allow_send,
        allow_mark_read=settings.allow_mark_read,
        sending=services.sending,
        audit=audit,
        tool_filter=settings.tool_filter,
        show_send_preview=settings.show_send_preview,
        access=AccessAdmin(
            directory=services.directory,
            store=services.oauth,
            rules=tier_policy(settings),
        ),
        metrics=services.metrics,
        public_url=settings.public_base_url,
        media_links=services.media_links,
        media_send=SendMediaLimits(
            max_bytes=settings.send_media_max_bytes,
            photo_max_bytes=settings.send_photo_max_bytes,
            fetch=FetchPolicy(
                max_bytes=settings.send_media_max_bytes,
                timeout=settings.outbound_timeout,
                trusted_hosts=settings.outbound_trusted_hosts,
            ),
        ),
        media=MediaBudget.from_settings(settings),
        allowed_scopes=None if oauth is None else oauth.allowed_scopes,
        admin=user_admin(
            settings, directory=services.directory, database=services.database, audit=audit, workers=workers
        ),
        workers=workers,
    )


def worker_tokens_of(services: Services) -> WorkerTokens | None:
    """Worker tokens over ``services`` (None in operator mode: no tokens are issued there)."""
    return worker_tokens(
        services.settings,
        database=services.database,
        identities=services.identities,
        oauth=services.oauth,
        audit=services.audit,
    )


def tool_scopes(deps: ToolDeps) -> dict[str, str]:
    """Tool name → the scope a call needs, for each tool a server over ``deps`` serves (step-up)."""
    read_only = deps.tool_filter == READ_ONLY_FILTER
    return {
        declared.name: declared.scope
        for declared in TOOLS
        if declared.scope is not None
        and declared.available(deps)
        and (declared.hints.read_only or not read_only)
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthParts:
    """The authorization server and what wires it into HTTP and the MCP SDK."""

    server: AuthorizationServer
    oidc: OidcClient
    blueprint: Any
    auth_settings: AuthSettings


def build_oidc(settings: Settings, *, clock: Clock) -> OidcClient:
    """The upstream Telegram OIDC sign-in (shared by OAuth and the web pages' own sign-in)."""
    assert settings.oidc_client_id is not None
    assert settings.oidc_client_secret is not None
    return OidcClient(
        OidcConfig(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.value,
            redirect_uri=settings.public_base_url + CALLBACK_PATH,
            telegram_ids=settings.oidc_telegram_ids,
        ),
        clock=clock,
    )


def tier_policy(settings: Settings) -> TierPolicy:
    """The settings' side of access tiers: Telegram ids, or subjects at another issuer."""
    issuer = settings.oidc_issuer
    return TierPolicy(
        admins=settings.login_admins,
        clients=settings.login_clients,
        auto_approve=settings.auto_approve_clients,
        admin_subjects=frozenset(issuer_subject(issuer, sub) for sub in settings.oidc_admin_subjects),
        client_subjects=frozenset(issuer_subject(issuer, sub) for sub in settings.oidc_client_subjects),
    )


def client_documents(settings: Settings, *, clock: Clock) -> ClientDocuments:
    """Client ID Metadata Documents: fetched through the outbound fetcher, seeded from ``CIMD_SEED_FILE``.

    Raises:
        ValueError: a seeded document is invalid (the server does not start with a bad seed file).
    """
    seeds = (
        {}
        if settings.cimd_seed_file is None
        else load_seeds(settings.cimd_seed_file, allowed_hosts=settings.allowed_redirect_hosts)
    )
    return ClientDocuments(
        policy=FetchPolicy(
            max_bytes=MAX_DOCUMENT_BYTES,
            timeout=settings.outbound_timeout,
            trusted_hosts=settings.outbound_trusted_hosts,
        ),
        clock=clock,
        seeds=seeds,
        allowed_hosts=settings.allowed_redirect_hosts,
    )


def build_oauth(
    services: Services,
    *,
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
        store=services.oauth,
        identities=services.identities,
        codec=AccessTokenCodec(settings.jwt_signing_key.value, issuer=issuer),
        policy=tier_policy(settings),
        config=ServerConfig(
            issuer=issuer,
            resource=settings.mcp_url,
            access_token_ttl=settings.access_token_ttl,
            refresh_token_ttl=settings.refresh_token_ttl,
            allowed_redirect_hosts=settings.allowed_redirect_hosts,
        ),
        refresh_key=settings.jwt_signing_key.value,
        workers=worker_tokens_of(services),
        documents=client_documents(settings, clock=services.clock),
    )
    oidc = oidc or build_oidc(settings, clock=services.clock)

    async def has_account(identity_id: int) -> bool:
        rows = await services.accounts.list_for_identity(identity_id)
        return any(row.status == "active" for row in rows)

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
    read_only = settings.tool_filter == READ_ONLY_FILTER
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
        settings.encryption_key.value,
        secure=settings.public_base_url.startswith("https://"),
        clock=services.clock,
    )
    oidc = None if settings.operator_mode else build_oidc(settings, clock=services.clock)
    signin = WebSignIn(
        sessions=sessions, identities=services.identities, oidc=oidc, operator_subject=OPERATOR_SUBJECT
    )
    oauth = (
        None
        if settings.operator_mode
        else build_oauth(services, oidc=oidc, connect_path=HANDOFF_PATH, other_signin=signin.finish)
    )
    deps = tool_deps(services, oauth=None if oauth is None else oauth.server)
    mcp = build_mcp_server(
        deps,
        auth=None if oauth is None else oauth.auth_settings,
        token_verifier=None if oauth is None else AccessTokenVerifier(oauth.server),
    )
    mcp_app: ASGIApp = mcp.streamable_http_app(
        json_response=False,
        stateless_http=False,
        transport_security=HostAllowlist.from_settings(settings).transport_security(),
        host=settings.host,
        session_idle_timeout=settings.mcp_session_idle_timeout,
        max_sessions=settings.mcp_max_sessions,
    )
    mcp_app = reject_invalid_ids(mcp_app)  # JSON-RPC ids: strings and integers only
    per_identity = None if oauth is None else settings.mcp_max_sessions_per_identity
    guard = SessionGuard(mcp_app, mcp.session_manager, per_identity=per_identity)
    services.metrics.watch_mcp_sessions(guard.statistics)
    mcp_app = guard
    if oauth is not None:
        resource_metadata = rfc9728.metadata_url(settings.mcp_url)
        step_up = ScopeChallenge(
            oauth.server, tool_scopes=tool_scopes(deps), resource_metadata=resource_metadata
        )
        mcp_app = challenge_tool_scopes(mcp_app, challenge=step_up)  # 403 insufficient_scope first
        mcp_app = require_bearer(
            mcp_app, resource_metadata=resource_metadata, scope=format_scope(DEFAULT_SCOPES)
        )

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
        sandbox_aid=WorldAid(services.world) if settings.telegram_sandbox and services.world else None,
        client_access=None
        if oauth is None
        else ClientAccess(
            holders=TokenHolders(services.database, clock=services.clock), workers=oauth.server.workers
        ),
    )
    blueprints.extend(site_blueprints(web_deps, signin, oauth=None if oauth is None else oauth.server))
    if services.media_links is not None:
        blueprints.append(media_blueprint(services.media_links))
    web = create_web_app(readiness=readiness, blueprints=blueprints)
    app = create_asgi_app(mcp_app=mcp_app, session_manager=mcp.session_manager, web_app=cast("ASGIApp", web))
    # 413 for any body over 4 MiB before it is read, 408 for one not in within HTTP_READ_TIMEOUT: every path.
    app = limit_request_body(app, read_timeout=settings.http_read_timeout)
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
