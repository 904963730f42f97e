"""Ending a session at Telegram: ``auth.logOut`` on the account's own auth key.

Not Telethon's ``client.log_out()``: that also disconnects and deletes the session
object, which belong to the account task (it disconnects on its way out) and to the
account layer (which erased the stored copy first).
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

__all__ = ["log_out"]


async def log_out(client: Any) -> bool:
    """Ask Telegram to end this auth key's authorization; True when it confirmed."""
    result = await client(functions.auth.LogOutRequest())
    return isinstance(result, types.auth.LoggedOut)
