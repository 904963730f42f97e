"""Chat folders, the archive and dialog-list paging, ON the Telethon thread.

Telegram keeps the person's chat folders as *dialog filters* (``messages.getDialogFilters``):
chats added by hand, plus chats of chosen kinds (contacts, groups, channels …), minus
excluded ones. There is no server call listing a folder's chats, so Telegram's apps (and
this module) walk the dialog list and keep the matches. The archive is different: it is
Telegram's folder 1, listed by ``messages.getDialogs(folder_id=1)`` itself.

A cursor is ``<date>.<message id>.<peer>`` of the last dialog returned: exactly the
offsets ``messages.getDialogs`` pages by, so the next page costs what the first did.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Final

from telethon.tl import functions, types

from mctltg.errors import InvalidInput, TelegramRpcError
from mctltg.telegram.error_map import ACTIONABLE
from mctltg.telegram.model import ChatFolder, Dialog, DialogPage, PeerRef
from mctltg.telegram.on_loop.convert import canonical_peer_of, dialog_from_telethon
from mctltg.telegram.on_loop.resolve import resolve_input_peer

__all__ = [
    "ARCHIVE",
    "DIALOG_SCAN_LIMIT",
    "decode_cursor",
    "encode_cursor",
    "fetch_dialog_page",
    "fetch_folders",
    "matcher",
]

#: Telegram's own folder id for the archive.
ARCHIVE: Final = 1
#: How many dialogs a filtered listing scans at most before giving up on more matches.
DIALOG_SCAN_LIMIT: Final = 1000
_CURSOR: Final = re.compile(r"(\d{1,12})\.(\d{1,10})\.(user|chat|channel):(\d{1,19})")
_BAD_CURSOR: Final = (
    "is not a cursor list_dialogs gave; pass next_cursor exactly as returned, or leave it out"
)


def _peers(input_peers: Any, me: int | None) -> tuple[str, ...]:
    out: list[str] = []
    for peer in input_peers or ():
        if isinstance(peer, types.InputPeerSelf):
            if me is not None:
                out.append(f"user:{me}")
            continue
        try:
            out.append(canonical_peer_of(peer))
        except TypeError:
            continue
    return tuple(out)


def _folder(raw: Any, me: int | None) -> ChatFolder:
    title = raw.title.text if hasattr(raw.title, "text") else str(raw.title)
    flags = {"contacts": raw.contacts, "non_contacts": raw.non_contacts, "groups": raw.groups}
    flags |= {"channels": raw.broadcasts, "bots": raw.bots}
    return ChatFolder(
        id=int(raw.id),
        title=title,
        emoticon=raw.emoticon or None,
        include=_peers(raw.pinned_peers, me) + _peers(raw.include_peers, me),
        exclude=_peers(raw.exclude_peers, me),
        kinds=tuple(kind for kind, on in flags.items() if on),
        exclude_muted=bool(raw.exclude_muted),
        exclude_read=bool(raw.exclude_read),
        exclude_archived=bool(raw.exclude_archived),
    )


async def fetch_folders(client: Any) -> list[ChatFolder]:
    """The person's chat folders, in their order (shared-link folders included). One RPC."""
    answer = await client(functions.messages.GetDialogFiltersRequest())
    filters = answer if isinstance(answer, list) else answer.filters
    me = getattr(client, "_mb_entity_cache", None)
    me_id = getattr(me, "self_id", None)
    wanted = (types.DialogFilter, getattr(types, "DialogFilterChatlist", types.DialogFilter))
    return [_folder(raw, me_id) for raw in filters if isinstance(raw, wanted)]


def encode_cursor(raw: Any) -> str | None:
    """The cursor after Telethon dialog ``raw``, or None when it has no message to page from."""
    message = raw.message
    if message is None or getattr(message, "date", None) is None:
        return None
    return f"{int(message.date.timestamp())}.{int(message.id)}.{canonical_peer_of(raw.entity)}"


def decode_cursor(cursor: str) -> tuple[int, int, PeerRef]:
    """``(date, message id, peer)`` of a cursor.

    Raises:
        InvalidInput: the text is not a cursor this module wrote.
    """
    match = _CURSOR.fullmatch(cursor.strip()) if isinstance(cursor, str) else None
    if match is None:
        raise InvalidInput("cursor", _BAD_CURSOR)
    date, message_id, kind, peer_id = match.groups()
    return int(date), int(message_id), PeerRef(kind=kind, id=int(peer_id))  # type: ignore[arg-type]


def matcher(folder: ChatFolder) -> Callable[[Any, Dialog], bool]:
    include, exclude = set(folder.include), set(folder.exclude)

    def kind_of(raw: Any, dialog: Dialog) -> str:
        if dialog.kind == "user":
            return "contacts" if getattr(raw.entity, "contact", False) else "non_contacts"
        return {"bot": "bots", "group": "groups", "supergroup": "groups"}.get(dialog.kind, "channels")

    def matches(raw: Any, dialog: Dialog) -> bool:
        if dialog.peer in exclude:
            return False
        if dialog.peer in include:
            return True
        if kind_of(raw, dialog) not in folder.kinds:
            return False
        return not (folder.exclude_muted and dialog.muted) and not (
            folder.exclude_read and dialog.unread_count == 0 and dialog.unread_mentions_count == 0
        )

    return matches


async def fetch_dialog_page(
    client: Any,
    limit: int,
    query: str | None,
    folder: int | None,
    cursor: str | None,
    admits: Callable[[str], bool] | None = None,
) -> DialogPage:
    """A page of dialogs: of the main list, the archive (``folder`` 1) or a chat folder.

    Without a query or chat folder this is one ``messages.getDialogs`` per 100 dialogs
    (the first page of 50 is one RPC, as before); a chat folder adds one
    ``messages.getDialogFilters`` and walks the list. With ``admits`` (a sharing rule)
    the list is walked too and only admitted chats are kept, so a page is still full.
    """
    offsets: dict[str, Any] = {}
    if cursor is not None:
        date, message_id, ref = decode_cursor(cursor)
        if admits is not None and not admits(str(ref)):
            raise InvalidInput("cursor", _BAD_CURSOR)
        offset_peer = await resolve_input_peer(client, ref)
        when = dt.datetime.fromtimestamp(date, dt.UTC)
        offsets = {"offset_date": when, "offset_id": message_id, "offset_peer": offset_peer}
    chat_folder: ChatFolder | None = None
    if folder is not None and folder != ARCHIVE:
        chat_folder = next((f for f in await fetch_folders(client) if f.id == folder), None)
        if chat_folder is None:
            raise TelegramRpcError("FILTER_ID_INVALID", ACTIONABLE["FILTER_ID_INVALID"])
    archive = ARCHIVE if folder == ARCHIVE else None
    if not query and chat_folder is None and admits is None:
        got = await client.get_dialogs(limit=limit, folder=archive, **offsets)
        dialogs = tuple(dialog_from_telethon(d) for d in got)
        whole = cursor is None and getattr(got, "total", None) == len(got)
        more = len(got) >= limit and not whole
        return DialogPage(dialogs=dialogs, next_cursor=encode_cursor(got[-1]) if more and got else None)
    needle = (query or "").casefold()
    in_folder = matcher(chat_folder) if chat_folder is not None else (lambda raw, dialog: True)
    found: list[Dialog] = []
    async for raw in client.iter_dialogs(limit=DIALOG_SCAN_LIMIT, folder=archive, **offsets):
        dialog = dialog_from_telethon(raw)
        named = needle in dialog.title.casefold() or (
            dialog.username and needle in dialog.username.casefold()
        )
        if named and in_folder(raw, dialog) and (admits is None or admits(dialog.peer)):
            found.append(dialog)
            if len(found) >= limit:
                return DialogPage(dialogs=tuple(found), next_cursor=encode_cursor(raw))
    return DialogPage(dialogs=tuple(found), next_cursor=None)
