"""The Telegram boundary: the only package that imports asyncio or Telethon.

Trio code above it sees ``TelegramConnection`` (calls under deadlines, errors
translated), the client factory seam, and plain values from ``model``.
"""

from mctltg.telegram import ops, ops_writing
from mctltg.telegram.bridge import AsyncioBridge, open_asyncio_bridge
from mctltg.telegram.connect_options import ConnectOptions, DataCenter, build_connect_options
from mctltg.telegram.connection import ClientFactory, TelegramConnection
from mctltg.telegram.factory import ClientOptions, TelethonFactory, build_client
from mctltg.telegram.login_ops import LoginHandle, LoginProgress
from mctltg.telegram.model import AccountProfile, Dialog, PeerRef
from mctltg.telegram.peers import PEER_FORMS, parse_peer
from mctltg.telegram.session import SealedSession

__all__ = [
    "PEER_FORMS",
    "AccountProfile",
    "AsyncioBridge",
    "ClientFactory",
    "ClientOptions",
    "ConnectOptions",
    "DataCenter",
    "Dialog",
    "LoginHandle",
    "LoginProgress",
    "PeerRef",
    "SealedSession",
    "TelegramConnection",
    "TelethonFactory",
    "build_client",
    "build_connect_options",
    "login_ops",
    "open_asyncio_bridge",
    "ops",
    "ops_writing",
    "parse_peer",
]
