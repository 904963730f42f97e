"""The Telegram boundary: the only package that imports asyncio or Telethon.

Trio code above it sees ``TelegramAccount`` (one typed method per use case),
``TelegramLogin`` (one per login step), the connection and client factory the account
layer supervises, and plain values from ``model``. What runs on the Telethon thread
lives in ``on_loop/`` and is reached only from here.
"""

from mctltg.telegram.account import AccountLease, MediaDownload, TelegramAccount
from mctltg.telegram.bridge import AsyncioBridge, open_asyncio_bridge
from mctltg.telegram.connect_options import ConnectOptions, DataCenter, build_connect_options
from mctltg.telegram.connection import ClientFactory, TelegramConnection
from mctltg.telegram.login import TelegramLogin
from mctltg.telegram.model import (
    AccountProfile,
    ActionResult,
    Dialog,
    MediaFile,
    MediaInfo,
    Message,
    MessagePage,
    PeerRef,
    PinResult,
    SentMessage,
    UnreadChat,
    UnreadDigest,
)
from mctltg.telegram.on_loop.factory import ClientOptions, TelethonFactory, build_client
from mctltg.telegram.on_loop.login import LoginHandle, LoginProgress
from mctltg.telegram.peers import PEER_FORMS, canonical_peer, parse_peer
from mctltg.telegram.session import SealedSession
from mctltg.telegram.sharing import EVERYTHING, SharedView, Sharing, SharingRule

__all__ = [
    "EVERYTHING",
    "PEER_FORMS",
    "AccountLease",
    "AccountProfile",
    "ActionResult",
    "AsyncioBridge",
    "ClientFactory",
    "ClientOptions",
    "ConnectOptions",
    "DataCenter",
    "Dialog",
    "LoginHandle",
    "LoginProgress",
    "MediaDownload",
    "MediaFile",
    "MediaInfo",
    "Message",
    "MessagePage",
    "PeerRef",
    "PinResult",
    "SealedSession",
    "SentMessage",
    "SharedView",
    "Sharing",
    "SharingRule",
    "TelegramAccount",
    "TelegramConnection",
    "TelegramLogin",
    "TelethonFactory",
    "UnreadChat",
    "UnreadDigest",
    "build_client",
    "build_connect_options",
    "canonical_peer",
    "open_asyncio_bridge",
    "parse_peer",
]
