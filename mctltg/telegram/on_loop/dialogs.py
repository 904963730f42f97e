"""Operations that run ON the Telethon thread, one coroutine per use case (dialog pages: ``folders``).

Each takes the Telethon client first and returns ``telegram.model`` values, so no
Telethon object crosses back to Trio. ``TelegramConnection.run`` calls them under
a deadline and translates errors.
"""

from __future__ import annotations

from typing import Any

from mctltg.telegram.model import AccountProfile
from mctltg.telegram.on_loop.convert import profile_from_user

__all__ = ["fetch_profile"]


async def fetch_profile(client: Any) -> AccountProfile | None:
    """Who is logged in, or None if the session is not authorized."""
    me = await client.get_me()
    return None if me is None else profile_from_user(me)
