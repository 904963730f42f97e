"""The services a running server holds, opened from ``Settings`` in one nursery tree.

This is the only module that chooses between real Telegram and the sandbox world.
The tree, outermost first:

    database (writer thread) → asyncio bridge (Telethon thread) → account pool
    → login manager and session lifecycle

Closing runs in reverse: account tasks save their sessions and disconnect (shielded),
the Telethon thread joins, the database closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mctltg import __version__
from mctltg.accounts import (
    AccountDirectory,
    AccountPool,
    ExpiryPolicy,
    LoginManager,
    MediaLinks,
    Sending,
    SendPolicy,
    SessionLifecycle,
    SharedChats,
    Timeouts,
    open_account_pool,
    open_login_manager,
    open_session_lifecycle,
)
from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.config import Settings
from mctltg.crypto import Sealer
from mctltg.observability.metrics import Metrics
from mctltg.storage import (
    Accounts,
    AuditLog,
    Database,
    Identities,
    OAuthStore,
    Sends,
    SharingRules,
    open_database,
)
from mctltg.storage.audit import audit_key
from mctltg.telegram import (
    AsyncioBridge,
    ClientFactory,
    ClientOptions,
    SealedSession,
    TelethonFactory,
    build_client,
    build_connect_options,
    open_asyncio_bridge,
)

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld

__all__ = ["SandboxFactory", "Services", "open_services"]

logger = logging.getLogger(__name__)

SANDBOX_API_ID = 1
SANDBOX_API_HASH = "sandbox"


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """Everything a running server holds; handed explicitly to each layer."""

    settings: Settings
    #: The one wall clock every component below reads (tests give one they can move).
    clock: Clock
    database: Database
    identities: Identities
    accounts: Accounts
    bridge: AsyncioBridge
    pool: AccountPool
    directory: AccountDirectory
    world: SandboxWorld | None
    sends: Sends
    audit: AuditLog
    #: OAuth clients, grants, tokens and access tiers: the one store the tools and the issuer share.
    oauth: OAuthStore
    sending: Sending
    logins: LoginManager
    lifecycle: SessionLifecycle | None
    #: This server's Prometheus metrics (``/metrics``); pool and database are read at scrape time.
    metrics: Metrics
    #: Capability links to media files (``get_media``, ``/telegram/media``); None with ``MEDIA_LINKS=false``.
    media_links: MediaLinks | None = None


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
    clock: Clock = SYSTEM_CLOCK,
) -> AsyncIterator[Services]:
    """Open the database, the Telethon thread and the account pool; resume accounts.

    With ``TELEGRAM_SANDBOX`` and no ``world`` given, a fresh demo world is seeded.
    Entering blocks until active accounts have been started (not connected).
    ``resume_accounts=False`` (``mctltg login``) starts no account and runs no expiry
    sweeper: a server process may own those sessions, and two owners of one auth key
    get it killed by Telegram. ``clock`` (wall time) is the one clock every component reads.
    """
    assert settings.encryption_key is not None
    previous = [settings.encryption_key_previous.value] if settings.encryption_key_previous else []
    sealer = Sealer(settings.encryption_key.value, previous_keys=previous)
    factory: ClientFactory
    if settings.telegram_sandbox:
        from mctltg.sandbox import SandboxWorld, seed_demo_world

        if world is None:
            world = SandboxWorld(clock=clock)
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
        identities = Identities(database, clock=clock)
        accounts = Accounts(database, sealer, clock=clock)
        async with (
            open_asyncio_bridge() as bridge,
            open_account_pool(bridge=bridge, factory=factory, accounts=accounts, timeouts=timeouts) as pool,
        ):
            directory = AccountDirectory(
                identities=identities,
                accounts=accounts,
                pool=pool,
                sharing=SharedChats(SharingRules(database)),
            )
            metrics = Metrics(pool=pool.statistics, database=database.statistics, version=__version__)
            audit = AuditLog(database, key=audit_key(settings.encryption_key.value), clock=clock)
            await audit.adopt_unkeyed_rows()
            await audit.rekey([audit_key(old) for old in previous])
            sends = Sends(database, audit=audit, clock=clock)
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
                        max_accounts=settings.max_accounts_per_identity,
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
                    clock=clock,
                    database=database,
                    identities=identities,
                    accounts=accounts,
                    bridge=bridge,
                    pool=pool,
                    directory=directory,
                    world=world,
                    sends=sends,
                    audit=audit,
                    oauth=OAuthStore(database, clock=clock),
                    sending=sending,
                    logins=logins,
                    lifecycle=lifecycle,
                    metrics=metrics,
                    media_links=MediaLinks(
                        directory, base_url=settings.public_base_url, ttl=settings.media_link_ttl, clock=clock
                    )
                    if settings.media_links
                    else None,
                )
                if resume_accounts:
                    resumed = await pool.start_all_active()
                    logger.info("accounts resumed", extra={"accounts": resumed})
                yield services
