"""Compatibility guard: the few Telethon internals the sandbox seam relies on still exist.

Checked at import (sandbox-seam.md §1, "Compatibility guard"), so a Telethon upgrade that
renames them fails loudly at start-up instead of deep inside a test or the demo.
"""

from __future__ import annotations

import telethon
from telethon.network import MTProtoSender

__all__ = ["SEAM_CLIENT_ATTRIBUTES", "SEAM_SENDER_MEMBERS", "check_telethon_seam"]

SEAM_CLIENT_ATTRIBUTES = ("_sender", "_updates_queue", "_auth_key_callback")
SEAM_SENDER_MEMBERS = (
    "send",
    "connect",
    "disconnect",
    "is_connected",
    "_transport_connected",
    "_keepalive_ping",
)


def check_telethon_seam() -> None:
    """Raise if Telethon no longer has what :class:`~mctltg.sandbox.SandboxSender` replaces.

    Raises:
        ImportError: a member of ``MTProtoSender`` or of the client is missing.
    """
    missing = [name for name in SEAM_SENDER_MEMBERS if not hasattr(MTProtoSender, name)]
    # Attribute names assigned in ``__init__`` appear in its bytecode's names; unlike
    # ``inspect.getsource`` this also works inside the frozen executable (no .py files).
    assigned = telethon.client.telegrambaseclient.TelegramBaseClient.__init__.__code__.co_names
    missing += [name for name in SEAM_CLIENT_ATTRIBUTES[:2] if name not in assigned]
    if not hasattr(telethon.client.telegrambaseclient.TelegramBaseClient, "_auth_key_callback"):
        missing.append("_auth_key_callback")
    if missing:
        raise ImportError(
            f"Telethon {telethon.__version__} lacks what the sandbox seam needs: {', '.join(missing)}"
        )
