"""The Telegram boundary: the only package that imports asyncio or Telethon.

Trio code above it sees ``TelegramConnection`` (calls under deadlines, errors
translated), the client factory seam, and plain values from ``model``.
"""

from mctltg.telegram import ops
from mctltg.telegram.bridge import AsyncioBridge, open_asyncio_bridge
from mctltg.telegram.connection import ClientFactory, TelegramConnection
from mctltg.telegram.factory import ClientOptions, TelethonFactory, build_client
from mctltg.telegram.model import AccountProfile, Dialog, PeerRef
from mctltg.telegram.peers import PEER_FORMS, parse_peer
from mctltg.telegram.session import SealedSession

__all__ = [
    "PEER_FORMS",
    "AccountProfile",
    "AsyncioBridge",
    "ClientFactory",
    "ClientOptions",
    "Dialog",
    "PeerRef",
    "SealedSession",
    "TelegramConnection",
    "TelethonFactory",
    "build_client",
    "open_asyncio_bridge",
    "ops",
    "parse_peer",
]
