"""Build real Telethon clients (production); the sandbox builds its own in ``app.py``.

Called on the Telethon loop thread by ``TelegramConnection.connect``. The device
fields make the session recognisable in the user's Telegram "Active sessions";
``ConnectOptions`` (``connect_options.py``) says where Telegram is and how to get there.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

from telethon import TelegramClient

from mctltg.telegram.connect_options import ConnectOptions
from mctltg.telegram.session import SealedSession

__all__ = ["ClientOptions", "TelethonFactory"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOptions:
    """What every client is built with; ``api_hash`` is a secret and never logged."""

    api_id: int
    api_hash: str
    device_name: str
    app_version: str
    flood_sleep_threshold: float = 5.0
    request_retries: int = 2
    receive_updates: bool = True
    connect: ConnectOptions = field(default_factory=ConnectOptions)


class TelethonFactory:
    """A ``ClientFactory`` for real Telegram."""

    def __init__(self, options: ClientOptions) -> None:
        self._options = options

    def __call__(self, session: SealedSession) -> Any:
        return build_client(session, self._options)


def build_client(session: SealedSession, options: ClientOptions) -> Any:
    """A ``TelegramClient`` over our in-memory session (never a ``.session`` file)."""
    client = TelegramClient(
        session,
        options.api_id,
        options.api_hash,
        device_model=options.device_name,
        system_version=f"{platform.system()} {platform.release()}",
        app_version=options.app_version,
        lang_code="en",
        system_lang_code="en",
        flood_sleep_threshold=options.flood_sleep_threshold,
        request_retries=options.request_retries,
        connection_retries=1,
        retry_delay=1,
        auto_reconnect=True,
        receive_updates=options.receive_updates,
        raise_last_call_error=True,
        **options.connect.client_kwargs(),
    )
    options.connect.prepare(client)
    return client
