"""Operations that run ON the Telethon thread, one coroutine per use case.

Each takes the Telethon client first and returns ``telegram.model`` values, so no
Telethon object crosses back to Trio. ``TelegramConnection.run`` calls them under
a deadline and translates errors.
"""

from __future__ import annotations

from typing import Any

from mctltg.telegram.model import AccountProfile, Dialog
from mctltg.telegram.on_loop.convert import dialog_from_telethon, profile_from_user

__all__ = ["fetch_dialogs", "fetch_profile"]

#: How many dialogs a filtered listing scans at most before giving up on more matches.
DIALOG_SCAN_LIMIT = 1000


async def fetch_profile(client: Any) -> AccountProfile | None:
    """Who is logged in, or None if the session is not authorized."""
    me = await client.get_me()
    return None if me is None else profile_from_user(me)


async def fetch_dialogs(client: Any, limit: int, query: str | None = None) -> list[Dialog]:
    """The newest ``limit`` dialogs, optionally only those whose title or username matches."""
    if not query:
        return [dialog_from_telethon(d) for d in await client.get_dialogs(limit=limit)]
    needle = query.casefold()
    found: list[Dialog] = []
    async for raw in client.iter_dialogs(limit=DIALOG_SCAN_LIMIT):
        dialog = dialog_from_telethon(raw)
        if needle in dialog.title.casefold() or (dialog.username and needle in dialog.username.casefold()):
            found.append(dialog)
            if len(found) >= limit:
                break
    return found
